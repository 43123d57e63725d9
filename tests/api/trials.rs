use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app, TestApp,
};
use crate::helpers::{change_kinds, change_records};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub async fn create_trial(app: &TestApp, case_id: &str, court: &str) -> Value {
    app.create(
        &format!("/api/v1/cases/{case_id}/trials"),
        json!({"court": court}),
    )
    .await
}

fn items(page: &Value) -> &Vec<Value> {
    page["items"].as_array().expect("items")
}

#[tokio::test]
async fn create_a_trial_under_a_case_with_defaults() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let response = app
        .post(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            &json!({"court": "Atyrau City Court No. 2", "city": "Atyrau", "started_on": "2016-10-12"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let trial = json_body(response).await;
    assert_eq!(
        location,
        format!("http://test.invalid/api/v1/trials/{}", id(&trial))
    );
    assert_eq!(trial["case_id"], case["id"]);
    assert_eq!(trial["court"], "Atyrau City Court No. 2");
    assert_eq!(trial["city"], "Atyrau");
    assert_eq!(trial["instance"], "first_instance");
    assert_eq!(trial["status"], "scheduled");
    assert_eq!(trial["outcome"], Value::Null);
    assert_eq!(trial["started_on"], "2016-10-12");
    assert_eq!(trial["ended_on"], Value::Null);
    assert_eq!(trial["version"], 1);

    let response = app.get(&format!("/api/v1/trials/{}", id(&trial))).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, trial);
    assert_eq!(app.count("trials"), 1);

    let records = change_records(&app, id(&trial));
    assert_eq!(records.len(), 1, "{records:?}");
    let created = &records[0];
    assert_eq!(created.kind, "trial_created");
    assert_eq!(created.record_type.as_deref(), Some("trial"));
    assert_eq!(created.record_id.as_deref(), Some(id(&trial)));
    assert_eq!(created.actor, "Test Admin");
    assert_eq!(
        created.title,
        "First instance trial at Atyrau City Court No. 2, Atyrau, opening 2016-10-12"
    );
    let changes = created.changes();
    assert_eq!(changes["court"]["old"], Value::Null);
    assert_eq!(changes["court"]["new"], "Atyrau City Court No. 2");
    assert_eq!(changes["status"]["new"], "scheduled");
    assert!(changes.get("version").is_none());
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'trial_created'",
            id(&case)
        )),
        1
    );
}

#[tokio::test]
async fn trials_belong_to_a_live_case() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/cases/missing/trials",
            &json!({"court": "Atyrau City Court No. 2"}),
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get("/api/v1/cases/missing/trials").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/trials/missing").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("trials"), 0);

    // Once the case is deleted its trials are gone from the API.
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trial = create_trial(&app, id(&case), "Atyrau City Court No. 2").await;
    let case_path = format!("/api/v1/cases/{}", id(&case));
    let etag = app.etag(&case_path).await;
    assert_eq!(
        app.delete(&case_path, Some(&etag)).await.status(),
        StatusCode::NO_CONTENT
    );
    let trial_path = format!("/api/v1/trials/{}", id(&trial));
    assert_problem(app.get(&trial_path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.get(&format!("{case_path}/trials")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.post(
            &format!("{case_path}/trials"),
            &json!({"court": "Another court"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.patch(&trial_path, Some("\"1\""), &json!({"status": "ongoing"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(&trial_path, Some("\"1\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("trials"), 1);
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);
}

#[tokio::test]
async fn the_trials_of_a_case_are_listed_in_pages() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let other = app.create_case("Trial of Ermek Narymbaev").await;
    let path = format!("/api/v1/cases/{}/trials", id(&case));
    let mut created = Vec::new();
    for court in [
        "Atyrau City Court No. 2",
        "Atyrau Regional Court",
        "Supreme Court",
    ] {
        created.push(id(&create_trial(&app, id(&case), court).await).to_string());
    }
    create_trial(&app, id(&other), "Almaty District Court").await;

    let page = json_body(app.get(&path).await).await;
    assert_eq!(page["next_cursor"], Value::Null);
    let listed: Vec<&str> = items(&page).iter().map(id).collect();
    assert_eq!(listed, created);
    assert_eq!(items(&page)[1]["court"], "Atyrau Regional Court");
    assert_eq!(collect_pages(&app, &path, 1).await, created);
    assert_eq!(collect_pages(&app, &path, 2).await, created);

    // A trial added between two pages is neither repeated nor lost.
    let first = json_body(app.get(&format!("{path}?limit=2")).await).await;
    assert_eq!(items(&first).len(), 2);
    let cursor = first["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_string();
    let late = create_trial(&app, id(&case), "Court of Cassation").await;
    let rest = collect_pages(&app, &format!("{path}?cursor={cursor}"), 1).await;
    let mut seen: Vec<String> = items(&first).iter().map(|t| id(t).to_string()).collect();
    seen.extend(rest);
    created.push(id(&late).to_string());
    assert_eq!(seen, created);

    assert_invalid(app.get(&format!("{path}?limit=0")).await, &["limit"]).await;
    assert_invalid(app.get(&format!("{path}?limit=201")).await, &["limit"]).await;
    assert_invalid(
        app.get(&format!("{path}?cursor=garbage")).await,
        &["cursor"],
    )
    .await;
    assert_invalid(
        app.get(&format!("{path}?limit=x&cursor=garbage")).await,
        &["cursor", "limit"],
    )
    .await;
    // A misspelt filter is not silently ignored.
    assert_invalid(
        app.get(&format!("{path}?status=ongoing")).await,
        &["status"],
    )
    .await;
}

#[tokio::test]
async fn updating_a_trial_needs_the_current_etag() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            json!({"court": "Atyrau City Court No. 2", "city": "Atyrau"}),
        )
        .await;
    let path = format!("/api/v1/trials/{}", id(&trial));
    let change = json!({"court": "Atyrau Specialised Inter-District Criminal Court"});

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
    assert_eq!(json_body(app.get(&path).await).await, trial);
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"court": "Atyrau Specialised Inter-District Criminal Court", "city": null, "instance": "appeal", "started_on": "2016-10-12"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated = json_body(response).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["court"],
        "Atyrau Specialised Inter-District Criminal Court"
    );
    assert_eq!(updated["city"], Value::Null);
    assert_eq!(updated["instance"], "appeal");
    assert_eq!(updated["started_on"], "2016-10-12");
    assert_eq!(updated["status"], "scheduled");
    assert_eq!(updated["created_at"], trial["created_at"]);
    assert_eq!(json_body(app.get(&path).await).await, updated);

    let records = change_records(&app, id(&trial));
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].kind, "trial_updated");
    assert_eq!(
        records[1].title,
        "Appeal trial at Atyrau Specialised Inter-District Criminal Court updated"
    );
    let changes = records[1].changes();
    assert_eq!(changes["city"], json!({"old": "Atyrau", "new": null}));
    assert_eq!(
        changes["instance"],
        json!({"old": "first_instance", "new": "appeal"})
    );
    assert!(changes.get("status").is_none());

    // The old ETag is stale now; "*" matches any version.
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"city": "Atyrau"}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let response = app
        .patch(&path, Some("*"), &json!({"city": "Atyrau"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"3\"");

    // Bookkeeping fields cannot be set, the court cannot be null or empty.
    assert_invalid(
        app.patch(
            &path,
            Some("\"3\""),
            &json!({"id": "x", "version": 9, "case_id": "other", "court": null, "city": ""}),
        )
        .await,
        &["case_id", "city", "court", "id", "version"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"3\""), &json!({"court": ""})).await,
        &["court"],
    )
    .await;
    assert_eq!(app.etag(&path).await, "\"3\"");
    assert_eq!(change_records(&app, id(&trial)).len(), 3);
}

#[tokio::test]
async fn a_trial_cannot_end_before_it_starts() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trials = format!("/api/v1/cases/{}/trials", id(&case));
    let body = assert_invalid(
        app.post(
            &trials,
            &json!({"court": "Atyrau City Court No. 2", "started_on": "2016-10-12", "ended_on": "2016-10-11"}),
        )
        .await,
        &["ended_on"],
    )
    .await;
    assert_eq!(
        body["errors"][0]["message"],
        "must not be before started_on"
    );
    assert_eq!(app.count("trials"), 0);
    assert_eq!(app.count("events WHERE record_type = 'trial'"), 0);

    // A one-day trial is fine.
    let trial = app
        .create(
            &trials,
            json!({"court": "Atyrau City Court No. 2", "started_on": "2016-10-12", "ended_on": "2016-10-12"}),
        )
        .await;
    let path = format!("/api/v1/trials/{}", id(&trial));
    // The rule holds against the stored value of the field the PATCH leaves alone.
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"ended_on": "2016-10-01"}))
            .await,
        &["ended_on"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"started_on": "2016-10-13"}))
            .await,
        &["ended_on"],
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await, trial);
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);

    // Moving both, or clearing the end, is allowed.
    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"started_on": "2016-10-13", "ended_on": "2016-11-28"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .patch(
            &path,
            Some("\"2\""),
            &json!({"started_on": "2016-12-01", "ended_on": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated = json_body(response).await;
    assert_eq!(updated["started_on"], "2016-12-01");
    assert_eq!(updated["ended_on"], Value::Null);
}

#[tokio::test]
async fn an_outcome_is_only_allowed_once_the_trial_is_concluded() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trials = format!("/api/v1/cases/{}/trials", id(&case));
    for body in [
        json!({"court": "Atyrau City Court No. 2", "outcome": "convicted"}),
        json!({"court": "Atyrau City Court No. 2", "status": "ongoing", "outcome": "convicted"}),
    ] {
        assert_invalid(app.post(&trials, &body).await, &["outcome"]).await;
    }
    assert_eq!(app.count("trials"), 0);

    let concluded = app
        .create(
            &trials,
            json!({"court": "Atyrau Regional Court", "instance": "appeal", "status": "concluded", "outcome": "verdict_upheld"}),
        )
        .await;
    assert_eq!(concluded["outcome"], "verdict_upheld");

    let trial = app
        .create(
            &trials,
            json!({"court": "Atyrau City Court No. 2", "city": "Atyrau", "status": "ongoing"}),
        )
        .await;
    let path = format!("/api/v1/trials/{}", id(&trial));
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"outcome": "convicted"}))
            .await,
        &["outcome"],
    )
    .await;
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"status": "concluded", "outcome": "convicted", "ended_on": "2016-11-28"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated = json_body(response).await;
    assert_eq!(updated["status"], "concluded");
    assert_eq!(updated["outcome"], "convicted");

    let records = change_records(&app, id(&trial));
    assert_eq!(
        records.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        vec!["trial_created", "trial_status_changed"]
    );
    assert_eq!(
        records[1].title,
        "First instance trial at Atyrau City Court No. 2, Atyrau concluded: convicted"
    );
    let changes = records[1].changes();
    assert_eq!(
        changes["status"],
        json!({"old": "ongoing", "new": "concluded"})
    );
    assert_eq!(changes["outcome"], json!({"old": null, "new": "convicted"}));
    assert_eq!(
        changes["ended_on"],
        json!({"old": null, "new": "2016-11-28"})
    );

    // Reopening the trial needs the outcome cleared in the same change.
    assert_invalid(
        app.patch(&path, Some("\"2\""), &json!({"status": "suspended"}))
            .await,
        &["outcome"],
    )
    .await;
    let response = app
        .patch(
            &path,
            Some("\"2\""),
            &json!({"status": "suspended", "outcome": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let reopened = json_body(response).await;
    assert_eq!(reopened["outcome"], Value::Null);
    assert_eq!(
        change_kinds(&app, id(&trial)),
        vec![
            "trial_created",
            "trial_status_changed",
            "trial_status_changed"
        ]
    );
    assert_eq!(
        app.count("events WHERE kind = 'trial_status_changed'"),
        2,
        "the other trial has no status change"
    );
}

#[tokio::test]
async fn deleting_a_trial_needs_the_etag_and_no_hearings_left() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            json!({"court": "Atyrau City Court No. 2", "city": "Atyrau"}),
        )
        .await;
    let path = format!("/api/v1/trials/{}", id(&trial));
    let hearing = app
        .create(
            &format!("{path}/hearings"),
            json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await;

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
    let conflict =
        assert_problem(app.delete(&path, Some("\"1\"")).await, StatusCode::CONFLICT).await;
    assert!(
        conflict["detail"].as_str().unwrap().contains("1 hearing"),
        "{conflict}"
    );
    assert_eq!(app.count("trials"), 1);
    assert_eq!(app.etag(&path).await, "\"1\"");
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);

    let hearing_path = format!("/api/v1/hearings/{}", id(&hearing));
    assert_eq!(
        app.delete(&hearing_path, Some("\"1\"")).await.status(),
        StatusCode::NO_CONTENT
    );
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
    assert_eq!(app.count("trials"), 0);
    let listed = json_body(
        app.get(&format!("/api/v1/cases/{}/trials", id(&case)))
            .await,
    )
    .await;
    assert_eq!(listed["items"], json!([]));

    // The history keeps what was removed.
    let records = change_records(&app, id(&trial));
    assert_eq!(
        records.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(),
        vec!["trial_created", "trial_deleted"]
    );
    let deleted = &records[1];
    assert_eq!(
        deleted.title,
        "Record of the first instance trial at Atyrau City Court No. 2, Atyrau removed"
    );
    assert_eq!(deleted.actor, "Test Admin");
    let changes = deleted.changes();
    assert_eq!(
        changes["court"],
        json!({"old": "Atyrau City Court No. 2", "new": null})
    );
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'trial_deleted'",
            id(&case)
        )),
        1
    );
}

#[tokio::test]
async fn invalid_trials_are_rejected_naming_every_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of Maks Bokayev").await;
    let trials = format!("/api/v1/cases/{}/trials", id(&case));
    assert_invalid(
        app.post(
            &trials,
            &json!({
                "court": "",
                "city": "x".repeat(101),
                "instance": "district",
                "started_on": "2016-02-30",
                "ended_on": "12 October 2016",
                "status": "adjourned",
                "outcome": "guilty",
                "id": "chosen",
                "version": 7
            }),
        )
        .await,
        &[
            "city",
            "court",
            "ended_on",
            "id",
            "instance",
            "outcome",
            "started_on",
            "status",
            "version",
        ],
    )
    .await;
    assert_invalid(
        app.post(&trials, &json!({"city": "Atyrau"})).await,
        &["court"],
    )
    .await;
    assert_invalid(
        app.post(&trials, &json!({"court": null, "city": 5})).await,
        &["city", "court"],
    )
    .await;
    assert_invalid(app.post(&trials, &json!(["court"])).await, &["body"]).await;

    let response = app
        .client
        .post(app.url(&trials))
        .header("content-type", "application/json")
        .body("{\"court\": ")
        .send()
        .await
        .expect("POST");
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let response = app
        .client
        .post(app.url(&trials))
        .header("content-type", "text/plain")
        .body("{\"court\": \"Atyrau City Court No. 2\"}")
        .send()
        .await
        .expect("POST");
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    assert_eq!(app.count("trials"), 0);
    assert_eq!(app.count("events WHERE record_type = 'trial'"), 0);

    // A PATCH names every bad field too and changes nothing.
    let trial = create_trial(&app, id(&case), "Atyrau City Court No. 2").await;
    let path = format!("/api/v1/trials/{}", id(&trial));
    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"court": "", "instance": null, "status": "over", "started_on": "soon", "outcome": 3, "judge": "X"}),
        )
        .await,
        &["court", "instance", "judge", "outcome", "started_on", "status"],
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await, trial);
    assert_eq!(change_kinds(&app, id(&trial)), vec!["trial_created"]);
}
