use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app,
};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn create_then_read_a_defender() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/defenders",
            &json!({
                "name": "Maks Bokayev",
                "other_names": ["Max Bokayev", "Макс Бокаев"],
                "role": "activist",
                "organisation": "Atyrau land-reform protesters",
                "country": "KZ"
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(header(&response, "etag"), "\"1\"");
    let location = header(&response, "location");
    let created = json_body(response).await;
    assert_eq!(
        location,
        format!("http://test.invalid/api/v1/defenders/{}", id(&created))
    );
    assert_eq!(
        created["other_names"],
        json!(["Max Bokayev", "Макс Бокаев"])
    );
    assert_eq!(created["version"], 1);
    assert_eq!(created["confidential"], false);
    assert!(created.get("search_names").is_none());

    let response = app
        .get(&format!("/api/v1/defenders/{}", id(&created)))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"1\"");
    assert_eq!(json_body(response).await, created);
    assert_eq!(app.count("defenders"), 1);
}

#[tokio::test]
async fn names_are_searched_across_spellings_case_and_accents() {
    let app = spawn_app().await;
    let bokayev = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Maks Bokayev", "other_names": ["Макс Бокаев"], "role": "activist", "country": "KZ"}),
        )
        .await;
    let baydalinova = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Güzyal Baydalinova", "role": "editor", "country": "KZ"}),
        )
        .await;
    app.create(
        "/api/v1/defenders",
        json!({"name": "Ales Bialiatski", "role": "ngo_member", "country": "BY"}),
    )
    .await;

    for (q, expected) in [
        ("bokayev", id(&bokayev)),
        ("BOKAEV", id(&bokayev)),
        ("Бокаев", id(&bokayev)),
        ("guzyal", id(&baydalinova)),
        ("Güzyal", id(&baydalinova)),
    ] {
        let page = json_body(
            app.get(&format!("/api/v1/defenders?q={}", urlencode(q)))
                .await,
        )
        .await;
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![expected], "q={q}");
    }
    // A query with nothing to search for is refused rather than matching everyone.
    assert_invalid(app.get("/api/v1/defenders?q=%25").await, &["q"]).await;
    // LIKE wildcards inside a word are taken literally.
    let page = json_body(app.get("/api/v1/defenders?q=bok_yev").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    let page = json_body(app.get("/api/v1/defenders?country=BY").await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_invalid(app.get("/api/v1/defenders?country=ZZ").await, &["country"]).await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn pages_cover_every_defender_once_even_while_rows_are_added() {
    let app = spawn_app().await;
    let mut created = Vec::new();
    for i in 0..5 {
        created.push(id(&app.create_defender(&format!("Defender {i}")).await).to_string());
    }
    assert_eq!(collect_pages(&app, "/api/v1/defenders", 2).await, created);

    // Insert between fetching page one and page two: nothing repeats or goes missing.
    let first = json_body(app.get("/api/v1/defenders?limit=2").await).await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let late = app.create_defender("Late arrival").await;
    let rest = collect_pages(&app, &format!("/api/v1/defenders?cursor={cursor}"), 10).await;
    let mut seen: Vec<String> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| id(d).to_string())
        .collect();
    seen.extend(rest);
    let mut expected = created.clone();
    expected.push(id(&late).to_string());
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn updates_need_the_current_etag() {
    let app = spawn_app().await;
    let defender = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Talgat Ayan", "role": "activist", "country": "KZ", "organisation": "None known"}),
        )
        .await;
    let path = format!("/api/v1/defenders/{}", id(&defender));

    let response = app
        .patch(&path, None, &json!({"name": "Talgat Ayanov"}))
        .await;
    assert_problem(response, StatusCode::PRECONDITION_REQUIRED).await;
    let response = app
        .patch(&path, Some("\"7\""), &json!({"name": "Talgat Ayanov"}))
        .await;
    assert_problem(response, StatusCode::PRECONDITION_FAILED).await;
    let response = app
        .patch(&path, Some("W/\"1\""), &json!({"name": "Talgat Ayanov"}))
        .await;
    assert_problem(response, StatusCode::PRECONDITION_FAILED).await;
    assert_eq!(json_body(app.get(&path).await).await["name"], "Talgat Ayan");

    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"other_names": ["Talgat Ayanov"], "organisation": null}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "etag"), "\"2\"");
    let updated = json_body(response).await;
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["organisation"], serde_json::Value::Null);
    assert_eq!(updated["name"], "Talgat Ayan");
    let page = json_body(app.get("/api/v1/defenders?q=ayanov").await).await;
    assert_eq!(
        page["items"].as_array().unwrap().len(),
        1,
        "the new spelling is searchable"
    );

    // The old ETag is now stale; null is not a name; ids cannot be set.
    assert_problem(
        app.patch(&path, Some("\"1\""), &json!({"name": "X"})).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_invalid(
        app.patch(
            &path,
            Some("\"2\""),
            &json!({"name": null, "id": "x", "version": 9}),
        )
        .await,
        &["id", "name", "version"],
    )
    .await;
    assert_eq!(app.etag(&path).await, "\"2\"");
}

#[tokio::test]
async fn deleting_a_defender_needs_the_etag_and_no_case_links() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let path = format!("/api/v1/defenders/{}", id(&defender));
    assert_problem(
        app.delete(&path, None).await,
        StatusCode::PRECONDITION_REQUIRED,
    )
    .await;
    assert_problem(app.delete(&path, Some("\"1\"")).await, StatusCode::CONFLICT).await;

    let unlink = app
        .delete(
            &format!("/api/v1/cases/{}/defenders/{}", id(&case), id(&defender)),
            None,
        )
        .await;
    assert_eq!(unlink.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.delete(&path, Some("\"2\"")).await,
        StatusCode::PRECONDITION_FAILED,
    )
    .await;
    assert_eq!(
        app.delete(&path, Some("\"1\"")).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_problem(app.get(&path).await, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("defenders"), 0);
}

#[tokio::test]
async fn the_cases_of_a_defender_are_listed() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let other = app.create_case("Another case").await;
    app.link(id(&other), id(&defender)).await;
    app.create_case("Unrelated").await;
    let ids = collect_pages(
        &app,
        &format!("/api/v1/defenders/{}/cases", id(&defender)),
        1,
    )
    .await;
    assert_eq!(ids, vec![id(&case).to_string(), id(&other).to_string()]);
    assert_problem(
        app.get("/api/v1/defenders/missing/cases").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn invalid_defenders_are_rejected_naming_every_field_and_nothing_is_stored() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/defenders",
            &json!({
                "name": "",
                "role": "spy",
                "country": "kz",
                "other_names": ["Max", "Max", ""],
                "confidential": "yes",
                "id": "chosen-by-client"
            }),
        )
        .await;
    assert_invalid(
        response,
        &[
            "confidential",
            "country",
            "id",
            "name",
            "other_names",
            "role",
        ],
    )
    .await;

    assert_invalid(
        app.post(
            "/api/v1/defenders",
            &json!({"role": "activist", "country": "KZ"}),
        )
        .await,
        &["name"],
    )
    .await;
    assert_invalid(
        app.post("/api/v1/defenders", &json!([1, 2])).await,
        &["body"],
    )
    .await;
    let long = "x".repeat(201);
    assert_invalid(
        app.post(
            "/api/v1/defenders",
            &json!({"name": long, "role": "activist", "country": "KZ"}),
        )
        .await,
        &["name"],
    )
    .await;

    let response = app
        .client
        .post(app.url("/api/v1/defenders"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;

    let response = app
        .client
        .post(app.url("/api/v1/defenders"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let huge =
        json!({"name": "A", "role": "activist", "country": "KZ", "details": "x".repeat(100_000)});
    assert_problem(
        app.post("/api/v1/defenders", &huge).await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;

    assert_problem(
        app.get("/api/v1/defenders/does-not-exist").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("defenders"), 0);
}
