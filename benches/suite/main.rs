//! The performance suite: the real service (the release binary, in its own process)
//! under load from `wrk`, each figure set against a baseline measured in the same run
//! on the same machine, so that what is reported is a ratio and not a figure that
//! depends on how busy the machine is.
//!
//!     bench/run                    (installs wrk if missing, then runs this)
//!     cargo bench --bench suite    (wrk must be on the PATH)
//!
//! Scenarios, on SQLite, and on PostgreSQL too when BENCH_POSTGRES_URL names a server
//! where databases may be created:
//!
//! 1. read a case with its embedded records (`GET /api/v1/cases/{id}`, the demo case)
//!    against a ceiling: a bare actix-web app in this process whose one handler runs
//!    the same store query on the same kind of pool and returns the same JSON; and
//!    the same service with request logging at `info` against `warn`;
//! 2. log a timeline event with its ten outbox rows (`POST /api/v1/cases/{id}/events`)
//!    against the same inserts in a bare loop, one transaction per event, on as many
//!    threads as the pool has connections; once spread over many cases, once on one
//!    hot case whose history grows during the run. What bounds one case is shown by
//!    timing one event written alone through the service's store code and as bare
//!    inserts, on a small case and on the hot one;
//! 3. the newest 50 events of a case on a small data set (1,000 events) against a
//!    large one (2,000,000 events), both servers up at once, runs alternated;
//! 4. the service's resident memory, idle after start and at peak under scenario 1;
//! 5. start-up time (migrations included) until `/health` answers, on an empty
//!    database and on the large data set, median of three.
//!
//! Every wrk run uses 64 connections and 2 threads for BENCH_SECONDS (10) seconds,
//! after a short warm-up; each comparison is made BENCH_ROUNDS (2) times in A-B-B-A
//! order and averaged. A request without a 2xx answer (or a socket error) marks its
//! figures FAILED, is listed under the summary and makes the suite exit non-zero; the
//! other scenarios still run. BENCH_ONLY (comma-separated: read, write, events,
//! startup) runs part of it; BENCH_STRICT=1 also exits non-zero when a target is
//! missed. Data sets are made once under
//! target/bench-data/ and reused (the history benchmark's data sets among them); the
//! write scenario starts from a fresh database each run. Service logs go to
//! target/bench-data/logs/.

mod events;
mod harness;
mod read;
mod startup;
mod write;

use harness::{print_machine, print_summary, Backend, Config, Report};

fn run(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
    if config.runs("read") {
        read::read_case(config, backend, report)?;
    }
    if config.runs("write") {
        write::write_event(config, backend, report)?;
    }
    if config.runs("events") {
        events::newest_events(config, backend, report)?;
    }
    if config.runs("startup") {
        startup::startup(config, backend, report)?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    print_machine(&config);
    let mut report = Report::default();
    let mut backends = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var("BENCH_POSTGRES_URL") {
        backends.push(Backend::Postgres(url));
    }
    for backend in &backends {
        if let Err(e) = run(&config, backend, &mut report) {
            print_summary(&report);
            return Err(e.context(format!("the {} run failed", backend.label())));
        }
    }
    print_summary(&report);
    let missed = report
        .rows
        .iter()
        .filter(|r| r.verdict() == "MISSED")
        .count();
    if missed > 0 {
        println!("{missed} target(s) missed");
    }
    anyhow::ensure!(
        report.failures.is_empty(),
        "{} run(s) had requests without a 2xx answer (see FAILED above and target/bench-data/logs/)",
        report.failures.len()
    );
    if missed > 0 && config.strict {
        std::process::exit(1);
    }
    Ok(())
}
