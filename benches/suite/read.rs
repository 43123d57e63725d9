//! Scenarios 1 and 4: reading a case against a bare actix-web ceiling, request logging
//! at `info` against `warn`, and the service's resident memory.

use crate::harness::{
    admin_token, analyze, connect, dataset, get_ok, measure, script, warm_up, Backend, Config,
    Load, Paths, Report, Row, Service, Target,
};
use case_tracker::auth::Visibility;
use case_tracker::db::Db;
use case_tracker::error::ApiError;
use std::net::TcpListener;
use std::time::Duration;

/// The ceiling for reading a case: no authentication, no logging, no audit; the same
/// store query on a pooled connection, the same JSON.
fn start_ceiling(url: &str, pool_size: u32) -> anyhow::Result<u16> {
    use actix_web::{web, App, HttpResponse, HttpServer};
    async fn case(db: web::Data<Db>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
        let id = id.into_inner();
        let detail = db
            .read(move |conn| {
                Ok(case_tracker::cases::detail::read(
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

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// 1 and 4: reading a case with everything in it, against the ceiling; memory.
pub fn read_case(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
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
