use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app, TestApp,
};
use crate::helpers::{change_kinds, change_records};
use crate::trials::create_trial;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// POSTs a hearing to a trial and expects 201.
async fn schedule(app: &TestApp, trial: &Value, at: &str, zone: &str) -> Value {
    app.create(
        &format!("/api/v1/trials/{}/hearings", id(trial)),
        json!({"scheduled_at": at, "time_zone": zone}),
    )
    .await
}

/// A case in `country` with one trial: (case, trial).
async fn case_with_trial(app: &TestApp, title: &str, country: &str, court: &str) -> (Value, Value) {
    let case = app
        .create("/api/v1/cases", json!({"title": title, "country": country}))
        .await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            json!({"court": court, "city": "Atyrau"}),
        )
        .await;
    (case, trial)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|h| id(h).to_string())
        .collect()
}

fn strings(values: &[&Value]) -> Vec<String> {
    values.iter().map(|v| id(v).to_string()).collect()
}

#[tokio::test]
async fn a_hearing_is_shown_in_the_courts_local_time() {
    let app = spawn_app().await;
    let (case, trial) =
        case_with_trial(&app, "Trial of Maks Bokayev", "KZ", "Almaty District Court").await;
    let response = app
        .post(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            &json!({
                "scheduled_at": "2016-10-12T10:00:00+06:00",
                "time_zone": "Asia/Almaty",
                "observers": "Kazakhstan International Bureau for Human Rights"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let hearing = json_body(response).await;
    assert_eq!(
        location,
        format!("http://test.invalid/api/v1/hearings/{}", id(&hearing))
    );
    assert_eq!(hearing["scheduled_at"], "2016-10-12T10:00:00+06:00");
    assert_eq!(hearing["time_zone"], "Asia/Almaty");
    assert_eq!(hearing["status"], "scheduled");
    assert_eq!(hearing["trial_id"], trial["id"]);
    assert_eq!(hearing["case_id"], case["id"]);
    assert_eq!(hearing["description"], Value::Null);
    assert_eq!(
        hearing["observers"],
        "Kazakhstan International Bureau for Human Rights"
    );
    assert_eq!(hearing["version"], 1);
    assert!(hearing["created_at"].as_str().unwrap().ends_with('Z'));

    let path = format!("/api/v1/hearings/{}", id(&hearing));
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, hearing);
    // Stored as the instant in UTC.
    assert_eq!(
        app.count("hearings WHERE scheduled_at = '2016-10-12 04:00:00'"),
        1
    );

    let records = change_records(&app, id(&hearing));
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0].kind, "hearing_scheduled");
    assert_eq!(records[0].record_type.as_deref(), Some("hearing"));
    assert_eq!(records[0].record_id.as_deref(), Some(id(&hearing)));
    assert_eq!(
        records[0].title,
        "Hearing scheduled for 2016-10-12 10:00 (Asia/Almaty) at Almaty District Court"
    );
    assert_eq!(
        records[0].changes()["scheduled_at"],
        json!({"old": null, "new": "2016-10-12T10:00:00+06:00"})
    );
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'hearing_scheduled'",
            id(&case)
        )),
        1
    );
}

#[tokio::test]
async fn the_offset_must_be_the_zones_offset_on_that_date() {
    let app = spawn_app().await;
    let (_, trial) =
        case_with_trial(&app, "Trial of Maks Bokayev", "KZ", "Almaty District Court").await;
    let hearings = format!("/api/v1/trials/{}/hearings", id(&trial));

    // Asia/Almaty was UTC+6 until 1 March 2024 and is UTC+5 since.
    let before = schedule(&app, &trial, "2016-10-12T10:00:00+06:00", "Asia/Almaty").await;
    let after = schedule(&app, &trial, "2024-10-14T10:00:00+05:00", "Asia/Almaty").await;
    assert_eq!(before["scheduled_at"], "2016-10-12T10:00:00+06:00");
    assert_eq!(after["scheduled_at"], "2024-10-14T10:00:00+05:00");
    // Summer time: the same court is +03:00 in July and +02:00 in January.
    let summer = schedule(&app, &trial, "2016-07-05T09:30:00+03:00", "Europe/Kyiv").await;
    let winter = schedule(&app, &trial, "2017-01-10T09:30:00+02:00", "Europe/Kyiv").await;
    assert_eq!(summer["scheduled_at"], "2016-07-05T09:30:00+03:00");
    assert_eq!(winter["scheduled_at"], "2017-01-10T09:30:00+02:00");
    let utc = schedule(&app, &trial, "2016-10-12T10:00:00Z", "UTC").await;
    assert_eq!(utc["scheduled_at"], "2016-10-12T10:00:00+00:00");

    for (at, zone) in [
        ("2016-10-12T10:00:00+05:00", "Asia/Almaty"),
        ("2024-10-14T10:00:00+06:00", "Asia/Almaty"),
        ("2016-10-12T04:00:00Z", "Asia/Almaty"),
        ("2016-07-05T09:30:00+02:00", "Europe/Kyiv"),
        ("2017-01-10T09:30:00+03:00", "Europe/Kyiv"),
    ] {
        let body = assert_invalid(
            app.post(&hearings, &json!({"scheduled_at": at, "time_zone": zone}))
                .await,
            &["scheduled_at"],
        )
        .await;
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(zone), "{at} {zone}: {message}");
    }
    for zone in ["Asia/Atlantis", "asia/almaty", "+06:00", "KZ", ""] {
        assert_invalid(
            app.post(
                &hearings,
                &json!({"scheduled_at": "2016-10-12T10:00:00+06:00", "time_zone": zone}),
            )
            .await,
            &["time_zone"],
        )
        .await;
    }
    for at in [
        "2016-10-12T10:00:00",
        "2016-10-12 10:00",
        "2016-10-12",
        "12 October 2016, 10:00",
    ] {
        assert_invalid(
            app.post(
                &hearings,
                &json!({"scheduled_at": at, "time_zone": "Asia/Almaty"}),
            )
            .await,
            &["scheduled_at"],
        )
        .await;
    }
    assert_eq!(app.count("hearings"), 5);
    assert_eq!(app.count("events WHERE kind = 'hearing_scheduled'"), 5);
    assert_eq!(
        change_records(&app, id(&after))[0].title,
        "Hearing scheduled for 2024-10-14 10:00 (Asia/Almaty) at Almaty District Court"
    );
    assert_eq!(
        change_records(&app, id(&winter))[0].title,
        "Hearing scheduled for 2017-01-10 09:30 (Europe/Kyiv) at Almaty District Court"
    );
}

#[tokio::test]
async fn invalid_hearings_are_rejected_naming_every_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (_, trial) = case_with_trial(
        &app,
        "Trial of Maks Bokayev",
        "KZ",
        "Atyrau City Court No. 2",
    )
    .await;
    let hearings = format!("/api/v1/trials/{}/hearings", id(&trial));
    assert_invalid(
        app.post(
            &hearings,
            &json!({
                "scheduled_at": "tomorrow",
                "time_zone": "x".repeat(65),
                "status": "adjourned",
                "observers": "o".repeat(2001),
                "violations": 3,
                "case_id": "other",
                "version": 2
            }),
        )
        .await,
        &[
            "case_id",
            "observers",
            "scheduled_at",
            "status",
            "time_zone",
            "version",
            "violations",
        ],
    )
    .await;
    assert_invalid(
        app.post(&hearings, &json!({})).await,
        &["scheduled_at", "time_zone"],
    )
    .await;
    assert_invalid(
        app.post(
            &hearings,
            &json!({"scheduled_at": null, "time_zone": null, "description": null}),
        )
        .await,
        &["scheduled_at", "time_zone"],
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/trials/missing/hearings",
            &json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("hearings"), 0);
    assert_eq!(app.count("events WHERE record_type = 'hearing'"), 0);
}

#[tokio::test]
async fn the_hearings_of_a_trial_are_listed_in_time_order_across_pages() {
    let app = spawn_app().await;
    let (case, trial) = case_with_trial(
        &app,
        "Trial of Maks Bokayev",
        "KZ",
        "Atyrau City Court No. 2",
    )
    .await;
    let other_trial = create_trial(&app, id(&case), "Atyrau Regional Court").await;
    let path = format!("/api/v1/trials/{}/hearings", id(&trial));

    // Created out of order; two at the same instant; ordered by the instant, not by
    // the local clock time (09:30 in Atyrau is after 10:00 in Almaty that day).
    let fourth = schedule(&app, &trial, "2016-10-20T10:00:00+05:00", "Asia/Atyrau").await;
    let second = schedule(&app, &trial, "2016-10-12T09:30:00+05:00", "Asia/Atyrau").await;
    let first = schedule(&app, &trial, "2016-10-12T10:00:00+06:00", "Asia/Almaty").await;
    let fifth = schedule(&app, &trial, "2016-11-28T11:00:00+05:00", "Asia/Atyrau").await;
    let third_a = schedule(&app, &trial, "2016-10-13T10:00:00+05:00", "Asia/Atyrau").await;
    let third_b = schedule(&app, &trial, "2016-10-13T11:00:00+06:00", "Asia/Almaty").await;
    schedule(
        &app,
        &other_trial,
        "2016-10-14T10:00:00+05:00",
        "Asia/Atyrau",
    )
    .await;
    let (third_a, third_b) = if id(&third_a) < id(&third_b) {
        (third_a, third_b)
    } else {
        (third_b, third_a)
    };
    let expected = strings(&[&first, &second, &third_a, &third_b, &fourth, &fifth]);

    let page = json_body(app.get(&path).await).await;
    assert_eq!(ids(&page), expected);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(
        page["items"][0]["scheduled_at"],
        "2016-10-12T10:00:00+06:00"
    );
    assert_eq!(
        page["items"][1]["scheduled_at"],
        "2016-10-12T09:30:00+05:00"
    );
    for limit in [1, 2, 4] {
        assert_eq!(
            collect_pages(&app, &path, limit).await,
            expected,
            "limit {limit}"
        );
    }

    // Hearings added between two pages: one after the cursor is listed once, one
    // before it is not listed on later pages; nothing repeats or goes missing.
    let page = json_body(app.get(&format!("{path}?limit=3")).await).await;
    assert_eq!(ids(&page), expected[..3]);
    let cursor = page["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let early = schedule(&app, &trial, "2016-10-01T10:00:00+05:00", "Asia/Atyrau").await;
    let late = schedule(&app, &trial, "2016-10-15T10:00:00+05:00", "Asia/Atyrau").await;
    let rest = collect_pages(&app, &format!("{path}?cursor={cursor}"), 1).await;
    assert_eq!(
        rest,
        strings(&[&third_b, &late, &fourth, &fifth]),
        "after the cursor"
    );
    let all = collect_pages(&app, &path, 2).await;
    assert_eq!(all[0], id(&early));
    assert_eq!(all.len(), 8);

    assert_invalid(app.get(&format!("{path}?limit=0")).await, &["limit"]).await;
    assert_invalid(app.get(&format!("{path}?cursor=abc")).await, &["cursor"]).await;
    assert_invalid(app.get(&format!("{path}?from=2016-10-01")).await, &["from"]).await;
    // A cursor of another list (the trials of a case carry one key, not two).
    let trials_page = json_body(
        app.get(&format!("/api/v1/cases/{}/trials?limit=1", id(&case)))
            .await,
    )
    .await;
    let trial_cursor = trials_page["next_cursor"].as_str().unwrap();
    assert_invalid(
        app.get(&format!("{path}?cursor={trial_cursor}")).await,
        &["cursor"],
    )
    .await;
    assert_problem(
        app.get("/api/v1/trials/missing/hearings").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn rescheduling_and_status_changes_are_recorded() {
    let app = spawn_app().await;
    let (_, trial) =
        case_with_trial(&app, "Trial of Maks Bokayev", "KZ", "Almaty District Court").await;
    let hearing = schedule(&app, &trial, "2016-10-12T10:00:00+06:00", "Asia/Almaty").await;
    let path = format!("/api/v1/hearings/{}", id(&hearing));

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"scheduled_at": "2016-10-19T11:00:00+06:00"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let moved = json_body(response).await;
    assert_eq!(moved["scheduled_at"], "2016-10-19T11:00:00+06:00");
    assert_eq!(moved["time_zone"], "Asia/Almaty");
    assert_eq!(moved["version"], 2);
    assert_eq!(json_body(app.get(&path).await).await, moved);

    let response = app
        .patch(
            &path,
            Some("\"2\""),
            &json!({"status": "held", "violations": "Relatives were refused entry to the courtroom"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let held = json_body(response).await;
    assert_eq!(held["status"], "held");
    assert_eq!(held["scheduled_at"], "2016-10-19T11:00:00+06:00");

    let response = app
        .patch(
            &path,
            Some("\"3\""),
            &json!({"description": "The defence's motions were refused", "violations": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["violations"], Value::Null);

    let records = change_records(&app, id(&hearing));
    assert_eq!(
        records.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        vec![
            "hearing_scheduled",
            "hearing_rescheduled",
            "hearing_status_changed",
            "hearing_updated"
        ]
    );
    assert_eq!(
        records[1].title,
        "Hearing of 2016-10-12 10:00 (Asia/Almaty) moved to 2016-10-19 11:00 (Asia/Almaty)"
    );
    assert_eq!(
        records[1].changes()["scheduled_at"],
        json!({"old": "2016-10-12T10:00:00+06:00", "new": "2016-10-19T11:00:00+06:00"})
    );
    assert_eq!(
        records[2].title,
        "Hearing of 2016-10-19 11:00 (Asia/Almaty): held"
    );
    assert_eq!(
        records[2].changes()["status"],
        json!({"old": "scheduled", "new": "held"})
    );
    assert_eq!(
        records[3].title,
        "Hearing of 2016-10-19 11:00 (Asia/Almaty) updated"
    );

    // A new time must carry the zone's offset on the new date.
    assert_invalid(
        app.patch(
            &path,
            Some("\"4\""),
            &json!({"scheduled_at": "2024-10-19T11:00:00+06:00"}),
        )
        .await,
        &["scheduled_at"],
    )
    .await;
    // Changing the zone needs the local time in the new zone.
    assert_invalid(
        app.patch(&path, Some("\"4\""), &json!({"time_zone": "Asia/Atyrau"}))
            .await,
        &["scheduled_at"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"4\""), &json!({"time_zone": "Asia/Atlantis"}))
            .await,
        &["scheduled_at", "time_zone"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"4\""),
            &json!({"time_zone": "Asia/Atyrau", "scheduled_at": "2016-10-19T11:00:00+06:00"}),
        )
        .await,
        &["scheduled_at"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"4\""),
            &json!({"time_zone": "Asia/Atlantis", "scheduled_at": "2016-10-19T11:00:00+06:00"}),
        )
        .await,
        &["time_zone"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"4\""),
            &json!({"scheduled_at": null, "status": "adjourned", "time_zone": "", "id": "x"}),
        )
        .await,
        &["id", "scheduled_at", "status", "time_zone"],
    )
    .await;
    assert_eq!(app.etag(&path).await, "\"4\"");
    assert_eq!(change_records(&app, id(&hearing)).len(), 4);

    // The same instant in another zone: the local time changes with it.
    let response = app
        .patch(
            &path,
            Some("\"4\""),
            &json!({"time_zone": "Asia/Atyrau", "scheduled_at": "2016-10-19T10:00:00+05:00"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let rezoned = json_body(response).await;
    assert_eq!(rezoned["scheduled_at"], "2016-10-19T10:00:00+05:00");
    assert_eq!(rezoned["time_zone"], "Asia/Atyrau");
    let last = change_records(&app, id(&hearing)).pop().unwrap();
    assert_eq!(
        last.changes()["time_zone"],
        json!({"old": "Asia/Almaty", "new": "Asia/Atyrau"})
    );
    // Naming the current zone again, without a time, is not a change of zone.
    let response = app
        .patch(
            &path,
            Some("\"5\""),
            &json!({"time_zone": "Asia/Atyrau", "status": "postponed"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let postponed = json_body(response).await;
    assert_eq!(postponed["scheduled_at"], "2016-10-19T10:00:00+05:00");
    assert_eq!(
        change_kinds(&app, id(&hearing)).last().unwrap(),
        "hearing_status_changed"
    );
}

#[tokio::test]
async fn updating_a_hearing_needs_the_current_etag() {
    let app = spawn_app().await;
    let (_, trial) = case_with_trial(
        &app,
        "Trial of Maks Bokayev",
        "KZ",
        "Atyrau City Court No. 2",
    )
    .await;
    let hearing = schedule(&app, &trial, "2016-10-12T10:00:00+05:00", "Asia/Atyrau").await;
    let path = format!("/api/v1/hearings/{}", id(&hearing));
    let change = json!({"status": "postponed"});
    assert_problem(
        app.patch(&path, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.patch(&path, Some("\"2\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.patch(&path, Some("W/\"1\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await, hearing);
    assert_eq!(change_kinds(&app, id(&hearing)), vec!["hearing_scheduled"]);

    let response = app.patch(&path, Some("\"3\", \"1\""), &change).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"status": "held"}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await["status"], "postponed");
    assert_problem(
        app.patch("/api/v1/hearings/missing", Some("\"1\""), &change)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_hearing_moves_only_to_another_trial_of_its_case() {
    let app = spawn_app().await;
    let (case, trial) = case_with_trial(
        &app,
        "Trial of Maks Bokayev",
        "KZ",
        "Atyrau City Court No. 2",
    )
    .await;
    let appeal = create_trial(&app, id(&case), "Atyrau Regional Court").await;
    let (_, foreign) = case_with_trial(
        &app,
        "Trial of Ermek Narymbaev",
        "KZ",
        "Almaty District Court",
    )
    .await;
    let hearing = schedule(&app, &trial, "2016-10-12T10:00:00+05:00", "Asia/Atyrau").await;
    let path = format!("/api/v1/hearings/{}", id(&hearing));

    for target in [id(&foreign), "missing"] {
        assert_invalid(
            app.patch(&path, Some("\"1\""), &json!({"trial_id": target}))
                .await,
            &["trial_id"],
        )
        .await;
    }
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"trial_id": null}))
            .await,
        &["trial_id"],
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await, hearing);

    let response = app
        .patch(&path, Some("\"1\""), &json!({"trial_id": id(&appeal)}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let moved = json_body(response).await;
    assert_eq!(moved["trial_id"], appeal["id"]);
    assert_eq!(moved["case_id"], case["id"]);
    assert_eq!(moved["scheduled_at"], "2016-10-12T10:00:00+05:00");
    let listed = |trial: &Value| format!("/api/v1/trials/{}/hearings", id(trial));
    assert_eq!(
        ids(&json_body(app.get(&listed(&appeal)).await).await),
        vec![id(&hearing)]
    );
    assert!(ids(&json_body(app.get(&listed(&trial)).await).await).is_empty());
    let calendar = json_body(app.get("/api/v1/hearings").await).await;
    assert_eq!(calendar["items"][0]["court"], "Atyrau Regional Court");
    let last = change_records(&app, id(&hearing)).pop().unwrap();
    assert_eq!(last.kind, "hearing_updated");
    assert_eq!(
        last.changes()["trial_id"],
        json!({"old": id(&trial), "new": id(&appeal)})
    );

    // The first trial has no hearings left and can go; the second cannot.
    assert_eq!(
        app.delete(&format!("/api/v1/trials/{}", id(&trial)), Some("\"1\""))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(
        app.delete(&format!("/api/v1/trials/{}", id(&appeal)), Some("\"1\""))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
}

#[tokio::test]
async fn deleting_a_hearing_needs_the_etag_and_leaves_a_record() {
    let app = spawn_app().await;
    let (case, trial) =
        case_with_trial(&app, "Trial of Maks Bokayev", "KZ", "Almaty District Court").await;
    let hearing = schedule(&app, &trial, "2016-10-12T10:00:00+06:00", "Asia/Almaty").await;
    let kept = schedule(&app, &trial, "2016-10-13T10:00:00+06:00", "Asia/Almaty").await;
    let path = format!("/api/v1/hearings/{}", id(&hearing));

    assert_problem(
        app.delete(&path, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"2\"")).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(app.count("hearings"), 2);
    assert_eq!(
        app.delete(&path, Some("\"1\"")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&path, Some("\"1\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete("/api/v1/hearings/missing", Some("*")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("hearings"), 1);
    assert_eq!(
        ids(&json_body(
            app.get(&format!("/api/v1/trials/{}/hearings", id(&trial)))
                .await
        )
        .await),
        vec![id(&kept)]
    );

    let records = change_records(&app, id(&hearing));
    assert_eq!(
        records.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        vec!["hearing_scheduled", "hearing_deleted"]
    );
    assert_eq!(
        records[1].title,
        "Record of the hearing of 2016-10-12 10:00 (Asia/Almaty) removed"
    );
    assert_eq!(records[1].actor, "Test Admin");
    assert_eq!(
        records[1].changes()["scheduled_at"],
        json!({"old": "2016-10-12T10:00:00+06:00", "new": null})
    );
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'hearing_deleted'",
            id(&case)
        )),
        1
    );
    assert_eq!(change_kinds(&app, id(&kept)), vec!["hearing_scheduled"]);
}

/// Three cases in two countries, hearings spread over October 2016 (times in UTC in
/// the comments). Returns the hearings in time order.
async fn calendar_fixture(app: &TestApp) -> Vec<Value> {
    let (_, atyrau) = case_with_trial(
        app,
        "Trial of Maks Bokayev",
        "KZ",
        "Atyrau City Court No. 2",
    )
    .await;
    let (_, almaty) = case_with_trial(
        app,
        "Trial of Ermek Narymbaev",
        "KZ",
        "Almaty District Court",
    )
    .await;
    let (_, minsk) =
        case_with_trial(app, "Trial of Ales Bialiatski", "BY", "Minsk City Court").await;
    let appeal = create_trial(
        app,
        almaty["case_id"].as_str().unwrap(),
        "Almaty City Court",
    )
    .await;
    let mut hearings = vec![
        // 2016-10-11 17:00Z
        schedule(app, &almaty, "2016-10-11T23:00:00+06:00", "Asia/Almaty").await,
        // 2016-10-12 04:00Z
        schedule(app, &minsk, "2016-10-12T07:00:00+03:00", "Europe/Minsk").await,
        // 2016-10-12 05:00Z
        schedule(app, &atyrau, "2016-10-12T10:00:00+05:00", "Asia/Atyrau").await,
        // 2016-10-12 17:30Z
        schedule(app, &appeal, "2016-10-12T23:30:00+06:00", "Asia/Almaty").await,
        // 2016-10-13 01:00Z
        schedule(app, &atyrau, "2016-10-13T06:00:00+05:00", "Asia/Atyrau").await,
        // 2016-10-20 07:00Z
        schedule(app, &minsk, "2016-10-20T10:00:00+03:00", "Europe/Minsk").await,
    ];
    // Scheduled last but first in time.
    hearings.insert(
        0,
        // 2016-10-01 06:00Z
        schedule(app, &atyrau, "2016-10-01T11:00:00+05:00", "Asia/Atyrau").await,
    );
    hearings
}

#[tokio::test]
async fn the_calendar_lists_hearings_across_cases_in_time_order() {
    let app = spawn_app().await;
    let hearings = calendar_fixture(&app).await;
    let expected = strings(&hearings.iter().collect::<Vec<_>>());
    let page = json_body(app.get("/api/v1/hearings").await).await;
    assert_eq!(ids(&page), expected);
    assert_eq!(page["next_cursor"], Value::Null);
    let entry = &page["items"][2];
    assert_eq!(entry["scheduled_at"], "2016-10-12T07:00:00+03:00");
    assert_eq!(entry["time_zone"], "Europe/Minsk");
    assert_eq!(entry["case_title"], "Trial of Ales Bialiatski");
    assert_eq!(entry["court"], "Minsk City Court");
    assert_eq!(entry["city"], "Atyrau");
    assert_eq!(entry["country"], "BY");
    assert_eq!(entry["status"], "scheduled");
    assert_eq!(entry["trial_id"], hearings[2]["trial_id"]);
    assert_eq!(entry["case_id"], hearings[2]["case_id"]);
    assert_eq!(entry["version"], 1);
    let appeal = &page["items"][4];
    assert_eq!(appeal["court"], "Almaty City Court");
    assert_eq!(appeal["city"], Value::Null);
    assert_eq!(appeal["case_title"], "Trial of Ermek Narymbaev");
    assert_eq!(appeal["country"], "KZ");
    for limit in [1, 2, 3] {
        assert_eq!(
            collect_pages(&app, "/api/v1/hearings", limit).await,
            expected,
            "limit {limit}"
        );
    }
}

#[tokio::test]
async fn the_calendar_filters_by_dates_times_and_country() {
    let app = spawn_app().await;
    let h = calendar_fixture(&app).await;
    let list = |query: &'static str| {
        let app = &app;
        async move {
            let response = app.get(&format!("/api/v1/hearings?{query}")).await;
            assert_eq!(response.status(), StatusCode::OK, "{query}");
            ids(&json_body(response).await)
        }
    };
    // Dates: from its first moment, to the end of that whole day.
    assert_eq!(
        list("from=2016-10-12&to=2016-10-12").await,
        strings(&[&h[2], &h[3], &h[4]])
    );
    assert_eq!(
        list("from=2016-10-12").await,
        strings(&[&h[2], &h[3], &h[4], &h[5], &h[6]])
    );
    assert_eq!(list("to=2016-10-11").await, strings(&[&h[0], &h[1]]));
    assert_eq!(
        list("from=2016-10-14&to=2016-10-19").await,
        Vec::<String>::new()
    );
    // RFC 3339: from the instant (inclusive); any offset.
    assert_eq!(
        list("from=2016-10-12T05:00:00Z&to=2016-10-13T00:00:00Z").await,
        strings(&[&h[3], &h[4]])
    );
    assert_eq!(
        list("from=2016-10-12T10:00:00%2B05:00&to=2016-10-12T12:00:00%2B06:00").await,
        strings(&[&h[3]])
    );
    assert_eq!(
        list("from=2016-10-12T04:00:01Z&to=2016-10-13").await,
        strings(&[&h[3], &h[4], &h[5]])
    );
    // Country.
    assert_eq!(list("country=BY").await, strings(&[&h[2], &h[6]]));
    assert_eq!(
        list("country=KZ&from=2016-10-12&to=2016-10-13").await,
        strings(&[&h[3], &h[4], &h[5]])
    );
    assert_eq!(list("country=UA").await, Vec::<String>::new());
    // Filters and pages together.
    assert_eq!(
        collect_pages(&app, "/api/v1/hearings?country=KZ&from=2016-10-11", 1).await,
        strings(&[&h[1], &h[3], &h[4], &h[5]])
    );
}

#[tokio::test]
async fn hearings_of_deleted_cases_leave_the_calendar() {
    let app = spawn_app().await;
    let h = calendar_fixture(&app).await;
    let minsk_case = h[2]["case_id"].as_str().unwrap().to_string();
    let case_path = format!("/api/v1/cases/{minsk_case}");
    let etag = app.etag(&case_path).await;
    assert_eq!(
        app.delete(&case_path, Some(&etag)).await.status(),
        StatusCode::NO_CONTENT
    );
    let expected = strings(&[&h[0], &h[1], &h[3], &h[4], &h[5]]);
    assert_eq!(collect_pages(&app, "/api/v1/hearings", 2).await, expected);
    assert_eq!(
        ids(&json_body(app.get("/api/v1/hearings?country=BY").await).await),
        Vec::<String>::new()
    );
    // Nor can they be read, changed or removed one by one.
    let path = format!("/api/v1/hearings/{}", id(&h[2]));
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"status": "held"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"1\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get(&format!(
            "/api/v1/trials/{}/hearings",
            h[2]["trial_id"].as_str().unwrap()
        ))
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("hearings"), 7);
}

#[tokio::test]
async fn calendar_pages_stay_correct_while_hearings_are_added() {
    let app = spawn_app().await;
    let h = calendar_fixture(&app).await;
    let first = json_body(app.get("/api/v1/hearings?limit=3").await).await;
    assert_eq!(ids(&first), strings(&[&h[0], &h[1], &h[2]]));
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();

    // One hearing before the cursor, one at the cursor's very instant (ordered by id
    // after it: ids grow), one between later ones, one after all of them.
    let trial = json!({"id": h[2]["trial_id"]});
    schedule(&app, &trial, "2016-10-05T10:00:00+03:00", "Europe/Minsk").await;
    let same_instant = schedule(&app, &trial, "2016-10-12T07:00:00+03:00", "Europe/Minsk").await;
    let between = schedule(&app, &trial, "2016-10-15T10:00:00+03:00", "Europe/Minsk").await;
    let last = schedule(&app, &trial, "2016-12-01T10:00:00+03:00", "Europe/Minsk").await;

    let rest = collect_pages(&app, &format!("/api/v1/hearings?cursor={cursor}"), 2).await;
    assert_eq!(
        rest,
        strings(&[&same_instant, &h[3], &h[4], &h[5], &between, &h[6], &last])
    );
    let mut seen = ids(&first);
    seen.extend(rest);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), seen.len(), "no hearing is listed twice");
    for hearing in &h {
        assert!(seen.contains(&id(hearing).to_string()));
    }

    // A cursor keeps its filters' meaning when the filters are given again.
    let page = json_body(app.get("/api/v1/hearings?country=KZ&limit=2").await).await;
    assert_eq!(ids(&page), strings(&[&h[0], &h[1]]));
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = collect_pages(
        &app,
        &format!("/api/v1/hearings?country=KZ&cursor={cursor}"),
        10,
    )
    .await;
    assert_eq!(rest, strings(&[&h[3], &h[4], &h[5]]));
}

#[tokio::test]
async fn bad_calendar_parameters_are_named() {
    let app = spawn_app().await;
    calendar_fixture(&app).await;
    for (query, fields) in [
        ("from=yesterday", vec!["from"]),
        ("to=2016-10-32", vec!["to"]),
        ("from=2016-10-12T10:00:00", vec!["from"]),
        ("from=2016-10-13&to=2016-10-12", vec!["to"]),
        (
            "from=2016-10-12T10:00:00Z&to=2016-10-12T10:00:00Z",
            vec!["to"],
        ),
        ("country=XX", vec!["country"]),
        ("country=kz", vec!["country"]),
        ("limit=0", vec!["limit"]),
        ("limit=201", vec!["limit"]),
        ("cursor=nonsense", vec!["cursor"]),
        ("case=abc", vec!["case"]),
        ("until=2016-10-12", vec!["until"]),
        (
            "from=yesterday&to=tomorrow&country=XX&limit=many",
            vec!["country", "from", "limit", "to"],
        ),
    ] {
        let body =
            assert_invalid(app.get(&format!("/api/v1/hearings?{query}")).await, &fields).await;
        assert!(
            body["detail"].as_str().unwrap().contains(fields[0]),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn times_finer_than_a_microsecond_do_not_break_pages() {
    let app = spawn_app().await;
    let (_, trial) =
        case_with_trial(&app, "Trial of Maks Bokayev", "KZ", "Almaty District Court").await;
    let a = schedule(
        &app,
        &trial,
        "2016-10-12T10:00:00.123456789+06:00",
        "Asia/Almaty",
    )
    .await;
    let b = schedule(
        &app,
        &trial,
        "2016-10-12T10:00:00.1234567+06:00",
        "Asia/Almaty",
    )
    .await;
    let c = schedule(
        &app,
        &trial,
        "2016-10-12T10:00:00.123457+06:00",
        "Asia/Almaty",
    )
    .await;
    // What is stored is what is shown (microseconds, as both databases keep them).
    assert_eq!(a["scheduled_at"], "2016-10-12T10:00:00.123456+06:00");
    assert_eq!(b["scheduled_at"], "2016-10-12T10:00:00.123456+06:00");
    assert_eq!(
        json_body(app.get(&format!("/api/v1/hearings/{}", id(&a))).await).await,
        a
    );
    let expected = strings(&[&a, &b, &c]);
    let path = format!("/api/v1/trials/{}/hearings", id(&trial));
    assert_eq!(pages_of_one(&app, &path, 5).await, expected);
    assert_eq!(pages_of_one(&app, "/api/v1/hearings", 5).await, expected);
    // Rescheduled to such a time, likewise.
    let response = app
        .patch(
            &format!("/api/v1/hearings/{}", id(&c)),
            Some("\"1\""),
            &json!({"scheduled_at": "2016-10-12T10:00:00.000000999+06:00"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json_body(response).await["scheduled_at"],
        "2016-10-12T10:00:00+06:00"
    );
    let expected = strings(&[&c, &a, &b]);
    assert_eq!(pages_of_one(&app, &path, 5).await, expected);
    assert_eq!(pages_of_one(&app, "/api/v1/hearings", 5).await, expected);
}

/// Follows next_cursor one item at a time, failing (instead of looping for ever) when
/// a list gives more than `most` pages.
async fn pages_of_one(app: &TestApp, path: &str, most: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut url = format!("{path}?limit=1");
    for _ in 0..most {
        let page = json_body(app.get(&url).await).await;
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => url = format!("{path}?limit=1&cursor={cursor}"),
            None => return seen,
        }
    }
    panic!("{path}: more than {most} pages: {seen:?}");
}
