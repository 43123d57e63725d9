//! The demonstration data set: the Kazakhstan 2016 land-reform protest case and the
//! defenders named beside it in the joint NGO press release of 23 November 2016.
//!
//! Every record goes through the same parsing, validation and store functions as an
//! API request, in one transaction.

use crate::db::{write_transaction, Db, DbConnection};
use crate::error::{ApiError, ApiResult};
use crate::http::parse_body;
use crate::{
    cases, charges, defenders, effects, events, hearings, interventions, sentences, trials,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use validator::Validate;

pub const MAIN_CASE_TITLE: &str =
    "Kazakhstan: trial of land-reform protest leaders Maks Bokayev and Talgat Ayan";

/// Parses a request body the way `ApiJson` does.
fn input<T: DeserializeOwned + Validate>(body: Value) -> ApiResult<T> {
    parse_body(body).map_err(ApiError::Validation)
}

/// A record of a case, with its change record.
fn add<R: crate::records::CaseRecord>(
    conn: &mut DbConnection,
    actor: &str,
    parent_id: &str,
    body: Value,
) -> ApiResult<R> {
    let (record, change) = crate::records::create::<R>(conn, parent_id, input(body)?)?;
    effects::record(conn, actor, change)?;
    Ok(record)
}

fn defender(conn: &mut DbConnection, body: Value) -> ApiResult<defenders::Defender> {
    Ok(defenders::store::insert(
        conn,
        input::<defenders::CreateDefender>(body)?.into_new()?,
    )?)
}

fn case(conn: &mut DbConnection, actor: &str, body: Value) -> ApiResult<cases::Case> {
    let (case, change) = cases::store::insert(conn, input::<cases::CreateCase>(body)?.into_new()?)?;
    effects::record(conn, actor, change)?;
    Ok(case)
}

fn link(
    conn: &mut DbConnection,
    actor: &str,
    case: &cases::Case,
    d: &defenders::Defender,
    role: &str,
) -> ApiResult<()> {
    let body = input::<cases::LinkDefender>(json!({ "role": role }))?;
    let (_, _, change) = cases::store::link_defender(conn, case, d, body.role)?;
    Ok(effects::record_all(conn, actor, change)?)
}

fn intervention(conn: &mut DbConnection, body: Value) -> ApiResult<interventions::Intervention> {
    Ok(interventions::store::insert(
        conn,
        input::<interventions::CreateIntervention>(body)?.into_new()?,
    )?)
}

/// Loads the demonstration cases unless they are already there; returns a summary.
pub fn load(db: &Db, actor: &str) -> ApiResult<String> {
    let mut conn = db.get()?;
    write_transaction(&mut conn, |conn| {
        if let Some(existing) = cases::store::find_by_title(conn, MAIN_CASE_TITLE)? {
            return Ok(format!("demo data already loaded: case {}", existing.id));
        }
        load_all(conn, actor)
    })
}

fn load_all(conn: &mut DbConnection, actor: &str) -> ApiResult<String> {
    let bokayev = defender(
        conn,
        json!({
            "name": "Maks Bokayev",
            "other_names": ["Max Bokayev", "Maks Bokaev", "Макс Бокаев"],
            "role": "activist",
            "country": "KZ",
            "details": "Civil-society activist from Atyrau; a leader of the peaceful land-reform protests of April–May 2016."
        }),
    )?;
    let ayan = defender(
        conn,
        json!({
            "name": "Talgat Ayan",
            "other_names": ["Talgat Ayanov", "Талгат Аян"],
            "role": "activist",
            "country": "KZ",
            "details": "Civil-society activist from Atyrau; a leader of the peaceful land-reform protests of April–May 2016."
        }),
    )?;
    let main = case(
        conn,
        actor,
        json!({
            "title": MAIN_CASE_TITLE,
            "country": "KZ",
            "summary": "Maks Bokayev and Talgat Ayan are tried for their role in the peaceful land-reform protests of April–May 2016. The trial opened on 12 October 2016; observers reported procedural violations in its first four hearings. The prosecution sought eight-year prison terms for both.",
            "subjects": ["Human Rights Defenders", "Freedom of assembly", "Land rights"],
            "opened_on": "2016-05-17"
        }),
    )?;
    link(conn, actor, &main, &bokayev, "defendant")?;
    link(conn, actor, &main, &ayan, "defendant")?;

    let counts = [
        (
            "Criminal Code of Kazakhstan, art. 400",
            "Violating the procedure for holding protests",
        ),
        (
            "Criminal Code of Kazakhstan, art. 274",
            "Disseminating information known to be false",
        ),
        (
            "Criminal Code of Kazakhstan, art. 174",
            "Inciting social discord",
        ),
    ];
    for d in [&bokayev, &ayan] {
        for (basis, description) in counts {
            let body = json!({
                "defender_id": d.id,
                "legal_basis": basis,
                "description": description,
                "status": "pending"
            });
            add::<charges::Charge>(conn, actor, &main.id, body)?;
        }
    }

    let trial = add::<trials::Trial>(
        conn,
        actor,
        &main.id,
        json!({
            "court": "Atyrau City Court No. 2",
            "city": "Atyrau",
            "instance": "first_instance",
            "started_on": "2016-10-12",
            "status": "ongoing"
        }),
    )?;
    for day in ["2016-10-12", "2016-10-13", "2016-10-14", "2016-10-17"] {
        let body = json!({
            "scheduled_at": format!("{day}T10:00:00+05:00"),
            "time_zone": "Asia/Atyrau",
            "status": "held",
            "observers": "Joint NGO trial observation",
            "violations": "Procedural violations reported by observers (report of 20 October 2016)."
        });
        add::<hearings::Hearing>(conn, actor, &trial.id, body)?;
    }

    // Defenders named in the same release who had already been sentenced.
    let others = [
        ("Guzyal Baydalinova", "editor", "prison", Some(18), "Editor; convicted of disseminating information known to be false."),
        ("Ermek Narymbaev", "activist", "restricted_freedom", Some(36), "Activist; convicted of inciting social discord."),
        ("Bolatbek Blyalov", "activist", "restricted_freedom", Some(36), "Activist; convicted of inciting social discord."),
        ("Serikzhan Mambetalin", "political_activist", "restricted_freedom", Some(12), "Political activist; convicted of inciting social discord."),
        ("Makhambet Abzhan", "activist", "restricted_freedom", Some(24), "Defender convicted of allegedly resisting police; two years of court-imposed restrictions on his freedom of movement, not prison."),
    ];
    let mut case_ids = vec![main.id.clone()];
    for (name, role, kind, months, description) in others {
        let d = defender(conn, json!({ "name": name, "role": role, "country": "KZ" }))?;
        let c = case(
            conn,
            actor,
            json!({
                "title": format!("Kazakhstan: conviction of {name}"),
                "country": "KZ",
                "summary": description,
                "subjects": ["Human Rights Defenders", "Freedom of expression"]
            }),
        )?;
        link(conn, actor, &c, &d, "defendant")?;
        let body = json!({
            "defender_id": d.id,
            "kind": kind,
            "term_months": months,
            "description": description,
            "status": "in_force"
        });
        add::<sentences::Sentence>(conn, actor, &c.id, body)?;
        case_ids.push(c.id);
    }

    let opening = intervention(
        conn,
        json!({
            "type": "press_release",
            "title": "Kazakhstan: land-reform protest leaders Maks Bokayev and Talgat Ayan go on trial",
            "issued_on": "2016-10-11",
            "country": "KZ",
            "languages": ["en", "fr", "es"],
            "subjects": ["Human Rights Defenders"],
            "addressed_to": ["Prosecutor General of the Republic of Kazakhstan"],
            "actions_requested": "Drop the charges and release Maks Bokayev and Talgat Ayan."
        }),
    )?;
    let report = intervention(
        conn,
        json!({
            "type": "report",
            "title": "Kazakhstan: procedural violations in the first four hearings of the trial of Maks Bokayev and Talgat Ayan",
            "issued_on": "2016-10-20",
            "country": "KZ",
            "languages": ["en"],
            "subjects": ["Human Rights Defenders"],
            "follows_id": opening.id
        }),
    )?;
    let briefing = intervention(
        conn,
        json!({
            "type": "briefing",
            "title": "Joint NGO briefing to the European Union on defenders at risk in Kazakhstan",
            "issued_on": "2016-11-23",
            "country": "KZ",
            "languages": ["en", "fr", "es"],
            "subjects": ["Human Rights Defenders"],
            "addressed_to": ["European Union"]
        }),
    )?;
    let un = intervention(
        conn,
        json!({
            "type": "statement",
            "title": "UN body declares the detention of Maks Bokayev and Talgat Ayan arbitrary",
            "issued_on": "2017-08-24",
            "country": "KZ",
            "languages": ["en"],
            "subjects": ["Human Rights Defenders"],
            "follows_id": report.id
        }),
    )?;
    for i in [&opening, &report, &un] {
        let change = interventions::store::link_case(conn, i, &main.id)?;
        effects::record_all(conn, actor, change)?;
    }

    // What happened, as researchers log it, with dates as precise as they are known.
    let both = [bokayev.id.clone(), ayan.id.clone()];
    let story = [
        (
            "arrest",
            "2016-05",
            "Maks Bokayev and Talgat Ayan detained after the peaceful land-reform protests",
            None,
        ),
        (
            "note",
            "2016-10-12",
            "Their trial opens at Atyrau City Court No. 2",
            Some(&opening.id),
        ),
        (
            "note",
            "2016-10-20",
            "Observers report procedural violations in the first four hearings",
            Some(&report.id),
        ),
        (
            "prosecution_demand",
            "2016-11",
            "The prosecution seeks eight-year prison terms for both",
            Some(&briefing.id),
        ),
        (
            "un_decision",
            "2017-08-24",
            "A UN body declares their detention arbitrary",
            Some(&un.id),
        ),
    ];
    for (kind, on, title, source) in story {
        let body = input::<events::LogEvent>(json!({
            "kind": kind,
            "occurred_on": on,
            "title": title,
            "intervention_id": source,
            "defender_ids": both,
        }))?;
        let new = events::store::log(conn, &main.id, actor, body)?;
        effects::logged(conn, &new)?;
    }
    for id in &case_ids {
        let change = interventions::store::link_case(conn, &briefing, id)?;
        effects::record_all(conn, actor, change)?;
    }
    Ok(format!(
        "demo data loaded: case {} (Bokayev and Ayan) and {} related cases",
        main.id,
        case_ids.len() - 1
    ))
}
