//! How history reads and name searches scale: the same requests against a small data
//! set (1,000 cases) and a large one (100,000 cases, 2,000,000 events), served at the
//! same time and asked in alternation so that machine noise hits both alike. Reports
//! the large/small ratio of median and 95th-percentile latencies.
//!
//!     cargo bench --bench history
//!
//! Data sets are generated once into target/bench-data/ (SQLite) and reused.
//! BENCH_LARGE_CASES and BENCH_EVENTS_PER_CASE change the large set;
//! BENCH_POSTGRES_URL (a server where databases may be created) adds a PostgreSQL run.

use case_tracker::configuration::get_configuration;
use case_tracker::db::DbConnection;
use case_tracker::generate::{case_id, defender_name, generate, Plan};
use case_tracker::startup::Application;
use diesel::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const SMALL_CASES: usize = 1_000;
const REQUESTS: usize = 600;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Creates (once) and returns the URL of a data set of `plan`.
fn dataset(backend: &Backend, plan: Plan) -> anyhow::Result<String> {
    let name = format!("history_{}_{}", plan.cases, plan.events_per_case);
    let url = match backend {
        Backend::Sqlite => {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
            std::fs::create_dir_all(&dir)?;
            let path = dir.join(format!("{name}.db"));
            if path.exists() {
                return Ok(format!("sqlite://{}", path.display()));
            }
            let partial = dir.join(format!("{name}.partial.db"));
            let _ = std::fs::remove_file(&partial);
            let url = format!("sqlite://{}", partial.display());
            fill(&url, plan)?;
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(dir.join(format!("{name}.partial.db{suffix}")));
            }
            std::fs::rename(&partial, &path)?;
            return Ok(format!("sqlite://{}", path.display()));
        }
        Backend::Postgres(admin) => {
            let db_name = format!("case_tracker_bench_{name}");
            let mut conn = PgConnection::establish(admin)?;
            let mut url = url::Url::parse(admin)?;
            url.set_path(&db_name);
            let exists: i64 = diesel::sql_query(format!(
                "SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{db_name}'"
            ))
            .get_result::<Count>(&mut conn)?
            .n;
            if exists == 0 {
                let partial = format!("{db_name}_partial");
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {partial} WITH (FORCE)"))
                    .execute(&mut conn)?;
                diesel::sql_query(format!("CREATE DATABASE {partial}")).execute(&mut conn)?;
                let mut partial_url = url.clone();
                partial_url.set_path(&partial);
                fill(partial_url.as_str(), plan)?;
                diesel::sql_query(format!("ALTER DATABASE {partial} RENAME TO {db_name}"))
                    .execute(&mut conn)?;
            }
            url.to_string()
        }
    };
    Ok(url)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn fill(url: &str, plan: Plan) -> anyhow::Result<()> {
    let mut settings = get_configuration()?;
    settings.database.url = url.to_string();
    let db = case_tracker::startup::open_database(&settings.database)?;
    let mut conn = db.get()?;
    let started = Instant::now();
    eprintln!(
        "generating {} cases x {} events into {url}",
        plan.cases, plan.events_per_case
    );
    generate(&mut conn, plan, |done| {
        if done % 20_000 == 0 {
            eprintln!("  {done} cases");
        }
    })?;
    if let DbConnection::Pg(c) = &mut *conn {
        diesel::sql_query("ANALYZE").execute(c)?;
    }
    eprintln!("  done in {:.0?}", started.elapsed());
    Ok(())
}

enum Backend {
    Sqlite,
    Postgres(String),
}

/// Serves the data set at `url`; returns its address and a client with a token for it.
async fn serve(url: &str) -> anyhow::Result<(String, reqwest::Client)> {
    let mut settings = get_configuration()?;
    settings.application.port = 0;
    settings.database.url = url.to_string();
    settings.log.level = "warn".into();
    settings.security.rate_limit_per_minute = 10_000_000;
    settings.security.rate_limit_burst = 1_000_000;
    let db = case_tracker::startup::open_database(&settings.database)?;
    let request =
        case_tracker::http::parse_body(serde_json::json!({"name": "bench", "role": "admin"}))
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut conn = db.get()?;
    let secret = case_tracker::db::write_transaction(&mut conn, |conn| {
        case_tracker::auth::store::issue(conn, request, None, "bench")
    })?
    .token_secret;
    let app = Application::build(settings).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {secret}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()?;
    Ok((address, client))
}

#[derive(Default)]
struct Samples(Vec<Duration>);

impl Samples {
    fn quantile(&self, q: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
    }
}

async fn timed(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let response = client.get(url).send().await?;
    let status = response.status();
    let body = response.bytes().await?;
    let elapsed = started.elapsed();
    anyhow::ensure!(status.is_success(), "{url}: {status}");
    anyhow::ensure!(body.len() > 20, "{url}: empty answer");
    Ok(elapsed)
}

/// Alternates the same kind of request between the two servers.
async fn compare(
    label: &str,
    (small, small_client): &(String, reqwest::Client),
    (large, large_client): &(String, reqwest::Client),
    large_cases: usize,
    path: impl Fn(usize) -> String,
) -> anyhow::Result<()> {
    let (mut a, mut b) = (Samples::default(), Samples::default());
    for i in 0..REQUESTS + 100 {
        // Spread over each data set's cases; the first 100 rounds warm up.
        let n_small = (i * 7919) % SMALL_CASES;
        let n_large = (i * 7919 * 13) % large_cases;
        let ta = timed(small_client, &format!("{small}{}", path(n_small))).await?;
        let tb = timed(large_client, &format!("{large}{}", path(n_large))).await?;
        if i >= 100 {
            a.0.push(ta);
            b.0.push(tb);
        }
    }
    let ratio = |q: f64| b.quantile(q).as_secs_f64() / a.quantile(q).as_secs_f64();
    println!(
        "{label:<46} small p50 {:>7.2} ms  large p50 {:>7.2} ms  ratio p50 {:.2}  p95 {:.2}",
        a.quantile(0.5).as_secs_f64() * 1000.0,
        b.quantile(0.5).as_secs_f64() * 1000.0,
        ratio(0.5),
        ratio(0.95)
    );
    Ok(())
}

async fn run(backend: Backend, large_cases: usize, events_per_case: usize) -> anyhow::Result<()> {
    let label = match &backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres(_) => "postgres",
    };
    let small_url = dataset(
        &backend,
        Plan {
            cases: SMALL_CASES,
            events_per_case,
        },
    )?;
    let large_url = dataset(
        &backend,
        Plan {
            cases: large_cases,
            events_per_case,
        },
    )?;
    let small = serve(&small_url).await?;
    let large = serve(&large_url).await?;
    println!(
        "{label}: {SMALL_CASES} cases x {events_per_case} events vs {large_cases} cases x {events_per_case} events ({} events), {REQUESTS} requests each",
        large_cases * events_per_case
    );
    compare(
        &format!("{label} newest 50 events of a case"),
        &small,
        &large,
        large_cases,
        |n| format!("/api/v1/cases/{}/events?order=desc&limit=50", case_id(n)),
    )
    .await?;
    compare(
        &format!("{label} search for a defender's name"),
        &small,
        &large,
        large_cases,
        |n| {
            // The surname of one of the first 1,000 defenders, who are in both data
            // sets; the first page of one match, so both answers are the same size.
            let name = defender_name(n % SMALL_CASES);
            let surname = name.split(' ').nth(1).unwrap_or_default().to_string();
            format!("/api/v1/cases?q={surname}&limit=1")
        },
    )
    .await?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let large_cases = env_usize("BENCH_LARGE_CASES", 100_000);
    let events_per_case = env_usize("BENCH_EVENTS_PER_CASE", 20);
    run(Backend::Sqlite, large_cases, events_per_case).await?;
    if let Ok(url) = std::env::var("BENCH_POSTGRES_URL") {
        run(Backend::Postgres(url), large_cases, events_per_case).await?;
    }
    Ok(())
}
