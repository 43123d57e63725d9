//! What a change to a case sets off, carried out in one place and in the write's own
//! transaction: the case marked changed, its timeline entry, the alerts partners get
//! (the outbox), and the search rows. Writes return what they did (`changes`); the
//! handler hands it here.

use crate::changes::ChangeRecord;
use crate::db::{new_id, now, DbConnection};
use crate::defenders::Defender;
use crate::events::NewEvent;
use crate::schema::{case_defenders, cases};
use crate::store::StoreResult;
use diesel::prelude::*;
use serde_json::Value;

/// The timeline entry of a change to a case's records, and all it sets off.
pub fn record(conn: &mut DbConnection, actor: &str, change: ChangeRecord) -> StoreResult<()> {
    if change.record_type != "case" {
        touch(conn, &change.case_id)?;
    }
    let recorded_at = now();
    let today = recorded_at.date();
    let case_id = change.case_id.clone();
    let changes = if change.changes.is_empty() {
        None
    } else {
        Some(Value::Object(change.changes).to_string())
    };
    let new = NewEvent {
        id: new_id(),
        case_id: change.case_id,
        kind: change.kind.as_str().into(),
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
    };
    // The case's own fields, its defenders and its charges are in its search document:
    // a change to them rebuilds it; any other change only adds its record.
    let rebuild = matches!(
        new.record_type.as_deref(),
        Some("case" | "charge" | "case_defender")
    );
    store(conn, &new, rebuild)?;
    if rebuild {
        crate::search::reindex(conn, &case_id)?;
    }
    Ok(())
}

/// The change records of one write, in order.
pub fn record_all(
    conn: &mut DbConnection,
    actor: &str,
    changes: impl IntoIterator<Item = ChangeRecord>,
) -> StoreResult<()> {
    changes
        .into_iter()
        .try_for_each(|change| record(conn, actor, change))
}

/// An event a researcher logged, checked already, and all it sets off.
pub fn logged(conn: &mut DbConnection, new: &NewEvent) -> StoreResult<()> {
    touch(conn, &new.case_id)?;
    store(conn, new, false)
}

/// A confirmation link for a subscriber, through the outbox.
pub fn confirmation_requested(conn: &mut DbConnection, subscriber_id: &str) -> StoreResult<()> {
    crate::alerts::store::enqueue_confirmation(conn, subscriber_id)
}

/// A defender's names, and whether they are confidential, are in the search rows of
/// their cases: a change to either rebuilds them; any other change sets off nothing.
pub fn defender_changed(
    conn: &mut DbConnection,
    current: &Defender,
    next: &Defender,
) -> StoreResult<()> {
    let unchanged = current.name == next.name
        && current.other_names == next.other_names
        && current.confidential == next.confidential;
    if unchanged {
        return Ok(());
    }
    let linked: Vec<String> = case_defenders::table
        .filter(case_defenders::defender_id.eq(&next.id))
        .select(case_defenders::case_id)
        .load(conn)?;
    for case_id in linked {
        crate::search::reindex(conn, &case_id)?;
    }
    Ok(())
}

/// Marks the case as changed for `updated_since`, when one of its records changes.
fn touch(conn: &mut DbConnection, case_id: &str) -> StoreResult<usize> {
    Ok(diesel::update(cases::table.find(case_id))
        .filter(cases::deleted_at.is_null())
        .set(cases::updated_at.eq(now()))
        .execute(conn)?)
}

/// Writes an event with what it triggers: the alerts it queues and its text in the
/// case's search document. Whether partners may learn of it is decided here, once,
/// for both.
fn store(conn: &mut DbConnection, new: &NewEvent, rebuild_index: bool) -> StoreResult<()> {
    crate::events::store::insert(conn, new)?;
    let case = crate::alerts::store::public_case(conn, &new.case_id)?;
    let named = crate::domain::from_json_list(&new.defender_ids);
    let public = match &case {
        Some(_) if new.confidential => false,
        Some(_) if named.is_empty() => true,
        Some(case) => {
            let hidden = crate::records::hidden_defenders(conn, &case.id)?;
            !named.iter().any(|d| hidden.contains(d))
        }
        None => false,
    };
    if let (true, Some(case)) = (public, &case) {
        crate::alerts::store::enqueue_for_event(conn, new, case)?;
    }
    if !rebuild_index {
        crate::search::append_event(conn, new, public)?;
    }
    Ok(())
}
