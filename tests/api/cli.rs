//! The command line: migrate, token create and revoke, healthcheck (audit verify is
//! tested in `audit`).

use crate::helpers::{client_for, spawn_app};
use reqwest::StatusCode;
use std::process::{Command, Output};

pub fn run(database_url: &str, args: &[&str], port: Option<u16>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_case-tracker"));
    command
        .args(args)
        .env("APP_DATABASE__URL", database_url)
        .env("APP_LOG__LEVEL", "warn");
    if let Some(port) = port {
        command.env("APP_APPLICATION__PORT", port.to_string());
    }
    command.output().expect("run the command")
}

#[test]
fn migrate_creates_a_database_with_every_country_even_where_the_service_may_not_migrate() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/nested/fresh.db", dir.path().display());
    // The setting that keeps the service from migrating does not stop the command.
    let output = Command::new(env!("CARGO_BIN_EXE_case-tracker"))
        .arg("migrate")
        .env("APP_DATABASE__URL", &url)
        .env("APP_DATABASE__MIGRATE", "false")
        .env("APP_LOG__LEVEL", "warn")
        .output()
        .expect("run the command");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let url = case_tracker::db::DatabaseUrl::parse(&url).unwrap();
    let mut conn = case_tracker::db::ConnectionManager::new(url, 1000)
        .establish()
        .unwrap();
    let countries = case_tracker::countries::store::list(&mut conn, None, 1000).unwrap();
    assert_eq!(countries.len(), 249);
}

#[tokio::test]
async fn tokens_are_created_and_revoked_from_the_command_line() {
    let app = spawn_app().await;
    let created = run(
        &app.database_url,
        &["token", "create", "--role", "advocate", "--name", "Dana"],
        None,
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let secret = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    let said = String::from_utf8(created.stderr).unwrap();
    let token_id = said
        .split_whitespace()
        .skip_while(|w| *w != "token")
        .nth(1)
        .expect("the token id is printed")
        .to_string();
    let dana = client_for(&secret);
    assert_eq!(
        dana.get(app.url("/api/v1/cases"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let revoked = run(&app.database_url, &["token", "revoke", &token_id], None);
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    // Another process revoked it: the server stops accepting it once its cached
    // lookup expires (security.token_cache_ms), not later.
    let ttl = std::time::Duration::from_millis(app.settings.security.token_cache_ms);
    let revoked_at = std::time::Instant::now();
    loop {
        let status = dana
            .get(app.url("/api/v1/cases"))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            revoked_at.elapsed() < ttl + std::time::Duration::from_secs(2),
            "a token revoked elsewhere still works after {:?}",
            revoked_at.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Bad input is refused and nothing is issued.
    let before = app.count("api_tokens");
    for args in [
        &["token", "create", "--role", "partner", "--name", "No email"][..],
        &["token", "create", "--role", "root", "--name", "X"][..],
        &["token", "revoke", "no-such-token"][..],
    ] {
        let output = run(&app.database_url, args, None);
        assert!(!output.status.success(), "{args:?} should fail");
    }
    assert_eq!(app.count("api_tokens"), before);
}

#[tokio::test]
async fn healthcheck_exits_zero_only_when_the_server_answers() {
    let app = spawn_app().await;
    let port: u16 = app.address.rsplit(':').next().unwrap().parse().unwrap();
    // Off the test's runtime thread: the server under test answers on that runtime.
    let url = app.database_url.clone();
    let up = tokio::task::spawn_blocking(move || run(&url, &["healthcheck"], Some(port)))
        .await
        .unwrap();
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    // A port nothing listens on.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = free.local_addr().unwrap().port();
    drop(free);
    assert!(!run(&app.database_url, &["healthcheck"], Some(closed))
        .status
        .success());
}

/// A free port on the loopback interface.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Every log line of a request belongs to its span: the request id (the client's
/// `X-Request-Id` kept, else a new one), the user, the role and the client address.
#[tokio::test]
async fn each_request_logs_in_one_span_with_its_id_user_role_and_address() {
    let app = spawn_app().await;
    let token =
        crate::helpers::issue_token(&app.database_url, "researcher", "Rita Researcher", None);
    let port = free_port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_case-tracker"))
        .arg("serve")
        .env("APP_DATABASE__URL", &app.database_url)
        .env("APP_APPLICATION__PORT", port.to_string())
        .env("APP_ALERTS__WORKER", "false")
        .env(
            "APP_ALERTS__MAIL_DIR",
            app.settings.alerts.mail_dir.as_str(),
        )
        .env("APP_LOG__FORMAT", "json")
        .env("APP_LOG__LEVEL", "info")
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..100 {
        if reqwest::get(format!("{base}/health")).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server answers");
    let client = client_for(&token);
    let kept = client
        .post(format!("{base}/api/v1/cases"))
        .header("X-Request-Id", "trace-4711")
        .json(&serde_json::json!({"title": "Logged", "country": "KZ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), StatusCode::CREATED);
    assert_eq!(kept.headers()["x-request-id"], "trace-4711");
    // An id that is not a plain token is replaced, not echoed.
    let replaced = client
        .get(format!("{base}/api/v1/cases"))
        .header("X-Request-Id", "bad id\twith spaces")
        .send()
        .await
        .unwrap();
    let new_id = replaced.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(new_id.len() >= 32 && !new_id.contains(' '), "{new_id}");

    let _ = server.kill();
    let output = server.wait_with_output().expect("the server's logs");
    let logs = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let traced: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| l["span"]["request_id"] == "trace-4711")
        .collect();
    assert!(!traced.is_empty(), "{logs}");
    let done = traced
        .iter()
        .find(|l| l["message"] == "request")
        .unwrap_or_else(|| panic!("the request line: {logs}"));
    assert_eq!(done["status"], 201);
    assert_eq!(done["span"]["user"], "Rita Researcher");
    assert_eq!(done["span"]["role"], "researcher");
    assert_eq!(done["span"]["client_ip"], "127.0.0.1");
    assert_eq!(done["span"]["method"], "POST");
    assert!(lines
        .iter()
        .any(|l| l["span"]["request_id"] == new_id.as_str() && l["message"] == "request"));
}
