//! What a hostile or careless client tries: bytes the database cannot hold, filters
//! that name hidden records, impossible dates, and the headers on every refusal.

use crate::access::confidential_fixture;
use crate::helpers::{
    assert_invalid, assert_problem, client_for, header, id, issue_token, json_body, spawn_app,
    TestApp,
};
use crate::trials::create_trial;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use diesel::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A cursor of `keys` sort keys, each holding a NUL character.
fn nul_cursor(keys: usize) -> String {
    let values: Vec<String> = (0..keys).map(|i| format!("{i}\u{0}")).collect();
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&values).unwrap())
}

const SECURITY_HEADERS: [&str; 4] = [
    "x-content-type-options",
    "x-frame-options",
    "content-security-policy",
    "cache-control",
];

fn assert_security_headers(response: &reqwest::Response, what: &str) {
    for name in SECURITY_HEADERS {
        assert!(
            response.headers().contains_key(name),
            "{what}: missing {name}"
        );
    }
}

#[tokio::test]
async fn a_nul_inside_a_cursor_or_a_parameter_is_refused_naming_it_on_every_list() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let (c, d) = (id(&case), id(&defender));
    let trial = create_trial(&app, c, "City court").await;
    let lists = [
        "/api/v1/cases".to_string(),
        "/api/v1/cases?q=Bokayev".to_string(),
        "/api/v1/defenders".to_string(),
        "/api/v1/defenders?q=Bokayev".to_string(),
        format!("/api/v1/defenders/{d}/cases"),
        format!("/api/v1/defenders/{d}/events"),
        format!("/api/v1/cases/{c}/events"),
        format!("/api/v1/cases/{c}/charges"),
        format!("/api/v1/cases/{c}/trials"),
        format!("/api/v1/cases/{c}/sentences"),
        format!("/api/v1/trials/{}/hearings", id(&trial)),
        "/api/v1/hearings".to_string(),
        "/api/v1/interventions".to_string(),
        "/api/v1/subscriptions".to_string(),
        "/api/v1/alerts".to_string(),
        "/api/v1/tokens".to_string(),
        "/api/v1/audit".to_string(),
        "/api/v1/countries".to_string(),
    ];
    for list in &lists {
        let join = if list.contains('?') { '&' } else { '?' };
        // Whatever number of keys the list's cursor has, a NUL in one never reaches
        // the database (PostgreSQL would refuse the byte with a 500).
        for keys in 1..=4 {
            let path = format!("{list}{join}cursor={}", nul_cursor(keys));
            let response = app.get(&path).await;
            assert_security_headers(&response, &path);
            let body = assert_invalid(response, &["cursor"]).await;
            assert!(body["errors"][0]["message"].is_string(), "{path}: {body}");
        }
        // A NUL in a query parameter is named, whichever parameter it is.
        let path = format!("{list}{join}limit=%00");
        assert_invalid(app.get(&path).await, &["limit"]).await;
    }
    let body = assert_invalid(app.get("/api/v1/cases?q=a%00b").await, &["q"]).await;
    assert_eq!(
        body["errors"][0]["message"],
        "must not contain a NUL character"
    );
    assert_invalid(app.get("/api/v1/cases?defender=%00").await, &["defender"]).await;
    // In a body: a string deep in a list, and a key, are named by their paths.
    let response = app
        .post(
            "/api/v1/cases",
            &json!({"title": "Nul", "country": "KZ", "subjects": ["land", "a\u{0}b"], "x\u{0}y": 1}),
        )
        .await;
    assert_invalid(response, &["subjects[1]", "x\\0y"]).await;
    // Nothing was written by any of it but the fixture's own records.
    assert_eq!(app.count("cases"), 1);
}

#[tokio::test]
async fn every_refusal_carries_the_security_headers_whichever_layer_answers() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let cases = [
        ("/api/v1/cases/%00", StatusCode::BAD_REQUEST, true),
        ("/api/v1/cases", StatusCode::UNAUTHORIZED, false),
        ("/no/such/route", StatusCode::NOT_FOUND, true),
        (
            "/api/v1/cases?limit=0",
            StatusCode::UNPROCESSABLE_ENTITY,
            true,
        ),
        ("/health", StatusCode::OK, false),
    ];
    for (path, status, with_token) in cases {
        let response = if with_token {
            app.get(path).await
        } else {
            anonymous.get(app.url(path)).send().await.unwrap()
        };
        assert_eq!(response.status(), status, "{path}");
        assert_security_headers(&response, path);
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
        assert!(response.headers().contains_key("x-request-id"), "{path}");
        if status != StatusCode::OK {
            assert_problem(response, status).await;
        }
    }
    // The NUL refusal is a problem document that says what is wrong.
    let body = assert_problem(app.get("/api/v1/cases/%00").await, StatusCode::BAD_REQUEST).await;
    assert!(body["detail"].as_str().unwrap().contains("NUL"), "{body}");
}

/// GETs `path` as `client`; expects 200 and returns the body.
async fn ok_json(app: &TestApp, client: &reqwest::Client, path: &str) -> Value {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    json_body(response).await
}

/// Makes the confidential record at `path` public.
async fn make_public(app: &TestApp, path: &str) {
    let etag = app.etag(path).await;
    let response = app
        .patch(path, Some(&etag), &json!({"confidential": false}))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
}

#[tokio::test]
async fn a_filter_naming_a_hidden_defender_answers_a_partner_as_an_unknown_one_does() {
    let app = spawn_app().await;
    let (public, _hidden, secret) = confidential_fixture(&app).await;
    let partner = app.client_as("partner");
    let by_secret = format!("/api/v1/cases?defender={}", id(&secret));
    let hidden = ok_json(&app, &partner, &by_secret).await;
    let unknown = ok_json(
        &app,
        &partner,
        "/api/v1/cases?defender=00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(hidden, unknown);
    assert_eq!(hidden["items"], json!([]));
    let searched = ok_json(
        &app,
        &partner,
        &format!("/api/v1/cases?q=Bokayev&defender={}", id(&secret)),
    )
    .await;
    assert_eq!(searched["items"], json!([]));
    // Staff see the case the defender is in.
    let staff = ok_json(&app, &app.client, &by_secret).await;
    assert_eq!(staff["items"][0]["id"], public["id"]);
    // Once the defender is no longer confidential, partners find the case by them.
    make_public(&app, &format!("/api/v1/defenders/{}", id(&secret))).await;
    let shown = ok_json(&app, &partner, &by_secret).await;
    assert_eq!(shown["items"][0]["id"], public["id"]);
}

/// A partner token and the address of its subscriber.
fn partner(app: &TestApp) -> (reqwest::Client, String) {
    let email = format!("{}@partners.example", uuid::Uuid::new_v4().simple());
    let token = issue_token(&app.database_url, "partner", "Partner NGO", Some(&email));
    (client_for(&token), email)
}

#[tokio::test]
async fn a_partner_never_learns_of_a_confidential_case_through_a_subscription_staff_made() {
    let app = spawn_app().await;
    let (public, hidden, _) = confidential_fixture(&app).await;
    let (partner, email) = partner(&app);
    let subscriber = json!({"name": "Partner NGO", "email": email});
    let secret = app
        .create(
            "/api/v1/subscriptions",
            json!({"subscriber": subscriber, "case_id": id(&hidden)}),
        )
        .await;
    let open = app
        .create(
            "/api/v1/subscriptions",
            json!({"subscriber": subscriber, "case_id": id(&public)}),
        )
        .await;
    let all = ok_json(&app, &partner, "/api/v1/subscriptions").await;
    let ids: Vec<&Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids, vec![&open["id"]]);
    assert!(!all.to_string().contains(id(&hidden)), "{all}");
    let of_hidden = format!("/api/v1/subscriptions?case={}", id(&hidden));
    let filtered = ok_json(&app, &partner, &of_hidden).await;
    let unknown = ok_json(
        &app,
        &partner,
        "/api/v1/subscriptions?case=00000000-0000-0000-0000-000000000000",
    )
    .await;
    assert_eq!(filtered, unknown);

    // By id, reading or ending it: exactly as missing as an unknown subscription.
    let by_id = partner
        .get(app.url(&format!("/api/v1/subscriptions/{}", id(&secret))))
        .send()
        .await
        .unwrap();
    let missing = partner
        .get(app.url("/api/v1/subscriptions/00000000-0000-0000-0000-000000000000"))
        .send()
        .await
        .unwrap();
    let (a, b) = (
        assert_problem(by_id, StatusCode::NOT_FOUND).await,
        assert_problem(missing, StatusCode::NOT_FOUND).await,
    );
    assert_eq!(a, b);
    let ended = partner
        .delete(app.url(&format!("/api/v1/subscriptions/{}", id(&secret))))
        .header("If-Match", "*")
        .send()
        .await
        .unwrap();
    assert_problem(ended, StatusCode::NOT_FOUND).await;
    assert_eq!(
        app.count(&format!(
            "subscriptions WHERE id = '{}' AND cancelled_at IS NULL",
            id(&secret)
        )),
        1
    );
    // Staff see both; when the case is made public, the partner sees it too.
    let staff = ok_json(&app, &app.client, &of_hidden).await;
    assert_eq!(staff["items"][0]["id"], secret["id"]);
    make_public(&app, &format!("/api/v1/cases/{}", id(&hidden))).await;
    let shown = ok_json(&app, &partner, &of_hidden).await;
    assert_eq!(shown["items"][0]["id"], secret["id"]);
}

/// How many audit rows of `action` name `resource`.
fn audited(app: &TestApp, action: &str, resource: &str) -> i64 {
    app.count(&format!(
        "audit_log WHERE action = '{action}' AND resource = '{resource}'"
    ))
}

#[tokio::test]
async fn each_confidential_record_is_audited_once_per_request_however_it_was_reached() {
    let app = spawn_app().await;
    let (public, hidden, secret) = confidential_fixture(&app).await;
    let (p, h, d) = (id(&public), id(&hidden), id(&secret));
    // The confidential defender is in the confidential case too, which has a history.
    app.link(h, d).await;
    app.create(
        &format!("/api/v1/cases/{h}/events"),
        json!({"kind": "detention", "occurred_on": "2016-11", "title": "Moved to a closed facility"}),
    )
    .await;
    // A second hearing of the public case, where the confidential defender is.
    let trial = json_body(app.get(&format!("/api/v1/cases/{p}/trials")).await).await["items"][0]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.create(
        &format!("/api/v1/trials/{trial}/hearings"),
        json!({"scheduled_at": "2016-10-19T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
    )
    .await;

    let researcher = app.client_as("researcher");
    ok_json(&app, &researcher, &format!("/api/v1/defenders/{d}/events")).await;
    let action = format!("GET /api/v1/defenders/{d}/events");
    assert_eq!(audited(&app, &action, &format!("case {h}")), 1);
    assert_eq!(audited(&app, &action, &format!("defender {d}")), 1);

    ok_json(&app, &researcher, "/api/v1/hearings?from=2016-01-01").await;
    assert_eq!(
        audited(&app, "GET /api/v1/hearings", &format!("defender {d}")),
        1
    );
    assert_eq!(
        audited(&app, "GET /api/v1/hearings", &format!("case {h}")),
        1
    );
    let feed = researcher
        .get(app.url("/api/v1/hearings.ics?from=2016-01-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), StatusCode::OK);
    feed.bytes().await.unwrap();
    assert_eq!(
        audited(&app, "GET /api/v1/hearings.ics", &format!("defender {d}")),
        1
    );
    assert_eq!(
        audited(&app, "GET /api/v1/hearings.ics", &format!("case {h}")),
        1
    );
}

#[tokio::test]
async fn dates_outside_1900_to_2100_and_instants_that_are_not_rfc_3339_are_refused() {
    let app = spawn_app().await;
    let (case, _) = app.case_with_defender().await;
    let c = id(&case);
    let events_before = app.count("events");
    for date in [
        "0000",
        "1899",
        "2101",
        "1899-12",
        "2101-01-01",
        "+2016",
        "12016",
    ] {
        let response = app
            .post(
                &format!("/api/v1/cases/{c}/events"),
                &json!({"kind": "arrest", "occurred_on": date, "title": "Arrested"}),
            )
            .await;
        let body = assert_invalid(response, &["occurred_on"]).await;
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("1900"),
            "{body}"
        );
    }
    assert_eq!(app.count("events"), events_before);
    for bounds in ["1900", "2100-12-31"] {
        let response = app
            .post(
                &format!("/api/v1/cases/{c}/events"),
                &json!({"kind": "arrest", "occurred_on": bounds, "title": "Arrested"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{bounds}");
    }
    assert_invalid(
        app.get(&format!("/api/v1/cases/{c}/events?since=1899"))
            .await,
        &["since"],
    )
    .await;

    let trial = create_trial(&app, c, "City court").await;
    let hearings = format!("/api/v1/trials/{}/hearings", id(&trial));
    let bad = [
        "+12016-10-12T10:00:00+05:00",
        "12016-10-12T10:00:00+05:00",
        "1899-10-12T10:00:00+05:00",
        "2016-10-12 10:00:00+05:00",
        "2016-10-12T10:00:00",
    ];
    for at in bad {
        let response = app
            .post(
                &hearings,
                &json!({"scheduled_at": at, "time_zone": "Asia/Atyrau"}),
            )
            .await;
        assert_invalid(response, &["scheduled_at"]).await;
    }
    assert_eq!(app.count("hearings"), 0);
    let hearing = app
        .create(
            &hearings,
            json!({"scheduled_at": "2016-10-12T10:00:00+05:00", "time_zone": "Asia/Atyrau"}),
        )
        .await;
    let path = format!("/api/v1/hearings/{}", id(&hearing));
    let etag = app.etag(&path).await;
    for at in bad {
        let response = app
            .patch(&path, Some(&etag), &json!({"scheduled_at": at}))
            .await;
        assert_invalid(response, &["scheduled_at"]).await;
    }
    let stored = json_body(app.get(&path).await).await;
    assert_eq!(stored["scheduled_at"], "2016-10-12T10:00:00+05:00");
    assert_eq!(header(&app.get(&path).await, "etag"), etag);
    // Calendar bounds and token expiry follow the same rule.
    assert_invalid(
        app.get("/api/v1/hearings?from=%2B12016-01-01").await,
        &["from"],
    )
    .await;
    let response = app
        .post(
            "/api/v1/tokens",
            &json!({"name": "Script", "role": "advocate", "expires_at": "+12016-10-12T10:00:00Z"}),
        )
        .await;
    assert_invalid(response, &["expires_at"]).await;
}

#[tokio::test]
async fn the_openapi_document_states_the_rules_the_service_enforces() {
    let app = spawn_app().await;
    let doc = json_body(app.get("/api/v1/openapi.json").await).await;
    let schema =
        |name: &str, field: &str| doc["components"]["schemas"][name]["properties"][field].clone();
    // Texts: their lengths, not blank, no NUL.
    let title = schema("CreateCase", "title");
    assert_eq!(
        (title["minLength"].as_u64(), title["maxLength"].as_u64()),
        (Some(1), Some(300))
    );
    assert_eq!(
        title["pattern"],
        case_tracker::domain::schema::non_blank_pattern(),
        "{title}"
    );
    assert_eq!(
        schema("CreateCase", "summary")["pattern"],
        case_tracker::domain::schema::no_nul_pattern()
    );
    assert_eq!(schema("CreateCase", "summary")["maxLength"], 20000);
    assert_eq!(
        schema("CreateCase", "country")["$ref"],
        "#/components/schemas/CountryCode"
    );
    // Lists: how many, how long each entry, none twice.
    let subjects = schema("CreateCase", "subjects");
    assert_eq!(subjects["uniqueItems"], true);
    assert_eq!(subjects["maxItems"], 20);
    assert_eq!(subjects["items"]["maxLength"], 100);
    let names = schema("UpdateDefender", "other_names");
    assert_eq!(
        (names["uniqueItems"].as_bool(), names["maxItems"].as_u64()),
        (Some(true), Some(20))
    );
    let languages = schema("CreateIntervention", "languages");
    assert!(languages["items"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("kk")));
    assert_eq!(schema("LogEvent", "defender_ids")["uniqueItems"], true);
    // Dates and instants: the years the service takes.
    let date = schema("CreateIntervention", "issued_on");
    assert_eq!(date["format"], "date");
    assert!(date["pattern"].as_str().unwrap().contains("2100"), "{date}");
    assert!(schema("LogEvent", "occurred_on")["pattern"]
        .as_str()
        .unwrap()
        .contains("(19[0-9]{2}|20[0-9]{2}|2100)"));
    let at = schema("CreateHearing", "scheduled_at");
    assert_eq!(at["format"], "date-time");
    assert!(at["pattern"].as_str().unwrap().contains("[Tt]"), "{at}");
    assert!(schema("CreateHearing", "time_zone")["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("Asia/Almaty")));
    // Numbers, currencies, addresses.
    assert_eq!(schema("CreateSentence", "amount")["minimum"], 1);
    assert_eq!(schema("CreateSentence", "term_months")["maximum"], 1200);
    let currency = &schema("CreateSentence", "currency")["oneOf"][0];
    assert!(currency["enum"].as_array().unwrap().contains(&json!("KZT")));
    let url = &schema("LogEvent", "source_url")["oneOf"][0];
    assert_eq!(url["format"], "iri");
    assert!(url["pattern"]
        .as_str()
        .unwrap()
        .starts_with("^[Hh][Tt][Tt][Pp]"));
    assert_eq!(schema("NewSubscriber", "email")["format"], "email");
    // What a PATCH may not clear is not nullable.
    assert_eq!(
        schema("UpdateIntervention", "type")["$ref"],
        "#/components/schemas/InterventionType"
    );
    assert_eq!(schema("UpdateIntervention", "issued_on")["type"], "string");
    // Query parameters too.
    let params = doc["paths"]["/api/v1/cases/{id}/events"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .clone();
    let param = |name: &str| params.iter().find(|p| p["name"] == name).unwrap()["schema"].clone();
    assert!(param("since")["pattern"]
        .as_str()
        .unwrap()
        .contains("(19[0-9]{2}|20[0-9]{2}|2100)"));
    assert!(param("kind")["pattern"]
        .as_str()
        .unwrap()
        .contains("arrest"));
    assert_eq!(param("order")["enum"], json!(["asc", "desc"]));
    assert_eq!(param("cursor")["pattern"], "^[A-Za-z0-9_-]+$");
}

#[tokio::test]
async fn integral_numbers_are_integers_and_stated_rules_hold_at_their_bounds() {
    let app = spawn_app().await;
    let (case, defender) = app.case_with_defender().await;
    let path = format!("/api/v1/cases/{}/sentences", id(&case));
    let sentence = app
        .create(
            &path,
            json!({"defender_id": id(&defender), "kind": "fine", "amount": 8218960837.0, "currency": "KZT"}),
        )
        .await;
    assert_eq!(sentence["amount"], 8218960837i64);
    let response = app
        .post(
            &path,
            &json!({"defender_id": id(&defender), "kind": "prison", "term_months": 12.5}),
        )
        .await;
    assert_invalid(response, &["term_months"]).await;
    for (field, value) in [("amount", json!(0)), ("term_months", json!(1201))] {
        let mut body =
            json!({"defender_id": id(&defender), "kind": "fine", "amount": 5, "currency": "KZT"});
        body[field] = value;
        assert_invalid(app.post(&path, &body).await, &[field]).await;
    }
    // A list entry given twice, a blank text, an address that is not the web's.
    let response = app
        .post(
            "/api/v1/cases",
            &json!({"title": " \u{3000}\t", "country": "KZ", "subjects": ["land", "land"]}),
        )
        .await;
    assert_invalid(response, &["subjects", "title"]).await;
    for url in [
        "ftp://example.org/a",
        "http://192.168.0.1/x",
        "http://user@example.org/",
        "https://example.org/a b",
        "https://example.org:123456/",
    ] {
        let response = app
            .post(
                &format!("/api/v1/cases/{}/events", id(&case)),
                &json!({"kind": "arrest", "occurred_on": "2016", "title": "Arrested", "source_url": url}),
            )
            .await;
        assert_invalid(response, &["source_url"]).await;
    }
    let response = app
        .post(
            &format!("/api/v1/cases/{}/events", id(&case)),
            &json!({"kind": "arrest", "occurred_on": "2016", "title": "Arrested",
                    "source_url": "HTTPS://www.example.org:8080/путь?q=1#x",
                    "defender_ids": [id(&defender), id(&defender)]}),
        )
        .await;
    assert_invalid(response, &["defender_ids"]).await;
    let event = app
        .create(
            &format!("/api/v1/cases/{}/events", id(&case)),
            json!({"kind": "arrest", "occurred_on": "2016", "title": "Arrested",
                   "source_url": "HTTPS://www.example.org:8080/путь?q=1#x"}),
        )
        .await;
    assert!(event["source_url"]
        .as_str()
        .unwrap()
        .starts_with("HTTPS://www.example.org"));
    // PATCH may not clear what an intervention must have; the schema says so.
    let intervention = app
        .create(
            "/api/v1/interventions",
            json!({"type": "urgent_appeal", "title": "UA 1/16", "issued_on": "2016-05-20", "country": "KZ"}),
        )
        .await;
    let ipath = format!("/api/v1/interventions/{}", id(&intervention));
    let etag = app.etag(&ipath).await;
    let response = app
        .patch(
            &ipath,
            Some(&etag),
            &json!({"type": null, "issued_on": null}),
        )
        .await;
    assert_invalid(response, &["issued_on", "type"]).await;
    assert_eq!(header(&app.get(&ipath).await, "etag"), etag);
}

#[tokio::test]
async fn a_query_parameter_given_twice_is_refused_naming_it() {
    let app = spawn_app().await;
    let (case, _) = app.case_with_defender().await;
    let response = app
        .get(&format!(
            "/api/v1/cases/{}/events?kind=arrest&kind=release",
            id(&case)
        ))
        .await;
    let body = assert_invalid(response, &["kind"]).await;
    assert_eq!(body["errors"][0]["message"], "is given more than once");
    assert_invalid(app.get("/api/v1/cases?limit=1&limit=2").await, &["limit"]).await;
}

#[tokio::test]
async fn a_write_the_database_refuses_answers_409_without_the_database_s_words() {
    let app = spawn_app().await;
    let mut conn = app.db();
    // Constraints the service does not check first, so that the database refuses.
    diesel::sql_query("CREATE UNIQUE INDEX cases_title_unique ON cases (title)")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("DELETE FROM countries WHERE code = 'AD'")
        .execute(&mut conn)
        .unwrap();
    app.create_case("Only once").await;
    let before = app.count("cases");
    for (body, said) in [
        (
            json!({"title": "Only once", "country": "KZ"}),
            "a record with the same values exists already",
        ),
        (
            json!({"title": "In Andorra", "country": "AD"}),
            "the change would break a link between records: a record it names does not exist, or another record still refers to it",
        ),
    ] {
        let response = app.post("/api/v1/cases", &body).await;
        let problem = assert_problem(response, StatusCode::CONFLICT).await;
        assert_eq!(problem["detail"], said);
        let detail = problem["detail"].as_str().unwrap().to_lowercase();
        for word in [
            "constraint",
            "unique",
            "foreign key",
            "violates",
            "cases",
            "countries",
            "sqlite",
            "index",
        ] {
            assert!(!detail.contains(word), "{word} in {detail}");
        }
    }
    assert_eq!(app.count("cases"), before);
}
