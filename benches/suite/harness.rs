//! The shared harness: configuration, data sets, the service in its own process, wrk
//! runs and their parsing, and the report with its ratios and targets.

use case_tracker::configuration::{get_configuration, DatabaseSettings};
use case_tracker::db::{write_transaction, Db, DbConnection};
use case_tracker::generate::{generate, Plan};
use diesel::prelude::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 64;
const WRK_THREADS: usize = 2;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

pub struct Config {
    pub seconds: u64,
    pub rounds: usize,
    pub large: Plan,
    only: Vec<String>,
    pub strict: bool,
    pub pool_size: u32,
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
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

    pub fn runs(&self, scenario: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == scenario)
    }

    /// A-B-B-A...: which of the pair goes first in round `r`.
    pub fn a_first(r: usize) -> bool {
        r.is_multiple_of(2)
    }
}

#[derive(Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn label(&self) -> &'static str {
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
pub fn dataset(
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
pub fn fresh(backend: &Backend, name: &str) -> anyhow::Result<String> {
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
pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
    case_tracker::startup::open_database(&settings_for(url, pool_size)?)
}

pub fn analyze(conn: &mut DbConnection) -> anyhow::Result<()> {
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

pub fn history_dataset(backend: &Backend, plan: Plan) -> anyhow::Result<String> {
    let name = format!("history_{}_{}", plan.cases, plan.events_per_case);
    dataset(backend, &name, |url| generated(url, plan))
}

/// A new admin token for the database at `url`.
pub fn admin_token(url: &str) -> anyhow::Result<String> {
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
pub fn http(
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

pub fn get_ok(port: u16, path: &str, token: Option<&str>) -> anyhow::Result<serde_json::Value> {
    let (status, body) = http(port, "GET", path, token, None)?;
    anyhow::ensure!(status == 200, "GET {path} answered {status}: {body}");
    Ok(serde_json::from_str(&body)?)
}

/// The service binary built with this benchmark, in its own process.
pub struct Service {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Service {
    /// Starts the service on `url` and waits until /health answers 200; returns it and
    /// how long that took from the spawn.
    pub fn start(url: &str, label: &str, log_level: &str, pool_size: u32) -> anyhow::Result<Self> {
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
    pub fn time_start(url: &str, label: &str, pool_size: u32) -> anyhow::Result<Duration> {
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
    pub fn rss_kib(&self) -> Option<u64> {
        memory_kib(self.child.id(), "VmRSS:")
    }

    /// The anonymous part of it (heap, stacks): without mapped files.
    pub fn anon_kib(&self) -> Option<u64> {
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

// ---------------------------------------------------------------- wrk

#[derive(Debug, Clone, Default)]
pub struct Load {
    pub rps: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    max_ms: f64,
    pub requests: u64,
    /// Requests without a 2xx answer: non-2xx answers and socket errors (timeouts
    /// included), with wrk's lines about them.
    pub failed: u64,
    errors: Vec<String>,
}

impl Load {
    pub fn mean(runs: &[Load]) -> Load {
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

    pub fn describe(&self) -> String {
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
pub enum Paths {
    List(Vec<String>),
    /// A `string.format` pattern taking one integer in 0..n.
    Format(String, usize),
}

fn lua_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn script(
    name: &str,
    token: &str,
    body: Option<&str>,
    paths: &Paths,
) -> anyhow::Result<PathBuf> {
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
pub fn measure(
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
pub fn warm_up(
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
pub enum Target {
    AtLeast(f64),
    AtMost(f64),
}

pub struct Row {
    pub scenario: String,
    pub backend: &'static str,
    pub service: String,
    pub baseline: String,
    pub ratio: Option<f64>,
    pub target: Option<Target>,
    /// Requests without a 2xx answer in the runs behind the figures.
    pub failed: u64,
}

impl Row {
    pub fn verdict(&self) -> &'static str {
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
pub struct Report {
    pub rows: Vec<Row>,
    pub failures: Vec<String>,
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

pub fn print_summary(report: &Report) {
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

pub fn print_machine(config: &Config) {
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
