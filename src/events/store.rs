use super::{ChangeRecord, Event, NewEvent};
use crate::db::{new_id, now, DbConnection};
use crate::error::ApiResult;
use crate::schema::events::dsl as e;
use diesel::prelude::*;
use serde_json::Value;

/// Writes the change record of a write; call it inside the write's transaction.
pub fn record(conn: &mut DbConnection, actor: &str, change: ChangeRecord) -> ApiResult<()> {
    if change.record_type != "case" {
        crate::cases::store::touch(conn, &change.case_id)?;
    }
    let recorded_at = now();
    let today = recorded_at.date();
    let changes = if change.changes.is_empty() {
        None
    } else {
        Some(Value::Object(change.changes).to_string())
    };
    diesel::insert_into(e::events)
        .values(NewEvent {
            id: new_id(),
            case_id: change.case_id,
            kind: change.kind,
            occurred_on: today.format("%Y-%m-%d").to_string(),
            precision: "day".into(),
            occurred_start: today,
            title: change.title,
            description: None,
            source_url: None,
            intervention_id: None,
            defender_ids: crate::domain::to_json_list(&change.defender_ids),
            record_type: Some(change.record_type.to_string()),
            record_id: Some(change.record_id),
            changes,
            actor: actor.to_string(),
            confidential: false,
            recorded_at,
        })
        .execute(conn)?;
    Ok(())
}

/// A case's timeline in time order (oldest first).
pub fn for_case(conn: &mut DbConnection, case_id: &str) -> ApiResult<Vec<Event>> {
    Ok(e::events
        .filter(e::case_id.eq(case_id))
        .order((e::occurred_start, e::recorded_at, e::id))
        .select(Event::as_select())
        .load(conn)?)
}
