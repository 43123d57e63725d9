//! Scenario 2: logging an event with its outbox rows through the service, against the
//! same inserts in a bare loop; spread over many cases and on one hot case.

use crate::harness::{
    admin_token, analyze, connect, fresh, http, measure, script, Backend, Config, Load, Paths,
    Report, Row, Service, Target,
};
use case_tracker::db::{write_transaction, Db, DbConnection};
use case_tracker::error::ApiError;
use case_tracker::events::NewEvent;
use case_tracker::generate::{case_id, generate, Plan};
use case_tracker::schema;
use case_tracker::vocabulary::{AlertKind, Delivery};
use diesel::prelude::*;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Cases written to in the spread write scenario, and subscribers following each.
const WRITE_CASES: usize = 100;
const SUBSCRIBERS: usize = 10;
const EVENT_BODY: &str =
    r#"{"kind":"note","occurred_on":"2026-11","title":"Benchmark note on the case"}"#;

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
pub fn write_event(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
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
