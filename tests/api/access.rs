//! Authentication, roles, confidentiality, audit and abuse limits.

use crate::helpers::{
    assert_problem, client_for, header, id, json_body, spawn_app, spawn_app_with, TestApp,
};
use diesel::prelude::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

/// Every /api/v1 route, with the ids of real records filled in.
async fn route_table(app: &TestApp) -> Vec<(Method, String)> {
    let (case, defender) = app.case_with_defender().await;
    let (c, d) = (id(&case).to_string(), id(&defender).to_string());
    let charge = app
        .create(
            &format!("/api/v1/cases/{c}/charges"),
            json!({"defender_id": d, "legal_basis": "art. 174"}),
        )
        .await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{c}/trials"),
            json!({"court": "City court"}),
        )
        .await;
    let hearing = app
        .create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await;
    let sentence = app
        .create(
            &format!("/api/v1/cases/{c}/sentences"),
            json!({"defender_id": d, "kind": "fine", "amount": 10, "currency": "KZT"}),
        )
        .await;
    let intervention = app
        .create(
            "/api/v1/interventions",
            json!({"type": "statement", "title": "T", "issued_on": "2016-10-11", "country": "KZ"}),
        )
        .await;
    let event = app
        .create(
            &format!("/api/v1/cases/{c}/events"),
            json!({"kind": "note", "occurred_on": "2016", "title": "Note"}),
        )
        .await;
    let (ch, t, h, s, i, e) = (
        id(&charge),
        id(&trial),
        id(&hearing),
        id(&sentence),
        id(&intervention),
        id(&event),
    );
    let token = json_body(
        app.post(
            "/api/v1/tokens",
            &json!({"name": "Spare", "role": "advocate"}),
        )
        .await,
    )
    .await;
    let tk = id(&token);
    let subscription = app
        .create(
            "/api/v1/subscriptions",
            json!({"subscriber": {"name": "Partner", "email": "p@partners.example"}, "case_id": c}),
        )
        .await;
    let sub = id(&subscription);
    let alerts = json_body(app.get("/api/v1/alerts").await).await;
    let alert = alerts["items"][0]["id"]
        .as_str()
        .expect("an alert")
        .to_string();
    use Method as M;
    let routes: Vec<(Method, String)> = vec![
        (M::GET, "/api/v1/countries".into()),
        (M::GET, "/api/v1/countries/KZ".into()),
        (M::GET, "/api/v1/defenders".into()),
        (M::POST, "/api/v1/defenders".into()),
        (M::GET, format!("/api/v1/defenders/{d}")),
        (M::PATCH, format!("/api/v1/defenders/{d}")),
        (M::DELETE, format!("/api/v1/defenders/{d}")),
        (M::GET, format!("/api/v1/defenders/{d}/cases")),
        (M::GET, format!("/api/v1/defenders/{d}/events")),
        (M::GET, "/api/v1/cases".into()),
        (M::POST, "/api/v1/cases".into()),
        (M::GET, format!("/api/v1/cases/{c}")),
        (M::PATCH, format!("/api/v1/cases/{c}")),
        (M::DELETE, format!("/api/v1/cases/{c}")),
        (M::PUT, format!("/api/v1/cases/{c}/defenders/{d}")),
        (M::DELETE, format!("/api/v1/cases/{c}/defenders/{d}")),
        (M::GET, format!("/api/v1/cases/{c}/charges")),
        (M::POST, format!("/api/v1/cases/{c}/charges")),
        (M::GET, format!("/api/v1/charges/{ch}")),
        (M::PATCH, format!("/api/v1/charges/{ch}")),
        (M::DELETE, format!("/api/v1/charges/{ch}")),
        (M::GET, format!("/api/v1/cases/{c}/trials")),
        (M::POST, format!("/api/v1/cases/{c}/trials")),
        (M::GET, format!("/api/v1/trials/{t}")),
        (M::PATCH, format!("/api/v1/trials/{t}")),
        (M::DELETE, format!("/api/v1/trials/{t}")),
        (M::GET, format!("/api/v1/trials/{t}/hearings")),
        (M::POST, format!("/api/v1/trials/{t}/hearings")),
        (M::GET, "/api/v1/hearings".into()),
        (M::GET, "/api/v1/hearings.ics".into()),
        (M::GET, format!("/api/v1/hearings/{h}")),
        (M::PATCH, format!("/api/v1/hearings/{h}")),
        (M::DELETE, format!("/api/v1/hearings/{h}")),
        (M::GET, format!("/api/v1/cases/{c}/sentences")),
        (M::POST, format!("/api/v1/cases/{c}/sentences")),
        (M::GET, format!("/api/v1/sentences/{s}")),
        (M::PATCH, format!("/api/v1/sentences/{s}")),
        (M::DELETE, format!("/api/v1/sentences/{s}")),
        (M::GET, format!("/api/v1/cases/{c}/events")),
        (M::POST, format!("/api/v1/cases/{c}/events")),
        (M::GET, format!("/api/v1/cases/{c}/events/{e}")),
        (M::GET, "/api/v1/interventions".into()),
        (M::POST, "/api/v1/interventions".into()),
        (M::GET, format!("/api/v1/interventions/{i}")),
        (M::PATCH, format!("/api/v1/interventions/{i}")),
        (M::DELETE, format!("/api/v1/interventions/{i}")),
        (M::PUT, format!("/api/v1/interventions/{i}/cases/{c}")),
        (M::DELETE, format!("/api/v1/interventions/{i}/cases/{c}")),
        (M::GET, "/api/v1/tokens".into()),
        (M::POST, "/api/v1/tokens".into()),
        (M::DELETE, format!("/api/v1/tokens/{tk}")),
        (M::GET, "/api/v1/audit".into()),
        (M::GET, "/api/v1/subscriptions".into()),
        (M::POST, "/api/v1/subscriptions".into()),
        (M::GET, format!("/api/v1/subscriptions/{sub}")),
        (M::DELETE, format!("/api/v1/subscriptions/{sub}")),
        (M::GET, "/api/v1/alerts".into()),
        (M::POST, format!("/api/v1/alerts/{alert}/retry")),
    ];
    routes
}

/// Sends a request that passes authorisation but changes nothing: writes carry an
/// empty (invalid) body and no If-Match.
async fn probe(client: &Client, app: &TestApp, method: &Method, path: &str) -> StatusCode {
    let mut request = client.request(method.clone(), app.url(path));
    if *method != Method::GET {
        request = request.json(&json!({}));
    }
    request.send().await.expect("request").status()
}

fn snapshot(app: &TestApp) -> Vec<i64> {
    [
        "defenders",
        "cases",
        "case_defenders",
        "charges",
        "trials",
        "hearings",
        "sentences",
        "interventions",
        "events",
        "api_tokens",
        "subscribers",
        "subscriptions",
        "alerts",
    ]
    .iter()
    .map(|t| app.count(t))
    .collect()
}

#[tokio::test]
async fn every_api_route_refuses_missing_malformed_unknown_expired_and_revoked_tokens() {
    let app = spawn_app().await;
    let routes = route_table(&app).await;

    let expired = app.token("researcher");
    diesel::sql_query(
        "UPDATE api_tokens SET expires_at = created_at WHERE name = 'Test researcher'",
    )
    .execute(&mut app.db())
    .unwrap();
    let issued = json_body(
        app.post(
            "/api/v1/tokens",
            &json!({"name": "Leaver", "role": "researcher"}),
        )
        .await,
    )
    .await;
    let revoked = issued["token_secret"].as_str().unwrap().to_string();
    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{}", id(&issued)), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let clients: Vec<(&str, Client)> = vec![
        ("none", Client::new()),
        ("basic", client_with_header("Basic YWRtaW46YWRtaW4=")),
        ("empty bearer", client_with_header("Bearer ")),
        ("unknown", client_for("ct_not-a-real-token")),
        ("expired", client_for(&expired)),
        ("revoked", client_for(&revoked)),
    ];
    let before = snapshot(&app);
    for (label, client) in &clients {
        for (method, path) in &routes {
            let response = client
                .request(method.clone(), app.url(path))
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::UNAUTHORIZED,
                "{label}: {method} {path}"
            );
            assert_eq!(
                header(&response, "www-authenticate"),
                "Bearer realm=\"case-tracker\""
            );
            assert_eq!(
                header(&response, "content-type"),
                "application/problem+json"
            );
        }
    }
    assert_eq!(snapshot(&app), before);
    // Outside /api/v1 no token is needed.
    assert_eq!(
        Client::new()
            .get(app.url("/health"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

fn client_with_header(value: &str) -> Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, value.parse().unwrap());
    Client::builder().default_headers(headers).build().unwrap()
}

/// Every route the service answers is in its OpenAPI document, with its method.
#[tokio::test]
async fn the_openapi_document_lists_every_route_of_the_route_table() {
    let app = spawn_app().await;
    let routes = route_table(&app).await;
    let doc = json_body(reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap()).await;
    let paths = doc["paths"].as_object().unwrap();
    let documented = |method: &Method, path: &str| {
        let segments: Vec<&str> = path.split('/').collect();
        paths.iter().any(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(t, s)| t.starts_with('{') || t == s)
                && item[method.as_str().to_lowercase()].is_object()
        })
    };
    for (method, path) in &routes {
        assert!(documented(method, path), "{method} {path} is documented");
    }
    let operations: usize = paths
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    // The route table, plus /health, /ready and the four email-link pages.
    assert_eq!(operations, routes.len() + 6);
}

#[tokio::test]
async fn each_role_may_do_exactly_what_it_is_allowed() {
    let app = spawn_app().await;
    let routes = route_table(&app).await;
    for role in ["admin", "researcher", "advocate", "partner"] {
        let client = app.client_as(role);
        for (method, path) in &routes {
            let admin_only = ["/api/v1/tokens", "/api/v1/audit", "/api/v1/alerts"]
                .iter()
                .any(|p| path.starts_with(p));
            let allowed = match role {
                "admin" => true,
                _ if admin_only => false,
                "researcher" => true,
                "partner" if path.starts_with("/api/v1/subscriptions") => true,
                _ => *method == Method::GET,
            };
            let before = (!allowed).then(|| snapshot(&app));
            let status = probe(&client, &app, method, path).await;
            if allowed {
                assert!(
                    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED,
                    "{role} may {method} {path}, got {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} may not {method} {path}"
                );
                assert_eq!(
                    Some(snapshot(&app)),
                    before,
                    "a refused {method} {path} changed nothing"
                );
            }
        }
    }
}

#[tokio::test]
async fn tokens_are_issued_once_stored_hashed_and_revoked_at_once() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/api/v1/tokens",
            &json!({"name": "Aigerim (researcher)", "role": "researcher"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let issued = json_body(response).await;
    let secret = issued["token_secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("ct_") && secret.len() >= 40, "{secret}");
    assert_eq!(issued["role"], "researcher");
    assert!(issued.get("secret_hash").is_none());

    // The secret is nowhere in the database, only its SHA-256.
    assert_eq!(
        app.count(&format!(
            "api_tokens WHERE secret_hash = '{secret}' OR name = '{secret}'"
        )),
        0
    );
    let hash = case_tracker::auth::hash_secret(&secret);
    assert_eq!(
        app.count(&format!("api_tokens WHERE secret_hash = '{hash}'")),
        1
    );
    let listed = json_body(app.get("/api/v1/tokens").await).await;
    assert!(!listed.to_string().contains(&secret));

    let researcher = client_for(&secret);
    let case = researcher
        .post(app.url("/api/v1/cases"))
        .json(&json!({"title": "Logged by a researcher", "country": "KZ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(case.status(), StatusCode::CREATED);
    let case = json_body(case).await;
    // The history names the token's user.
    assert_eq!(
        app.count(&format!(
            "events WHERE case_id = '{}' AND actor = 'Aigerim (researcher)'",
            id(&case)
        )),
        1
    );

    assert_eq!(
        app.delete(&format!("/api/v1/tokens/{}", id(&issued)), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let after = researcher
        .get(app.url("/api/v1/cases"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        StatusCode::UNAUTHORIZED,
        "revocation takes effect on the next request"
    );

    crate::helpers::assert_invalid(
        app.post(
            "/api/v1/tokens",
            &json!({"name": "", "role": "root", "expires_at": "yesterday"}),
        )
        .await,
        &["expires_at", "name", "role"],
    )
    .await;
    crate::helpers::assert_invalid(
        app.post("/api/v1/tokens", &json!({"name": "P", "role": "partner"}))
            .await,
        &["subscriber"],
    )
    .await;
    crate::helpers::assert_invalid(
        app.post(
            "/api/v1/tokens",
            &json!({"name": "P", "role": "advocate", "expires_at": "2001-01-01T00:00:00Z"}),
        )
        .await,
        &["expires_at"],
    )
    .await;
    let partner = app
        .post(
            "/api/v1/tokens",
            &json!({"name": "Partner NGO", "role": "partner", "subscriber": {"name": "Desk", "email": "desk@ngo.example"}}),
        )
        .await;
    assert_eq!(partner.status(), StatusCode::CREATED);
    assert!(json_body(partner).await["subscriber_id"].is_string());
    assert_eq!(app.count("subscribers WHERE email = 'desk@ngo.example'"), 1);
}

/// A public case with a confidential defender, and a confidential case, each with
/// records; returns (public case, confidential case, confidential defender).
pub(crate) async fn confidential_fixture(app: &TestApp) -> (Value, Value, Value) {
    let public = app
        .create(
            "/api/v1/cases",
            json!({"title": "Trial of Maks Bokayev", "country": "KZ"}),
        )
        .await;
    let known = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Maks Bokayev", "role": "activist", "country": "KZ", "details": "Phone +7 700 000 00 00"}),
        )
        .await;
    let secret_defender = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Witness Zhanargul", "role": "lawyer", "country": "KZ", "confidential": true}),
        )
        .await;
    app.link(id(&public), id(&known)).await;
    app.link(id(&public), id(&secret_defender)).await;
    let p = id(&public);
    app.create(
        &format!("/api/v1/cases/{p}/charges"),
        json!({"defender_id": id(&secret_defender), "legal_basis": "art. 999 secret"}),
    )
    .await;
    app.create(
        &format!("/api/v1/cases/{p}/charges"),
        json!({"defender_id": id(&known), "legal_basis": "art. 174"}),
    )
    .await;
    app.create(
        &format!("/api/v1/cases/{p}/events"),
        json!({"kind": "threat", "occurred_on": "2016-09", "title": "Threatened by unknown callers", "confidential": true}),
    )
    .await;
    app.create(
        &format!("/api/v1/cases/{p}/events"),
        json!({"kind": "arrest", "occurred_on": "2016-05", "title": "Arrested"}),
    )
    .await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{p}/trials"),
            json!({"court": "Atyrau City Court"}),
        )
        .await;
    app.create(
        &format!("/api/v1/trials/{}/hearings", id(&trial)),
        json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau", "observers": "Observer A. (name withheld)"}),
    )
    .await;

    let hidden = app
        .create("/api/v1/cases", json!({"title": "Hidden relocation of Aigul Secretova", "country": "KZ", "confidential": true}))
        .await;
    let h = id(&hidden);
    let hidden_trial = app
        .create(
            &format!("/api/v1/cases/{h}/trials"),
            json!({"court": "Closed court"}),
        )
        .await;
    app.create(
        &format!("/api/v1/trials/{}/hearings", id(&hidden_trial)),
        json!({"scheduled_at": "2016-10-13T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
    )
    .await;
    (public, hidden, secret_defender)
}

async fn get_as(client: &Client, app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = client.get(app.url(path)).send().await.unwrap();
    let status = response.status();
    (status, json_body(response).await)
}

#[tokio::test]
async fn partners_never_see_confidential_records_or_staff_only_fields() {
    let app = spawn_app().await;
    let (public, hidden, secret) = confidential_fixture(&app).await;
    let partner = app.client_as("partner");
    let (p, h, s) = (id(&public), id(&hidden), id(&secret));

    // A confidential case is exactly as missing as an unknown id.
    let (status, body) = get_as(&partner, &app, &format!("/api/v1/cases/{h}")).await;
    let (missing_status, missing) = get_as(
        &partner,
        &app,
        "/api/v1/cases/00000000000000000000000000000000",
    )
    .await;
    assert_eq!(
        (status, missing_status),
        (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND)
    );
    assert_eq!(body, missing);
    // Each record of a confidential case, and a record about a confidential defender
    // in a public one, read by its own id: as found by staff.
    let staff_first = |path: String| {
        let app = &app;
        async move { json_body(app.get(&path).await).await["items"][0].clone() }
    };
    let secret_charge = json_body(app.get(&format!("/api/v1/cases/{p}/charges")).await).await
        ["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["defender_id"] == s)
        .expect("a charge against the confidential defender")
        .clone();
    let hidden_trial = staff_first(format!("/api/v1/cases/{h}/trials")).await;
    let hidden_hearing =
        staff_first(format!("/api/v1/trials/{}/hearings", id(&hidden_trial))).await;
    let (_, unknown_charge) = get_as(
        &partner,
        &app,
        "/api/v1/charges/00000000000000000000000000000000",
    )
    .await;
    let (status, charge) = get_as(
        &partner,
        &app,
        &format!("/api/v1/charges/{}", id(&secret_charge)),
    )
    .await;
    assert_eq!((status, &charge), (StatusCode::NOT_FOUND, &unknown_charge));
    for path in [
        format!("/api/v1/cases/{h}/events"),
        format!("/api/v1/cases/{h}/trials"),
        format!("/api/v1/cases/{h}/charges"),
        format!("/api/v1/defenders/{s}"),
        format!("/api/v1/defenders/{s}/cases"),
        format!("/api/v1/defenders/{s}/events"),
        format!("/api/v1/trials/{}", id(&hidden_trial)),
        format!("/api/v1/trials/{}/hearings", id(&hidden_trial)),
        format!("/api/v1/hearings/{}", id(&hidden_hearing)),
    ] {
        assert_eq!(
            get_as(&partner, &app, &path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }

    // Lists, searches and the calendar leave them out.
    let (_, cases) = get_as(&partner, &app, "/api/v1/cases").await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 1);
    for q in ["Secretova", "relocation", "Zhanargul", "999", "threatened"] {
        let (status, found) = get_as(&partner, &app, &format!("/api/v1/cases?q={q}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(found["items"], json!([]), "partner search for {q}");
    }
    for q in ["Zhanargul", "threatened"] {
        let (_, staff_search) = get_as(&app.client, &app, &format!("/api/v1/cases?q={q}")).await;
        assert_eq!(
            staff_search["items"].as_array().unwrap().len(),
            1,
            "staff find {q}"
        );
    }
    let (_, defenders) = get_as(&partner, &app, "/api/v1/defenders").await;
    let names: Vec<&str> = defenders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Maks Bokayev"]);
    assert!(
        defenders["items"][0].get("details").is_none(),
        "staff-only field"
    );
    let (_, calendar) = get_as(&partner, &app, "/api/v1/hearings").await;
    let items = calendar["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["case_id"], public["id"]);
    assert!(items[0].get("observers").is_none());
    assert_eq!(items[0]["defenders"][0]["name"], "Maks Bokayev");
    assert_eq!(
        items[0]["defenders"].as_array().unwrap().len(),
        1,
        "not the confidential one"
    );
    let (_, staff_calendar) = get_as(&app.client, &app, "/api/v1/hearings").await;
    assert_eq!(
        staff_calendar["items"][0]["defenders"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let (_, interventions) =
        get_as(&partner, &app, &format!("/api/v1/interventions?case={h}")).await;
    assert_eq!(interventions["items"], json!([]));

    // The public case, without the confidential defender and what names them.
    let (status, case) = get_as(&partner, &app, &format!("/api/v1/cases/{p}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(case["defenders"].as_array().unwrap().len(), 1);
    assert!(case["defenders"][0].get("details").is_none());
    assert_eq!(case["charges"].as_array().unwrap().len(), 1);
    assert!(!case.to_string().contains("Zhanargul") && !case.to_string().contains("art. 999"));
    assert!(case["trials"][0]["hearings"][0].get("observers").is_none());
    let (_, history) = get_as(
        &partner,
        &app,
        &format!("/api/v1/cases/{p}/events?limit=200"),
    )
    .await;
    let text = history.to_string();
    assert!(
        !text.contains("Zhanargul")
            && !text.contains("Threatened")
            && !text.contains("art. 999")
            && !text.contains("withheld"),
        "{text}"
    );
    assert!(text.contains("Arrested"));
    let (_, charges) = get_as(&partner, &app, &format!("/api/v1/cases/{p}/charges")).await;
    assert_eq!(charges["items"].as_array().unwrap().len(), 1);

    // Staff see all of it.
    let (_, staff_case) = get_as(&app.client, &app, &format!("/api/v1/cases/{p}")).await;
    assert_eq!(staff_case["defenders"].as_array().unwrap().len(), 2);
    assert_eq!(
        staff_case["defenders"][0]["details"],
        "Phone +7 700 000 00 00"
    );
    let advocate = app.client_as("advocate");
    assert_eq!(
        get_as(&advocate, &app, &format!("/api/v1/cases/{h}"))
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn refused_writes_change_nothing() {
    let app = spawn_app().await;
    let case = app.create_case("Case").await;
    let path = format!("/api/v1/cases/{}", id(&case));
    for role in ["advocate", "partner"] {
        let client = app.client_as(role);
        let response = client
            .patch(app.url(&path))
            .header("If-Match", "\"1\"")
            .json(&json!({"title": "Changed", "confidential": true}))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;
    }
    // Nobody sets what the service owns.
    let response = app
        .patch(
            &path,
            Some("\"1\""),
            &json!({"version": 7, "created_at": "2000-01-01T00:00:00Z"}),
        )
        .await;
    crate::helpers::assert_invalid(response, &["created_at", "version"]).await;
    let now = json_body(app.get(&path).await).await;
    assert_eq!(
        (
            now["title"].as_str(),
            now["version"].as_i64(),
            now["confidential"].as_bool()
        ),
        (Some("Case"), Some(1), Some(false))
    );
}

#[tokio::test]
async fn writes_and_confidential_reads_are_audited_in_an_append_only_log() {
    let app = spawn_app().await;
    let (_, hidden, _) = confidential_fixture(&app).await;
    let advocate = app.client_as("advocate");
    assert_eq!(
        get_as(&advocate, &app, &format!("/api/v1/cases/{}", id(&hidden)))
            .await
            .0,
        StatusCode::OK
    );
    let forbidden = advocate
        .post(app.url("/api/v1/cases"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    let (status, log) = get_as(&app.client, &app, "/api/v1/audit?limit=200").await;
    assert_eq!(status, StatusCode::OK);
    let entries = log["items"].as_array().unwrap();
    let read = entries
        .iter()
        .find(|e| e["resource"] == format!("case {}", id(&hidden)))
        .expect("the confidential read is logged");
    assert_eq!(read["actor"], "Test advocate");
    assert_eq!(read["role"], "advocate");
    assert_eq!(read["client_ip"], "127.0.0.1");
    assert!(entries
        .iter()
        .any(|e| e["action"] == "POST /api/v1/cases" && e["status"] == 403));
    assert!(entries.iter().any(|e| e["action"] == "POST /api/v1/cases"
        && e["status"] == 201
        && e["actor"] == "Test Admin"));

    let mut conn = app.db();
    assert!(diesel::sql_query("UPDATE audit_log SET actor = 'nobody'")
        .execute(&mut conn)
        .is_err());
    assert!(diesel::sql_query("DELETE FROM audit_log")
        .execute(&mut conn)
        .is_err());
}

/// Every path by which staff reach a confidential record leaves one audit row per
/// confidential record read, naming it.
#[tokio::test]
async fn confidential_records_read_through_lists_histories_and_child_records_are_audited() {
    let app = spawn_app().await;
    let (public, hidden, secret_defender) = confidential_fixture(&app).await;
    let (p, h, d) = (id(&public), id(&hidden), id(&secret_defender));
    let charges = json_body(app.get(&format!("/api/v1/cases/{p}/charges")).await).await;
    let secret_charge = charges["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["defender_id"] == d)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let events = json_body(
        app.get(&format!("/api/v1/cases/{p}/events?kind=threat"))
            .await,
    )
    .await;
    let secret_event = events["items"][0]["id"].as_str().unwrap().to_string();
    let hidden_trial = json_body(app.get(&format!("/api/v1/cases/{h}/trials")).await).await
        ["items"][0]["id"]
        .as_str()
        .map(str::to_string);

    let researcher = app.client_as("researcher");
    let paths = [
        ("/api/v1/cases".to_string(), vec![format!("case {h}")]),
        (
            "/api/v1/cases?q=Secretova".to_string(),
            vec![format!("case {h}")],
        ),
        (
            "/api/v1/defenders".to_string(),
            vec![format!("defender {d}")],
        ),
        (
            format!("/api/v1/defenders/{d}/cases"),
            vec![format!("defender {d}")],
        ),
        (
            format!("/api/v1/cases/{p}/charges"),
            vec![format!("defender {d}")],
        ),
        (
            format!("/api/v1/charges/{secret_charge}"),
            vec![format!("defender {d}")],
        ),
        (
            format!("/api/v1/cases/{p}/events"),
            vec![format!("event {secret_event}")],
        ),
        (
            format!("/api/v1/cases/{p}/events/{secret_event}"),
            vec![format!("event {secret_event}")],
        ),
        (
            format!("/api/v1/cases/{h}/events"),
            vec![format!("case {h}")],
        ),
        (
            format!("/api/v1/cases/{h}/trials"),
            vec![format!("case {h}")],
        ),
        (
            "/api/v1/hearings?from=2016-01-01".to_string(),
            vec![format!("defender {d}")],
        ),
    ];
    for (path, expected) in paths {
        let before = app.count("audit_log");
        let response = researcher.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let log = json_body(
            app.get("/api/v1/audit?actor=Test%20researcher&limit=200")
                .await,
        )
        .await;
        let resources: Vec<String> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == format!("GET {}", path.split('?').next().unwrap()))
            .filter_map(|e| e["resource"].as_str().map(str::to_string))
            .collect();
        for record in &expected {
            assert!(
                resources.contains(record),
                "GET {path} logs {record}: {resources:?}"
            );
        }
        assert!(app.count("audit_log") > before, "GET {path} is audited");
    }
    if let Some(trial) = hidden_trial {
        let response = researcher
            .get(app.url(&format!("/api/v1/trials/{trial}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            app.count(&format!(
                "audit_log WHERE action = 'GET /api/v1/trials/{trial}' AND resource = 'case {h}'"
            )),
            1
        );
    }
    // Reading only public records leaves no trace of a confidential read.
    let before = app.count("audit_log");
    let other = app.create_case("Open case").await;
    let after_create = app.count("audit_log");
    assert_eq!(after_create, before + 1, "the write is audited");
    let response = researcher
        .get(app.url(&format!("/api/v1/cases/{}/charges", id(&other))))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.count("audit_log"), after_create);
}

#[tokio::test]
async fn tokens_are_rate_limited_and_failed_logins_throttled() {
    let app = spawn_app_with(|s| {
        s.security.rate_limit_per_minute = 60;
        s.security.rate_limit_burst = 3;
        s.security.auth_failures_per_minute = 3;
    })
    .await;
    for _ in 0..3 {
        assert_eq!(
            app.get("/api/v1/countries/KZ").await.status(),
            StatusCode::OK
        );
    }
    let limited = app.get("/api/v1/countries/KZ").await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = header(&limited, "retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS).await;

    let stranger = client_for("ct_guessing");
    for _ in 0..3 {
        assert_eq!(
            stranger
                .get(app.url("/api/v1/cases"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The address is now throttled, whatever it presents.
    let fresh = client_for(&app.token("researcher"));
    let throttled = fresh.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn a_change_to_a_staff_only_field_stays_out_of_what_partners_read_of_the_story() {
    let app = spawn_app().await;
    let case = app.create_case("Trial of a journalist").await;
    let trial = crate::trials::create_trial(&app, id(&case), "Atyrau City Court").await;
    let hearing = app
        .create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await;
    let changed = app
        .patch(
            &format!("/api/v1/hearings/{}", id(&hearing)),
            Some("\"1\""),
            &json!({"observers": "Observer A. (name withheld)", "status": "held"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let history = format!("/api/v1/cases/{}/events?order=desc&limit=1", id(&case));

    let (_, staff) = get_as(&app.client, &app, &history).await;
    assert_eq!(staff["items"][0]["kind"], "hearing_status_changed");
    let changes = &staff["items"][0]["changes"];
    assert_eq!(changes["observers"]["new"], "Observer A. (name withheld)");
    assert_eq!(changes["status"]["new"], "held");

    let partner = client_for(&app.token("partner"));
    let (status, seen) = get_as(&partner, &app, &history).await;
    assert_eq!(status, StatusCode::OK);
    let changes = &seen["items"][0]["changes"];
    assert_eq!(
        changes["status"]["new"], "held",
        "the rest of the change is there"
    );
    assert!(changes.get("observers").is_none(), "{seen}");
    assert!(!seen.to_string().contains("withheld"));
    let (_, event) = get_as(
        &partner,
        &app,
        &format!(
            "/api/v1/cases/{}/events/{}",
            id(&case),
            id(&seen["items"][0])
        ),
    )
    .await;
    assert!(event["changes"].get("observers").is_none(), "{event}");
    assert_eq!(event["changes"]["status"]["new"], "held");
    // The hearing itself: the field is absent for the partner, present for staff.
    let path = format!("/api/v1/hearings/{}", id(&hearing));
    let (_, theirs) = get_as(&partner, &app, &path).await;
    assert!(theirs.get("observers").is_none() && theirs["status"] == "held");
    let (_, ours) = get_as(&app.client, &app, &path).await;
    assert_eq!(ours["observers"], "Observer A. (name withheld)");
}
