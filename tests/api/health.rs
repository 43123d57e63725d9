use crate::helpers::{assert_problem, header, json_body, spawn_app};
use reqwest::StatusCode;

#[tokio::test]
async fn health_and_readiness_report_the_database() {
    let app = spawn_app().await;
    let response = app.get("/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["status"], "ok");

    let response = app.get("/ready").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(response).await;
    assert_eq!(body["status"], "ready");
    let expected = if crate::helpers::backend_is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    let response = app.get("/api/v1/countries/KZ").await;
    assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    assert_eq!(header(&response, "x-frame-options"), "DENY");
    assert_eq!(header(&response, "cache-control"), "no-store");
    assert!(!header(&response, "x-request-id").is_empty());
}

#[tokio::test]
async fn unknown_routes_get_a_problem_document() {
    let app = spawn_app().await;
    let body = assert_problem(
        app.get("/api/v1/no-such-thing").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["title"], "Not found");
}

#[tokio::test]
async fn all_iso_countries_are_loaded_and_paginated() {
    let app = spawn_app().await;
    assert_eq!(app.count("countries"), 249);

    let response = app.get("/api/v1/countries/KZ").await;
    assert_eq!(response.status(), StatusCode::OK);
    let kz = json_body(response).await;
    assert_eq!(kz["name"], "Kazakhstan");
    assert_eq!(kz["alpha3"], "KAZ");
    assert_eq!(kz["numeric_code"], "398");

    let codes = crate::helpers::collect_pages_by(&app, "/api/v1/countries", 100, "code").await;
    assert_eq!(codes.len(), 249);
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, codes, "pages are in order without repeats");

    assert_problem(app.get("/api/v1/countries/XX").await, StatusCode::NOT_FOUND).await;
    crate::helpers::assert_invalid(app.get("/api/v1/countries?limit=0").await, &["limit"]).await;
    crate::helpers::assert_invalid(app.get("/api/v1/countries?limit=201").await, &["limit"]).await;
    crate::helpers::assert_invalid(
        app.get("/api/v1/countries?cursor=nonsense").await,
        &["cursor"],
    )
    .await;
    crate::helpers::assert_invalid(app.get("/api/v1/countries?colour=red").await, &["colour"])
        .await;
}

#[tokio::test]
async fn readiness_fails_while_a_migration_is_pending() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version LIKE '%000003'")
        .execute(&mut app.db())
        .unwrap();
    let response = app.get("/ready").await;
    assert_eq!(header(&response, "retry-after"), "1");
    let body = assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    assert!(body["detail"].as_str().unwrap().contains("migrations"));
    // Liveness does not depend on it.
    assert_eq!(app.get("/health").await.status(), StatusCode::OK);
}
