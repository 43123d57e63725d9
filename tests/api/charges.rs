use crate::helpers::change_records;
use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app, TestApp,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn charges_of(case: &Value) -> String {
    format!("/api/v1/cases/{}/charges", id(case))
}

fn charge_path(charge: &Value) -> String {
    format!("/api/v1/charges/{}", id(charge))
}

#[tokio::test]
async fn bringing_a_charge_returns_it_with_location_and_etag_and_records_it() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let response = app
        .post(
            &charges_of(&case),
            &json!({
                "defender_id": id(&defender),
                "legal_basis": "Criminal Code of Kazakhstan, art. 174 (inciting social discord)",
                "description": "Posts on Facebook about the land-reform protests",
                "brought_on": "2016-05-17"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let charge = json_body(response).await;
    assert_eq!(
        location,
        format!("http://test.invalid/api/v1/charges/{}", id(&charge))
    );
    assert_eq!(charge["case_id"], case["id"]);
    assert_eq!(charge["defender_id"], defender["id"]);
    assert_eq!(
        charge["legal_basis"],
        "Criminal Code of Kazakhstan, art. 174 (inciting social discord)"
    );
    assert_eq!(
        charge["description"],
        "Posts on Facebook about the land-reform protests"
    );
    assert_eq!(charge["brought_on"], "2016-05-17");
    assert_eq!(charge["status"], "pending", "a new charge is pending");
    assert_eq!(charge["version"], 1);
    for stamp in ["created_at", "updated_at"] {
        let text = charge[stamp].as_str().expect("a timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with('Z'),
            "{stamp} is RFC 3339 in UTC: {text}"
        );
    }

    let response = app.get(&location.replace("http://test.invalid", "")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, charge);

    assert_eq!(app.count("charges"), 1);
    assert_eq!(app.count("events WHERE kind = 'charge_brought'"), 1);
    assert_eq!(
        app.count(&format!(
            "events WHERE kind = 'charge_brought' AND case_id = '{}' AND record_id = '{}' \
             AND title = 'Maks Bokayev charged: Criminal Code of Kazakhstan, art. 174 (inciting social discord)'",
            id(&case),
            id(&charge)
        )),
        1
    );
    let records = change_records(&app, id(&charge));
    assert_eq!(records.len(), 1);
    let brought = &records[0];
    assert_eq!(brought.record_type.as_deref(), Some("charge"));
    assert_eq!(brought.actor, "Test Admin");
    assert_eq!(
        serde_json::from_str::<Value>(&brought.defender_ids).unwrap(),
        json!([id(&defender)])
    );
    let changes = brought.changes();
    assert_eq!(
        changes["legal_basis"],
        json!({"old": null, "new": "Criminal Code of Kazakhstan, art. 174 (inciting social discord)"})
    );
    assert_eq!(changes["status"], json!({"old": null, "new": "pending"}));
    assert_eq!(
        changes["brought_on"],
        json!({"old": null, "new": "2016-05-17"})
    );
    assert!(
        changes.get("version").is_none() && changes.get("id").is_none(),
        "bookkeeping fields are not history: {changes}"
    );

    // The status may be given; the optional fields may be left out.
    let convicted = app
        .create(
            &charges_of(&case),
            json!({"defender_id": id(&defender), "legal_basis": "art. 272", "status": "convicted"}),
        )
        .await;
    assert_eq!(convicted["status"], "convicted");
    assert_eq!(convicted["description"], Value::Null);
    assert_eq!(convicted["brought_on"], Value::Null);
    assert_eq!(app.count("charges"), 2);
    assert_eq!(app.count("events WHERE kind = 'charge_brought'"), 2);
}

#[tokio::test]
async fn a_charge_must_be_against_a_defender_linked_to_the_case() {
    let app = spawn_app().await;
    let (case, linked) = app.case_with_defender().await;
    let outsider = app.create_defender("Talgat Ayan").await;
    let elsewhere = app.create_case("Another trial").await;
    let other_case_defender = app.create_defender("Ermek Narymbaev").await;
    app.link(id(&elsewhere), id(&other_case_defender)).await;

    for defender_id in [id(&outsider), id(&other_case_defender), "no-such-defender"] {
        let body = assert_invalid(
            app.post(
                &charges_of(&case),
                &json!({"defender_id": defender_id, "legal_basis": "art. 174"}),
            )
            .await,
            &["defender_id"],
        )
        .await;
        assert_eq!(
            body["errors"][0]["message"], "must be a defender linked to this case",
            "{defender_id}"
        );
    }
    assert_eq!(app.count("charges"), 0);
    assert_eq!(app.count("events WHERE kind = 'charge_brought'"), 0);

    // Linked, the same defender may be charged; and cannot then be unlinked silently.
    app.link(id(&case), id(&outsider)).await;
    let charge = app
        .create(
            &charges_of(&case),
            json!({"defender_id": id(&outsider), "legal_basis": "art. 174"}),
        )
        .await;
    assert_eq!(charge["defender_id"], outsider["id"]);
    let unlink = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&outsider));
    assert_problem(app.delete(&unlink, None).await, StatusCode::CONFLICT).await;
    assert_eq!(app.count("charges"), 1);
    // The other linked defender is not affected.
    let other = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&linked));
    assert_eq!(
        app.delete(&other, None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn charges_need_a_case_that_exists_and_is_not_deleted() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let body = json!({"defender_id": id(&defender), "legal_basis": "art. 174"});
    assert_problem(
        app.post("/api/v1/cases/no-such-case/charges", &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/cases/no-such-case/charges").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let charge = app.create(&charges_of(&case), body.clone()).await;

    let case_path = format!("/api/v1/cases/{}", id(&case));
    let etag = app.etag(&case_path).await;
    assert_eq!(
        app.delete(&case_path, Some(&etag)).await.status(),
        StatusCode::NO_CONTENT
    );

    assert_problem(
        app.post(&charges_of(&case), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(app.get(&charges_of(&case)).await, StatusCode::NOT_FOUND).await;
    let path = charge_path(&charge);
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"status": "dropped"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"1\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("charges"), 1, "nothing was added or removed");
    assert_eq!(
        app.count("events WHERE record_type = 'charge'"),
        1,
        "only the charge_brought record"
    );
}

#[tokio::test]
async fn the_charges_of_a_case_are_listed_page_by_page_and_no_others() {
    let app = spawn_app().await;
    let (case, bokayev) = app.case_with_defender().await;
    let ayan = app.create_defender("Talgat Ayan").await;
    app.link(id(&case), id(&ayan)).await;
    let (other_case, other_defender) = app.case_with_defender().await;

    let mut expected = Vec::new();
    for (i, defender) in [&bokayev, &ayan, &bokayev, &ayan, &bokayev]
        .into_iter()
        .enumerate()
    {
        let charge = app
            .create(
                &charges_of(&case),
                json!({"defender_id": id(defender), "legal_basis": format!("art. {}", 170 + i)}),
            )
            .await;
        expected.push(id(&charge).to_string());
        // Interleave charges of another case: they must not leak into this list.
        app.create(
            &charges_of(&other_case),
            json!({"defender_id": id(&other_defender), "legal_basis": "art. 400"}),
        )
        .await;
    }

    for limit in [1, 2, 3, 5, 200] {
        assert_eq!(
            collect_pages(&app, &charges_of(&case), limit).await,
            expected,
            "limit={limit}"
        );
    }
    let page = json_body(app.get(&charges_of(&case)).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);
    let first = &page["items"][0];
    assert_eq!(first["legal_basis"], "art. 170");
    assert_eq!(first["case_id"], case["id"]);
    assert_eq!(
        first,
        &json_body(app.get(&format!("/api/v1/charges/{}", expected[0])).await).await,
        "list items are the full charge"
    );

    let others = collect_pages(&app, &charges_of(&other_case), 2).await;
    assert_eq!(others.len(), 5);
    assert!(others.iter().all(|o| !expected.contains(o)));

    let empty = app.create_case("No charges yet").await;
    let page = json_body(app.get(&charges_of(&empty)).await).await;
    assert_eq!(page, json!({"items": [], "next_cursor": null}));

    assert_invalid(
        app.get(&format!("{}?limit=0", charges_of(&case))).await,
        &["limit"],
    )
    .await;
    assert_invalid(
        app.get(&format!("{}?limit=201&cursor=nonsense", charges_of(&case)))
            .await,
        &["cursor", "limit"],
    )
    .await;
    assert_invalid(
        app.get(&format!("{}?status=pending", charges_of(&case)))
            .await,
        &["status"],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_charge_is_not_found() {
    let app = spawn_app().await;
    let path = "/api/v1/charges/no-such-charge";
    let body = assert_problem(app.get(path).await, StatusCode::NOT_FOUND).await;
    assert!(
        body["detail"].as_str().unwrap().contains("charge"),
        "{body}"
    );
    assert_problem(
        app.patch(path, Some("\"1\""), &json!({"status": "dropped"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(app.delete(path, Some("\"1\"")).await, StatusCode::NOT_FOUND).await;
}

/// A case with one defender and one pending charge against them.
async fn charged(app: &TestApp) -> (Value, Value, Value) {
    let (case, defender) = app.case_with_defender().await;
    let charge = app
        .create(
            &charges_of(&case),
            json!({
                "defender_id": id(&defender),
                "legal_basis": "Criminal Code, art. 174",
                "description": "Inciting social discord",
                "brought_on": "2016-05-17"
            }),
        )
        .await;
    (case, defender, charge)
}

#[tokio::test]
async fn updating_a_charge_needs_the_current_etag() {
    let app = spawn_app().await;
    let (_, _, charge) = charged(&app).await;
    let path = charge_path(&charge);
    let change = json!({"description": "Inciting social discord (art. 174 part 2)"});

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
    assert_eq!(json_body(app.get(&path).await).await, charge, "unchanged");
    assert_eq!(change_records(&app, id(&charge)).len(), 1);

    let response = app.patch(&path, Some("\"1\""), &change).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated = json_body(response).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(
        updated["description"],
        "Inciting social discord (art. 174 part 2)"
    );
    for same in [
        "id",
        "case_id",
        "defender_id",
        "legal_basis",
        "brought_on",
        "status",
        "created_at",
    ] {
        assert_eq!(updated[same], charge[same], "{same}");
    }
    assert_ne!(updated["updated_at"], charge["updated_at"]);
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(json_body(response).await, updated);

    // The old ETag is stale now; one of several listed ETags may match.
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"legal_basis": "art. 272"}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let response = app
        .patch(
            &path,
            Some("\"1\", \"2\""),
            &json!({"legal_basis": "art. 272"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"3\"");
    assert_eq!(app.etag(&path).await, "\"3\"");
    let kinds: Vec<String> = change_records(&app, id(&charge))
        .into_iter()
        .map(|r| r.kind)
        .collect();
    assert_eq!(
        kinds,
        vec!["charge_brought", "charge_updated", "charge_updated"]
    );
}

#[tokio::test]
async fn nullable_charge_fields_are_cleared_with_null_and_required_ones_refuse_it() {
    let app = spawn_app().await;
    let (_, _, charge) = charged(&app).await;
    let path = charge_path(&charge);

    let body = assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"legal_basis": null, "status": null, "description": null}),
        )
        .await,
        &["legal_basis", "status"],
    )
    .await;
    assert!(body["detail"].is_string());
    assert_eq!(
        app.etag(&path).await,
        "\"1\"",
        "a rejected change changes nothing"
    );
    assert_eq!(
        json_body(app.get(&path).await).await["description"],
        "Inciting social discord"
    );

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"description": null, "brought_on": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared = json_body(response).await;
    assert_eq!(cleared["description"], Value::Null);
    assert_eq!(cleared["brought_on"], Value::Null);
    assert_eq!(cleared["legal_basis"], "Criminal Code, art. 174");
    assert_eq!(json_body(app.get(&path).await).await, cleared);

    let records = change_records(&app, id(&charge));
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].kind, "charge_updated");
    assert_eq!(
        records[1].changes(),
        json!({
            "brought_on": {"old": "2016-05-17", "new": null},
            "description": {"old": "Inciting social discord", "new": null}
        })
    );
    assert_eq!(
        records[1].title,
        "Charge against Maks Bokayev (Criminal Code, art. 174) updated"
    );

    // An absent field is left alone; a cleared one can be set again.
    let restored = json_body(
        app.patch(&path, Some("\"2\""), &json!({"brought_on": "2016-05-18"}))
            .await,
    )
    .await;
    assert_eq!(restored["brought_on"], "2016-05-18");
    assert_eq!(restored["description"], Value::Null);
    assert_eq!(restored["version"], 3);
}

#[tokio::test]
async fn the_ids_and_links_of_a_charge_cannot_be_patched() {
    let app = spawn_app().await;
    let (case, _, charge) = charged(&app).await;
    let other_defender = app.create_defender("Talgat Ayan").await;
    app.link(id(&case), id(&other_defender)).await;
    let other_case = app.create_case("Another case").await;
    let path = charge_path(&charge);

    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({
                "defender_id": id(&other_defender),
                "case_id": id(&other_case),
                "id": "chosen-by-client",
                "version": 9,
                "created_at": "2000-01-01T00:00:00Z",
                "updated_at": "2000-01-01T00:00:00Z",
                "status": "dropped"
            }),
        )
        .await,
        &[
            "case_id",
            "created_at",
            "defender_id",
            "id",
            "updated_at",
            "version",
        ],
    )
    .await;
    // Each alone is refused too, so nobody moves a charge by sending one field.
    for field in ["defender_id", "case_id"] {
        assert_invalid(
            app.patch(&path, Some("\"1\""), &json!({field: id(&other_case)}))
                .await,
            &[field],
        )
        .await;
    }
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, charge, "nothing changed");
    assert_eq!(change_records(&app, id(&charge)).len(), 1);
    assert_eq!(
        json_body(app.get(&charges_of(&other_case)).await).await["items"],
        json!([])
    );
}

#[tokio::test]
async fn a_status_change_is_recorded_once_with_old_and_new_values() {
    let app = spawn_app().await;
    let (case, defender, charge) = charged(&app).await;
    let path = charge_path(&charge);

    let response = app
        .patch(&path, Some("\"1\""), &json!({"status": "dropped"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["status"], "dropped");
    assert_eq!(app.count("events WHERE kind = 'charge_status_changed'"), 1);
    assert_eq!(
        app.count(
            "events WHERE kind = 'charge_status_changed' \
             AND changes LIKE '%\"old\":\"pending\"%' AND changes LIKE '%\"new\":\"dropped\"%'"
        ),
        1
    );
    let records = change_records(&app, id(&charge));
    assert_eq!(records.len(), 2);
    let changed = &records[1];
    assert_eq!(changed.kind, "charge_status_changed");
    assert_eq!(changed.case_id, id(&case));
    assert_eq!(changed.record_type.as_deref(), Some("charge"));
    assert_eq!(
        changed.changes(),
        json!({"status": {"old": "pending", "new": "dropped"}}),
        "only the status changed"
    );
    assert_eq!(
        changed.title,
        "Charge against Maks Bokayev (Criminal Code, art. 174) dropped"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&changed.defender_ids).unwrap(),
        json!([id(&defender)])
    );

    // A status change with another field is still one status-change record.
    let response = app
        .patch(
            &path,
            Some("\"2\""),
            &json!({"status": "convicted", "legal_basis": "Criminal Code, art. 174 part 1"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let records = change_records(&app, id(&charge));
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].kind, "charge_status_changed");
    assert_eq!(
        records[2].changes(),
        json!({
            "legal_basis": {"old": "Criminal Code, art. 174", "new": "Criminal Code, art. 174 part 1"},
            "status": {"old": "dropped", "new": "convicted"}
        })
    );
    assert_eq!(
        records[2].title,
        "Charge against Maks Bokayev (Criminal Code, art. 174 part 1) convicted"
    );

    // Setting the status it already has, or nothing at all, is no event.
    for (etag, body) in [
        ("\"3\"", json!({"status": "convicted"})),
        ("\"4\"", json!({})),
    ] {
        let response = app.patch(&path, Some(etag), &body).await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
        assert_eq!(json_body(response).await["status"], "convicted");
    }
    assert_eq!(change_records(&app, id(&charge)).len(), 3);
    assert_eq!(app.count("events WHERE kind = 'charge_status_changed'"), 2);
}

#[tokio::test]
async fn deleting_a_charge_needs_the_etag_and_leaves_a_record_of_it() {
    let app = spawn_app().await;
    let (case, defender, charge) = charged(&app).await;
    let path = charge_path(&charge);
    let charge = json_body(
        app.patch(&path, Some("\"1\""), &json!({"status": "dropped"}))
            .await,
    )
    .await;

    assert_problem(
        app.delete(&path, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"1\"")).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(app.count("charges"), 1, "still there");
    assert_eq!(app.count("events WHERE kind = 'charge_deleted'"), 0);

    let response = app.delete(&path, Some("\"2\"")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.text().await.unwrap().is_empty());
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&path, Some("\"2\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("charges"), 0);
    assert_eq!(
        json_body(app.get(&charges_of(&case)).await).await["items"],
        json!([])
    );

    let records = change_records(&app, id(&charge));
    let kinds: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["charge_brought", "charge_status_changed", "charge_deleted"],
        "the history of the charge survives it"
    );
    let deleted = &records[2];
    assert_eq!(deleted.case_id, id(&case));
    assert_eq!(deleted.actor, "Test Admin");
    assert_eq!(
        deleted.title,
        "Charge record removed: Criminal Code, art. 174 against Maks Bokayev"
    );
    assert_eq!(
        deleted.changes(),
        json!({
            "case_id": {"old": id(&case), "new": null},
            "defender_id": {"old": id(&defender), "new": null},
            "legal_basis": {"old": "Criminal Code, art. 174", "new": null},
            "description": {"old": "Inciting social discord", "new": null},
            "brought_on": {"old": "2016-05-17", "new": null},
            "status": {"old": "dropped", "new": null}
        }),
        "the last values are kept"
    );

    // With the charge gone, the defender may be unlinked.
    let unlink = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&defender));
    assert_eq!(
        app.delete(&unlink, None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn invalid_charges_are_rejected_naming_every_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let path = charges_of(&case);

    let body = assert_invalid(
        app.post(
            &path,
            &json!({
                "defender_id": id(&defender),
                "legal_basis": "x".repeat(301),
                "description": "d".repeat(5001),
                "brought_on": "2016-02-30",
                "status": "sentenced",
                "version": 3
            }),
        )
        .await,
        &[
            "brought_on",
            "description",
            "legal_basis",
            "status",
            "version",
        ],
    )
    .await;
    let message = |field: &str| -> String {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default()
            .to_string()
    };
    assert!(message("status").contains("pending"), "{body}");
    assert!(message("legal_basis").contains("300"), "{body}");
    assert!(message("brought_on").contains("YYYY-MM-DD"), "{body}");

    // Wrong JSON types, everywhere at once.
    assert_invalid(
        app.post(
            &path,
            &json!({
                "defender_id": 17,
                "legal_basis": ["art. 174"],
                "description": {"text": "x"},
                "brought_on": 20160517,
                "status": true
            }),
        )
        .await,
        &[
            "brought_on",
            "defender_id",
            "description",
            "legal_basis",
            "status",
        ],
    )
    .await;
    // Required fields, and dates that are not plain dates.
    assert_invalid(
        app.post(&path, &json!({})).await,
        &["defender_id", "legal_basis"],
    )
    .await;
    for date in [
        "2016-13-01",
        "17/05/2016",
        "2016-05-17T10:00:00Z",
        "2016-5-7x",
        "",
    ] {
        assert_invalid(
            app.post(
                &path,
                &json!({"defender_id": id(&defender), "legal_basis": "art. 174", "brought_on": date}),
            )
            .await,
            &["brought_on"],
        )
        .await;
    }
    assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": id(&defender), "legal_basis": "", "status": "PENDING"}),
        )
        .await,
        &["legal_basis", "status"],
    )
    .await;
    assert_invalid(app.post(&path, &json!(["art. 174"])).await, &["body"]).await;

    let response = app
        .client
        .post(app.url(&path))
        .header("content-type", "application/json")
        .body("{\"legal_basis\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let response = app
        .client
        .post(app.url(&path))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    assert_eq!(app.count("charges"), 0);
    assert_eq!(app.count("events WHERE record_type = 'charge'"), 0);

    // Lengths count characters, not bytes: 300 Cyrillic letters are accepted.
    let long = app
        .create(
            &path,
            json!({"defender_id": id(&defender), "legal_basis": "ж".repeat(300), "description": "ж".repeat(5000)}),
        )
        .await;
    assert_eq!(long["legal_basis"].as_str().unwrap().chars().count(), 300);
    assert_eq!(app.count("charges"), 1);
}

#[tokio::test]
async fn invalid_changes_to_a_charge_are_rejected_naming_every_field() {
    let app = spawn_app().await;
    let (_, _, charge) = charged(&app).await;
    let path = charge_path(&charge);

    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({
                "legal_basis": "x".repeat(301),
                "description": "d".repeat(5001),
                "brought_on": "2016-02-30",
                "status": "sentenced"
            }),
        )
        .await,
        &["brought_on", "description", "legal_basis", "status"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"legal_basis": "", "brought_on": 2016, "status": 1, "description": false}),
        )
        .await,
        &["brought_on", "description", "legal_basis", "status"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!("dropped")).await,
        &["body"],
    )
    .await;
    // Nothing of the rejected changes was applied, not even the valid parts.
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, charge);
    assert_eq!(change_records(&app, id(&charge)).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_simultaneous_edits_with_the_same_etag_exactly_one_wins() {
    let app = spawn_app().await;
    let (_, _, charge) = charged(&app).await;
    let path = charge_path(&charge);
    let statuses = [
        "dropped",
        "convicted",
        "acquitted",
        "dropped",
        "convicted",
        "acquitted",
    ];
    let bodies: Vec<Value> = statuses.iter().map(|s| json!({"status": s})).collect();
    let responses = futures::future::join_all(
        bodies
            .iter()
            .map(|body| app.patch(&path, Some("\"1\""), body)),
    )
    .await;
    let codes: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    assert_eq!(
        codes.iter().filter(|c| **c == StatusCode::OK).count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == StatusCode::PRECONDITION_FAILED)
            .count(),
        statuses.len() - 1,
        "{codes:?}"
    );
    let mut winner = None;
    for response in responses {
        if response.status() == StatusCode::OK {
            winner = Some(json_body(response).await);
        }
    }
    let winner = winner.unwrap();
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(json_body(response).await, winner);
    let records = change_records(&app, id(&charge));
    assert_eq!(records.len(), 2);
    assert_eq!(
        records[1].changes(),
        json!({"status": {"old": "pending", "new": winner["status"]}})
    );

    // A delete racing an edit: one of them wins, the other is told to look again.
    let late_edit = json!({"description": "late edit"});
    let (edit, removal) = futures::join!(
        app.patch(&path, Some("\"2\""), &late_edit),
        app.delete(&path, Some("\"2\""))
    );
    match (edit.status(), removal.status()) {
        (StatusCode::OK, StatusCode::PRECONDITION_FAILED) => {
            assert_eq!(app.count("charges"), 1);
            assert_eq!(app.etag(&path).await, "\"3\"");
        }
        (StatusCode::PRECONDITION_FAILED | StatusCode::NOT_FOUND, StatusCode::NO_CONTENT) => {
            assert_eq!(app.count("charges"), 0);
            assert_eq!(app.count("events WHERE kind = 'charge_deleted'"), 1);
        }
        other => panic!("unexpected outcome {other:?}"),
    }
    assert_eq!(change_records(&app, id(&charge)).len(), 3);
}

/// A write that finds the record at another version than the one it read (an edit
/// that landed between the read and the write) is refused with 412 and records
/// nothing; here the database silently skips the row, as a lost race does.
#[tokio::test]
async fn a_change_that_loses_a_race_after_the_version_check_is_refused_and_leaves_no_trace() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let charge = app
        .create(
            &charges_of(&case),
            json!({"defender_id": id(&defender), "legal_basis": "art. 174"}),
        )
        .await;
    let mut conn = app.db();
    let ddl: &[&str] = if crate::helpers::backend_is_postgres() {
        &[
            "CREATE FUNCTION skip_row() RETURNS trigger AS $$ BEGIN RETURN NULL; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER skip_update BEFORE UPDATE ON charges FOR EACH ROW EXECUTE FUNCTION skip_row()",
            "CREATE TRIGGER skip_delete BEFORE DELETE ON charges FOR EACH ROW EXECUTE FUNCTION skip_row()",
        ]
    } else {
        &[
            "CREATE TRIGGER skip_update BEFORE UPDATE ON charges BEGIN SELECT RAISE(IGNORE); END",
            "CREATE TRIGGER skip_delete BEFORE DELETE ON charges BEGIN SELECT RAISE(IGNORE); END",
        ]
    };
    for statement in ddl {
        diesel::sql_query(*statement).execute(&mut conn).unwrap();
    }
    let events_before = app.count("events");
    let path = charge_path(&charge);
    let changed = app
        .patch(&path, Some("\"1\""), &json!({"status": "dropped"}))
        .await;
    let problem = assert_problem(changed, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(
        problem["detail"],
        "the charge was changed meanwhile; fetch it again"
    );
    let deleted = app.delete(&path, Some("\"1\"")).await;
    let problem = assert_problem(deleted, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(
        problem["detail"],
        "the charge was changed meanwhile; fetch it again"
    );
    assert_eq!(app.count("events"), events_before, "no change record");
    let still = json_body(app.get(&path).await).await;
    assert_eq!(
        (still["status"].as_str(), still["version"].as_i64()),
        (Some("pending"), Some(1))
    );
}
