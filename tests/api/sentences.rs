use crate::helpers::change_records;
use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app, TestApp,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn sentences_of(case: &Value) -> String {
    format!("/api/v1/cases/{}/sentences", id(case))
}

fn sentence_path(sentence: &Value) -> String {
    format!("/api/v1/sentences/{}", id(sentence))
}

/// The title of the one `sentence_handed_down` record of `sentence`.
fn handed_down_title(app: &TestApp, sentence: &Value) -> String {
    let records = change_records(app, id(sentence));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].kind, "sentence_handed_down");
    records[0].title.clone()
}

#[tokio::test]
async fn handing_down_a_sentence_returns_it_with_location_and_etag_and_records_it() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let response = app
        .post(
            &sentences_of(&case),
            &json!({
                "defender_id": id(&defender),
                "kind": "restricted_freedom",
                "term_months": 24,
                "description": "Convicted of resisting police; may not leave Atyrau",
                "handed_down_on": "2016-11-28"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let sentence = json_body(response).await;
    assert_eq!(
        location,
        format!("http://test.invalid/api/v1/sentences/{}", id(&sentence))
    );
    assert_eq!(sentence["case_id"], case["id"]);
    assert_eq!(sentence["defender_id"], defender["id"]);
    assert_eq!(sentence["kind"], "restricted_freedom");
    assert_eq!(sentence["term_months"], 24);
    assert_eq!(sentence["amount"], Value::Null);
    assert_eq!(sentence["currency"], Value::Null);
    assert_eq!(
        sentence["description"],
        "Convicted of resisting police; may not leave Atyrau"
    );
    assert_eq!(sentence["handed_down_on"], "2016-11-28");
    assert_eq!(sentence["status"], "in_force", "a new sentence is in force");
    assert_eq!(sentence["version"], 1);
    for stamp in ["created_at", "updated_at"] {
        let text = sentence[stamp].as_str().expect("a timestamp");
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok() && text.ends_with('Z'),
            "{stamp} is RFC 3339 in UTC: {text}"
        );
    }

    let response = app.get(&sentence_path(&sentence)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, sentence);

    assert_eq!(app.count("sentences"), 1);
    assert_eq!(app.count("events WHERE kind = 'sentence_handed_down'"), 1);
    assert_eq!(
        app.count(&format!(
            "events WHERE kind = 'sentence_handed_down' AND case_id = '{}' AND record_id = '{}' \
             AND title = 'Maks Bokayev sentenced to 2 years of restricted freedom on 2016-11-28'",
            id(&case),
            id(&sentence)
        )),
        1
    );
    let records = change_records(&app, id(&sentence));
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].record_type.as_deref(), Some("sentence"));
    assert_eq!(records[0].actor, "Test Admin");
    assert_eq!(
        serde_json::from_str::<Value>(&records[0].defender_ids).unwrap(),
        json!([id(&defender)])
    );
    let changes = records[0].changes();
    assert_eq!(
        changes["kind"],
        json!({"old": null, "new": "restricted_freedom"})
    );
    assert_eq!(changes["term_months"], json!({"old": null, "new": 24}));
    assert_eq!(changes["status"], json!({"old": null, "new": "in_force"}));
    assert!(
        changes.get("amount").is_none() && changes.get("version").is_none(),
        "only what was set, no bookkeeping: {changes}"
    );

    // A fine, with its amount in a currency and a status given.
    let fine = app
        .create(
            &sentences_of(&case),
            json!({"defender_id": id(&defender), "kind": "fine", "amount": 500000, "currency": "KZT", "status": "under_appeal"}),
        )
        .await;
    assert_eq!(fine["amount"], 500000);
    assert_eq!(fine["currency"], "KZT");
    assert_eq!(fine["term_months"], Value::Null);
    assert_eq!(fine["handed_down_on"], Value::Null);
    assert_eq!(fine["status"], "under_appeal");
    assert_eq!(
        handed_down_title(&app, &fine),
        "Maks Bokayev sentenced to a fine of 500000 KZT"
    );
    assert_eq!(app.count("sentences"), 2);
    assert_eq!(app.count("events WHERE kind = 'sentence_handed_down'"), 2);
}

#[tokio::test]
async fn the_timeline_title_of_a_sentence_reads_as_a_sentence() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let cases = [
        (
            json!({"kind": "prison", "term_months": 96}),
            "Maks Bokayev sentenced to 8 years in prison",
        ),
        (
            json!({"kind": "prison", "term_months": 1}),
            "Maks Bokayev sentenced to 1 month in prison",
        ),
        (
            json!({"kind": "prison", "term_months": 30, "handed_down_on": "2017-01-05"}),
            "Maks Bokayev sentenced to 2 years 6 months in prison on 2017-01-05",
        ),
        (
            json!({"kind": "prison"}),
            "Maks Bokayev sentenced to prison",
        ),
        (
            json!({"kind": "house_arrest", "term_months": 6}),
            "Maks Bokayev sentenced to 6 months of house arrest",
        ),
        (
            json!({"kind": "suspended", "term_months": 36}),
            "Maks Bokayev sentenced to a suspended sentence of 3 years",
        ),
        (
            json!({"kind": "travel_ban", "term_months": 12}),
            "Maks Bokayev sentenced to a travel ban of 1 year",
        ),
        (json!({"kind": "fine"}), "Maks Bokayev sentenced to a fine"),
        (
            json!({"kind": "death_penalty"}),
            "Maks Bokayev sentenced to the death penalty",
        ),
        (
            json!({"kind": "professional_ban", "term_months": 60}),
            "Maks Bokayev sentenced to a professional ban of 5 years",
        ),
        (
            json!({"kind": "correctional_labour", "term_months": 18}),
            "Maks Bokayev sentenced to 1 year 6 months of correctional labour",
        ),
        (
            json!({"kind": "other", "term_months": 3}),
            "Maks Bokayev sentenced to 3 months (other penalty)",
        ),
        (
            json!({"kind": "restricted_freedom", "term_months": 24, "amount": 100000, "currency": "KZT"}),
            "Maks Bokayev sentenced to 2 years of restricted freedom and a fine of 100000 KZT",
        ),
    ];
    for (mut body, title) in cases {
        body["defender_id"] = json!(id(&defender));
        let sentence = app.create(&sentences_of(&case), body.clone()).await;
        assert_eq!(handed_down_title(&app, &sentence), title, "{body}");
    }
}

#[tokio::test]
async fn a_sentence_must_be_for_a_defender_linked_to_the_case() {
    let app = spawn_app().await;
    let (case, linked) = app.case_with_defender().await;
    let outsider = app.create_defender("Serikzhan Mambetalin").await;
    let elsewhere = app.create_case("Another trial").await;
    let other_case_defender = app.create_defender("Bolatbek Blyalov").await;
    app.link(id(&elsewhere), id(&other_case_defender)).await;

    for defender_id in [id(&outsider), id(&other_case_defender), "no-such-defender"] {
        let body = assert_invalid(
            app.post(
                &sentences_of(&case),
                &json!({"defender_id": defender_id, "kind": "prison", "term_months": 24}),
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
    assert_eq!(app.count("sentences"), 0);
    assert_eq!(app.count("events WHERE kind = 'sentence_handed_down'"), 0);

    app.link(id(&case), id(&outsider)).await;
    let sentence = app
        .create(
            &sentences_of(&case),
            json!({"defender_id": id(&outsider), "kind": "prison", "term_months": 24}),
        )
        .await;
    assert_eq!(sentence["defender_id"], outsider["id"]);
    // A sentenced defender cannot be unlinked while the sentence is on record.
    let unlink = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&outsider));
    assert_problem(app.delete(&unlink, None).await, StatusCode::CONFLICT).await;
    assert_eq!(app.count("sentences"), 1);
    let other = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&linked));
    assert_eq!(
        app.delete(&other, None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn sentences_need_a_case_that_exists_and_is_not_deleted() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let body = json!({"defender_id": id(&defender), "kind": "prison", "term_months": 60});
    assert_problem(
        app.post("/api/v1/cases/no-such-case/sentences", &body)
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.get("/api/v1/cases/no-such-case/sentences").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let sentence = app.create(&sentences_of(&case), body.clone()).await;

    let case_path = format!("/api/v1/cases/{}", id(&case));
    let etag = app.etag(&case_path).await;
    assert_eq!(
        app.delete(&case_path, Some(&etag)).await.status(),
        StatusCode::NO_CONTENT
    );

    assert_problem(
        app.post(&sentences_of(&case), &body).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(app.get(&sentences_of(&case)).await, StatusCode::NOT_FOUND).await;
    let path = sentence_path(&sentence);
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"status": "pardoned"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"1\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("sentences"), 1, "nothing was added or removed");
    assert_eq!(app.count("events WHERE record_type = 'sentence'"), 1);
}

#[tokio::test]
async fn the_sentences_of_a_case_are_listed_page_by_page_and_no_others() {
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
        let sentence = app
            .create(
                &sentences_of(&case),
                json!({"defender_id": id(defender), "kind": "prison", "term_months": 12 + i}),
            )
            .await;
        expected.push(id(&sentence).to_string());
        app.create(
            &sentences_of(&other_case),
            json!({"defender_id": id(&other_defender), "kind": "fine", "amount": 1000, "currency": "KZT"}),
        )
        .await;
    }

    for limit in [1, 2, 3, 5, 200] {
        assert_eq!(
            collect_pages(&app, &sentences_of(&case), limit).await,
            expected,
            "limit={limit}"
        );
    }
    let page = json_body(app.get(&sentences_of(&case)).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(page["items"][0]["term_months"], 12);
    assert_eq!(page["items"][4]["term_months"], 16);
    assert_eq!(
        page["items"][1],
        json_body(app.get(&format!("/api/v1/sentences/{}", expected[1])).await).await,
        "list items are the full sentence"
    );

    let others = collect_pages(&app, &sentences_of(&other_case), 2).await;
    assert_eq!(others.len(), 5);
    assert!(others.iter().all(|o| !expected.contains(o)));

    let empty = app.create_case("No verdict yet").await;
    assert_eq!(
        json_body(app.get(&sentences_of(&empty)).await).await,
        json!({"items": [], "next_cursor": null})
    );
    assert_invalid(
        app.get(&format!("{}?limit=0", sentences_of(&case))).await,
        &["limit"],
    )
    .await;
    assert_invalid(
        app.get(&format!(
            "{}?limit=201&cursor=nonsense",
            sentences_of(&case)
        ))
        .await,
        &["cursor", "limit"],
    )
    .await;
    assert_invalid(
        app.get(&format!("{}?kind=prison", sentences_of(&case)))
            .await,
        &["kind"],
    )
    .await;
}

#[tokio::test]
async fn an_unknown_sentence_is_not_found() {
    let app = spawn_app().await;
    let path = "/api/v1/sentences/no-such-sentence";
    let body = assert_problem(app.get(path).await, StatusCode::NOT_FOUND).await;
    assert!(
        body["detail"].as_str().unwrap().contains("sentence"),
        "{body}"
    );
    assert_problem(
        app.patch(path, Some("\"1\""), &json!({"status": "served"}))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(app.delete(path, Some("\"1\"")).await, StatusCode::NOT_FOUND).await;
}

/// A case with one defender and one sentence in force: 2 years of restricted freedom.
async fn sentenced(app: &TestApp) -> (Value, Value, Value) {
    let (case, defender) = app.case_with_defender().await;
    let sentence = app
        .create(
            &sentences_of(&case),
            json!({
                "defender_id": id(&defender),
                "kind": "restricted_freedom",
                "term_months": 24,
                "description": "May not leave Atyrau",
                "handed_down_on": "2016-11-28"
            }),
        )
        .await;
    (case, defender, sentence)
}

#[tokio::test]
async fn updating_a_sentence_needs_the_current_etag() {
    let app = spawn_app().await;
    let (_, _, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);
    let change = json!({"term_months": 18});

    assert_problem(
        app.patch(&path, None, &change).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.patch(&path, Some("\"0\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.patch(&path, Some("W/\"1\""), &change).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(json_body(app.get(&path).await).await, sentence, "unchanged");
    assert_eq!(change_records(&app, id(&sentence)).len(), 1);

    let response = app.patch(&path, Some("\"1\""), &change).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated = json_body(response).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["term_months"], 18);
    for same in [
        "id",
        "case_id",
        "defender_id",
        "kind",
        "description",
        "handed_down_on",
        "status",
        "created_at",
    ] {
        assert_eq!(updated[same], sentence[same], "{same}");
    }
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"2\"");
    assert_eq!(json_body(response).await, updated);

    let records = change_records(&app, id(&sentence));
    assert_eq!(records.len(), 2);
    assert_eq!(records[1].kind, "sentence_updated");
    assert_eq!(
        records[1].changes(),
        json!({"term_months": {"old": 24, "new": 18}})
    );
    assert_eq!(
        records[1].title,
        "Sentence of Maks Bokayev updated: 1 year 6 months of restricted freedom"
    );

    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"kind": "prison"}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    let response = app
        .patch(&path, Some("*"), &json!({"kind": "house_arrest"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "If-Match: * matches any");
    assert_eq!(header(&response, "etag"), "\"3\"");
    assert_eq!(json_body(response).await["kind"], "house_arrest");
}

#[tokio::test]
async fn nullable_sentence_fields_are_cleared_with_null_and_required_ones_refuse_it() {
    let app = spawn_app().await;
    let (case, defender, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);

    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"kind": null, "status": null, "term_months": null}),
        )
        .await,
        &["kind", "status"],
    )
    .await;
    assert_eq!(
        app.etag(&path).await,
        "\"1\"",
        "a rejected change changes nothing"
    );

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"term_months": null, "description": null, "handed_down_on": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let cleared = json_body(response).await;
    for field in ["term_months", "description", "handed_down_on"] {
        assert_eq!(cleared[field], Value::Null, "{field}");
    }
    assert_eq!(cleared["kind"], "restricted_freedom");
    assert_eq!(json_body(app.get(&path).await).await, cleared);
    let records = change_records(&app, id(&sentence));
    assert_eq!(
        records[1].changes(),
        json!({
            "description": {"old": "May not leave Atyrau", "new": null},
            "handed_down_on": {"old": "2016-11-28", "new": null},
            "term_months": {"old": 24, "new": null}
        })
    );

    // A fine is set and cleared as a pair: amount and currency go together.
    let fined = json_body(
        app.patch(
            &path,
            Some("\"2\""),
            &json!({"amount": 250000, "currency": "KZT"}),
        )
        .await,
    )
    .await;
    assert_eq!(fined["amount"], 250000);
    assert_eq!(fined["currency"], "KZT");
    assert_invalid(
        app.patch(&path, Some("\"3\""), &json!({"amount": null}))
            .await,
        &["amount"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"3\""), &json!({"currency": null}))
            .await,
        &["currency"],
    )
    .await;
    assert_eq!(app.etag(&path).await, "\"3\"");
    let unfined = json_body(
        app.patch(
            &path,
            Some("\"3\""),
            &json!({"amount": null, "currency": null}),
        )
        .await,
    )
    .await;
    assert_eq!(unfined["amount"], Value::Null);
    assert_eq!(unfined["currency"], Value::Null);
    assert_eq!(unfined["version"], 4);
    // Changing only the amount of a fine keeps its currency.
    let kzt = app
        .create(
            &sentences_of(&case),
            json!({"defender_id": id(&defender), "kind": "fine", "amount": 100, "currency": "KZT"}),
        )
        .await;
    let more = json_body(
        app.patch(&sentence_path(&kzt), Some("\"1\""), &json!({"amount": 200}))
            .await,
    )
    .await;
    assert_eq!(
        (more["amount"].clone(), more["currency"].clone()),
        (json!(200), json!("KZT"))
    );
}

#[tokio::test]
async fn the_ids_and_links_of_a_sentence_cannot_be_patched() {
    let app = spawn_app().await;
    let (case, _, sentence) = sentenced(&app).await;
    let other_defender = app.create_defender("Talgat Ayan").await;
    app.link(id(&case), id(&other_defender)).await;
    let other_case = app.create_case("Another case").await;
    let path = sentence_path(&sentence);

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
                "status": "pardoned"
            }),
        )
        .await,
        &["case_id", "created_at", "defender_id", "id", "version"],
    )
    .await;
    for field in ["defender_id", "case_id"] {
        assert_invalid(
            app.patch(&path, Some("\"1\""), &json!({field: id(&other_defender)}))
                .await,
            &[field],
        )
        .await;
    }
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, sentence, "nothing changed");
    assert_eq!(change_records(&app, id(&sentence)).len(), 1);
}

#[tokio::test]
async fn a_status_change_of_a_sentence_is_recorded_once_with_old_and_new_values() {
    let app = spawn_app().await;
    let (case, defender, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);

    let response = app
        .patch(&path, Some("\"1\""), &json!({"status": "under_appeal"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["status"], "under_appeal");
    assert_eq!(
        app.count("events WHERE kind = 'sentence_status_changed'"),
        1
    );
    assert_eq!(
        app.count(
            "events WHERE kind = 'sentence_status_changed' \
             AND changes LIKE '%\"old\":\"in_force\"%' AND changes LIKE '%\"new\":\"under_appeal\"%'"
        ),
        1
    );
    let records = change_records(&app, id(&sentence));
    assert_eq!(records.len(), 2);
    let changed = &records[1];
    assert_eq!(changed.kind, "sentence_status_changed");
    assert_eq!(changed.case_id, id(&case));
    assert_eq!(changed.record_type.as_deref(), Some("sentence"));
    assert_eq!(
        changed.changes(),
        json!({"status": {"old": "in_force", "new": "under_appeal"}})
    );
    assert_eq!(
        changed.title,
        "Sentence of Maks Bokayev (2 years of restricted freedom): under appeal"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&changed.defender_ids).unwrap(),
        json!([id(&defender)])
    );

    // Reduced on appeal: the new term and the status are one record.
    let response = app
        .patch(
            &path,
            Some("\"2\""),
            &json!({"status": "reduced", "term_months": 12}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let records = change_records(&app, id(&sentence));
    assert_eq!(records.len(), 3);
    assert_eq!(records[2].kind, "sentence_status_changed");
    assert_eq!(
        records[2].changes(),
        json!({
            "status": {"old": "under_appeal", "new": "reduced"},
            "term_months": {"old": 24, "new": 12}
        })
    );
    assert_eq!(
        records[2].title,
        "Sentence of Maks Bokayev (1 year of restricted freedom): reduced"
    );

    for (etag, body) in [
        ("\"3\"", json!({"status": "reduced"})),
        ("\"4\"", json!({})),
    ] {
        let response = app.patch(&path, Some(etag), &body).await;
        assert_eq!(response.status(), StatusCode::OK, "{body}");
    }
    assert_eq!(
        change_records(&app, id(&sentence)).len(),
        3,
        "no-op edits are not history"
    );
    assert_eq!(
        app.count("events WHERE kind = 'sentence_status_changed'"),
        2
    );
}

#[tokio::test]
async fn deleting_a_sentence_needs_the_etag_and_leaves_a_record_of_it() {
    let app = spawn_app().await;
    let (case, defender, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);
    json_body(
        app.patch(&path, Some("\"1\""), &json!({"status": "served"}))
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
    assert_eq!(app.count("sentences"), 1, "still there");
    assert_eq!(app.count("events WHERE kind = 'sentence_deleted'"), 0);

    let response = app.delete(&path, Some("\"2\"")).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.text().await.unwrap().is_empty());
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&path, Some("\"2\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("sentences"), 0);
    assert_eq!(
        json_body(app.get(&sentences_of(&case)).await).await["items"],
        json!([])
    );

    let records = change_records(&app, id(&sentence));
    let kinds: Vec<&str> = records.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "sentence_handed_down",
            "sentence_status_changed",
            "sentence_deleted"
        ]
    );
    let deleted = &records[2];
    assert_eq!(deleted.case_id, id(&case));
    assert_eq!(deleted.actor, "Test Admin");
    assert_eq!(
        deleted.title,
        "Record of the sentence of Maks Bokayev removed (2 years of restricted freedom)"
    );
    assert_eq!(
        deleted.changes(),
        json!({
            "case_id": {"old": id(&case), "new": null},
            "defender_id": {"old": id(&defender), "new": null},
            "kind": {"old": "restricted_freedom", "new": null},
            "term_months": {"old": 24, "new": null},
            "description": {"old": "May not leave Atyrau", "new": null},
            "handed_down_on": {"old": "2016-11-28", "new": null},
            "status": {"old": "served", "new": null}
        }),
        "the last values are kept"
    );

    let unlink = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&defender));
    assert_eq!(
        app.delete(&unlink, None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn invalid_sentences_are_rejected_naming_every_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let path = sentences_of(&case);
    let with = |extra: Value| {
        let mut body = json!({"defender_id": id(&defender), "kind": "prison"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };

    let body = assert_invalid(
        app.post(
            &path,
            &json!({
                "defender_id": id(&defender),
                "kind": "jail",
                "status": "released",
                "term_months": 0,
                "amount": -5,
                "currency": "XYZ",
                "description": "d".repeat(5001),
                "handed_down_on": "2016-02-30",
                "version": 1
            }),
        )
        .await,
        &[
            "amount",
            "currency",
            "description",
            "handed_down_on",
            "kind",
            "status",
            "term_months",
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
    assert!(message("kind").contains("restricted_freedom"), "{body}");
    assert!(message("status").contains("under_appeal"), "{body}");
    assert!(message("currency").contains("ISO 4217"), "{body}");
    assert!(message("term_months").contains("1200"), "{body}");

    // Terms from 1 month to 100 years.
    for months in [0, -1, 1201, 100_000] {
        assert_invalid(
            app.post(&path, &with(json!({"term_months": months}))).await,
            &["term_months"],
        )
        .await;
    }
    // Integers that do not fit, fractions and strings are rejected, never a 500.
    for term in [json!(1u64 << 40), json!(12.5), json!("24"), json!(true)] {
        assert_invalid(
            app.post(&path, &with(json!({"term_months": term}))).await,
            &["term_months"],
        )
        .await;
    }
    for amount in [
        json!(0),
        json!(-5),
        json!(1e20),
        json!(99.99),
        json!("1000"),
    ] {
        assert_invalid(
            app.post(&path, &with(json!({"amount": amount, "currency": "KZT"})))
                .await,
            &["amount"],
        )
        .await;
    }
    // An amount needs its currency, and a currency its amount.
    let body = assert_invalid(
        app.post(&path, &with(json!({"kind": "fine", "amount": 500000})))
            .await,
        &["currency"],
    )
    .await;
    assert_eq!(body["errors"][0]["message"], "is required with an amount");
    assert_invalid(
        app.post(&path, &with(json!({"kind": "fine", "currency": "KZT"})))
            .await,
        &["amount"],
    )
    .await;
    for currency in ["XYZ", "kzt", "KZ", "KZTT", "", "€"] {
        assert_invalid(
            app.post(&path, &with(json!({"amount": 100, "currency": currency})))
                .await,
            &["currency"],
        )
        .await;
    }
    for date in [
        "2016-02-30",
        "2016-11-28T10:00:00+05:00",
        "28.11.2016",
        "2016",
    ] {
        assert_invalid(
            app.post(&path, &with(json!({"handed_down_on": date})))
                .await,
            &["handed_down_on"],
        )
        .await;
    }
    assert_invalid(
        app.post(&path, &json!({"term_months": 24})).await,
        &["defender_id", "kind"],
    )
    .await;
    assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": [id(&defender)], "kind": 3, "status": "IN_FORCE", "description": 7}),
        )
        .await,
        &["defender_id", "description", "kind", "status"],
    )
    .await;
    assert_invalid(app.post(&path, &json!(null)).await, &["body"]).await;

    assert_eq!(app.count("sentences"), 0);
    assert_eq!(app.count("events WHERE record_type = 'sentence'"), 0);

    // The bounds themselves are accepted.
    for body in [
        with(json!({"term_months": 1})),
        with(json!({"term_months": 1200})),
        with(json!({"kind": "fine", "amount": 1, "currency": "EUR"})),
        with(json!({"kind": "fine", "amount": 9_000_000_000_000i64, "currency": "BYN"})),
        with(json!({"description": "ж".repeat(5000)})),
    ] {
        app.create(&path, body).await;
    }
    assert_eq!(app.count("sentences"), 5);
    let big = json_body(app.get(&path).await).await["items"][3].clone();
    assert_eq!(big["amount"], 9_000_000_000_000i64, "amounts are 64-bit");
}

#[tokio::test]
async fn invalid_changes_to_a_sentence_are_rejected_naming_every_field() {
    let app = spawn_app().await;
    let (_, _, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);

    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({
                "kind": "jail",
                "status": "released",
                "term_months": 1201,
                "amount": 0,
                "currency": "XYZ",
                "description": "d".repeat(5001),
                "handed_down_on": "2016-02-30"
            }),
        )
        .await,
        &[
            "amount",
            "currency",
            "description",
            "handed_down_on",
            "kind",
            "status",
            "term_months",
        ],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"term_months": 0}))
            .await,
        &["term_months"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"amount": -1, "currency": "KZT"}),
        )
        .await,
        &["amount"],
    )
    .await;
    // The sentence has no fine: an amount alone lacks its currency and vice versa.
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"amount": 1000}))
            .await,
        &["currency"],
    )
    .await;
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"currency": "KZT"}))
            .await,
        &["amount"],
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"1\""),
            &json!({"term_months": "two years", "kind": ["prison"]}),
        )
        .await,
        &["kind", "term_months"],
    )
    .await;
    let response = app.get(&path).await;
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, sentence, "nothing changed");
    assert_eq!(change_records(&app, id(&sentence)).len(), 1);
}

#[tokio::test]
async fn a_fine_without_its_currency_is_named_along_with_every_other_bad_field() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let path = sentences_of(&case);
    assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": id(&defender), "kind": "fine", "amount": 500000, "term_months": 0}),
        )
        .await,
        &["currency", "term_months"],
    )
    .await;
    assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": id(&defender), "kind": "jail", "currency": "KZT"}),
        )
        .await,
        &["amount", "kind"],
    )
    .await;
    assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": id(&defender), "kind": "fine", "amount": -5}),
        )
        .await,
        &["amount", "currency"],
    )
    .await;
    // A field already reported is not reported twice for the pairing rule.
    let body = assert_invalid(
        app.post(
            &path,
            &json!({"defender_id": id(&defender), "kind": "fine", "amount": 100, "currency": 978}),
        )
        .await,
        &["currency"],
    )
    .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(app.count("sentences"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sentence_deleted_twice_at_once_is_deleted_and_recorded_once() {
    let app = spawn_app().await;
    let (_, _, sentence) = sentenced(&app).await;
    let path = sentence_path(&sentence);
    let responses =
        futures::future::join_all((0..4).map(|_| app.delete(&path, Some("\"1\"")))).await;
    let codes: Vec<StatusCode> = responses.iter().map(|r| r.status()).collect();
    assert_eq!(
        codes
            .iter()
            .filter(|c| **c == StatusCode::NO_CONTENT)
            .count(),
        1,
        "{codes:?}"
    );
    assert!(
        codes.iter().all(|c| [
            StatusCode::NO_CONTENT,
            StatusCode::NOT_FOUND,
            StatusCode::PRECONDITION_FAILED
        ]
        .contains(c)),
        "{codes:?}"
    );
    assert_eq!(app.count("sentences"), 0);
    assert_eq!(app.count("events WHERE kind = 'sentence_deleted'"), 1);
}
