//! The audit log: what the database refuses, the hash chain and `audit verify`.

use crate::cli::run;
use crate::helpers::{backend_is_postgres, spawn_app, test_database, TestApp};
use case_tracker::auth::chain::{self, Head, Verdict};
use case_tracker::auth::store::AuditEntry;
use case_tracker::db::{ConnectionManager, DatabaseUrl, DbConnection};
use case_tracker::schema::audit_log;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Output;
use std::sync::Arc;

/// (seq, id, actor) of every entry, in chain order.
fn entries(app: &TestApp) -> Vec<(Option<i64>, String, String)> {
    audit_log::table
        .select((audit_log::seq, audit_log::id, audit_log::actor))
        .order(audit_log::seq)
        .load(&mut app.db())
        .expect("audit entries")
}

fn verify(app: &TestApp, head: Option<&str>) -> Output {
    let mut args = vec!["audit", "verify"];
    if let Some(head) = head {
        args.extend(["--head", head]);
    }
    run(&app.database_url, &args, None)
}

/// The head printed by a successful `audit verify`.
fn printed_head(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    let head = said.split_whitespace().last().expect("a head").to_string();
    head.parse::<Head>().expect("SEQ:HASH");
    head
}

fn refused(output: &Output) -> String {
    assert!(!output.status.success(), "verify should fail");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// What someone with the database owner's rights can still do: lift the refusals
/// (SQLite has no switch, so the triggers are dropped) and change the log.
fn tamper(app: &TestApp, sql: &str) {
    let mut conn = app.db();
    let statements = if backend_is_postgres() {
        vec![
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            sql,
            "ALTER TABLE audit_log ENABLE TRIGGER ALL",
        ]
    } else {
        vec![
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
            sql,
        ]
    };
    for statement in statements {
        diesel::sql_query(statement)
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
}

/// Hashes entry `seq` anew over what it now holds, as a forger would.
fn rehash(app: &TestApp, seq: i64) {
    let (prev_hash, entry): (Option<String>, AuditEntry) = audit_log::table
        .filter(audit_log::seq.eq(seq))
        .select((audit_log::prev_hash, AuditEntry::as_select()))
        .first(&mut app.db())
        .unwrap();
    let hash = chain::entry_hash(&prev_hash.unwrap(), seq, &entry);
    tamper(
        app,
        &format!("UPDATE audit_log SET hash = '{hash}' WHERE seq = {seq}"),
    );
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_replace_or_empty_the_audit_log() {
    let app = spawn_app().await;
    app.create_case("First").await;
    app.create_case("Second").await;
    let before = entries(&app);
    assert_eq!(before.len(), 2);
    let id = &before[0].1;
    let columns =
        "id, at, actor, token_id, role, action, resource, status, client_ip, seq, prev_hash, hash";
    let copy = |new_id: &str| {
        format!(
            "SELECT {new_id}, at, 'forger', token_id, role, action, resource, status, client_ip, \
             seq, prev_hash, hash FROM audit_log WHERE id = '{id}'"
        )
    };
    let mut statements = vec![
        format!("UPDATE audit_log SET actor = 'forger' WHERE id = '{id}'"),
        format!("DELETE FROM audit_log WHERE id = '{id}'"),
        // An upsert updates the entry it meets.
        format!(
            "INSERT INTO audit_log ({columns}) {} ON CONFLICT (id) DO UPDATE SET actor = 'forger'",
            copy("id")
        ),
        // An entry outside the chain.
        "INSERT INTO audit_log (id, at, actor, action, status) \
         VALUES ('new', CURRENT_TIMESTAMP, 'forger', 'GET /', 200)"
            .to_string(),
    ];
    if backend_is_postgres() {
        statements.push("TRUNCATE audit_log".into());
    } else {
        // A REPLACE deletes the entry it meets, on its id or on its position.
        statements.push(format!(
            "INSERT OR REPLACE INTO audit_log ({columns}) {}",
            copy("id")
        ));
        statements.push(format!(
            "REPLACE INTO audit_log ({columns}) {}",
            copy("'new'")
        ));
    }
    let mut conn = app.db();
    for sql in &statements {
        let error = diesel::sql_query(sql)
            .execute(&mut conn)
            .expect_err(sql)
            .to_string();
        // Refused by the triggers or the check on new entries, not by a typo.
        assert!(
            error.contains("append-only") || error.contains("audit_log_chained"),
            "{sql}: {error}"
        );
    }
    assert_eq!(entries(&app), before);
    assert!(printed_head(&verify(&app, None)).starts_with("2:"));
}

#[tokio::test]
async fn audit_verify_counts_the_entries_and_names_the_entry_that_breaks_the_chain() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.create_case(&format!("Case {n}")).await;
    }
    let output = verify(&app, None);
    let recorded = printed_head(&output);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("3 entries, head 3:"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    // The log grows; the head recorded earlier is still in the chain.
    app.create_case("Later").await;
    let latest = printed_head(&verify(&app, Some(&recorded)));
    assert!(latest.starts_with("4:"));

    // Removing entries from the end leaves a valid chain; only a recorded head shows it.
    tamper(
        &app,
        "DELETE FROM audit_log WHERE seq = (SELECT MAX(seq) FROM audit_log)",
    );
    assert_eq!(printed_head(&verify(&app, None)), recorded);
    let said = refused(&verify(&app, Some(&latest)));
    assert!(said.contains("before the recorded head"), "{said}");

    // Changing an entry breaks the chain at that entry.
    let (_, id, _) = entries(&app).remove(1);
    tamper(
        &app,
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 2",
    );
    let said = refused(&verify(&app, None));
    assert!(said.contains(&format!("entry 2 (id {id})")), "{said}");
    assert!(said.contains("hash does not match"), "{said}");

    // Hashing the changed entry anew moves the break to the next one.
    rehash(&app, 2);
    let said = refused(&verify(&app, None));
    assert!(said.contains("entry 3 (id "), "{said}");
    assert!(said.contains("prev_hash does not match"), "{said}");

    let bad_head = run(
        &app.database_url,
        &["audit", "verify", "--head", "3:not-a-hash"],
        None,
    );
    assert!(!bad_head.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_on_two_instances_leave_one_unbroken_chain() {
    let app = Arc::new(spawn_app().await);
    // A second server on the same database, as when instances share PostgreSQL.
    let second = case_tracker::startup::Application::build(app.settings.clone())
        .await
        .expect("a second instance");
    let second_address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    let mut tasks = Vec::new();
    for writer in 0..8 {
        let app = app.clone();
        let base = if writer % 2 == 0 {
            app.address.clone()
        } else {
            second_address.clone()
        };
        tasks.push(tokio::spawn(async move {
            for n in 0..8 {
                let response = app
                    .client
                    .post(format!("{base}/api/v1/cases"))
                    .json(&json!({"title": format!("Case {writer}-{n}"), "country": "KZ"}))
                    .send()
                    .await
                    .expect("POST");
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        }));
    }
    for task in tasks {
        task.await.expect("writer");
    }
    assert_eq!(app.count("audit_log"), 64);
    match chain::verify(&mut app.db(), None).expect("verify") {
        Verdict::Intact { entries, head } => {
            assert_eq!(entries, 64);
            assert_eq!(head.map(|h| h.seq), Some(64));
        }
        broken => panic!("{broken}"),
    }
}

#[test]
fn entries_from_before_the_chain_are_chained_when_the_database_is_next_opened() {
    use diesel_migrations::MigrationHarness;
    let (url, _database) = test_database();
    let url = DatabaseUrl::parse(&url).unwrap();
    let mut conn = ConnectionManager::new(url, 5000).establish().unwrap();
    case_tracker::db::run_migrations(&mut conn).unwrap();
    case_tracker::startup::prepare(&mut conn).unwrap();
    // Back to the schema before the chain.
    loop {
        let reverted = match &mut conn {
            DbConnection::Sqlite(c) => c.revert_last_migration(case_tracker::db::SQLITE_MIGRATIONS),
            DbConnection::Pg(c) => c.revert_last_migration(case_tracker::db::POSTGRES_MIGRATIONS),
        }
        .unwrap()
        .to_string();
        if reverted == "20261202000006" {
            break;
        }
    }
    for (id, at) in [
        ("b", "2026-01-02 09:00:00"),
        ("c", "2026-01-01 09:00:00"),
        ("a", "2026-01-01 09:00:00"),
    ] {
        diesel::sql_query(format!(
            "INSERT INTO audit_log (id, at, actor, action, status) \
             VALUES ('{id}', '{at}', 'Test Admin', 'POST /api/v1/cases', 201)"
        ))
        .execute(&mut conn)
        .unwrap();
    }

    case_tracker::db::run_migrations(&mut conn).unwrap();
    case_tracker::startup::prepare(&mut conn).unwrap();
    let chained: Vec<(Option<i64>, String)> = audit_log::table
        .select((audit_log::seq, audit_log::id))
        .order(audit_log::seq)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        chained,
        [
            (Some(1), "a".into()),
            (Some(2), "c".into()),
            (Some(3), "b".into())
        ]
    );
    match chain::verify(&mut conn, None).unwrap() {
        Verdict::Intact { entries: 3, .. } => {}
        other => panic!("{other}"),
    }
    // Chained once, for good.
    let error = diesel::sql_query("UPDATE audit_log SET seq = 9, hash = 'x' WHERE id = 'a'")
        .execute(&mut conn)
        .expect_err("a chained entry is final");
    assert!(error.to_string().contains("append-only"), "{error}");
}

/// Drops a PostgreSQL role when the test ends, after the test's database is gone.
struct RoleGuard {
    admin_url: String,
    name: String,
}

impl Drop for RoleGuard {
    fn drop(&mut self) {
        let url = DatabaseUrl::parse(&self.admin_url).expect("admin url");
        if let Ok(mut conn) = ConnectionManager::new(url, 5000).establish() {
            let _ = diesel::sql_query(format!("DROP ROLE IF EXISTS \"{}\"", self.name))
                .execute(&mut conn);
        }
    }
}

/// With `database.migrate` off the service starts only on a migrated database and
/// changes no schema; on PostgreSQL it can then run as a role that owns nothing, which
/// appends to the audit log but cannot change it, not even by lifting the triggers.
#[tokio::test]
async fn a_service_that_owns_nothing_appends_to_the_log_and_cannot_alter_it() {
    // Declared first, dropped last: after the database the role had rights in.
    let mut guard = None;
    let app = spawn_app().await;
    let mut settings = app.settings.clone();
    settings.database.migrate = false;

    if backend_is_postgres() {
        let name = format!(
            "ct_app_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        guard = Some(RoleGuard {
            admin_url: std::env::var("TEST_POSTGRES_URL").expect("TEST_POSTGRES_URL"),
            name: name.clone(),
        });
        let mut owner = app.db();
        for statement in [
            format!("CREATE ROLE \"{name}\" LOGIN"),
            format!("GRANT USAGE ON SCHEMA public TO \"{name}\""),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"{name}\""
            ),
            format!("GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO \"{name}\""),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM \"{name}\""),
        ] {
            diesel::sql_query(&statement)
                .execute(&mut owner)
                .unwrap_or_else(|e| panic!("{statement}: {e}"));
        }
        let mut url = url::Url::parse(&app.database_url).expect("database url");
        url.set_username(&name).expect("a user name");
        settings.database.url = url.to_string();
    }
    let restricted = case_tracker::startup::Application::build(settings.clone())
        .await
        .expect("the service starts on a migrated database without migrating");
    let address = format!("http://127.0.0.1:{}", restricted.port());
    tokio::spawn(restricted.run_until_stopped());

    let before = app.count("audit_log");
    let response = app
        .client
        .post(format!("{address}/api/v1/cases"))
        .json(&json!({"title": "Written by the restricted service", "country": "KZ"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status(), StatusCode::CREATED);
    let ready = reqwest::get(format!("{address}/ready"))
        .await
        .expect("GET /ready");
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(app.count("audit_log"), before + 1);
    assert!(matches!(
        chain::verify(&mut app.db(), None).expect("verify"),
        Verdict::Intact { .. }
    ));

    if backend_is_postgres() {
        let url = DatabaseUrl::parse(&settings.database.url).expect("restricted url");
        let mut service = ConnectionManager::new(url, 5000)
            .establish()
            .expect("connect as the service");
        for statement in [
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DROP TRIGGER audit_log_append_only ON audit_log",
            "UPDATE audit_log SET actor = 'forged'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ] {
            let refused = diesel::sql_query(statement).execute(&mut service);
            assert!(refused.is_err(), "the service's role could: {statement}");
        }
        assert_eq!(app.count("audit_log WHERE actor = 'forged'"), 0);
    }

    // A database with a migration not applied: the service refuses to start.
    diesel::sql_query("DELETE FROM __diesel_schema_migrations WHERE version LIKE '%000006'")
        .execute(&mut app.db())
        .expect("forget a migration");
    let refused = case_tracker::startup::Application::build(settings)
        .await
        .err()
        .expect("no start while a migration is pending")
        .to_string();
    assert!(
        refused.contains("pending") && refused.contains("case-tracker migrate"),
        "{refused}"
    );
    drop(app);
    drop(guard.take());
}

/// The other ways a chain breaks: a rewritten stretch that is consistent in itself
/// (only a recorded head shows it), a missing entry, an entry outside the chain.
#[tokio::test]
async fn verify_names_a_rewritten_stretch_a_gap_and_an_unchained_entry() {
    let app = spawn_app().await;
    for n in 0..3 {
        app.create_case(&format!("Case {n}")).await;
    }
    let recorded = printed_head(&verify(&app, None));

    // Entry 3 rewritten and hashed anew: the chain holds, the recorded head does not.
    tamper(
        &app,
        "UPDATE audit_log SET actor = 'someone else' WHERE seq = 3",
    );
    rehash(&app, 3);
    assert!(printed_head(&verify(&app, None)).starts_with("3:"));
    let said = refused(&verify(&app, Some(&recorded)));
    assert!(said.contains("is no longer in the chain"), "{said}");

    // Entry 2 removed: named as missing.
    tamper(&app, "DELETE FROM audit_log WHERE seq = 2");
    let said = refused(&verify(&app, None));
    assert!(said.contains("entry 2 is missing"), "{said}");

    // An entry without a position: outside the chain (PostgreSQL's owner first drops
    // the check that new entries are chained).
    if backend_is_postgres() {
        tamper(
            &app,
            "ALTER TABLE audit_log DROP CONSTRAINT audit_log_chained",
        );
    }
    tamper(&app, "UPDATE audit_log SET seq = NULL WHERE seq = 3");
    let said = refused(&verify(&app, None));
    assert!(said.contains("is not chained"), "{said}");
}

/// With `database.migrate` off, a database that was never migrated is refused with
/// what to do.
#[tokio::test]
async fn a_service_that_does_not_migrate_refuses_a_database_never_migrated() {
    let app = spawn_app().await;
    let (url, _database) = test_database();
    let mut settings = app.settings.clone();
    settings.database.url = url;
    settings.database.migrate = false;
    let refused = case_tracker::startup::Application::build(settings)
        .await
        .err()
        .expect("no start on a database never migrated")
        .to_string();
    assert!(
        refused.contains("has not been migrated") && refused.contains("case-tracker migrate"),
        "{refused}"
    );
}
