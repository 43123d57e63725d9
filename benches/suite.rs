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

use case_tracker::auth::Visibility;
use case_tracker::configuration::{get_configuration, DatabaseSettings};
use case_tracker::db::{write_transaction, Db, DbConnection};
use case_tracker::error::ApiError;
use case_tracker::events::NewEvent;
use case_tracker::generate::{case_id, generate, Plan};
use case_tracker::schema;
use case_tracker::vocabulary::{AlertKind, Delivery};
use diesel::prelude::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const WRK_THREADS: usize = 2;
/// The small history data set: 50 cases x 20 events = 1,000 events.
const SMALL_CASES: usize = 50;
/// Cases written to in the spread write scenario, and subscribers following each.
const WRITE_CASES: usize = 100;
const SUBSCRIBERS: usize = 10;
const EVENT_BODY: &str =
    r#"{"kind":"note","occurred_on":"2026-11","title":"Benchmark note on the case"}"#;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

struct Config {
    seconds: u64,
    rounds: usize,
    large: Plan,
    only: Vec<String>,
    strict: bool,
    pool_size: u32,
}

impl Config {
    fn from_env() -> anyhow::Result<Self> {
        let settings = get_configuration()?;
        Ok(Self {
            seconds: env_usize("BENCH_SECONDS", 10).max(1) as u64,
            rounds: env_usize("BENCH_ROUNDS", 2).max(1),
            large: Plan {
                cases: env_usize("BENCH_LARGE_CASES", 100_000),
                events_per_case: env_usize("BENCH_EVENTS_PER_CASE", 20),
            },
            only: std::env::var("BENCH_ONLY")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            strict: std::env::var("BENCH_STRICT").is_ok_and(|v| v == "1"),
            pool_size: settings.database.pool_size,
        })
    }

    fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }

    /// A-B-B-A...: which of the pair goes first in round `r`.
    fn a_first(r: usize) -> bool {
        r.is_multiple_of(2)
    }
}

#[derive(Clone)]
enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    fn label(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

// ---------------------------------------------------------------- data sets

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn pg_exec(admin: &str, sql: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(admin)?;
    diesel::sql_query(sql).execute(&mut conn)?;
    Ok(())
}

fn pg_exists(admin: &str, db_name: &str) -> anyhow::Result<bool> {
    let mut conn = PgConnection::establish(admin)?;
    let n = diesel::sql_query(format!(
        "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{db_name}'"
    ))
    .get_result::<Count>(&mut conn)?
    .n;
    Ok(n > 0)
}

fn pg_url(admin: &str, db_name: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(admin)?;
    url.set_path(db_name);
    Ok(url.to_string())
}

fn remove_sqlite(path: &Path) {
    let _ = std::fs::remove_file(path);
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// The URL of data set `name`, made once with `fill` (given the URL of an empty
/// database) and reused afterwards. Same naming as the history benchmark.
fn dataset(
    backend: &Backend,
    name: &str,
    fill: impl FnOnce(&str) -> anyhow::Result<()>,
) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => {
            let dir = bench_dir();
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{name}.db"));
            if !path.exists() {
                let partial = dir.join(format!("{name}.partial.db"));
                remove_sqlite(&partial);
                fill(&format!("sqlite://{}", partial.display()))?;
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(dir.join(format!("{name}.partial.db{suffix}")));
                }
                std::fs::rename(&partial, &path)?;
            }
            Ok(format!("sqlite://{}", path.display()))
        }
        Backend::Postgres(admin) => {
            let db_name = format!("case_tracker_bench_{name}");
            if !pg_exists(admin, &db_name)? {
                let partial = format!("{db_name}_partial");
                pg_exec(
                    admin,
                    &format!("DROP DATABASE IF EXISTS {partial} WITH (FORCE)"),
                )?;
                pg_exec(admin, &format!("CREATE DATABASE {partial}"))?;
                fill(&pg_url(admin, &partial)?)?;
                pg_exec(
                    admin,
                    &format!("ALTER DATABASE {partial} RENAME TO {db_name}"),
                )?;
            }
            pg_url(admin, &db_name)
        }
    }
}

/// An empty database named `name`, whatever was there before.
fn fresh(backend: &Backend, name: &str) -> anyhow::Result<String> {
    match backend {
        Backend::Sqlite => {
            let dir = bench_dir();
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{name}.db"));
            remove_sqlite(&path);
            Ok(format!("sqlite://{}", path.display()))
        }
        Backend::Postgres(admin) => {
            let db_name = format!("case_tracker_bench_{name}");
            pg_exec(
                admin,
                &format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"),
            )?;
            pg_exec(admin, &format!("CREATE DATABASE {db_name}"))?;
            pg_url(admin, &db_name)
        }
    }
}

fn settings_for(url: &str, pool_size: u32) -> anyhow::Result<DatabaseSettings> {
    let mut database = get_configuration()?.database;
    database.url = url.to_string();
    database.pool_size = pool_size;
    Ok(database)
}

/// Connects (migrating) to `url`.
fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
    case_tracker::startup::open_database(&settings_for(url, pool_size)?)
}

fn analyze(conn: &mut DbConnection) -> anyhow::Result<()> {
    if let DbConnection::Pg(c) = conn {
        diesel::sql_query("ANALYZE").execute(c)?;
    }
    Ok(())
}

fn generated(url: &str, plan: Plan) -> anyhow::Result<()> {
    let db = connect(url, 1)?;
    let mut conn = db.get()?;
    let started = Instant::now();
    eprintln!(
        "generating {} cases x {} events into {url}",
        plan.cases, plan.events_per_case
    );
    generate(&mut conn, plan, |done| {
        if done.is_multiple_of(20_000) {
            eprintln!("  {done} cases");
        }
    })?;
    analyze(&mut conn)?;
    eprintln!("  done in {:.0?}", started.elapsed());
    Ok(())
}

fn history_dataset(backend: &Backend, plan: Plan) -> anyhow::Result<String> {
    let name = format!("history_{}_{}", plan.cases, plan.events_per_case);
    dataset(backend, &name, |url| generated(url, plan))
}

/// A new admin token for the database at `url`.
fn admin_token(url: &str) -> anyhow::Result<String> {
    let db = connect(url, 1)?;
    let request =
        case_tracker::http::parse_body(serde_json::json!({"name": "bench", "role": "admin"}))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut conn = db.get()?;
    Ok(write_transaction(&mut conn, |conn| {
        case_tracker::auth::store::issue(conn, request, None, "bench")
    })?
    .token_secret)
}

// ---------------------------------------------------------------- HTTP and processes

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A plain HTTP/1.0 request (the connection closes after the answer).
fn http(
    port: u16,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> anyhow::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut request = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    if let Some(token) = token {
        request.push_str(&format!("Authorization: Bearer {token}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| anyhow::anyhow!("{method} {path}: no HTTP answer"))?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("{method} {path}: bad status line"))?;
    Ok((status, body.to_string()))
}

fn get_ok(port: u16, path: &str, token: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let (status, body) = http(port, "GET", path, token, None)?;
    anyhow::ensure!(status == 200, "GET {path} answered {status}: {body}");
    Ok(serde_json::from_str(&body)?)
}

/// The service binary built with this benchmark, in its own process.
struct Service {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Service {
    /// Starts the service on `url` and waits until /health answers 200; returns it and
    /// how long that took from the spawn.
    fn start(url: &str, label: &str, log_level: &str, pool_size: u32) -> anyhow::Result<Self> {
        let port = free_port()?;
        let logs = bench_dir().join("logs");
        std::fs::create_dir_all(&logs)?;
        let log = logs.join(format!("{label}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_case-tracker"))
            .arg("serve")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("RUST_LOG")
            .env("APP_DATABASE__URL", url)
            .env("APP_DATABASE__POOL_SIZE", pool_size.to_string())
            .env("APP_APPLICATION__HOST", "127.0.0.1")
            .env("APP_APPLICATION__PORT", port.to_string())
            .env("APP_ALERTS__WORKER", "false")
            .env("APP_ALERTS__MAIL_DIR", bench_dir().join("mail"))
            .env("APP_LOG__LEVEL", log_level)
            .env("APP_SECURITY__RATE_LIMIT_PER_MINUTE", "2000000000")
            .env("APP_SECURITY__RATE_LIMIT_BURST", "2000000000")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()?;
        let mut service = Self { child, port, log };
        service.wait_healthy()?;
        Ok(service)
    }

    /// Start-up time: from the spawn to the first 200 from /health.
    fn time_start(url: &str, label: &str, pool_size: u32) -> anyhow::Result<Duration> {
        let started = Instant::now();
        let service = Self::start(url, label, "warn", pool_size)?;
        let elapsed = started.elapsed();
        drop(service);
        Ok(elapsed)
    }

    fn wait_healthy(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(300);
        loop {
            if let Ok((200, _)) = http(self.port, "GET", "/health", None, None) {
                return Ok(());
            }
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!(
                    "the service exited ({status}) before answering /health; its log:\n{}",
                    self.log_tail()
                );
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "the service did not answer /health in time; its log:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Resident set size in KiB (VmRSS).
    fn rss_kib(&self) -> Option<u64> {
        memory_kib(self.child.id(), "VmRSS:")
    }

    /// The anonymous part of it (heap, stacks): without mapped files.
    fn anon_kib(&self) -> Option<u64> {
        memory_kib(self.child.id(), "RssAnon:")
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A figure in KiB from /proc/<pid>/status.
fn memory_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The ceiling for reading a case: no authentication, no logging, no audit; the same
/// store query on a pooled connection, the same JSON.
fn start_ceiling(url: &str, pool_size: u32) -> anyhow::Result<u16> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    async fn case(db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
        let id = id.into_inner();
        let detail = db
            .read(move |conn| {
                Ok(case_tracker::cases::store::detail(
                    conn,
                    &id,
                    Visibility::Staff,
                )?)
            })
            .await?;
        Ok(HttpResponse::Ok().json(detail))
    }
    let db = connect(url, pool_size)?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let served = actix_web::rt::System::new().block_on(async move {
            let db = web::Data::new(db);
            HttpServer::new(move || {
                App::new()
                    .app_data(db.clone())
                    .route("/api/v1/cases/{id}", web::get().to(case))
            })
            .listen(listener)?
            .run()
            .await
        });
        if let Err(e) = served {
            eprintln!("the ceiling server stopped: {e}");
        }
    });
    Ok(port)
}

// ---------------------------------------------------------------- wrk

#[derive(Debug, Clone, Default)]
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    requests: u64,
    /// Requests without a 2xx answer: non-2xx answers and socket errors (timeouts
    /// included), with wrk's lines about them.
    failed: u64,
    errors: Vec<String>,
}

impl Load {
    fn mean(runs: &[Load]) -> Load {
        let n = runs.len().max(1) as f64;
        Load {
            rps: runs.iter().map(|r| r.rps).sum::<f64>() / n,
            p50_ms: runs.iter().map(|r| r.p50_ms).sum::<f64>() / n,
            p99_ms: runs.iter().map(|r| r.p99_ms).sum::<f64>() / n,
            max_ms: runs.iter().map(|r| r.max_ms).fold(0.0, f64::max),
            requests: runs.iter().map(|r| r.requests).sum(),
            failed: runs.iter().map(|r| r.failed).sum(),
            errors: runs.iter().flat_map(|r| r.errors.clone()).collect(),
        }
    }

    fn describe(&self) -> String {
        let mut text = format!(
            "{:>8.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.0} ms",
            self.rps, self.p50_ms, self.p99_ms, self.max_ms
        );
        if !self.errors.is_empty() {
            text.push_str(&format!("  FAILED REQUESTS: {}", self.errors.join("; ")));
        }
        text
    }
}

/// A wrk script: the bearer token, an optional JSON body to POST, and the paths to
/// ask for, one picked at random per request (`Paths::Format` builds generated case
/// ids from a number).
enum Paths {
    List(Vec<String>),
    /// A `string.format` pattern taking one integer in 0..n.
    Format(String, usize),
}

fn lua_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn script(name: &str, token: &str, body: Option<&str>, paths: &Paths) -> anyhow::Result<PathBuf> {
    let dir = bench_dir().join("lua");
    std::fs::create_dir_all(&dir)?;
    let mut lua = String::new();
    lua.push_str(&format!(
        "wrk.headers[\"Authorization\"] = {}\n",
        lua_quote(&format!("Bearer {token}"))
    ));
    match body {
        Some(body) => {
            lua.push_str("wrk.method = \"POST\"\n");
            lua.push_str("wrk.headers[\"Content-Type\"] = \"application/json\"\n");
            lua.push_str(&format!("wrk.body = {}\n", lua_quote(body)));
        }
        None => lua.push_str("wrk.method = \"GET\"\n"),
    }
    lua.push_str(
        "local threads = 0\n\
         function setup(thread)\n  threads = threads + 1\n  thread:set(\"seed\", threads)\nend\n\
         function init(args)\n  math.randomseed(seed or 1)\nend\n",
    );
    match paths {
        Paths::List(list) => {
            let items: Vec<String> = list.iter().map(|p| lua_quote(p)).collect();
            lua.push_str(&format!("local paths = {{{}}}\n", items.join(", ")));
            lua.push_str(
                "function request()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n",
            );
        }
        Paths::Format(pattern, n) => {
            lua.push_str(&format!(
                "function request()\n  return wrk.format(nil, string.format({}, math.random(0, {})))\nend\n",
                lua_quote(pattern),
                n - 1
            ));
        }
    }
    let path = dir.join(format!("{name}.lua"));
    std::fs::write(&path, lua)?;
    Ok(path)
}

fn parse_duration_ms(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().ok()?;
    let factor = match unit {
        "us" => 0.001,
        "ms" => 1.0,
        "s" => 1000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    };
    Some(value * factor)
}

fn parse_wrk(output: &str) -> anyhow::Result<Load> {
    let mut load = Load::default();
    for line in output.lines().map(str::trim) {
        if let Some(v) = line.strip_prefix("Requests/sec:") {
            load.rps = v.trim().parse()?;
        } else if let Some(v) = line.strip_prefix("50%") {
            load.p50_ms = parse_duration_ms(v).unwrap_or_default();
        } else if let Some(v) = line.strip_prefix("99%") {
            load.p99_ms = parse_duration_ms(v).unwrap_or_default();
        } else if let Some(v) = line.strip_prefix("Latency ") {
            // Thread stats: average, standard deviation, maximum, +/- stdev (the
            // "Latency Distribution" heading has no figures).
            if let Some(max) = v.split_whitespace().nth(2).and_then(parse_duration_ms) {
                load.max_ms = max;
            }
        } else if line.contains(" requests in ") {
            load.requests = line
                .split_whitespace()
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_default();
        } else if let Some(v) = line.strip_prefix("Non-2xx or 3xx responses:") {
            load.failed += v.trim().parse::<u64>().unwrap_or(1);
            load.errors.push(line.to_string());
        } else if let Some(v) = line.strip_prefix("Socket errors:") {
            let total: u64 = v
                .split(',')
                .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum();
            if total > 0 {
                load.failed += total;
                load.errors.push(line.to_string());
            }
        }
    }
    anyhow::ensure!(load.requests > 0, "could not read wrk's figures:\n{output}");
    Ok(load)
}

/// Runs wrk against `port`, calling `sample` about every 50 ms while it runs.
fn wrk(port: u16, script: &Path, seconds: u64, mut sample: impl FnMut()) -> anyhow::Result<Load> {
    let mut child = Command::new("wrk")
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{CONNECTIONS}"))
        .arg(format!("-d{seconds}s"))
        .arg("--timeout")
        .arg("10s")
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run wrk ({e}): install it, or use bench/run"))?;
    while child.try_wait()?.is_none() {
        sample();
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_wrk(&stdout)
}

/// A timed wrk run; requests without a 2xx answer are noted in the report.
fn measure(
    report: &mut Report,
    what: &str,
    port: u16,
    script: &Path,
    seconds: u64,
    sample: impl FnMut(),
) -> anyhow::Result<Load> {
    let load = wrk(port, script, seconds, sample)?;
    report.check(what, &load);
    Ok(load)
}

/// A short untimed run, so that caches and pools are warm before the timed ones.
fn warm_up(
    report: &mut Report,
    what: &str,
    port: u16,
    script: &Path,
    config: &Config,
) -> anyhow::Result<()> {
    let seconds = (config.seconds / 4).clamp(1, 3);
    measure(
        report,
        &format!("{what} (warm-up)"),
        port,
        script,
        seconds,
        || {},
    )
    .map(|_| ())
}

// ---------------------------------------------------------------- the report

#[derive(Clone, Copy)]
enum Target {
    AtLeast(f64),
    AtMost(f64),
}

struct Row {
    scenario: String,
    backend: &'static str,
    service: String,
    baseline: String,
    ratio: Option<f64>,
    target: Option<Target>,
    /// Requests without a 2xx answer in the runs behind the figures.
    failed: u64,
}

impl Row {
    fn verdict(&self) -> &'static str {
        if self.failed > 0 {
            return "FAILED";
        }
        match (self.ratio, self.target) {
            (Some(r), Some(Target::AtLeast(t))) if r >= t => "met",
            (Some(r), Some(Target::AtMost(t))) if r <= t => "met",
            (Some(_), Some(_)) => "MISSED",
            _ => "-",
        }
    }
}

/// The figures, and every run in which a request got no 2xx answer.
#[derive(Default)]
struct Report {
    rows: Vec<Row>,
    failures: Vec<String>,
}

impl Report {
    /// Notes the failed requests of a run; returns how many there were.
    fn check(&mut self, what: &str, load: &Load) -> u64 {
        if load.failed > 0 {
            self.failures.push(format!(
                "{what}: {} requests without a 2xx answer ({})",
                load.failed,
                load.errors.join("; ")
            ));
        }
        load.failed
    }
}

fn print_summary(report: &Report) {
    let rows = &report.rows;
    println!();
    println!("== summary");
    println!(
        "{:<44} {:<9} {:>22} {:>22} {:>6} {:>7} {:>7}",
        "scenario", "backend", "service", "ceiling / baseline", "ratio", "target", "result"
    );
    for row in rows {
        let ratio = row.ratio.map(|r| format!("{r:.2}")).unwrap_or("-".into());
        let target = match row.target {
            Some(Target::AtLeast(t)) => format!(">= {t}"),
            Some(Target::AtMost(t)) => format!("<= {t}"),
            None => "-".into(),
        };
        println!(
            "{:<44} {:<9} {:>22} {:>22} {:>6} {:>7} {:>7}",
            row.scenario,
            row.backend,
            row.service,
            row.baseline,
            ratio,
            target,
            row.verdict()
        );
    }
    for failure in &report.failures {
        println!("FAILED: {failure}");
    }
}

fn print_machine(config: &Config) {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    println!(
        "machine: {cores} cores available, {model}, {memory}; load average {}",
        load.join(" ")
    );
    println!(
        "load: wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{}s --latency, {} round(s) per comparison; database pool {} connections; service log level warn, alert worker off",
        config.seconds, config.rounds, config.pool_size
    );
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

// ---------------------------------------------------------------- scenarios

/// 1 and 4: reading a case with everything in it, against the ceiling; memory.
fn read_case(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
    let label = backend.label();
    let url = dataset(backend, "suite_read", |url| {
        let db = connect(url, 1)?;
        case_tracker::demo::load(&db, "bench")?;
        analyze(&mut *db.get()?)
    })?;
    let case = {
        let db = connect(&url, 1)?;
        let mut conn = db.get()?;
        case_tracker::cases::store::find_by_title(&mut conn, case_tracker::demo::MAIN_CASE_TITLE)?
            .ok_or_else(|| anyhow::anyhow!("the demo case is missing from {url}"))?
            .id
    };
    let token = admin_token(&url)?;
    let path = format!("/api/v1/cases/{case}");

    let service = Service::start(&url, &format!("{label}-read"), "warn", config.pool_size)?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = service.rss_kib().unwrap_or_default();
    let idle_anon = service.anon_kib().unwrap_or_default();
    let ceiling = start_ceiling(&url, config.pool_size)?;

    let answer = get_ok(service.port, &path, Some(&token))?;
    let ceiling_answer = get_ok(ceiling, &path, None)?;
    anyhow::ensure!(
        answer == ceiling_answer,
        "the ceiling's JSON differs from the service's"
    );
    let count = |key: &str| answer[key].as_array().map_or(0, |a| a.len());
    let hearings: usize = answer["trials"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| t["hearings"].as_array().map_or(0, |h| h.len()))
                .sum()
        })
        .unwrap_or(0);
    println!(
        "\n== {label}: read a case with its embedded records (GET {path})\n   the demo case: {} defenders, {} charges, {} trials with {hearings} hearings, {} sentences, {} interventions; {} bytes of JSON",
        count("defenders"),
        count("charges"),
        count("trials"),
        count("sentences"),
        count("interventions"),
        answer.to_string().len()
    );

    let lua = script(
        &format!("{label}-read"),
        &token,
        None,
        &Paths::List(vec![path.clone()]),
    )?;
    let (mut peak_rss, mut peak_anon) = (idle_rss, idle_anon);
    let (what, what_ceiling) = (
        format!("{label} read, service"),
        format!("{label} read, ceiling"),
    );
    warm_up(report, &what, service.port, &lua, config)?;
    warm_up(report, &what_ceiling, ceiling, &lua, config)?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for r in 0..config.rounds {
        for service_turn in [Config::a_first(r), !Config::a_first(r)] {
            if service_turn {
                let load = measure(report, &what, service.port, &lua, config.seconds, || {
                    peak_rss = peak_rss.max(service.rss_kib().unwrap_or_default());
                    peak_anon = peak_anon.max(service.anon_kib().unwrap_or_default());
                })?;
                println!("   service  {}", load.describe());
                ours.push(load);
            } else {
                let load = measure(report, &what_ceiling, ceiling, &lua, config.seconds, || {})?;
                println!("   ceiling  {}", load.describe());
                theirs.push(load);
            }
        }
    }
    let (ours, theirs) = (Load::mean(&ours), Load::mean(&theirs));
    println!(
        "   mean: service {:.0} req/s vs ceiling {:.0} req/s (ratio {:.2}); p99 {:.2} ms vs {:.2} ms (ratio {:.2})",
        ours.rps,
        theirs.rps,
        ours.rps / theirs.rps,
        ours.p99_ms,
        theirs.p99_ms,
        ours.p99_ms / theirs.p99_ms
    );
    println!(
        "   service memory (VmRSS): {} idle after start, {} peak under load (anonymous: {}, {})",
        mib(idle_rss),
        mib(peak_rss),
        mib(idle_anon),
        mib(peak_anon)
    );
    report.rows.push(Row {
        scenario: "read a case: throughput".into(),
        backend: label,
        service: format!("{:.0} req/s", ours.rps),
        baseline: format!("{:.0} req/s", theirs.rps),
        ratio: Some(ours.rps / theirs.rps),
        target: Some(Target::AtLeast(0.75)),
        failed: ours.failed + theirs.failed,
    });
    report.rows.push(Row {
        scenario: "read a case: p99 latency".into(),
        backend: label,
        service: format!("{:.2} ms", ours.p99_ms),
        baseline: format!("{:.2} ms", theirs.p99_ms),
        ratio: Some(ours.p99_ms / theirs.p99_ms),
        target: Some(Target::AtMost(1.5)),
        failed: ours.failed + theirs.failed,
    });
    report.rows.push(Row {
        scenario: "memory (RSS): idle / peak under reads".into(),
        backend: label,
        service: format!("{} idle", mib(idle_rss)),
        baseline: format!("{} peak", mib(peak_rss)),
        ratio: None,
        target: None,
        failed: 0,
    });

    // What request logging at `info` costs, against `warn`, back to back.
    drop(service);
    let warn = Service::start(
        &url,
        &format!("{label}-read-warn"),
        "warn",
        config.pool_size,
    )?;
    let info = Service::start(
        &url,
        &format!("{label}-read-info"),
        "info",
        config.pool_size,
    )?;
    let (what_warn, what_info) = (
        format!("{label} read, log warn"),
        format!("{label} read, log info"),
    );
    warm_up(report, &what_warn, warn.port, &lua, config)?;
    warm_up(report, &what_info, info.port, &lua, config)?;
    let mut warn_loads = Vec::new();
    let mut info_loads = Vec::new();
    for r in 0..config.rounds {
        for warn_turn in [Config::a_first(r), !Config::a_first(r)] {
            if warn_turn {
                warn_loads.push(measure(
                    report,
                    &what_warn,
                    warn.port,
                    &lua,
                    config.seconds,
                    || {},
                )?);
            } else {
                info_loads.push(measure(
                    report,
                    &what_info,
                    info.port,
                    &lua,
                    config.seconds,
                    || {},
                )?);
            }
        }
    }
    let (warn_load, info_load) = (Load::mean(&warn_loads), Load::mean(&info_loads));
    println!(
        "   log level info (one line per request to a file): {}\n   log level warn:                                   {}",
        info_load.describe(),
        warn_load.describe()
    );
    report.rows.push(Row {
        scenario: "read a case: log info vs warn (req/s)".into(),
        backend: label,
        service: format!("{:.0} req/s", info_load.rps),
        baseline: format!("{:.0} req/s", warn_load.rps),
        ratio: Some(info_load.rps / warn_load.rps),
        target: None,
        failed: info_load.failed + warn_load.failed,
    });
    Ok(())
}

/// Cases written to, each with the (subscription, subscriber) pairs that an event on
/// it alerts.
type Follows = Vec<(String, Vec<(String, String)>)>;

/// The write data set: WRITE_CASES cases to spread over plus one hot case per round,
/// each followed by SUBSCRIBERS confirmed subscribers. Returns, per case, the
/// (subscription, subscriber) pairs an event on it alerts.
fn fill_write(db: &Db, cases: usize) -> anyhow::Result<Follows> {
    use case_tracker::subscriptions::{store, Target as Follow};
    let mut conn = db.get()?;
    generate(
        &mut conn,
        Plan {
            cases,
            events_per_case: 20,
        },
        |_| {},
    )?;
    let ids: Vec<String> = (0..cases).map(case_id).collect();
    let mut follows: Follows = ids.iter().map(|id| (id.clone(), Vec::new())).collect();
    write_transaction(&mut conn, |conn| {
        for s in 0..SUBSCRIBERS {
            let subscriber = store::find_or_create_subscriber(
                conn,
                &case_tracker::auth::NewSubscriber {
                    name: format!("Partner {s}"),
                    organisation: Some("Benchmark partners".into()),
                    email: format!("partner{s}@partners.example"),
                },
            )?;
            for (case, list) in follows.iter_mut() {
                let (view, confirm) = store::create(
                    conn,
                    &subscriber,
                    &Follow::Case(case.clone()),
                    Delivery::Immediate,
                    "bench",
                    72,
                )?;
                if confirm {
                    case_tracker::effects::confirmation_requested(conn, &subscriber.id)?;
                }
                list.push((view.id, subscriber.id.clone()));
            }
            let token = store::subscriber(conn, &subscriber.id)?
                .confirmation_token
                .unwrap_or_default();
            store::confirm(conn, &token)?;
        }
        Ok::<(), case_tracker::store::StoreError>(())
    })?;
    analyze(&mut conn)?;
    for (_, list) in &follows {
        anyhow::ensure!(
            list.len() == SUBSCRIBERS && list.iter().all(|(s, _)| !s.is_empty()),
            "subscriptions were not created"
        );
    }
    Ok(follows)
}

/// Events and event alerts in the database, read in one transaction.
fn counts(db: &Db) -> anyhow::Result<(i64, i64)> {
    let mut conn = db.get()?;
    let counted = conn.transaction(|conn| {
        let events: i64 = schema::events::table.count().get_result(conn)?;
        let alerts: i64 = schema::alerts::table
            .filter(schema::alerts::kind.eq(AlertKind::Event.as_str()))
            .count()
            .get_result(conn)?;
        diesel::QueryResult::Ok((events, alerts))
    })?;
    Ok(counted)
}

/// The counts once the writes still in flight when wrk stopped have finished.
fn settled_counts(db: &Db) -> anyhow::Result<(i64, i64)> {
    let mut last = counts(db)?;
    for _ in 0..60 {
        std::thread::sleep(Duration::from_millis(250));
        let now = counts(db)?;
        if now == last {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}

/// The event the scenario logs, as `POST /cases/{id}/events` with EVENT_BODY makes it.
fn new_event(case: &str) -> NewEvent {
    NewEvent {
        id: case_tracker::db::new_id(),
        case_id: case.to_string(),
        kind: "note".into(),
        occurred_on: "2026-11".into(),
        precision: "month".into(),
        occurred_start: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default(),
        title: "Benchmark note on the case".into(),
        description: None,
        source_url: None,
        intervention_id: None,
        defender_ids: "[]".into(),
        record_type: None,
        record_id: None,
        changes: None,
        actor: "bench".into(),
        confidential: false,
        recorded_at: case_tracker::db::now(),
    }
}

/// The rows logging an event writes: the event and one alert per subscription.
fn bare_insert(
    conn: &mut DbConnection,
    case: &str,
    subscriptions: &[(String, String)],
) -> Result<(), ApiError> {
    let event = new_event(case);
    diesel::insert_into(schema::events::table)
        .values(&event)
        .execute(conn)?;
    for (subscription, subscriber) in subscriptions {
        let mut alert = case_tracker::alerts::NewAlert::pending(
            AlertKind::Event,
            subscriber,
            format!("event:{subscriber}:{}", event.id),
        );
        alert.subscription_id = Some(subscription.clone());
        alert.case_id = Some(case.to_string());
        alert.event_id = Some(event.id.clone());
        diesel::insert_into(schema::alerts::table)
            .values(&alert)
            .execute(conn)?;
    }
    Ok(())
}

/// The same inserts as logging an event, without the service: one transaction per
/// event, its row and one alert row per subscription, on `threads` threads.
fn bare_loop(
    db: &Db,
    follows: &[(String, Vec<(String, String)>)],
    threads: usize,
    seconds: u64,
) -> anyhow::Result<f64> {
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let follows = Arc::new(follows.to_vec());
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let (db, stop, done, follows) =
                (db.clone(), stop.clone(), done.clone(), follows.clone());
            std::thread::spawn(move || -> anyhow::Result<()> {
                let mut conn = db.get()?;
                let mut seed = 0x9E37_79B9_7F4A_7C15u64.wrapping_mul(t as u64 + 1);
                while !stop.load(Ordering::Relaxed) {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    let (case, subscriptions) = &follows[(seed % follows.len() as u64) as usize];
                    write_transaction(&mut conn, |conn| bare_insert(conn, case, subscriptions))?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(seconds));
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker
            .join()
            .map_err(|_| anyhow::anyhow!("a writer thread panicked"))??;
    }
    Ok(done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64())
}

/// One event written alone, committed, on `case`: median time through the service's
/// store code (`events::store::log` and `effects::logged`, what the handler runs in
/// its transaction) and
/// of the bare inserts; and how many events the case has. On SQLite every write
/// holds the database's write lock, on PostgreSQL writes to one case wait for its row:
/// the store figure bounds one case's events per second.
struct Serial {
    events: i64,
    store: Duration,
    bare: Duration,
}

fn serial_cost(db: &Db, case: &str, subscriptions: &[(String, String)]) -> anyhow::Result<Serial> {
    let mut conn = db.get()?;
    let events: i64 = schema::events::table
        .filter(schema::events::case_id.eq(case))
        .count()
        .get_result(&mut *conn)?;
    let median = |conn: &mut DbConnection, bare: bool| -> anyhow::Result<Duration> {
        let mut times = Vec::new();
        for _ in 0..7 {
            let started = Instant::now();
            write_transaction(conn, |conn| {
                if bare {
                    bare_insert(conn, case, subscriptions)
                } else {
                    let input: case_tracker::events::LogEvent = serde_json::from_str(EVENT_BODY)
                        .map_err(|e| ApiError::Internal(e.into()))?;
                    let new = case_tracker::events::store::log(conn, case, "bench", input)?;
                    case_tracker::effects::logged(conn, &new)?;
                    Ok(())
                }
            })?;
            times.push(started.elapsed());
        }
        times.sort();
        Ok(times[times.len() / 2])
    };
    let store = median(&mut conn, false)?;
    let bare = median(&mut conn, true)?;
    Ok(Serial {
        events,
        store,
        bare,
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// 2: logging an event with its outbox rows, against the bare inserts.
fn write_event(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
    let label = backend.label();
    let url = fresh(backend, "suite_write")?;
    let db = connect(&url, config.pool_size)?;
    let mut follows = fill_write(&db, WRITE_CASES + config.rounds)?;
    let hot: Follows = follows.split_off(WRITE_CASES);
    let token = admin_token(&url)?;
    let service = Service::start(&url, &format!("{label}-write"), "warn", config.pool_size)?;
    println!(
        "\n== {label}: log an event with its outbox rows (POST /api/v1/cases/{{id}}/events), {SUBSCRIBERS} confirmed subscribers per case"
    );
    // One request first, so a broken scenario fails before the timed runs.
    let (status, body) = http(
        service.port,
        "POST",
        &format!("/api/v1/cases/{}/events", follows[0].0),
        Some(&token),
        Some(EVENT_BODY),
    )?;
    anyhow::ensure!(status == 201, "POST an event answered {status}: {body}");

    let spread_paths: Vec<String> = follows
        .iter()
        .map(|(id, _)| format!("/api/v1/cases/{id}/events"))
        .collect();
    let spread_lua = script(
        &format!("{label}-write-spread"),
        &token,
        Some(EVENT_BODY),
        &Paths::List(spread_paths),
    )?;
    let threads = config.pool_size as usize;
    let (mut spread, mut hot_runs, mut bare) = (Vec::new(), Vec::new(), Vec::new());
    let mut hot_sizes = Vec::new();
    // A timed run of the service, checked against what it wrote.
    let service_run = |report: &mut Report, what: &str, lua: &Path| -> anyhow::Result<Load> {
        let (events_before, alerts_before) = settled_counts(&db)?;
        let load = measure(report, what, service.port, lua, config.seconds, || {})?;
        let (events_after, alerts_after) = settled_counts(&db)?;
        let (events, alerts) = (events_after - events_before, alerts_after - alerts_before);
        anyhow::ensure!(
            events as u64 + load.failed >= load.requests && alerts == events * SUBSCRIBERS as i64,
            "{what}: {} requests ({} failed) wrote {events} events and {alerts} alerts",
            load.requests,
            load.failed
        );
        Ok(load)
    };
    for (r, (hot_case, hot_subscriptions)) in hot.iter().enumerate() {
        let hot_lua = script(
            &format!("{label}-write-hot-{r}"),
            &token,
            Some(EVENT_BODY),
            &Paths::List(vec![format!("/api/v1/cases/{hot_case}/events")]),
        )?;
        let order = if Config::a_first(r) {
            ["spread", "bare", "hot"]
        } else {
            ["hot", "bare", "spread"]
        };
        for which in order {
            match which {
                "spread" => {
                    let what = format!("{label} write, {WRITE_CASES} cases");
                    let load = service_run(report, &what, &spread_lua)?;
                    println!("   service, {WRITE_CASES} cases  {}", load.describe());
                    spread.push(load);
                }
                "hot" => {
                    let what = format!("{label} write, one case");
                    let load = service_run(report, &what, &hot_lua)?;
                    let serial = serial_cost(&db, hot_case, hot_subscriptions)?;
                    println!(
                        "   service, one case   {}  (the case now has {} events)",
                        load.describe(),
                        serial.events
                    );
                    hot_sizes.push(serial);
                    hot_runs.push(load);
                }
                _ => {
                    let rate = bare_loop(&db, &follows, threads, config.seconds)?;
                    println!("   bare loop, {threads} threads  {rate:>8.0} events/s");
                    bare.push(rate);
                }
            }
        }
    }
    let bare = bare.iter().sum::<f64>() / bare.len() as f64;
    let (spread, hot_load) = (Load::mean(&spread), Load::mean(&hot_runs));
    let spread_serial = serial_cost(&db, &follows[0].0, &follows[0].1)?;
    for (what, serial) in std::iter::once(("a case", &spread_serial))
        .chain(hot_sizes.iter().map(|s| ("the hot case", s)))
    {
        println!(
            "   one event alone on {what} of {} events: store code {:.2} ms, bare inserts {:.2} ms (one case: at most {:.0} events/s)",
            serial.events,
            ms(serial.store),
            ms(serial.bare),
            1000.0 / ms(serial.store)
        );
    }
    drop(service);
    let target = match backend {
        Backend::Sqlite => 0.5,
        Backend::Postgres(_) => 0.6,
    };
    report.rows.push(Row {
        scenario: format!("write event+{SUBSCRIBERS} alerts: {WRITE_CASES} cases"),
        backend: label,
        service: format!("{:.0} ev/s", spread.rps),
        baseline: format!("{bare:.0} ev/s"),
        ratio: Some(spread.rps / bare),
        target: Some(Target::AtLeast(target)),
        failed: spread.failed,
    });
    let grew = hot_sizes.iter().map(|s| s.events).max().unwrap_or_default();
    report.rows.push(Row {
        scenario: format!("write event+{SUBSCRIBERS} alerts: one case (to {grew} ev)"),
        backend: label,
        service: format!("{:.0} ev/s", hot_load.rps),
        baseline: format!("{bare:.0} ev/s"),
        ratio: Some(hot_load.rps / bare),
        // A stress figure beyond the targets: writes to one case queue on its row (and
        // its search document), whereas the bare loop spreads over every case.
        target: None,
        failed: hot_load.failed,
    });
    report.rows.push(Row {
        scenario: "write event: p99 latency".into(),
        backend: label,
        service: format!("{:.0} ms 100 cases", spread.p99_ms),
        baseline: format!("{:.0} ms one case", hot_load.p99_ms),
        ratio: None,
        target: None,
        failed: spread.failed + hot_load.failed,
    });
    Ok(())
}

/// 3: the newest 50 events of a case, small data set against large, alternated.
fn newest_events(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
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

/// 5: start-up time, migrations included, until /health answers.
fn startup(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
    let label = backend.label();
    let large_url = history_dataset(backend, config.large)?;
    println!("\n== {label}: start-up until GET /health answers 200 (median of 3)");
    let median = |mut times: Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let mut empty = Vec::new();
    for _ in 0..3 {
        let url = fresh(backend, "suite_empty")?;
        empty.push(Service::time_start(
            &url,
            &format!("{label}-startup-empty"),
            config.pool_size,
        )?);
    }
    let mut large = Vec::new();
    for _ in 0..3 {
        large.push(Service::time_start(
            &large_url,
            &format!("{label}-startup-large"),
            config.pool_size,
        )?);
    }
    let show = |times: &[Duration]| {
        times
            .iter()
            .map(|t| format!("{:.0} ms", t.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "   empty database (migrations, country list): {}",
        show(&empty)
    );
    println!(
        "   large data set ({} events):          {}",
        config.large.cases * config.large.events_per_case,
        show(&large)
    );
    let (empty, large) = (median(empty), median(large));
    report.rows.push(Row {
        scenario: "start-up until /health answers".into(),
        backend: label,
        service: format!("{:.0} ms empty db", empty.as_secs_f64() * 1000.0),
        baseline: format!("{:.0} ms large db", large.as_secs_f64() * 1000.0),
        ratio: None,
        target: None,
        failed: 0,
    });
    Ok(())
}

fn run(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
    if config.runs("read") {
        read_case(config, backend, report)?;
    }
    if config.runs("write") {
        write_event(config, backend, report)?;
    }
    if config.runs("events") {
        newest_events(config, backend, report)?;
    }
    if config.runs("startup") {
        startup(config, backend, report)?;
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
