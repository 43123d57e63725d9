use crate::helpers::{id, json_body, spawn_app};
use reqwest::StatusCode;
use std::process::Command;

fn run_demo(database_url: &str) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_case-tracker"))
        .arg("demo")
        .env("APP_DATABASE__URL", database_url)
        .env("APP_LOG__LEVEL", "warn")
        .output()
        .expect("run the demo command");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).to_string()
}

#[tokio::test]
async fn the_demo_loads_the_kazakhstan_case_once() {
    let app = spawn_app().await;
    let printed = run_demo(&app.database_url);
    assert!(printed.contains("demo data loaded"), "{printed}");

    let page = json_body(app.get("/api/v1/cases?q=Bokaev&country=KZ").await).await;
    let found = page["items"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{page}");
    let response = app.get(&format!("/api/v1/cases/{}", id(&found[0]))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let case = json_body(response).await;
    let names: Vec<&str> = case["defenders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Maks Bokayev", "Talgat Ayan"]);
    assert_eq!(
        case["charges"].as_array().unwrap().len(),
        6,
        "three charges each"
    );
    assert_eq!(case["trials"][0]["started_on"], "2016-10-12");
    assert_eq!(case["trials"][0]["hearings"].as_array().unwrap().len(), 4);
    assert_eq!(case["interventions"].as_array().unwrap().len(), 4);

    let ayanov = json_body(app.get("/api/v1/defenders?q=ayanov").await).await;
    assert_eq!(
        ayanov["items"][0]["name"], "Talgat Ayan",
        "found by another spelling"
    );
    assert_eq!(app.count("sentences"), 5);
    assert_eq!(
        app.count("sentences WHERE kind = 'restricted_freedom' AND term_months = 24"),
        1,
        "Abzhan"
    );
    assert_eq!(app.count("cases WHERE country = 'KZ'"), 6);
    assert_eq!(app.count("interventions WHERE follows_id IS NOT NULL"), 2);

    // The history reads as the story of the case, in the order things happened.
    let history = json_body(
        app.get(&format!("/api/v1/cases/{}/events?limit=200", id(&found[0])))
            .await,
    )
    .await;
    let logged: Vec<(&str, &str)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["record_type"].is_null())
        .map(|e| {
            (
                e["occurred_on"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        logged,
        [
            ("2016-05", "arrest"),
            ("2016-10-12", "note"),
            ("2016-10-20", "note"),
            ("2016-11", "prosecution_demand"),
            ("2017-08-24", "un_decision")
        ]
    );
    let titles = history.to_string();
    for line in [
        "Maks Bokayev charged",
        "Hearing scheduled for 2016-10-12 10:00 (Asia/Atyrau)",
        "covers the case",
    ] {
        assert!(titles.contains(line), "{line}");
    }

    let again = run_demo(&app.database_url);
    assert!(again.contains("already loaded"), "{again}");
    assert_eq!(app.count("cases"), 6);
}
