use crate::helpers::{header, id, json_body, spawn_app};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

const WRITERS: usize = 8;
const RECORDS_EACH: usize = 5;
const EDITS_EACH: usize = 2;

/// Adds `subject` to the case, re-reading and retrying when someone else's edit got
/// in first (412), as a careful client does.
async fn add_subject(app: &crate::helpers::TestApp, path: &str, subject: String) -> usize {
    let mut conflicts = 0;
    loop {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let etag = header(&response, "etag");
        let case = json_body(response).await;
        let mut subjects: Vec<Value> = case["subjects"].as_array().unwrap().clone();
        subjects.push(json!(subject));
        let response = app
            .patch(path, Some(&etag), &json!({ "subjects": subjects }))
            .await;
        match response.status() {
            StatusCode::OK => return conflicts,
            StatusCode::PRECONDITION_FAILED => conflicts += 1,
            other => panic!(
                "unexpected {other}: {}",
                response.text().await.unwrap_or_default()
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_writers_finish_without_errors_or_lost_writes() {
    let app = Arc::new(spawn_app().await);
    let shared = app.create_case("Shared case").await;
    let path = format!("/api/v1/cases/{}", id(&shared));

    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        let app = app.clone();
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            for n in 0..RECORDS_EACH {
                let defender = app
                    .create(
                        "/api/v1/defenders",
                        json!({"name": format!("Writer {writer} defender {n}"), "role": "journalist", "country": "KZ"}),
                    )
                    .await;
                let case = app.create_case(&format!("Writer {writer} case {n}")).await;
                app.link(id(&case), id(&defender)).await;
            }
            let mut conflicts = 0;
            for n in 0..EDITS_EACH {
                conflicts += add_subject(&app, &path, format!("w{writer}-{n}")).await;
            }
            conflicts
        }));
    }
    let mut conflicts = 0;
    for task in tasks {
        conflicts += task.await.expect("writer finished");
    }

    let total = WRITERS * RECORDS_EACH;
    assert_eq!(app.count("defenders"), total as i64);
    assert_eq!(app.count("cases"), total as i64 + 1);
    assert_eq!(app.count("case_defenders"), total as i64);
    let case = json_body(app.get(&path).await).await;
    let mut subjects: Vec<String> = case["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    subjects.sort();
    let mut expected: Vec<String> = (0..WRITERS)
        .flat_map(|w| (0..EDITS_EACH).map(move |n| format!("w{w}-{n}")))
        .collect();
    expected.sort();
    assert_eq!(
        subjects, expected,
        "every edit is there: none overwrote another"
    );
    assert_eq!(case["version"], 1 + (WRITERS * EDITS_EACH) as i64);
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'case_updated'",
            id(&shared)
        )),
        (WRITERS * EDITS_EACH) as i64
    );
    // Conflicts are expected and were retried; they are reported, not errors.
    println!("{conflicts} edit conflicts were detected and retried");
}

/// Writers of one process take turns before they reach SQLite's file lock, so a burst
/// of them never waits on the busy timeout; here it is 1 ms, which any writer meeting
/// another at the file lock would exceed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_writers_never_meets_a_locked_database() {
    let app = Arc::new(
        crate::helpers::spawn_app_with(|settings| settings.database.busy_timeout_ms = 1).await,
    );
    let cases: Vec<String> = {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(id(&app.create_case(&format!("Burst case {n}")).await).to_string());
        }
        ids
    };
    let events_before = app.count("events");
    let audit_before = app.count("audit_log");
    let requests = (0..48).map(|n| {
        let app = app.clone();
        let case = cases[n % cases.len()].clone();
        tokio::spawn(async move {
            let response = app
                .post(
                    &format!("/api/v1/cases/{case}/events"),
                    &json!({"kind": "note", "occurred_on": "2026-11-02", "title": format!("Burst note {n}")}),
                )
                .await;
            let status = response.status();
            (status, response.text().await.unwrap_or_default())
        })
    });
    for request in futures::future::join_all(requests).await {
        let (status, body) = request.expect("request finished");
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    assert_eq!(app.count("events"), events_before + 48);
    assert_eq!(
        app.count("audit_log WHERE action LIKE 'POST /api/v1/cases/%/events' AND status = 201"),
        48
    );
    assert!(app.count("audit_log") >= audit_before + 48);
}
