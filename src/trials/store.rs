use super::{NewTrial, Trial};
use crate::db::DbConnection;
use crate::error::{conflict, not_found, ApiError, ApiResult};
use crate::events::{diff, store::record, ChangeRecord};
use crate::schema::{cases, hearings, trials::dsl as ch};
use diesel::prelude::*;

pub fn for_case(conn: &mut DbConnection, case_id: &str) -> ApiResult<Vec<Trial>> {
    Ok(ch::trials
        .filter(ch::case_id.eq(case_id))
        .order(ch::id)
        .select(Trial::as_select())
        .load(conn)?)
}

pub fn page(
    conn: &mut DbConnection,
    case_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Trial>> {
    let mut query = ch::trials
        .filter(ch::case_id.eq(case_id.to_string()))
        .select(Trial::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ch::id.gt(after.to_string()));
    }
    Ok(query.order(ch::id).limit(limit).load(conn)?)
}

/// A charge of a case that has not been deleted.
pub fn get(conn: &mut DbConnection, id: &str) -> ApiResult<Trial> {
    ch::trials
        .inner_join(cases::table)
        .filter(ch::id.eq(id))
        .filter(cases::deleted_at.is_null())
        .select(Trial::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("trial"))
}

fn describe(trial: &Trial) -> String {
    let place = trial
        .city
        .as_deref()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    format!(
        "{} trial at {}{place}",
        trial.instance.replace('_', " "),
        trial.court
    )
}

pub fn insert(conn: &mut DbConnection, actor: &str, new: NewTrial) -> ApiResult<Trial> {
    diesel::insert_into(ch::trials).values(&new).execute(conn)?;
    let trial = get(conn, &new.id)?;
    let when = trial
        .started_on
        .map(|d| format!(", opening {d}"))
        .unwrap_or_default();
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: trial.case_id.clone(),
            kind: "trial_created".into(),
            record_type: "trial",
            record_id: trial.id.clone(),
            title: format!("{}{when}", capitalise(&describe(&trial))),
            changes: diff(None, Some(&trial)),
            defender_ids: vec![],
        },
    )?;
    Ok(trial)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    current: &Trial,
    next: &Trial,
) -> ApiResult<()> {
    let written = diesel::update(
        ch::trials
            .find(&next.id)
            .filter(ch::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(ApiError::PreconditionFailed(
            "the trial was changed meanwhile; fetch it again".into(),
        ));
    }
    let changes = diff(Some(current), Some(next));
    if changes.is_empty() {
        return Ok(());
    }
    let (kind, title) = if current.status != next.status || current.outcome != next.outcome {
        let outcome = next
            .outcome
            .as_deref()
            .map(|o| format!(": {}", o.replace('_', " ")))
            .unwrap_or_default();
        (
            "trial_status_changed",
            format!("{} {}{outcome}", capitalise(&describe(next)), next.status),
        )
    } else {
        (
            "trial_updated",
            format!("{} updated", capitalise(&describe(next))),
        )
    };
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: next.case_id.clone(),
            kind: kind.into(),
            record_type: "trial",
            record_id: next.id.clone(),
            title,
            changes,
            defender_ids: vec![],
        },
    )
}

/// Deletes a trial that has no hearings left.
pub fn delete(conn: &mut DbConnection, actor: &str, trial: &Trial) -> ApiResult<()> {
    let sessions: i64 = hearings::table
        .filter(hearings::trial_id.eq(&trial.id))
        .count()
        .get_result(conn)?;
    if sessions > 0 {
        return Err(conflict(format!(
            "the trial has {sessions} hearing(s); delete them first so the history records each"
        )));
    }
    let deleted = diesel::delete(
        ch::trials
            .find(&trial.id)
            .filter(ch::version.eq(trial.version)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(ApiError::PreconditionFailed(
            "the trial was changed meanwhile".into(),
        ));
    }
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: trial.case_id.clone(),
            kind: "trial_deleted".into(),
            record_type: "trial",
            record_id: trial.id.clone(),
            title: format!("Record of the {} removed", describe(trial)),
            changes: diff(Some(trial), None),
            defender_ids: vec![],
        },
    )
}
