use crate::helpers::{
    assert_invalid, assert_problem, collect_pages, header, id, json_body, spawn_app, TestApp,
};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn events(app: &TestApp, case_id: &str, query: &str) -> Vec<Value> {
    let response = app
        .get(&format!("/api/v1/cases/{case_id}/events?limit=200&{query}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json_body(response).await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn researchers_log_events_with_approximate_dates() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let case_id = id(&case);
    let path = format!("/api/v1/cases/{case_id}/events");

    let response = app
        .post(
            &path,
            &json!({
                "kind": "arrest",
                "occurred_on": "2016-05",
                "title": "Arrested after the land-reform protests",
                "description": "Detained in Atyrau.",
                "source_url": "https://example.org/report",
                "defender_ids": [id(&defender)]
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = header(&response, "location");
    let arrest = json_body(response).await;
    assert_eq!(arrest["occurred_on"], "2016-05");
    assert_eq!(arrest["precision"], "month");
    assert_eq!(arrest["actor"], "Test Admin");
    assert_eq!(arrest["defender_ids"], json!([id(&defender)]));
    assert!(location.ends_with(&format!("/api/v1/cases/{case_id}/events/{}", id(&arrest))));
    let response = app
        .get(&format!("/api/v1/cases/{case_id}/events/{}", id(&arrest)))
        .await;
    assert_eq!(json_body(response).await, arrest);

    app.create(&path, json!({"kind": "un_decision", "occurred_on": "2017-08-24", "title": "Detention declared arbitrary"}))
        .await;
    app.create(
        &path,
        json!({"kind": "note", "occurred_on": "2016", "title": "Protests across the country"}),
    )
    .await;

    // Sorted by the start of each period, then by when they were recorded; the change
    // records (recorded today) come after.
    let history = events(&app, case_id, "").await;
    let titles: Vec<&str> = history
        .iter()
        .map(|e| e["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        &titles[..3],
        [
            "Protests across the country",
            "Arrested after the land-reform protests",
            "Detention declared arbitrary"
        ]
    );
    assert_eq!(history[0]["precision"], "year");
    assert_eq!(history[2]["precision"], "day");
}

#[tokio::test]
async fn invalid_events_are_rejected_naming_every_field() {
    let app = spawn_app().await;
    let (case, _) = app.case_with_defender().await;
    let stranger = app.create_defender("Not in this case").await;
    let path = format!("/api/v1/cases/{}/events", id(&case));
    let before = app.count("events");

    let response = app
        .post(
            &path,
            &json!({
                "kind": "kidnap",
                "occurred_on": "spring 2016",
                "title": " ",
                "source_url": "ftp://example.org",
                "recorded_at": "2020-01-01T00:00:00Z"
            }),
        )
        .await;
    assert_invalid(
        response,
        &["kind", "occurred_on", "recorded_at", "source_url", "title"],
    )
    .await;
    for bad in ["2016-13", "2015-02-29", "16", "2016-4"] {
        let body = json!({"kind": "note", "occurred_on": bad, "title": "x"});
        assert_invalid(app.post(&path, &body).await, &["occurred_on"]).await;
    }
    let body = json!({
        "kind": "note", "occurred_on": "2016", "title": "x",
        "defender_ids": [id(&stranger)], "intervention_id": "missing"
    });
    assert_invalid(
        app.post(&path, &body).await,
        &["defender_ids[0]", "intervention_id"],
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/cases/missing/events",
            &json!({"kind": "note", "occurred_on": "2016", "title": "x"}),
        )
        .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.count("events"), before, "nothing was recorded");
}

#[tokio::test]
async fn every_change_appears_in_the_history_once_with_old_and_new_values() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let case_id = id(&case);
    let charge = app
        .create(
            &format!("/api/v1/cases/{case_id}/charges"),
            json!({"defender_id": id(&defender), "legal_basis": "art. 174"}),
        )
        .await;
    let response = app
        .patch(
            &format!("/api/v1/charges/{}", id(&charge)),
            Some("\"1\""),
            &json!({"status": "convicted"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let trial = app
        .create(
            &format!("/api/v1/cases/{case_id}/trials"),
            json!({"court": "Atyrau City Court"}),
        )
        .await;
    let hearing = app
        .create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await;
    assert_eq!(
        app.delete(&format!("/api/v1/hearings/{}", id(&hearing)), Some("\"1\""))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    let response = app
        .patch(
            &format!("/api/v1/cases/{case_id}"),
            Some("\"1\""),
            &json!({"status": "closed", "closed_reason": "released"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let history = events(&app, case_id, "").await;
    assert_eq!(
        kinds(&history),
        [
            "case_opened",
            "defender_linked",
            "charge_brought",
            "charge_status_changed",
            "trial_created",
            "hearing_scheduled",
            "hearing_deleted",
            "case_status_changed"
        ]
    );
    let status_change = &history[3];
    assert_eq!(
        status_change["changes"],
        json!({"status": {"old": "pending", "new": "convicted"}})
    );
    assert_eq!(status_change["record_id"], charge["id"]);
    assert_eq!(
        history[5]["title"],
        "Hearing scheduled for 2016-10-12 10:00 (Asia/Atyrau) at Atyrau City Court"
    );
    // The deleted hearing stays in the history with its last values.
    let deleted = &history[6];
    assert_eq!(
        deleted["changes"]["scheduled_at"]["old"],
        "2016-10-12T10:00:00+05:00"
    );
    assert_eq!(deleted["changes"]["scheduled_at"]["new"], Value::Null);
    assert_eq!(history[7]["title"], "Case closed (released)");
    assert_eq!(
        history[7]["changes"],
        json!({"status": {"old": "open", "new": "closed"}, "closed_reason": {"old": null, "new": "released"}})
    );
    assert!(history.iter().all(|e| e["actor"] == "Test Admin"));
}

#[tokio::test]
async fn a_failure_after_the_record_is_written_leaves_neither_record_nor_event() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let events_before = app.count("events");
    // Make the change record's insert fail, after the charge row has been written.
    let mut conn = app.db();
    let ddl: &[&str] = if crate::helpers::backend_is_postgres() {
        &[
            "CREATE FUNCTION refuse_event() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER refuse_event BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.kind = 'charge_brought') EXECUTE FUNCTION refuse_event()",
        ]
    } else {
        &["CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.kind = 'charge_brought' BEGIN SELECT RAISE(ABORT, 'forced failure'); END"]
    };
    for statement in ddl {
        diesel::sql_query(*statement)
            .execute(&mut conn)
            .expect("install the failing trigger");
    }

    let response = app
        .post(
            &format!("/api/v1/cases/{}/charges", id(&case)),
            &json!({"defender_id": id(&defender), "legal_basis": "art. 174"}),
        )
        .await;
    assert_problem(response, StatusCode::INTERNAL_SERVER_ERROR).await;
    assert_eq!(
        app.count("charges"),
        0,
        "the charge was rolled back with its event"
    );
    assert_eq!(app.count("events"), events_before);
    assert_eq!(
        app.etag(&format!("/api/v1/cases/{}", id(&case))).await,
        "\"1\""
    );
}

#[tokio::test]
async fn the_history_is_filtered_ordered_and_paged() {
    let app = spawn_app().await;
    let case = app.create_case("History").await;
    let case_id = id(&case);
    let path = format!("/api/v1/cases/{case_id}/events");
    for (kind, on) in [
        ("arrest", "2016-05-17"),
        ("detention", "2016-06"),
        ("release", "2017"),
        ("note", "2016-05-01"),
    ] {
        app.create(
            &path,
            json!({"kind": kind, "occurred_on": on, "title": format!("{kind} {on}")}),
        )
        .await;
    }
    assert_eq!(
        kinds(&events(&app, case_id, "kind=arrest,release").await),
        ["arrest", "release"]
    );
    // The service's change records are kinds of the history too.
    assert_eq!(
        kinds(&events(&app, case_id, "kind=case_opened,release").await),
        ["release", "case_opened"]
    );
    let refused = assert_invalid(
        app.get(&format!("{path}?kind=arrest,archived")).await,
        &["kind"],
    )
    .await;
    let message = refused["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("\"archived\"") && message.contains("hearing_scheduled"),
        "{message}"
    );
    assert_eq!(
        kinds(&events(&app, case_id, "since=2016-06&until=2016").await),
        ["detention"]
    );
    assert_eq!(
        kinds(&events(&app, case_id, "since=2016-05&until=2016-05").await),
        ["note", "arrest"]
    );
    let newest = events(&app, case_id, "order=desc").await;
    assert_eq!(
        newest[0]["kind"], "case_opened",
        "recorded today, so newest"
    );
    assert_eq!(
        kinds(&newest[1..]),
        ["release", "detention", "arrest", "note"]
    );

    let ascending = collect_pages(&app, &path, 2).await;
    let descending = collect_pages(&app, &format!("{path}?order=desc"), 2).await;
    assert_eq!(ascending.len(), 5);
    assert_eq!(
        ascending.iter().rev().cloned().collect::<Vec<_>>(),
        descending
    );

    assert_invalid(
        app.get(&format!("{path}?order=up&since=May&until=2016-02-30"))
            .await,
        &["order", "since", "until"],
    )
    .await;
    assert_invalid(
        app.get(&format!("{path}?since=2017&until=2016")).await,
        &["until"],
    )
    .await;
    assert_problem(
        app.get("/api/v1/cases/missing/events").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn a_defenders_history_spans_all_their_cases() {
    let app = spawn_app().await;
    let (first, defender) = app.case_with_defender().await;
    let second = app.create_case("Second case").await;
    app.link(id(&second), id(&defender)).await;
    let unrelated = app.create_case("Unrelated").await;
    for case in [&first, &second, &unrelated] {
        app.create(
            &format!("/api/v1/cases/{}/events", id(case)),
            json!({"kind": "harassment", "occurred_on": "2018-03", "title": format!("Harassed ({})", case["title"].as_str().unwrap())}),
        )
        .await;
    }
    let response = app
        .get(&format!(
            "/api/v1/defenders/{}/events?kind=harassment",
            id(&defender)
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let items = json_body(response).await["items"]
        .as_array()
        .unwrap()
        .clone();
    let cases: Vec<&str> = items
        .iter()
        .map(|e| e["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(cases, [id(&first), id(&second)]);
    assert_problem(
        app.get("/api/v1/defenders/missing/events").await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn search_finds_cases_by_names_spellings_charges_and_event_texts() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await; // "Trial of Maks Bokayev", defender Maks Bokayev
    let other = app
        .create("/api/v1/cases", json!({"title": "Harassment of Güzyal Baydalinova", "country": "KZ", "summary": "An editor"}))
        .await;
    app.create(
        &format!("/api/v1/cases/{}/charges", id(&case)),
        json!({"defender_id": id(&defender), "legal_basis": "Criminal Code, art. 174", "description": "Inciting social discord"}),
    )
    .await;
    app.create(
        &format!("/api/v1/cases/{}/events", id(&other)),
        json!({"kind": "raid", "occurred_on": "2016-11", "title": "Newsroom searched by police"}),
    )
    .await;

    let found = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            let response = app.get(&format!("/api/v1/cases?q={q}")).await;
            assert_eq!(response.status(), StatusCode::OK, "q={q}");
            let page = json_body(response).await;
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| id(c).to_string())
                .collect::<Vec<_>>()
        }
    };
    for q in [
        "Bokayev",
        "Bokaev",
        "BOKAEV",
        "%D0%91%D0%BE%D0%BA%D0%B0%D0%B5%D0%B2",
        "maks%20bok",
        "discord",
        "174",
    ] {
        assert_eq!(found(q).await, vec![id(&case).to_string()], "q={q}");
    }
    for q in [
        "Guzyal",
        "G%C3%BCzyal",
        "Baidalinova",
        "newsroom",
        "police%20raid%20newsroom",
    ] {
        let expected: Vec<String> = if q.contains("raid") {
            vec![]
        } else {
            vec![id(&other).to_string()]
        };
        assert_eq!(found(q).await, expected, "q={q}");
    }
    // A new spelling of a defender is searchable at once.
    let etag = app
        .etag(&format!("/api/v1/defenders/{}", id(&defender)))
        .await;
    let response = app
        .patch(
            &format!("/api/v1/defenders/{}", id(&defender)),
            Some(&etag),
            &json!({"other_names": ["Max Bokaieff"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(found("bokaieff").await, vec![id(&case).to_string()]);
    assert_invalid(app.get("/api/v1/cases?q=%20%2C").await, &["q"]).await;
}

#[tokio::test]
async fn search_results_are_ranked_and_paged() {
    let app = spawn_app().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        let case = app
            .create("/api/v1/cases", json!({"title": format!("Case {i}"), "country": "KZ", "summary": "land reform protest"}))
            .await;
        ids.push(id(&case).to_string());
    }
    let strong = app
        .create("/api/v1/cases", json!({"title": "Land reform protest: land reform protest leaders", "country": "KZ", "summary": "land reform land reform"}))
        .await;
    let pages = collect_pages(&app, "/api/v1/cases?q=land%20reform", 2).await;
    assert_eq!(pages.len(), 5);
    assert_eq!(
        pages[0],
        id(&strong),
        "the case that says it most ranks first"
    );
    let mut sorted = pages.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "no case twice");
}

#[tokio::test]
async fn the_hearing_calendar_is_an_icalendar_feed_in_the_courts_time_zones() {
    let app = spawn_app().await;
    let (case, _) = app.case_with_defender().await;
    let trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&case)),
            json!({"court": "Almaty City Court", "city": "Almaty"}),
        )
        .await;
    for (at, zone, status) in [
        ("2016-10-12T10:00:00+06:00", "Asia/Almaty", "held"),
        ("2016-10-19T09:30:00+06:00", "Asia/Almaty", "cancelled"),
    ] {
        app.create(
            &format!("/api/v1/trials/{}/hearings", id(&trial)),
            json!({"scheduled_at": at, "time_zone": zone, "status": status}),
        )
        .await;
    }
    let secret_case = app
        .create(
            "/api/v1/cases",
            json!({"title": "Hidden case", "country": "KZ", "confidential": true}),
        )
        .await;
    let secret_trial = app
        .create(
            &format!("/api/v1/cases/{}/trials", id(&secret_case)),
            json!({"court": "Closed"}),
        )
        .await;
    app.create(
        &format!("/api/v1/trials/{}/hearings", id(&secret_trial)),
        json!({"scheduled_at": "2016-10-13T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
    )
    .await;

    let response = app.get("/api/v1/hearings.ics?from=2016-01-01").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("text/calendar"));
    let feed = response.text().await.unwrap();
    assert!(feed.starts_with("BEGIN:VCALENDAR"), "{feed}");
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 3);
    assert!(
        feed.contains("DTSTART;TZID=Asia/Almaty:20161012T100000"),
        "{feed}"
    );
    assert!(feed.contains("DTSTART;TZID=Asia/Almaty:20161019T093000"));
    assert!(feed.contains("STATUS:CANCELLED"));
    assert!(feed.contains("SUMMARY:Hearing: Trial of Maks Bokayev"));
    // Long lines are folded (RFC 5545, 3.1).
    assert!(
        feed.replace("\r\n ", "")
            .contains("Defenders: Maks Bokayev."),
        "{feed}"
    );
    assert!(
        feed.contains("LOCATION:Almaty City Court\\, Almaty"),
        "{feed}"
    );

    // A calendar application subscribes with the token as a Basic password; a partner's
    // feed leaves out the confidential case.
    let partner = app.token("partner");
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/hearings.ics?from=2016-01-01"))
        .basic_auth("calendar", Some(&partner))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let feed = response.text().await.unwrap();
    assert_eq!(feed.matches("BEGIN:VEVENT").count(), 2);
    assert!(!feed.contains("Hidden case") && !feed.contains("Asia/Atyrau"));

    // By default the feed starts 30 days ago.
    let recent = app.get("/api/v1/hearings.ics").await.text().await.unwrap();
    assert_eq!(recent.matches("BEGIN:VEVENT").count(), 0);
    assert_invalid(
        app.get("/api/v1/hearings.ics?from=someday&format=xml")
            .await,
        &["format", "from"],
    )
    .await;
}

/// Each event's text is indexed as its own row: a query may match a case's own fields
/// and its events' texts together, partners search only what they may see, and that
/// follows the case and its defenders becoming confidential or public again.
#[tokio::test]
async fn search_joins_a_case_and_its_events_and_follows_confidentiality_changes() {
    let app = spawn_app().await;
    let case = app
        .create(
            "/api/v1/cases",
            json!({"title": "Trial of Ermek Narymbaev", "country": "KZ"}),
        )
        .await;
    let c = id(&case).to_string();
    let postponed = app
        .create(
            &format!("/api/v1/cases/{c}/events"),
            json!({"kind": "appeal", "occurred_on": "2026-03-02", "title": "Appeal hearing postponed"}),
        )
        .await;
    app.create(
        &format!("/api/v1/cases/{c}/events"),
        json!({"kind": "note", "occurred_on": "2026-03-03", "title": "Relocation plan agreed", "confidential": true}),
    )
    .await;
    let witness = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Saule Witness", "role": "lawyer", "country": "KZ", "confidential": true}),
        )
        .await;
    app.link(&c, id(&witness)).await;
    app.create(
        &format!("/api/v1/cases/{c}/events"),
        json!({"kind": "note", "occurred_on": "2026-03-04", "title": "Detention visit", "defender_ids": [id(&witness)]}),
    )
    .await;

    // The event's text is a row of its own; the case's document does not grow.
    assert_eq!(
        app.count(&format!(
            "event_search WHERE event_id = '{}'",
            id(&postponed)
        )),
        1
    );
    assert_eq!(app.count("case_search WHERE body LIKE '%postponed%'"), 0);

    let partner = app.client_as("partner");
    let search = |client: reqwest::Client, q: &'static str| {
        let url = app.url(&format!("/api/v1/cases?q={q}"));
        async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "q={q}");
            json_body(response).await["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| id(c).to_string())
                .collect::<Vec<_>>()
        }
    };
    let staff = app.client.clone();
    let one = vec![c.clone()];
    let none: Vec<String> = Vec::new();
    // Terms from the case's title and from two different events, together.
    assert_eq!(search(staff.clone(), "narymbaev%20postponed").await, one);
    assert_eq!(search(staff.clone(), "postponed%20relocation").await, one);
    assert_eq!(search(staff.clone(), "narymbaev%20nowhere").await, none);
    assert_eq!(search(partner.clone(), "narymbaev%20postponed").await, one);
    assert_eq!(search(partner.clone(), "relocation").await, none);
    assert_eq!(search(partner.clone(), "detention").await, none);
    assert_eq!(search(staff.clone(), "detention").await, one);

    // The case becomes confidential: partners find nothing of it, not even its events.
    let path = format!("/api/v1/cases/{c}");
    let set_confidential = |confidential: bool| {
        let path = path.clone();
        let app = &app;
        async move {
            let etag = app.etag(&path).await;
            let response = app
                .patch(&path, Some(&etag), &json!({ "confidential": confidential }))
                .await;
            assert_eq!(response.status(), StatusCode::OK);
        }
    };
    set_confidential(true).await;
    assert_eq!(search(partner.clone(), "postponed").await, none);
    assert_eq!(search(staff.clone(), "postponed").await, one);
    set_confidential(false).await;
    assert_eq!(search(partner.clone(), "postponed").await, one);
    assert_eq!(search(partner.clone(), "relocation").await, none);

    // The witness agrees to be named: the event naming them becomes searchable.
    let witness_path = format!("/api/v1/defenders/{}", id(&witness));
    let etag = app.etag(&witness_path).await;
    let response = app
        .patch(&witness_path, Some(&etag), &json!({"confidential": false}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(search(partner.clone(), "detention").await, one);

    // After an upgrade the index is rebuilt from the records when the service starts.
    let mut conn = app.db();
    diesel::sql_query("DELETE FROM event_search")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("DELETE FROM case_search")
        .execute(&mut conn)
        .unwrap();
    assert_eq!(search(staff.clone(), "postponed").await, none);
    case_tracker::db::run_migrations(&mut conn).unwrap();
    case_tracker::startup::prepare(&mut conn).unwrap();
    assert_eq!(search(staff.clone(), "narymbaev%20postponed").await, one);
    assert_eq!(search(partner.clone(), "postponed").await, one);
    assert_eq!(search(partner.clone(), "relocation").await, none);
}

#[tokio::test]
async fn the_defenders_an_event_names_are_rows_of_their_own_and_an_upgrade_fills_them_in() {
    use diesel_migrations::MigrationHarness;
    let app = spawn_app().await;
    let case = app.create_case("Harassment of two journalists").await;
    let named = app.create_defender("Maks Bokayev").await;
    let secret = app
        .create(
            "/api/v1/defenders",
            json!({"name": "Zhanargul Secretova", "role": "journalist", "country": "KZ", "confidential": true}),
        )
        .await;
    for d in [&named, &secret] {
        app.link(id(&case), id(d)).await;
    }
    let path = format!("/api/v1/cases/{}/events", id(&case));
    for (title, who) in [
        ("Summoned for questioning", vec![id(&named)]),
        ("Both threatened by phone", vec![id(&named), id(&secret)]),
        ("Followed home", vec![id(&secret)]),
    ] {
        let body = json!({"kind": "harassment", "occurred_on": "2016-05", "title": title, "defender_ids": who});
        let response = app.post(&path, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let rows = |app: &TestApp| -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = case_tracker::schema::event_defenders::table
            .inner_join(case_tracker::schema::events::table)
            .select((
                case_tracker::schema::events::title,
                case_tracker::schema::event_defenders::defender_id,
            ))
            .load(&mut app.db())
            .unwrap();
        rows.sort();
        rows
    };
    let expected = {
        let mut e: Vec<(String, String)> = [
            ("Both threatened by phone", id(&named)),
            ("Both threatened by phone", id(&secret)),
            ("Followed home", id(&secret)),
            ("Summoned for questioning", id(&named)),
        ]
        .iter()
        // Linking each defender left a change record naming them.
        .map(|(t, d)| (t.to_string(), d.to_string()))
        .collect();
        e.push((
            format!("{} added to the case as defendant", "Maks Bokayev"),
            id(&named).into(),
        ));
        e.push((
            format!("{} added to the case as defendant", "Zhanargul Secretova"),
            id(&secret).into(),
        ));
        e.sort();
        e
    };
    assert_eq!(rows(&app), expected);

    let partner = crate::helpers::client_for(&app.token("partner"));
    let titles = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["title"].as_str().unwrap().to_string())
            .collect()
    };
    let partner_titles = || async {
        let response = partner.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        titles(json_body(response).await)
    };
    let before = partner_titles().await;
    assert!(before.contains(&"Summoned for questioning".to_string()));
    assert!(!before
        .iter()
        .any(|t| t.contains("threatened") || t.contains("Followed") || t.contains("Secretova")));

    // A database from before the table: the upgrade fills it from the events' lists.
    let mut conn = app.db();
    let reverted = match &mut conn {
        case_tracker::db::DbConnection::Sqlite(c) => {
            c.revert_last_migration(case_tracker::db::SQLITE_MIGRATIONS)
        }
        case_tracker::db::DbConnection::Pg(c) => {
            c.revert_last_migration(case_tracker::db::POSTGRES_MIGRATIONS)
        }
    }
    .unwrap()
    .to_string();
    assert_eq!(reverted, "20261202000007");
    // Lists written before ids were checked for repeats may name a defender twice.
    diesel::sql_query(format!(
        "UPDATE events SET defender_ids = '[\"{0}\",\"{0}\"]' WHERE title = 'Summoned for questioning'",
        id(&named)
    ))
    .execute(&mut conn)
    .unwrap();
    case_tracker::db::run_migrations(&mut conn).unwrap();
    assert_eq!(rows(&app), expected);
    assert_eq!(partner_titles().await, before);
}
