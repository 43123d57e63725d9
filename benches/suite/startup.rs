//! Scenario 5: start-up time, migrations included, on an empty database and on the large
//! data set.

use crate::harness::{fresh, history_dataset, Backend, Config, Report, Row, Service};
use std::time::Duration;

/// 5: start-up time, migrations included, until /health answers.
pub fn startup(config: &Config, backend: &Backend, report: &mut Report) -> anyhow::Result<()> {
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
