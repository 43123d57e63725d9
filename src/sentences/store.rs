use super::{describe, NewSentence, Sentence};
use crate::db::DbConnection;
use crate::error::{not_found, ApiError, ApiResult};
use crate::events::{diff, store::record, ChangeRecord};
use crate::schema::{cases, sentences::dsl as ch};
use diesel::prelude::*;

pub fn for_case(conn: &mut DbConnection, case_id: &str) -> ApiResult<Vec<Sentence>> {
    Ok(ch::sentences
        .filter(ch::case_id.eq(case_id))
        .order(ch::id)
        .select(Sentence::as_select())
        .load(conn)?)
}

pub fn page(
    conn: &mut DbConnection,
    case_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Sentence>> {
    let mut query = ch::sentences
        .filter(ch::case_id.eq(case_id.to_string()))
        .select(Sentence::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ch::id.gt(after.to_string()));
    }
    Ok(query.order(ch::id).limit(limit).load(conn)?)
}

/// A sentence of a case that has not been deleted.
pub fn get(conn: &mut DbConnection, id: &str) -> ApiResult<Sentence> {
    ch::sentences
        .inner_join(cases::table)
        .filter(ch::id.eq(id))
        .filter(cases::deleted_at.is_null())
        .select(Sentence::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("sentence"))
}

pub fn insert(conn: &mut DbConnection, actor: &str, new: NewSentence) -> ApiResult<Sentence> {
    crate::cases::store::require_linked(conn, &new.case_id, &new.defender_id, "defender_id")?;
    diesel::insert_into(ch::sentences)
        .values(&new)
        .execute(conn)?;
    let sentence = get(conn, &new.id)?;
    let name = crate::defenders::store::name_of(conn, &sentence.defender_id)?;
    let on = sentence
        .handed_down_on
        .map(|d| format!(" on {d}"))
        .unwrap_or_default();
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: sentence.case_id.clone(),
            kind: "sentence_handed_down".into(),
            record_type: "sentence",
            record_id: sentence.id.clone(),
            title: format!("{name} sentenced to {}{on}", describe(&sentence)),
            changes: diff(None, Some(&sentence)),
            defender_ids: vec![sentence.defender_id.clone()],
        },
    )?;
    Ok(sentence)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    current: &Sentence,
    next: &Sentence,
) -> ApiResult<()> {
    let written = diesel::update(
        ch::sentences
            .find(&next.id)
            .filter(ch::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(ApiError::PreconditionFailed(
            "the sentence was changed meanwhile; fetch it again".into(),
        ));
    }
    let changes = diff(Some(current), Some(next));
    if changes.is_empty() {
        return Ok(());
    }
    let name = crate::defenders::store::name_of(conn, &next.defender_id)?;
    let (kind, title) = if current.status != next.status {
        (
            "sentence_status_changed",
            format!(
                "Sentence of {name} ({}): {}",
                describe(next),
                next.status.replace('_', " ")
            ),
        )
    } else {
        (
            "sentence_updated",
            format!("Sentence of {name} updated: {}", describe(next)),
        )
    };
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: next.case_id.clone(),
            kind: kind.into(),
            record_type: "sentence",
            record_id: next.id.clone(),
            title,
            changes,
            defender_ids: vec![next.defender_id.clone()],
        },
    )
}

pub fn delete(conn: &mut DbConnection, actor: &str, sentence: &Sentence) -> ApiResult<()> {
    let deleted = diesel::delete(
        ch::sentences
            .find(&sentence.id)
            .filter(ch::version.eq(sentence.version)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(ApiError::PreconditionFailed(
            "the sentence was changed meanwhile".into(),
        ));
    }
    let name = crate::defenders::store::name_of(conn, &sentence.defender_id)?;
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: sentence.case_id.clone(),
            kind: "sentence_deleted".into(),
            record_type: "sentence",
            record_id: sentence.id.clone(),
            title: format!(
                "Record of the sentence of {name} removed ({})",
                describe(sentence)
            ),
            changes: diff(Some(sentence), None),
            defender_ids: vec![sentence.defender_id.clone()],
        },
    )
}
