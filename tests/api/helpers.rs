//! Spawns the real application on a free port, on SQLite (a temporary file) or, when
//! TEST_POSTGRES_URL is set, on a fresh PostgreSQL database dropped afterwards.

use case_tracker::configuration::{get_configuration, LogSettings};
use case_tracker::db::{ConnectionManager, DatabaseUrl, DbConnection};
use case_tracker::startup::Application;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::sync::Once;

static TRACING: Once = Once::new();

/// The per-test database, removed when the test ends.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name } = self {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub settings: case_tracker::configuration::Settings,
    pub _mail_dir: tempfile::TempDir,
    pub client: reqwest::Client,
    pub database_url: String,
    // Dropped last: the database outlives the server's connections.
    pub _database: TestDatabase,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn backend_is_postgres() -> bool {
    std::env::var("TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty())
}

/// A new, empty database: its URL, and the guard that removes it.
pub fn test_database() -> (String, TestDatabase) {
    match std::env::var("TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("case_tracker_test_{}", uuid::Uuid::new_v4().simple());
            let mut conn = PgConnection::establish(&admin_url).unwrap_or_else(|e| {
                panic!("TEST_POSTGRES_URL is set but PostgreSQL is not reachable: {e}")
            });
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create the test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
            url.set_path(&name);
            (url.to_string(), TestDatabase::Postgres { admin_url, name })
        }
        _ => {
            let dir = tempfile::tempdir().expect("temporary directory");
            let path = dir.path().join("test.db");
            (
                format!("sqlite://{}", path.display()),
                TestDatabase::Sqlite(dir),
            )
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Spawns the app after `customise` has adjusted the settings.
pub async fn spawn_app_with(
    customise: impl FnOnce(&mut case_tracker::configuration::Settings),
) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            case_tracker::telemetry::init(&LogSettings {
                level: "debug".into(),
                format: case_tracker::configuration::LogFormat::Pretty,
            });
        }
    });
    let (database_url, database) = test_database();
    let mut settings = get_configuration().expect("configuration");
    settings.application.host = "127.0.0.1".into();
    settings.application.port = 0;
    settings.application.base_url = "http://test.invalid".into();
    settings.database.url = database_url.clone();
    settings.database.pool_size = 4;
    // Tests make many requests quickly; the limits have tests of their own.
    settings.security.rate_limit_per_minute = 1_000_000;
    settings.security.rate_limit_burst = 100_000;
    settings.security.auth_failures_per_minute = 100_000;
    // Tests that deliver alerts start a worker against their own SMTP server.
    settings.alerts.worker = false;
    let mail_dir = tempfile::tempdir().expect("temporary mail directory");
    settings.alerts.mail_dir = mail_dir.path().display().to_string();
    customise(&mut settings);
    let app = Application::build(settings.clone())
        .await
        .expect("build the application");
    let port = app.port();
    tokio::spawn(app.run_until_stopped());
    let admin_token = issue_token(&database_url, "admin", "Test Admin", None);
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        settings,
        _mail_dir: mail_dir,
        client: client_for(&admin_token),
        database_url,
        _database: database,
    }
}

/// A client that sends `token` as its bearer token.
pub fn client_for(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}")).expect("header");
    headers.insert(reqwest::header::AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Issues a token straight into the database, as the `token create` command does.
pub fn issue_token(database_url: &str, role: &str, name: &str, email: Option<&str>) -> String {
    let url = DatabaseUrl::parse(database_url).expect("database url");
    let mut conn = ConnectionManager::new(url, 5000)
        .establish()
        .expect("connect");
    let mut body = json!({ "name": name, "role": role });
    if let Some(email) = email {
        body["subscriber"] = json!({ "name": name, "email": email });
    }
    let request = case_tracker::http::parse_body(body).expect("a valid token request");
    let subscriber = case_tracker::subscriptions::store::subscriber_of(&mut conn, &request)
        .expect("the token's subscriber");
    case_tracker::auth::store::issue(&mut conn, request, subscriber, "test")
        .expect("issue a token")
        .token_secret
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// A token of `role` (partners get a subscriber of their own).
    pub fn token(&self, role: &str) -> String {
        let email = format!("{}@partners.example", uuid::Uuid::new_v4().simple());
        let email = (role == "partner").then_some(email.as_str());
        issue_token(&self.database_url, role, &format!("Test {role}"), email)
    }

    /// A client acting with a new token of `role`.
    pub fn client_as(&self, role: &str) -> reqwest::Client {
        client_for(&self.token(role))
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    pub async fn put(&self, path: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("PUT")
    }

    pub async fn patch(&self, path: &str, etag: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.patch(self.url(path)).json(body);
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.expect("PATCH")
    }

    pub async fn delete(&self, path: &str, etag: Option<&str>) -> Response {
        let mut request = self.client.delete(self.url(path));
        if let Some(etag) = etag {
            request = request.header("If-Match", etag);
        }
        request.send().await.expect("DELETE")
    }

    /// GETs a resource and returns its ETag.
    pub async fn etag(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        header(&response, "etag")
    }

    /// POSTs and expects 201; returns the created resource.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let response = self.post(path, &body).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        assert_eq!(status, StatusCode::CREATED, "POST {path} {body}: {text}");
        serde_json::from_str(&text).expect("JSON")
    }

    pub async fn create_defender(&self, name: &str) -> Value {
        self.create(
            "/api/v1/defenders",
            json!({"name": name, "role": "activist", "country": "KZ"}),
        )
        .await
    }

    pub async fn create_case(&self, title: &str) -> Value {
        self.create("/api/v1/cases", json!({"title": title, "country": "KZ"}))
            .await
    }

    pub async fn link(&self, case_id: &str, defender_id: &str) {
        let response = self
            .put(
                &format!("/api/v1/cases/{case_id}/defenders/{defender_id}"),
                &json!({"role": "defendant"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    /// A case with one linked defender: (case, defender).
    pub async fn case_with_defender(&self) -> (Value, Value) {
        let case = self.create_case("Trial of Maks Bokayev").await;
        let defender = self.create_defender("Maks Bokayev").await;
        self.link(id(&case), id(&defender)).await;
        (case, defender)
    }

    /// A direct connection to the app's database, to check what a request left there.
    pub fn db(&self) -> DbConnection {
        let url = DatabaseUrl::parse(&self.database_url).expect("database url");
        ConnectionManager::new(url, 5000)
            .establish()
            .expect("connect to the test database")
    }

    pub fn count(&self, sql_from_where: &str) -> i64 {
        let mut conn = self.db();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {sql_from_where}"))
            .get_result::<Count>(&mut conn)
            .expect("count query")
            .n
    }
}

pub fn id(value: &Value) -> &str {
    value["id"].as_str().expect("an id")
}

pub fn header(response: &Response, name: &str) -> String {
    response
        .headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .expect("ASCII header")
        .to_string()
}

pub async fn json_body(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts a problem+json response with `status`; returns the body.
pub async fn assert_problem(response: Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        header(&response, "content-type"),
        "application/problem+json"
    );
    let body = json_body(response).await;
    assert_eq!(body["status"], status.as_u16());
    assert!(body["type"].is_string() && body["title"].is_string() && body["detail"].is_string());
    body
}

/// Asserts a 422 naming exactly `fields` (in any order).
pub async fn assert_invalid(response: Response, fields: &[&str]) -> Value {
    let body = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let mut named: Vec<String> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect();
    named.sort();
    named.dedup();
    let mut expected: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
    expected.sort();
    assert_eq!(named, expected, "{body}");
    body
}

/// Follows next_cursor with `limit` and returns all ids in order.
pub async fn collect_pages(app: &TestApp, path: &str, limit: usize) -> Vec<String> {
    collect_pages_by(app, path, limit, "id").await
}

/// Follows next_cursor with `limit` and returns the `key` of every item in order.
pub async fn collect_pages_by(app: &TestApp, path: &str, limit: usize, key: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let separator = if path.contains('?') { '&' } else { '?' };
    let mut url = format!("{path}{separator}limit={limit}");
    loop {
        let response = app.get(&url).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {url}");
        let page = json_body(response).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= limit);
        ids.extend(
            items
                .iter()
                .map(|i| i[key].as_str().expect("key").to_string()),
        );
        match page["next_cursor"].as_str() {
            // The next page's cursor replaces the one `path` may start from.
            Some(cursor) => url = format!("{}limit={limit}&cursor={cursor}", without_cursor(path)),
            None => break,
        }
    }
    ids
}

/// `path` without its `cursor` parameter, ready for more parameters.
fn without_cursor(path: &str) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let kept: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("cursor="))
        .collect();
    let mut out = format!("{base}?");
    for parameter in kept {
        out.push_str(parameter);
        out.push('&');
    }
    out
}

/// One change record as the write left it in the `events` table.
#[derive(Debug, QueryableByName)]
pub struct ChangeRow {
    #[diesel(sql_type = Text)]
    pub case_id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub record_type: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub record_id: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub changes: Option<String>,
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Text)]
    pub defender_ids: String,
}

impl ChangeRow {
    /// The `changes` column parsed: field -> {"old": .., "new": ..} (null when none).
    pub fn changes(&self) -> Value {
        serde_json::from_str(self.changes.as_deref().unwrap_or("null")).expect("changes are JSON")
    }
}

/// The change records matching an SQL condition on `events`, oldest first.
pub fn change_records_where(app: &TestApp, condition: &str) -> Vec<ChangeRow> {
    let mut conn = app.db();
    diesel::sql_query(format!(
        "SELECT case_id, kind, title, record_type, record_id, changes, actor, defender_ids \
         FROM events WHERE {condition} ORDER BY recorded_at, id"
    ))
    .load::<ChangeRow>(&mut conn)
    .expect("change records")
}

/// The change records about one record (a charge, a hearing, ...), oldest first.
pub fn change_records(app: &TestApp, record_id: &str) -> Vec<ChangeRow> {
    assert!(record_id.chars().all(|c| c.is_ascii_alphanumeric()));
    change_records_where(app, &format!("record_id = '{record_id}'"))
}

/// The kinds of the change records about one record, oldest first.
pub fn change_kinds(app: &TestApp, record_id: &str) -> Vec<String> {
    change_records(app, record_id)
        .into_iter()
        .map(|r| r.kind)
        .collect()
}
