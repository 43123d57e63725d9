//! The published contract: the OpenAPI document and its documentation page.

use crate::helpers::{assert_problem, header, json_body, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

async fn document(app: &crate::helpers::TestApp) -> Value {
    // No token: tools read the contract before they have one.
    let response = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .expect("GET openapi.json");
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await
}

#[tokio::test]
async fn the_openapi_document_is_public_and_describes_security_errors_and_schemas() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let get_case = &doc["paths"]["/api/v1/cases/{id}"]["get"];
    assert_eq!(get_case["security"][0]["bearer"], serde_json::json!([]));
    for status in ["200", "401", "403", "404", "429"] {
        assert!(
            get_case["responses"][status].is_object(),
            "GET /cases/{{id}} documents {status}"
        );
    }
    let patch_case = &doc["paths"]["/api/v1/cases/{id}"]["patch"];
    for status in ["412", "413", "415", "422", "428"] {
        assert!(
            patch_case["responses"][status].is_object(),
            "PATCH documents {status}"
        );
    }
    assert_eq!(
        patch_case["responses"]["422"]["content"]["application/problem+json"]["schema"]["$ref"],
        "#/components/schemas/Problem"
    );
    // Controlled lists are enumerated with the values the API takes.
    assert_eq!(
        doc["components"]["schemas"]["CaseStatus"]["enum"],
        serde_json::json!(["open", "closed"])
    );
    let countries = doc["components"]["schemas"]["CountryCode"]["enum"]
        .as_array()
        .expect("country codes");
    assert_eq!(countries.len(), 249);
    // The public routes need no token.
    assert!(doc["paths"]["/health"]["get"]["security"]
        .as_array()
        .is_some_and(|s| s
            .iter()
            .all(|r| r.as_object().is_some_and(|o| o.is_empty()))));
}

#[tokio::test]
async fn the_documentation_page_is_served_with_a_policy_that_lets_it_load() {
    let app = spawn_app().await;
    let response = reqwest::get(app.url("/docs/")).await.expect("GET /docs/");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("text/html"));
    assert!(header(&response, "content-security-policy").starts_with("default-src 'self'"));
    let page = response.text().await.expect("page");
    assert!(page.contains("swagger-ui"), "{page}");
    let config = reqwest::get(app.url("/docs/swagger-initializer.js"))
        .await
        .expect("GET the page's script");
    assert_eq!(config.status(), StatusCode::OK);
    assert!(config
        .text()
        .await
        .expect("script")
        .contains("\"url\": \"/api/v1/openapi.json\""));
    // The API itself keeps the closed policy.
    let api = app.get("/api/v1/cases").await;
    assert_eq!(
        header(&api, "content-security-policy"),
        "default-src 'none'; frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn a_known_path_with_another_method_gets_405_and_allow() {
    let app = spawn_app().await;
    let response = app
        .client
        .put(app.url("/api/v1/cases"))
        .send()
        .await
        .expect("PUT");
    assert_eq!(header(&response, "allow"), "GET, POST");
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;
    let response = app
        .client
        .post(app.url("/api/v1/cases/0123/charges/x"))
        .send()
        .await
        .expect("POST");
    assert_problem(response, StatusCode::NOT_FOUND).await;
}
