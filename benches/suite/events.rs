//! Scenario 3: the newest 50 events of a case on a small data set against a large one.

use crate::harness::{
    admin_token, get_ok, history_dataset, measure, script, warm_up, Backend, Config, Load, Paths,
    Report, Row, Service, Target,
};
use case_tracker::generate::{case_id, Plan};

/// The small history data set: 50 cases x 20 events = 1,000 events.
const SMALL_CASES: usize = 50;

/// 3: the newest 50 events of a case, small data set against large, alternated.
pub fn newest_events(
    config: &Config,
    backend: &Backend,
    report: &mut Report,
) -> anyhow::Result<()> {
    let label = backend.label();
    let small_plan = Plan {
        cases: SMALL_CASES,
        events_per_case: 20,
    };
    let small_url = history_dataset(backend, small_plan)?;
    let large_url = history_dataset(backend, config.large)?;
    let (small_token, large_token) = (admin_token(&small_url)?, admin_token(&large_url)?);
    let small = Service::start(
        &small_url,
        &format!("{label}-events-small"),
        "warn",
        config.pool_size,
    )?;
    let large = Service::start(
        &large_url,
        &format!("{label}-events-large"),
        "warn",
        config.pool_size,
    )?;
    let pattern = "/api/v1/cases/0bee%028x/events?order=desc&limit=50";
    for (port, token, cases) in [
        (small.port, &small_token, small_plan.cases),
        (large.port, &large_token, config.large.cases),
    ] {
        let page = get_ok(
            port,
            &format!(
                "/api/v1/cases/{}/events?order=desc&limit=50",
                case_id(cases - 1)
            ),
            Some(token),
        )?;
        let n = page["items"].as_array().map_or(0, |a| a.len());
        anyhow::ensure!(
            n == small_plan.events_per_case.min(50),
            "a history page had {n} events"
        );
    }
    println!(
        "\n== {label}: newest 50 events of a case (GET /api/v1/cases/{{id}}/events?order=desc&limit=50), random cases\n   small: {} cases x {} events ({} events); large: {} cases x {} events ({} events)",
        small_plan.cases,
        small_plan.events_per_case,
        small_plan.cases * small_plan.events_per_case,
        config.large.cases,
        config.large.events_per_case,
        config.large.cases * config.large.events_per_case
    );
    let small_lua = script(
        &format!("{label}-events-small"),
        &small_token,
        None,
        &Paths::Format(pattern.into(), small_plan.cases),
    )?;
    let large_lua = script(
        &format!("{label}-events-large"),
        &large_token,
        None,
        &Paths::Format(pattern.into(), config.large.cases),
    )?;
    let (what_small, what_large) = (
        format!("{label} history, small"),
        format!("{label} history, large"),
    );
    warm_up(report, &what_small, small.port, &small_lua, config)?;
    warm_up(report, &what_large, large.port, &large_lua, config)?;
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for r in 0..config.rounds {
        for small_turn in [Config::a_first(r), !Config::a_first(r)] {
            if small_turn {
                let load = measure(
                    report,
                    &what_small,
                    small.port,
                    &small_lua,
                    config.seconds,
                    || {},
                )?;
                println!("   small  {}", load.describe());
                a.push(load);
            } else {
                let load = measure(
                    report,
                    &what_large,
                    large.port,
                    &large_lua,
                    config.seconds,
                    || {},
                )?;
                println!("   large  {}", load.describe());
                b.push(load);
            }
        }
    }
    let (a, b) = (Load::mean(&a), Load::mean(&b));
    report.rows.push(Row {
        scenario: "newest 50 events: p50, large vs small".into(),
        backend: label,
        service: format!("{:.2} ms", b.p50_ms),
        baseline: format!("{:.2} ms", a.p50_ms),
        ratio: Some(b.p50_ms / a.p50_ms),
        target: Some(Target::AtMost(1.3)),
        failed: a.failed + b.failed,
    });
    report.rows.push(Row {
        scenario: "newest 50 events: p99, large vs small".into(),
        backend: label,
        service: format!("{:.2} ms", b.p99_ms),
        baseline: format!("{:.2} ms", a.p99_ms),
        ratio: Some(b.p99_ms / a.p99_ms),
        target: Some(Target::AtMost(1.3)),
        failed: a.failed + b.failed,
    });
    report.rows.push(Row {
        scenario: "newest 50 events: req/s, large vs small".into(),
        backend: label,
        service: format!("{:.0} req/s", b.rps),
        baseline: format!("{:.0} req/s", a.rps),
        ratio: Some(b.rps / a.rps),
        target: None,
        failed: a.failed + b.failed,
    });
    Ok(())
}
