use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn create_a_case_with_defaults() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Trial of Maks Bokayev and Talgat Ayan", "country": "KZ"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let case = json_body(response).await;
    assert_eq!(case["status"], "open");
    assert_eq!(case["closed_reason"], Value::Null);
    assert_eq!(case["subjects"], json!([]));
    assert_eq!(case["confidential"], false);
    assert_eq!(app.count("cases"), 1);
    assert_eq!(app.count("events WHERE kind = 'case_opened'"), 1);
}

#[tokio::test]
async fn a_case_embeds_its_defenders_charges_trials_hearings_sentences_and_interventions() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let case_id = id(&case);
    let charge = app
        .create(
            &format!("/api/v1/cases/{case_id}/charges"),
            json!({"defender_id": id(&defender), "legal_basis": "Criminal Code, art. 174"}),
        )
        .await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{case_id}/trials"),
            json!({"court": "Atyrau City Court No. 2"}),
        )
        .await;
    for day in ["2016-10-13", "2016-10-12"] {
        app.create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": format!("{day}T10:00:00+05:00"), "time_zone": "Asia/Atyrau"}),
        )
        .await;
    }
    let sentence = app
        .create(
            &format!("/api/v1/cases/{case_id}/sentences"),
            json!({"defender_id": id(&defender), "kind": "restricted_freedom", "term_months": 24}),
        )
        .await;
    let intervention = app
        .create(
            "/api/v1/interventions",
            json!({"type": "urgent_appeal", "reference": "UA 219/16", "title": "Release them", "issued_on": "2016-10-11", "country": "KZ"}),
        )
        .await;
    let response = app
        .put(
            &format!(
                "/api/v1/interventions/{}/cases/{case_id}",
                id(&intervention)
            ),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    let response = app.get(&format!("/api/v1/cases/{case_id}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let detail = json_body(response).await;
    assert_eq!(detail["title"], case["title"]);
    assert_eq!(detail["defenders"][0]["id"], defender["id"]);
    assert_eq!(detail["defenders"][0]["role_in_case"], "defendant");
    assert_eq!(detail["charges"], json!([charge]));
    assert_eq!(detail["trials"][0]["id"], trial["id"]);
    let hearings = detail["trials"][0]["hearings"].as_array().unwrap();
    assert_eq!(hearings.len(), 2);
    assert_eq!(
        hearings[0]["scheduled_at"], "2016-10-12T10:00:00+05:00",
        "hearings in time order"
    );
    assert_eq!(detail["sentences"], json!([sentence]));
    assert_eq!(detail["interventions"][0]["id"], intervention["id"]);
    assert_eq!(detail["interventions"][0]["type"], "urgent_appeal");
}

#[tokio::test]
async fn cases_are_filtered_by_every_list_parameter() {
    let app = spawn_app().await;
    let (land, defender) = app.case_with_defender().await;
    let _ = app
        .patch(
            &format!("/api/v1/cases/{}", id(&land)),
            Some("\"1\""),
            &json!({"subjects": ["Human Rights Defenders", "Land rights"], "summary": "Peaceful protests against land reform"}),
        )
        .await;
    let press = app
        .create(
            "/api/v1/cases",
            json!({"title": "Editor jailed", "country": "KZ", "status": "closed", "closed_reason": "released", "subjects": ["Freedom of expression"]}),
        )
        .await;
    let belarus = app
        .create(
            "/api/v1/cases",
            json!({"title": "Viasna staff detained", "country": "BY"}),
        )
        .await;

    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| id(c).to_string())
            .collect()
    };
    let list = |query: &str| {
        let app = &app;
        let path = format!("/api/v1/cases?{query}");
        async move {
            let response = app.get(&path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            json_body(response).await
        }
    };
    assert_eq!(ids(list("country=BY").await), vec![id(&belarus)]);
    assert_eq!(ids(list("status=closed").await), vec![id(&press)]);
    assert_eq!(ids(list("status=open&country=KZ").await), vec![id(&land)]);
    assert_eq!(ids(list("subject=Land%20rights").await), vec![id(&land)]);
    assert_eq!(
        ids(list("subject=Land").await),
        Vec::<String>::new(),
        "subjects match whole"
    );
    assert_eq!(
        ids(list(&format!("defender={}", id(&defender))).await),
        vec![id(&land)]
    );
    assert_eq!(
        ids(list("q=bokayev").await),
        vec![id(&land)],
        "by a defender's name"
    );
    assert_eq!(
        ids(list("q=land%20reform").await),
        vec![id(&land)],
        "by the summary"
    );
    assert_eq!(
        ids(list("q=EDITOR").await),
        vec![id(&press)],
        "by the title"
    );
    assert_eq!(ids(list("updated_since=2000-01-01").await).len(), 3);
    assert_eq!(
        ids(list("updated_since=2100-01-01T00:00:00Z").await).len(),
        0
    );

    assert_invalid(
        app.get("/api/v1/cases?status=pending&country=Kazakhstan&updated_since=yesterday&limit=x")
            .await,
        &["country", "limit", "status", "updated_since"],
    )
    .await;
    // A year past 2100 and a subject of spaces are refused, as the document states.
    assert_invalid(
        app.get("/api/v1/cases?updated_since=2999-01-01T00:00:00Z&subject=%20%20")
            .await,
        &["subject", "updated_since"],
    )
    .await;
    let all = collect_pages(&app, "/api/v1/cases", 1).await;
    assert_eq!(
        all,
        vec![
            id(&land).to_string(),
            id(&press).to_string(),
            id(&belarus).to_string()
        ]
    );
}

#[tokio::test]
async fn closing_a_case_needs_a_reason_and_reopening_clears_it() {
    let app = spawn_app().await;
    let case = app.create_case("Detention of a blogger").await;
    let path = format!("/api/v1/cases/{}", id(&case));

    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"status": "closed"}))
            .await,
        &["closed_reason"],
    )
    .await;
    assert_eq!(
        app.etag(&path).await,
        "\"1\"",
        "a rejected change changes nothing"
    );
    assert_invalid(
        app.patch(&path, Some("\"1\""), &json!({"closed_reason": "released"}))
            .await,
        &["closed_reason"],
    )
    .await;

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"status": "closed", "closed_reason": "released"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let closed = json_body(response).await;
    assert_eq!(closed["closed_reason"], "released");

    let reopened = json_body(
        app.patch(&path, Some("\"2\""), &json!({"status": "open"}))
            .await,
    )
    .await;
    assert_eq!(reopened["status"], "open");
    assert_eq!(reopened["closed_reason"], Value::Null);
    assert_eq!(app.count("events WHERE kind = 'case_status_changed'"), 2);

    assert_problem(
        app.patch(&path, None, &json!({"title": "x"})).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.patch(&path, Some("\"2\""), &json!({"title": "x"}))
            .await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_problem(
        app.patch(
            "/api/v1/cases/missing",
            Some("\"1\""),
            &json!({"title": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_deleted_case_disappears_but_its_history_says_who_deleted_it() {
    let app = spawn_app().await;
    let case = app.create_case("Opened by mistake").await;
    let path = format!("/api/v1/cases/{}", id(&case));
    assert_problem(
        app.delete(&path, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(
        app.delete(&path, Some("\"5\"")).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(
        app.delete(&path, Some("\"1\"")).await.status(),
        StatusCode::NO_CONTENT
    );

    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_problem(
        app.delete(&path, Some("\"2\"")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(
        json_body(app.get("/api/v1/cases").await).await["items"],
        json!([])
    );
    assert_eq!(
        json_body(app.get("/api/v1/cases?q=mistake").await).await["items"],
        json!([]),
        "nor found by search"
    );
    // Nothing more is logged on it, and it is not marked changed.
    let events_before = app.count("events");
    let deleted_at: Vec<String> = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            at: String,
        }
        diesel::sql_query(format!(
            "SELECT CAST(updated_at AS TEXT) AS at FROM cases WHERE id = '{}'",
            id(&case)
        ))
        .load::<Row>(&mut app.db())
        .unwrap()
        .into_iter()
        .map(|r| r.at)
        .collect()
    };
    assert_problem(
        app.post(
            &format!("{path}/events"),
            &json!({"kind": "note", "occurred_on": "2016", "title": "Too late"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("events"), events_before);
    assert_eq!(
        app.count(&format!(
            "cases WHERE id = '{}' AND CAST(updated_at AS TEXT) = '{}'",
            id(&case),
            deleted_at[0]
        )),
        1,
        "the deleted case is not marked changed"
    );
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND kind = 'case_deleted' AND actor = 'Test Admin'",
            id(&case)
        )),
        1
    );
    assert_eq!(app.count("cases"), 1, "the row stays, marked deleted");
}

#[tokio::test]
async fn defenders_are_linked_and_unlinked_with_their_role() {
    let app = spawn_app().await;
    let case = app.create_case("Trial").await;
    let defender = app.create_defender("Talgat Ayan").await;
    let path = format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&defender));

    assert_invalid(app.put(&path, &json!({"role": "hero"})).await, &["role"]).await;
    let response = app.put(&path, &json!({"role": "defendant"})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let link = json_body(response).await;
    assert_eq!(link["role"], "defendant");
    assert_eq!(
        app.put(&path, &json!({"role": "defendant"})).await.status(),
        StatusCode::OK
    );
    let response = app.put(&path, &json!({"role": "witness"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["role"], "witness");
    assert_eq!(app.count("case_defenders"), 1);

    assert_problem(
        app.put(
            &format!("/api/v1/cases/{}/defenders/nobody", id(&case)),
            &json!({"role": "victim"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_problem(
        app.put(
            &format!("/api/v1/cases/nocase/defenders/{}", id(&defender)),
            &json!({"role": "victim"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;

    let charge = app
        .create(
            &format!("/api/v1/cases/{}/charges", id(&case)),
            json!({"defender_id": id(&defender), "legal_basis": "art. 400"}),
        )
        .await;
    assert_problem(app.delete(&path, None).await, StatusCode::CONFLICT).await;
    let charge_path = format!("/api/v1/charges/{}", id(&charge));
    assert_eq!(
        app.delete(&charge_path, Some("\"1\"")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.delete(&path, None).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.delete(&path, None).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("case_defenders"), 0);
    for kind in [
        "defender_linked",
        "defender_role_changed",
        "defender_unlinked",
    ] {
        assert_eq!(
            app.count(&format!("events WHERE kind = '{kind}'")),
            1,
            "{kind}"
        );
    }
}

#[tokio::test]
async fn invalid_cases_are_rejected_naming_every_field() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/cases",
            &json!({
                "title": "",
                "country": "XX",
                "status": "bogus",
                "opened_on": "2016-02-30",
                "subjects": ["a", "a"],
                "version": 3
            }),
        )
        .await;
    assert_invalid(
        response,
        &[
            "country",
            "opened_on",
            "status",
            "subjects",
            "title",
            "version",
        ],
    )
    .await;
    assert_invalid(
        app.post("/api/v1/cases", &json!({"country": "KZ"})).await,
        &["title"],
    )
    .await;
    assert_invalid(
        app.post(
            "/api/v1/cases",
            &json!({"title": "T", "country": "KZ", "confidential": null}),
        )
        .await,
        &["confidential"],
    )
    .await;
    // A rule across fields is named together with the other bad fields.
    assert_invalid(
        app.post(
            "/api/v1/cases",
            &json!({"title": "", "country": "KZ", "status": "closed"}),
        )
        .await,
        &["closed_reason", "title"],
    )
    .await;
    assert_eq!(app.count("cases"), 0);
    assert_eq!(app.count("events"), 0);
}
