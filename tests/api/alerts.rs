//! Subscriptions and alert emails, delivered over real SMTP to a server on loopback.

use crate::helpers::{
    assert_invalid, assert_problem, client_for, header, id, json_body, spawn_app_with, TestApp,
};
use crate::smtp::{MailSink, Received};
use case_tracker::alerts::worker::Worker;
use case_tracker::configuration::{Settings, SmtpSecurity};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

/// Points the alert settings at `sink`, with short intervals so tests run quickly.
fn mail_to(settings: &mut Settings, sink: &MailSink, worker: bool) {
    settings.alerts.worker = worker;
    settings.alerts.poll_interval_ms = 50;
    settings.alerts.retry_base_ms = 100;
    settings.alerts.retry_max_ms = 400;
    settings.alerts.from = "Case Tracker <alerts@tracker.test>".into();
    settings.alerts.smtp.host = "127.0.0.1".into();
    settings.alerts.smtp.port = sink.port();
    settings.alerts.smtp.security = SmtpSecurity::None;
    settings.alerts.smtp.timeout_ms = 2000;
}

/// An app whose own worker delivers to a fresh SMTP sink.
async fn mail_app(customise: impl FnOnce(&mut Settings)) -> (TestApp, MailSink) {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| {
        mail_to(s, &sink, true);
        customise(s);
    })
    .await;
    (app, sink)
}

/// A worker of our own on the app's database (the app's own is off).
fn worker(app: &TestApp) -> Worker {
    let db =
        case_tracker::startup::open_database(&app.settings.database).expect("connect the worker");
    Worker::new(
        db,
        app.settings.alerts.clone(),
        &app.settings.application.base_url,
    )
    .expect("a worker")
}

/// The path of the first link in `text` that starts with `prefix` (base URL + path).
fn link_path(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    let link: String = text[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect();
    link.trim_start_matches("http://test.invalid").to_string()
}

/// Confirms an address by its emailed link: the page first, then its button.
async fn confirm_from_email(app: &TestApp, message: &Received) {
    let path = link_path(&message.text(), "http://test.invalid/confirm/");
    let page = reqwest::get(app.url(&path)).await.expect("GET confirm");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("page");
    let token = path.rsplit('/').next().expect("a token");
    assert!(
        html.contains("<form method=\"post\"") && html.contains(token),
        "{html}"
    );
    let done = reqwest::Client::new()
        .post(app.url(&path))
        .send()
        .await
        .expect("POST confirm");
    assert_eq!(done.status(), StatusCode::OK);
}

/// A partner with its own token that follows `target` and has confirmed its address.
async fn confirmed_partner(
    app: &TestApp,
    sink: &MailSink,
    target: Value,
) -> (reqwest::Client, String, Value) {
    let email = format!("{}@partners.example", uuid::Uuid::new_v4().simple());
    let token =
        crate::helpers::issue_token(&app.database_url, "partner", "Partner NGO", Some(&email));
    let partner = client_for(&token);
    let response = partner
        .post(app.url("/api/v1/subscriptions"))
        .json(&target)
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);
    let subscription = json_body(response).await;
    assert_eq!(subscription["subscriber"]["confirmed"], false);
    let confirmation = wait_for_mail(sink, &email, 1).await.remove(0);
    assert_eq!(
        confirmation.subject(),
        "Confirm your address for case alerts"
    );
    assert_eq!(confirmation.header("List-Unsubscribe"), None);
    confirm_from_email(app, &confirmation).await;
    (partner, email, subscription)
}

async fn wait_for_mail(sink: &MailSink, address: &str, n: usize) -> Vec<Received> {
    let deadline = Instant::now() + WAIT;
    loop {
        let messages = sink.messages_to(address);
        if messages.len() >= n {
            return messages;
        }
        assert!(
            Instant::now() < deadline,
            "{address} got {} of {n} emails",
            messages.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until no alert is pending (the worker has done all it can).
async fn wait_until_settled(app: &TestApp) {
    let deadline = Instant::now() + WAIT;
    while app.count("alerts WHERE status = 'pending'") > 0 {
        assert!(Instant::now() < deadline, "alerts still pending");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A few more worker passes, to see that nothing else is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Confirms every address waiting for it, through its link (read from the database,
/// as no worker sent the email).
async fn confirm_pending(app: &TestApp) {
    let tokens: Vec<Option<String>> = {
        use case_tracker::schema::subscribers::dsl::*;
        subscribers
            .select(confirmation_token)
            .load(&mut app.db())
            .expect("tokens")
    };
    for token in tokens.into_iter().flatten() {
        let response = reqwest::Client::new()
            .post(app.url(&format!("/confirm/{token}")))
            .send()
            .await
            .expect("confirm");
        assert_eq!(response.status(), StatusCode::OK);
    }
}

async fn log_event(app: &TestApp, case_id: &str, title: &str) -> Value {
    app.create(
        &format!("/api/v1/cases/{case_id}/events"),
        json!({"kind": "note", "occurred_on": "2026-11", "title": title}),
    )
    .await
}

async fn demo_case(app: &TestApp) -> (String, String) {
    let db = case_tracker::startup::open_database(&app.settings.database).expect("connect");
    case_tracker::demo::load(&db, "demo").expect("load the demo");
    let cases = json_body(app.get("/api/v1/cases?q=Bokayev").await).await;
    let case = cases["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["title"] == case_tracker::demo::MAIN_CASE_TITLE)
        .expect("the demo case")
        .clone();
    let trials = json_body(
        app.get(&format!("/api/v1/cases/{}/trials", id(&case)))
            .await,
    )
    .await;
    let trial = trials["items"][0]["id"]
        .as_str()
        .expect("a trial")
        .to_string();
    (id(&case).to_string(), trial)
}

#[tokio::test]
async fn a_partner_follows_the_demo_case_gets_one_email_for_a_new_hearing_and_unsubscribes_with_one_click(
) {
    let (app, sink) = mail_app(|_| {}).await;
    let (case_id, trial_id) = demo_case(&app).await;
    let (partner, email, subscription) =
        confirmed_partner(&app, &sink, json!({"case_id": case_id})).await;

    let researcher = app.client_as("researcher");
    let hearing = researcher
        .post(app.url(&format!("/api/v1/trials/{trial_id}/hearings")))
        .json(&json!({
            "scheduled_at": "2027-03-01T10:00:00+05:00",
            "time_zone": "Asia/Atyrau",
            "observers": "Observer whose name is staff-only"
        }))
        .send()
        .await
        .expect("POST hearing");
    assert_eq!(hearing.status(), StatusCode::CREATED);
    wait_until_settled(&app).await;

    let alerts = wait_for_mail(&sink, &email, 2).await;
    assert_eq!(alerts.len(), 2, "the confirmation and exactly one alert");
    let alert = &alerts[1];
    assert_eq!(alert.to, vec![email.clone()]);
    assert_eq!(alert.from, "alerts@tracker.test");
    let subject = alert.subject();
    assert!(subject.starts_with("[Kazakhstan] "), "{subject}");
    assert!(
        subject.contains(case_tracker::demo::MAIN_CASE_TITLE),
        "{subject}"
    );
    assert!(
        subject.contains("Hearing scheduled for 2027-03-01 10:00 (Asia/Atyrau)"),
        "{subject}"
    );
    let case_url = format!("http://test.invalid/api/v1/cases/{case_id}");
    for part in [alert.text(), alert.html()] {
        assert!(part.contains(&case_url), "{part}");
        assert!(part.contains("you follow the case"), "{part}");
        assert!(
            !part.contains("staff-only"),
            "a staff-only field leaked: {part}"
        );
        assert!(part.contains("/unsubscribe/"), "{part}");
    }
    let sent = json_body(
        app.get(&format!("/api/v1/alerts?status=sent&case={case_id}"))
            .await,
    )
    .await;
    let sent = sent["items"].as_array().expect("items");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["kind"], "event");
    assert_eq!(sent[0]["attempts"], 1);
    assert_eq!(
        alert.message_id(),
        format!("alert.{}@tracker.test", sent[0]["id"].as_str().expect("id"))
    );
    assert_eq!(
        alert.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    assert_eq!(
        alert.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );

    // RFC 8058: the mail client POSTs to the List-Unsubscribe address. A browser
    // first gets a page that says what the link ends, and changes nothing.
    let list_unsubscribe = alert.header("List-Unsubscribe").expect("List-Unsubscribe");
    let path = link_path(&list_unsubscribe, "http://test.invalid/unsubscribe/");
    let page = reqwest::get(app.url(&path)).await.expect("GET unsubscribe");
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("page");
    assert!(page.contains("you follow the case"), "{page}");
    assert_eq!(app.count("subscriptions WHERE cancelled_at IS NOT NULL"), 0);
    let one_click = reqwest::Client::new()
        .post(app.url(&path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one-click unsubscribe");
    assert_eq!(one_click.status(), StatusCode::OK);
    let gone = partner
        .get(app.url(&format!("/api/v1/subscriptions/{}", id(&subscription))))
        .send()
        .await
        .expect("GET");
    assert_problem(gone, StatusCode::NOT_FOUND).await;
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{}' AND cancelled_by = 'unsubscribe link'",
            id(&subscription)
        )),
        1
    );
    assert_eq!(app.count("audit_log WHERE action = 'POST /unsubscribe'"), 1);

    // Nothing after: a second hearing queues no alert and sends no email.
    let before = app.count("alerts");
    let again = researcher
        .post(app.url(&format!("/api/v1/trials/{trial_id}/hearings")))
        .json(&json!({"scheduled_at": "2027-04-01T10:00:00+05:00", "time_zone": "Asia/Atyrau"}))
        .send()
        .await
        .expect("POST hearing");
    assert_eq!(again.status(), StatusCode::CREATED);
    wait_until_settled(&app).await;
    assert_eq!(app.count("alerts"), before);
    assert_eq!(sink.messages_to(&email).len(), 2);
    // The link keeps answering (one-click clients retry), without effect.
    let twice = reqwest::Client::new()
        .post(app.url(&path))
        .send()
        .await
        .expect("POST");
    assert_eq!(twice.status(), StatusCode::OK);
}

#[tokio::test]
async fn nothing_is_sent_to_an_address_until_it_is_confirmed_and_the_link_works_once() {
    let (app, sink) = mail_app(|_| {}).await;
    let case = app.create_case("Trial of Talgat Ayan").await;
    let created = app
        .create(
            "/api/v1/subscriptions",
            json!({
                "subscriber": {"name": "Ana", "organisation": "Partner NGO", "email": "ana@partners.example"},
                "case_id": id(&case),
                "delivery": "immediate"
            }),
        )
        .await;
    assert_eq!(created["subscriber"]["confirmed"], false);
    assert_eq!(created["case_id"], id(&case));
    assert_eq!(created["country"], Value::Null);
    log_event(&app, id(&case), "Ayan questioned").await;
    let confirmation = wait_for_mail(&sink, "ana@partners.example", 1)
        .await
        .remove(0);
    wait_until_settled(&app).await;
    assert_eq!(
        app.count("alerts WHERE kind = 'event'"),
        0,
        "no alert for an unconfirmed address"
    );
    assert_eq!(sink.messages().len(), 1);

    let path = link_path(&confirmation.text(), "http://test.invalid/confirm/");
    // Looking at the page (as a mail scanner would) confirms nothing.
    let page = reqwest::get(app.url(&path)).await.expect("GET");
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(app.count("subscribers WHERE confirmed_at IS NOT NULL"), 0);
    confirm_from_email(&app, &confirmation).await;
    assert_eq!(app.count("subscribers WHERE confirmed_at IS NOT NULL"), 1);
    let reused = reqwest::Client::new()
        .post(app.url(&path))
        .send()
        .await
        .expect("POST");
    assert_eq!(
        reused.status(),
        StatusCode::NOT_FOUND,
        "the link works once"
    );
    let view = json_body(
        app.get(&format!("/api/v1/subscriptions/{}", id(&created)))
            .await,
    )
    .await;
    assert_eq!(view["subscriber"]["confirmed"], true);

    log_event(&app, id(&case), "Ayan charged").await;
    let mail = wait_for_mail(&sink, "ana@partners.example", 2).await;
    assert!(
        mail[1]
            .subject()
            .ends_with("Trial of Talgat Ayan: Ayan charged"),
        "{}",
        mail[1].subject()
    );
}

#[tokio::test]
async fn smtp_down_then_up_loses_nothing_and_doubles_nothing() {
    let (app, sink) = mail_app(|_| {}).await;
    let case = app
        .create_case("Case followed while the mail server is down")
        .await;
    let (_, email, _) = confirmed_partner(&app, &sink, json!({"case_id": id(&case)})).await;

    sink.stop();
    for i in 0..5 {
        log_event(&app, id(&case), &format!("Change {i}")).await;
    }
    // Every alert is tried, fails, and waits for its next attempt.
    let deadline = Instant::now() + WAIT;
    while app.count("alerts WHERE kind = 'event' AND attempts >= 1 AND status = 'pending' AND last_error IS NOT NULL") < 5 {
        assert!(Instant::now() < deadline, "the alerts were not tried");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pending = json_body(app.get("/api/v1/alerts?status=pending").await).await;
    assert_eq!(pending["items"].as_array().expect("items").len(), 5);
    let ready = json_body(app.get("/ready").await).await;
    assert_eq!(ready["alerts"]["pending"], 5);

    sink.restart();
    wait_for_mail(&sink, &email, 6).await;
    wait_until_settled(&app).await;
    let mail = sink.messages_to(&email);
    assert_eq!(
        mail.len(),
        6,
        "the confirmation and five alerts, none twice: {mail:?}"
    );
    let mut subjects: Vec<String> = mail[1..].iter().map(Received::subject).collect();
    subjects.sort();
    for (i, subject) in subjects.iter().enumerate() {
        assert!(subject.ends_with(&format!("Change {i}")), "{subject}");
    }
    let ids: std::collections::HashSet<String> = mail.iter().map(Received::message_id).collect();
    assert_eq!(ids.len(), 6);
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'sent'"),
        5
    );
    let ready = json_body(app.get("/ready").await).await;
    assert_eq!(ready["alerts"], json!({"pending": 0, "failed": 0}));
}

#[tokio::test]
async fn a_refused_address_ends_failed_others_still_get_theirs_and_an_admin_can_retry() {
    let (app, sink) = mail_app(|_| {}).await;
    let case = app.create_case("Case with two partners").await;
    let (_, good, _) = confirmed_partner(&app, &sink, json!({"case_id": id(&case)})).await;
    let (_, bad, _) = confirmed_partner(&app, &sink, json!({"country": "KZ"})).await;
    sink.reject(&bad);

    log_event(&app, id(&case), "Verdict announced").await;
    wait_for_mail(&sink, &good, 2).await;
    wait_until_settled(&app).await;
    assert_eq!(sink.messages_to(&bad).len(), 1, "only its confirmation");
    let failed = json_body(app.get("/api/v1/alerts?status=failed").await).await;
    let failed = failed["items"].as_array().expect("items").clone();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["last_error"]
            .as_str()
            .expect("error")
            .contains("550"),
        "{}",
        failed[0]
    );
    assert_eq!(
        failed[0]["attempts"], 1,
        "a permanent refusal is not retried"
    );
    let ready = json_body(app.get("/ready").await).await;
    assert_eq!(ready["alerts"]["failed"], 1);

    // Retrying only makes sense for a failed alert.
    let sent = json_body(app.get("/api/v1/alerts?status=sent").await).await;
    let sent_id = sent["items"][0]["id"].as_str().expect("id").to_string();
    let response = app
        .post(&format!("/api/v1/alerts/{sent_id}/retry"), &json!({}))
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;
    let response = app.post("/api/v1/alerts/nope/retry", &json!({})).await;
    assert_problem(response, StatusCode::NOT_FOUND).await;

    sink.accept(&bad);
    let retried = app
        .post(
            &format!("/api/v1/alerts/{}/retry", id(&failed[0])),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status(), StatusCode::OK);
    assert_eq!(json_body(retried).await["status"], "pending");
    let mail = wait_for_mail(&sink, &bad, 2).await;
    assert!(mail[1].subject().ends_with("Verdict announced"));
    assert!(
        mail[1]
            .text()
            .contains("you follow the cases in Kazakhstan"),
        "{}",
        mail[1].text()
    );
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_up_to_the_limit_then_failed() {
    let (app, sink) = mail_app(|s| s.alerts.max_attempts = 3).await;
    let case = app
        .create_case("Case with an unreachable mail server")
        .await;
    confirmed_partner(&app, &sink, json!({"case_id": id(&case)})).await;
    sink.stop();
    log_event(&app, id(&case), "Detention extended").await;
    let deadline = Instant::now() + WAIT;
    while app.count("alerts WHERE status = 'failed'") == 0 {
        assert!(Instant::now() < deadline, "the alert never failed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let failed = json_body(app.get("/api/v1/alerts?status=failed").await).await;
    let alert = &failed["items"][0];
    assert_eq!(alert["attempts"], 3);
    assert!(!alert["last_error"].as_str().expect("an error").is_empty());
}

#[tokio::test]
async fn two_workers_send_each_of_1000_alerts_exactly_once() {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| {
        mail_to(s, &sink, false);
        s.alerts.batch_size = 25;
    })
    .await;
    let case = app.create_case("A case followed by ten partners").await;
    for n in 0..10 {
        app.create(
            "/api/v1/subscriptions",
            json!({"subscriber": {"name": format!("Partner {n}"), "email": format!("p{n}@partners.example")}, "country": "KZ"}),
        )
        .await;
    }
    confirm_pending(&app).await;
    for i in 0..100 {
        log_event(&app, id(&case), &format!("Change {i}")).await;
    }
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'pending'"),
        1000
    );

    let (first, second) = (worker(&app), worker(&app));
    let (first, second) = (
        first.spawn().expect("spawn"),
        second.spawn().expect("spawn"),
    );
    sink.wait_for(1000, Duration::from_secs(120)).await;
    wait_until_settled(&app).await;
    first.stop();
    second.stop();

    let mail = sink.messages();
    assert_eq!(mail.len(), 1000, "no alert sent twice");
    let mut per_id: HashMap<String, usize> = HashMap::new();
    for message in &mail {
        *per_id.entry(message.message_id()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 1000);
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'sent'"),
        1000
    );
    // The confirmations were not sent: the addresses were confirmed first.
    assert_eq!(
        app.count("alerts WHERE kind = 'confirmation' AND status = 'cancelled'"),
        10
    );
}

#[tokio::test]
async fn a_daily_subscriber_gets_one_digest_of_the_days_changes_and_nothing_on_a_quiet_day() {
    let (app, sink) = mail_app(|_| {}).await;
    let first = app.create_case("First case of the day").await;
    let second = app.create_case("Second case of the day").await;
    let (partner, email, _) = confirmed_partner(
        &app,
        &sink,
        json!({"case_id": id(&first), "delivery": "daily"}),
    )
    .await;
    let response = partner
        .post(app.url("/api/v1/subscriptions"))
        .json(&json!({"case_id": id(&second), "delivery": "daily"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);

    log_event(&app, id(&first), "Morning hearing postponed").await;
    log_event(&app, id(&first), "Lawyer denied access").await;
    log_event(&app, id(&second), "Defender released on bail").await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        sink.messages_to(&email).len(),
        1,
        "nothing before the digest time"
    );
    assert_eq!(
        app.count("alerts WHERE delivery = 'daily' AND status = 'pending'"),
        3
    );

    // The day passes: the changes were recorded before the latest digest time.
    diesel::sql_query(
        "UPDATE alerts SET created_at = created_at - INTERVAL '1 day' WHERE delivery = 'daily'",
    )
    .execute(&mut app.db())
    .or_else(|_| {
        diesel::sql_query(
            "UPDATE alerts SET created_at = datetime(created_at, '-1 day') WHERE delivery = 'daily'",
        )
        .execute(&mut app.db())
    })
    .expect("move the changes to yesterday");
    let mail = wait_for_mail(&sink, &email, 2).await;
    wait_until_settled(&app).await;
    assert_eq!(sink.messages_to(&email).len(), 2, "one digest");
    let digest = &mail[1];
    assert_eq!(
        digest.subject(),
        "Daily digest: 3 changes in 2 cases you follow"
    );
    for part in [digest.text(), digest.html()] {
        for title in [
            "Morning hearing postponed",
            "Lawyer denied access",
            "Defender released on bail",
        ] {
            assert!(part.contains(title), "{part}");
        }
    }
    assert_eq!(
        app.count("alerts WHERE kind = 'digest' AND status = 'sent'"),
        1
    );
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'sent' AND digest_id IS NOT NULL"),
        3
    );

    // A quiet day: nothing is sent.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sink.messages_to(&email).len(), 2);

    // The digest's one-click link ends every subscription of the address.
    let path = link_path(
        &digest.header("List-Unsubscribe").expect("List-Unsubscribe"),
        "http://test.invalid/unsubscribe/",
    );
    let response = reqwest::Client::new()
        .post(app.url(&path))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::OK);
    let mine = json_body(
        partner
            .get(app.url("/api/v1/subscriptions"))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    assert_eq!(mine["items"], json!([]));
}

#[tokio::test]
async fn subscribers_are_reminded_once_before_each_hearing_even_after_a_restart() {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| {
        mail_to(s, &sink, false);
        s.alerts.reminder_days = 3;
    })
    .await;
    let case = app.create_case("Case with a hearing in two days").await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            json!({"court": "Atyrau City Court", "city": "Atyrau"}),
        )
        .await;
    app.create(
        "/api/v1/subscriptions",
        json!({"subscriber": {"name": "Ana", "email": "ana@partners.example"}, "case_id": id(&case)}),
    )
    .await;
    confirm_pending(&app).await;

    let soon = (chrono::Utc::now() + chrono::Duration::days(2))
        .with_timezone(&chrono_tz::Asia::Atyrau)
        .format("%Y-%m-%dT09:00:00%:z")
        .to_string();
    let later = (chrono::Utc::now() + chrono::Duration::days(20))
        .with_timezone(&chrono_tz::Asia::Atyrau)
        .format("%Y-%m-%dT09:00:00%:z")
        .to_string();
    for at in [&soon, &later] {
        app.create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": at, "time_zone": "Asia/Atyrau"}),
        )
        .await;
    }
    let first = worker(&app);
    for _ in 0..3 {
        first.pass().expect("a pass");
    }
    let reminders: Vec<Received> = sink
        .messages()
        .into_iter()
        .filter(|m| m.subject().contains(": hearing on "))
        .collect();
    assert_eq!(
        reminders.len(),
        1,
        "one reminder, for the hearing within three days"
    );
    let reminder = &reminders[0];
    assert!(reminder
        .subject()
        .starts_with("[Kazakhstan] Case with a hearing in two days: hearing on "));
    assert!(
        reminder.text().contains("09:00 (Asia/Atyrau), court time"),
        "{}",
        reminder.text()
    );
    assert!(
        reminder.text().contains("Atyrau City Court, Atyrau"),
        "{}",
        reminder.text()
    );
    assert!(reminder.header("List-Unsubscribe").is_some());

    // A new worker (as after a restart) does not remind again.
    drop(first);
    let restarted = worker(&app);
    restarted.pass().expect("a pass");
    restarted.pass().expect("a pass");
    let count = sink
        .messages()
        .iter()
        .filter(|m| m.subject().contains(": hearing on "))
        .count();
    assert_eq!(count, 1);
    assert_eq!(app.count("alerts WHERE kind = 'reminder'"), 1);
}

#[tokio::test]
async fn a_case_title_cannot_inject_headers_or_recipients() {
    let (app, sink) = mail_app(|_| {}).await;
    let case = app
        .create(
            "/api/v1/cases",
            json!({
                "title": "Trial\r\nBcc: victim@evil.example\r\nX-Injected: yes\nSubject: fake",
                "country": "KZ"
            }),
        )
        .await;
    let (_, email, _) = confirmed_partner(&app, &sink, json!({"case_id": id(&case)})).await;
    log_event(&app, id(&case), "Line one\r\nCc: other@evil.example").await;
    let mail = wait_for_mail(&sink, &email, 2).await;
    wait_until_settled(&app).await;
    let alert = &mail[1];
    assert_eq!(sink.messages().len(), 2);
    assert_eq!(alert.to, vec![email.clone()]);
    assert!(sink.messages_to("victim@evil.example").is_empty());
    assert_eq!(alert.header("Bcc"), None);
    assert_eq!(alert.header("Cc"), None);
    assert_eq!(alert.header("X-Injected"), None);
    assert_eq!(
        alert.subject(),
        "[Kazakhstan] Trial Bcc: victim@evil.example X-Injected: yes Subject: fake: Line one Cc: other@evil.example"
    );
}

#[tokio::test]
async fn confidential_cases_and_changes_are_never_mailed() {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| mail_to(s, &sink, false)).await;
    let secret = app
        .create(
            "/api/v1/cases",
            json!({"title": "Secret case", "country": "KZ", "confidential": true}),
        )
        .await;
    let public = app.create_case("Public case").await;
    let hidden_defender = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Hidden Defender", "role": "activist", "country": "KZ", "confidential": true}),
        )
        .await;
    app.link(id(&public), id(&hidden_defender)).await;
    app.create(
        "/api/v1/subscriptions",
        json!({"subscriber": {"name": "Ana", "email": "ana@partners.example"}, "country": "KZ"}),
    )
    .await;
    confirm_pending(&app).await;

    log_event(&app, id(&secret), "Secret change").await;
    app.create(
        &format!("/api/v1/cases/{}/events", id(&public)),
        json!({"kind": "note", "occurred_on": "2026", "title": "Confidential note", "confidential": true}),
    )
    .await;
    app.create(
        &format!("/api/v1/cases/{}/events", id(&public)),
        json!({"kind": "note", "occurred_on": "2026", "title": "About the hidden defender", "defender_ids": [id(&hidden_defender)]}),
    )
    .await;
    assert_eq!(
        app.count("alerts WHERE kind = 'event'"),
        0,
        "nothing queued for them"
    );

    // Queued while public, then the case became confidential: not sent.
    log_event(&app, id(&public), "Public change").await;
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'pending'"),
        1
    );
    let etag = app.etag(&format!("/api/v1/cases/{}", id(&public))).await;
    let response = app
        .patch(
            &format!("/api/v1/cases/{}", id(&public)),
            Some(&etag),
            &json!({"confidential": true}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let pass = worker(&app).pass().expect("a pass");
    assert_eq!(pass.sent, 0);
    assert!(sink.messages().is_empty());
    assert_eq!(
        app.count("alerts WHERE kind = 'event' AND status = 'suppressed'"),
        1
    );

    // A partner cannot follow a confidential case: it is "not found" like a missing one.
    let partner = app.client_as("partner");
    for case_id in [id(&secret), "no-such-case"] {
        let response = partner
            .post(app.url("/api/v1/subscriptions"))
            .json(&json!({"case_id": case_id}))
            .send()
            .await
            .expect("POST");
        let body = assert_invalid(response, &["case_id"]).await;
        assert_eq!(
            body["errors"][0]["message"],
            "must be the id of an existing case"
        );
    }
}

#[tokio::test]
async fn subscriptions_are_validated_and_partners_manage_only_their_own() {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| mail_to(s, &sink, false)).await;
    let case = app.create_case("Followed case").await;
    let before = (
        app.count("subscriptions"),
        app.count("subscribers"),
        app.count("alerts"),
    );
    let cases = [
        (
            json!({"subscriber": {"name": "A", "email": "a@x.example"}}),
            vec!["case_id"],
        ),
        (
            json!({"subscriber": {"name": "A", "email": "a@x.example"}, "case_id": id(&case), "country": "KZ"}),
            vec!["case_id"],
        ),
        (
            json!({"subscriber": {"name": "A", "email": "not an address"}, "country": "KZ"}),
            vec!["subscriber.email"],
        ),
        (
            json!({"subscriber": {"name": " ", "email": "a@x.example"}, "country": "kz"}),
            vec!["subscriber.name", "country"],
        ),
        (
            json!({"subscriber": {"name": "A", "email": "a@x.example"}, "subject": "torture", "delivery": "weekly"}),
            vec!["delivery"],
        ),
        (json!({"country": "KZ"}), vec!["subscriber"]),
        (
            json!({"subscriber": {"name": "A", "email": "a@x.example"}, "case_id": "missing"}),
            vec!["case_id"],
        ),
    ];
    for (body, fields) in cases {
        let response = app.post("/api/v1/subscriptions", &body).await;
        assert_invalid(response, &fields).await;
    }
    assert_eq!(
        (
            app.count("subscriptions"),
            app.count("subscribers"),
            app.count("alerts")
        ),
        before,
        "refused requests change nothing"
    );

    let staff = app
        .create(
            "/api/v1/subscriptions",
            json!({"subscriber": {"name": "A", "email": "a@x.example"}, "subject": "land reform"}),
        )
        .await;
    assert_eq!(staff["subject"], "land reform");
    assert_eq!(staff["delivery"], "immediate");
    let duplicate = app
        .post(
            "/api/v1/subscriptions",
            &json!({"subscriber": {"name": "A", "email": "a@x.example"}, "subject": "land reform"}),
        )
        .await;
    assert_problem(duplicate, StatusCode::CONFLICT).await;

    let partner = app.client_as("partner");
    let response = partner
        .post(app.url("/api/v1/subscriptions"))
        .json(&json!({"subscriber": {"name": "B", "email": "b@x.example"}, "country": "KZ"}))
        .send()
        .await
        .expect("POST");
    assert_invalid(response, &["subscriber"]).await;
    let response = partner
        .post(app.url("/api/v1/subscriptions"))
        .json(&json!({"country": "KZ"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header(&response, "location");
    let etag = header(&response, "etag");
    let own = json_body(response).await;
    assert!(location.ends_with(&format!("/api/v1/subscriptions/{}", id(&own))));

    let listed = json_body(
        partner
            .get(app.url("/api/v1/subscriptions"))
            .send()
            .await
            .expect("GET"),
    )
    .await;
    let listed: Vec<&str> = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(id)
        .collect();
    assert_eq!(listed, vec![id(&own)], "a partner sees only its own");
    let all = json_body(app.get("/api/v1/subscriptions").await).await;
    assert_eq!(
        all["items"].as_array().expect("items").len(),
        2,
        "staff see all"
    );

    let other = format!("/api/v1/subscriptions/{}", id(&staff));
    let response = partner.get(app.url(&other)).send().await.expect("GET");
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let response = partner
        .delete(app.url(&other))
        .header("If-Match", "*")
        .send()
        .await
        .expect("DELETE");
    assert_problem(response, StatusCode::NOT_FOUND).await;
    assert_eq!(app.count("subscriptions WHERE cancelled_at IS NULL"), 2);

    let mine = format!("/api/v1/subscriptions/{}", id(&own));
    let response = partner.delete(app.url(&mine)).send().await.expect("DELETE");
    assert_problem(response, StatusCode::PRECONDITION_REQUIRED).await;
    let response = partner
        .delete(app.url(&mine))
        .header("If-Match", "\"7\"")
        .send()
        .await
        .expect("DELETE");
    assert_problem(response, StatusCode::PRECONDITION_FAILED).await;
    let response = partner
        .delete(app.url(&mine))
        .header("If-Match", etag)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(app.count("subscriptions WHERE cancelled_at IS NULL"), 1);

    let response = app.get("/api/v1/alerts?status=lost").await;
    assert_invalid(response, &["status"]).await;
    let response = reqwest::get(app.url("/unsubscribe/not-a-token"))
        .await
        .expect("GET");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = reqwest::Client::new()
        .post(app.url("/confirm/not-a-token"))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // An expired confirmation link confirms nothing, and its page says so.
    diesel::sql_query(
        "UPDATE subscribers SET confirmation_expires_at = created_at WHERE email = 'a@x.example'",
    )
    .execute(&mut app.db())
    .expect("expire the link");
    let token: Option<String> = {
        use case_tracker::schema::subscribers::dsl::*;
        subscribers
            .filter(email.eq("a@x.example"))
            .select(confirmation_token)
            .first(&mut app.db())
            .expect("token")
    };
    let path = format!("/confirm/{}", token.expect("a token"));
    let page = reqwest::get(app.url(&path)).await.expect("GET");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let response = reqwest::Client::new()
        .post(app.url(&path))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.count("subscribers WHERE confirmed_at IS NOT NULL"), 0);
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_written_to_eml_files() {
    let app = spawn_app_with(|s| {
        s.alerts.worker = true;
        s.alerts.poll_interval_ms = 50;
        s.alerts.smtp.host = String::new();
    })
    .await;
    app.create(
        "/api/v1/subscriptions",
        json!({"subscriber": {"name": "Ana", "email": "ana@partners.example"}, "country": "KZ"}),
    )
    .await;
    let dir = std::path::PathBuf::from(&app.settings.alerts.mail_dir);
    let deadline = Instant::now() + WAIT;
    let file = loop {
        let found = std::fs::read_dir(&dir)
            .expect("the mail folder")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "eml"));
        if let Some(file) = found {
            break file;
        }
        assert!(
            Instant::now() < deadline,
            "no .eml file in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let text = std::fs::read_to_string(&file).expect("the .eml file");
    assert!(
        text.contains("To: \"Ana\" <ana@partners.example>")
            || text.contains("To: Ana <ana@partners.example>"),
        "{text}"
    );
    assert!(
        text.contains("Subject: Confirm your address for case alerts"),
        "{text}"
    );
    assert_eq!(
        app.count("alerts WHERE kind = 'confirmation' AND status = 'sent'"),
        1
    );
}

#[tokio::test]
async fn a_change_its_timeline_event_and_its_alerts_commit_together_or_not_at_all() {
    let sink = MailSink::start();
    let app = spawn_app_with(|s| mail_to(s, &sink, false)).await;
    let (case, defender) = app.case_with_defender().await;
    app.create(
        "/api/v1/subscriptions",
        json!({"subscriber": {"name": "Ana", "email": "ana@partners.example"}, "case_id": id(&case)}),
    )
    .await;
    confirm_pending(&app).await;

    // Make the alert's insert fail, after the charge and its event have been written.
    let ddl: &[&str] = if crate::helpers::backend_is_postgres() {
        &[
            "CREATE FUNCTION refuse_alert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_alert BEFORE INSERT ON alerts FOR EACH ROW WHEN (NEW.kind = 'event') EXECUTE FUNCTION refuse_alert()",
        ]
    } else {
        &["CREATE TRIGGER refuse_alert BEFORE INSERT ON alerts WHEN NEW.kind = 'event' BEGIN SELECT RAISE(ABORT, 'forced failure'); END"]
    };
    let mut conn = app.db();
    for statement in ddl {
        diesel::sql_query(*statement)
            .execute(&mut conn)
            .expect("install the trigger");
    }
    let before = (
        app.count("charges"),
        app.count("events"),
        app.count("alerts"),
    );
    let charge = json!({"defender_id": id(&defender), "legal_basis": "art. 174"});
    let path = format!("/api/v1/cases/{}/charges", id(&case));
    assert_problem(
        app.post(&path, &charge).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    )
    .await;
    assert_eq!(
        (
            app.count("charges"),
            app.count("events"),
            app.count("alerts")
        ),
        before,
        "the charge, its event and its alert are all rolled back"
    );

    diesel::sql_query("DROP TRIGGER refuse_alert ON alerts")
        .execute(&mut conn)
        .or_else(|_| diesel::sql_query("DROP TRIGGER refuse_alert").execute(&mut conn))
        .expect("remove the trigger");
    assert_eq!(app.post(&path, &charge).await.status(), StatusCode::CREATED);
    assert_eq!(
        (
            app.count("charges"),
            app.count("events"),
            app.count("alerts WHERE kind = 'event'")
        ),
        (before.0 + 1, before.1 + 1, 1)
    );
}
