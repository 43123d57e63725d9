use super::{ChangeRecord, Event, LogEvent, NewEvent};
use crate::db::{new_id, now, DbConnection};
use crate::schema::{case_defenders, cases, events::dsl as e, interventions};
use crate::store::Problems;
use crate::store::{StoreError, StoreResult};
use diesel::prelude::*;
use serde_json::Value;

/// Writes the change record of a write; call it inside the write's transaction.
pub fn record(conn: &mut DbConnection, actor: &str, change: ChangeRecord) -> StoreResult<()> {
    if change.record_type != "case" {
        crate::cases::store::touch(conn, &change.case_id)?;
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

/// Writes an event with what it triggers, in the caller's transaction: the alerts it
/// queues and its text in the case's search document. Whether partners may learn of
/// it is decided here, once, for both.
fn store(conn: &mut DbConnection, new: &NewEvent, rebuild_index: bool) -> StoreResult<()> {
    diesel::insert_into(e::events).values(new).execute(conn)?;
    let case = crate::alerts::store::public_case(conn, &new.case_id)?;
    let named = crate::domain::from_json_list(&new.defender_ids);
    let public = match &case {
        Some(_) if new.confidential => false,
        Some(_) if named.is_empty() => true,
        Some(case) => {
            let hidden = crate::cases::store::hidden_defenders(conn, &case.id)?;
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    OldestFirst,
    NewestFirst,
}

#[derive(Debug, Default)]
pub struct EventFilter {
    /// Partners see no confidential event and nothing naming a confidential defender.
    pub public: bool,
    pub hidden_defenders: Vec<String>,
    pub kinds: Vec<String>,
    pub since: Option<chrono::NaiveDate>,
    pub until: Option<chrono::NaiveDate>,
}

/// The keyset position of an event: (start of its period, recorded at, id).
pub type EventKey = (chrono::NaiveDate, chrono::NaiveDateTime, String);

/// Whose history: one case's, or that of every case a defender is in.
#[derive(Debug, Clone)]
pub enum Scope {
    Case(String),
    Defender(String),
}

/// One page of a history, in the order asked for.
pub fn page(
    conn: &mut DbConnection,
    scope: &Scope,
    filter: &EventFilter,
    order: Order,
    after: Option<EventKey>,
    limit: i64,
) -> StoreResult<Vec<Event>> {
    let mut query = e::events.select(Event::as_select()).into_boxed();
    query = match scope {
        Scope::Case(case_id) => query.filter(e::case_id.eq(case_id.clone())),
        Scope::Defender(defender_id) => {
            let cases_of = case_defenders::table
                .inner_join(cases::table)
                .filter(case_defenders::defender_id.eq(defender_id.clone()))
                .filter(cases::deleted_at.is_null())
                .select(case_defenders::case_id);
            if filter.public {
                let visible_cases = case_defenders::table
                    .inner_join(cases::table)
                    .filter(case_defenders::defender_id.eq(defender_id.clone()))
                    .filter(cases::deleted_at.is_null())
                    .filter(cases::confidential.eq(false))
                    .select(case_defenders::case_id);
                query.filter(e::case_id.eq_any(visible_cases))
            } else {
                query.filter(e::case_id.eq_any(cases_of))
            }
        }
    };
    if filter.public {
        query = query.filter(e::confidential.eq(false));
        for hidden in &filter.hidden_defenders {
            let pattern = format!("%{}%", crate::db::like_escape(&format!("\"{hidden}\"")));
            query = query.filter(diesel::dsl::not(e::defender_ids.like(pattern).escape('\\')));
        }
    }
    if !filter.kinds.is_empty() {
        query = query.filter(e::kind.eq_any(filter.kinds.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(e::occurred_start.ge(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(e::occurred_start.le(until));
    }
    query = match (order, after) {
        (Order::OldestFirst, Some((s, r, id))) => query.filter(
            e::occurred_start
                .gt(s)
                .or(e::occurred_start.eq(s).and(e::recorded_at.gt(r)))
                .or(e::occurred_start
                    .eq(s)
                    .and(e::recorded_at.eq(r))
                    .and(e::id.gt(id))),
        ),
        (Order::NewestFirst, Some((s, r, id))) => query.filter(
            e::occurred_start
                .lt(s)
                .or(e::occurred_start.eq(s).and(e::recorded_at.lt(r)))
                .or(e::occurred_start
                    .eq(s)
                    .and(e::recorded_at.eq(r))
                    .and(e::id.lt(id))),
        ),
        (_, None) => query,
    };
    let query = match order {
        Order::OldestFirst => {
            query.order((e::occurred_start.asc(), e::recorded_at.asc(), e::id.asc()))
        }
        Order::NewestFirst => query.order((
            e::occurred_start.desc(),
            e::recorded_at.desc(),
            e::id.desc(),
        )),
    };
    Ok(query.limit(limit).load(conn)?)
}

/// Logs a researcher's event after checking what it refers to.
pub fn log(
    conn: &mut DbConnection,
    case_id: &str,
    actor: &str,
    input: LogEvent,
) -> StoreResult<Event> {
    // Marks the case changed and checks it exists in one statement.
    if crate::cases::store::touch(conn, case_id)? == 0 {
        return Err(StoreError::NotFound("case"));
    }
    let mut problems = Problems::new();
    for (i, defender_id) in input.defender_ids.iter().enumerate() {
        if crate::cases::store::find_link(conn, case_id, defender_id)?.is_none() {
            problems.add(
                format!("defender_ids[{i}]"),
                "must be a defender linked to this case",
            );
        }
    }
    if let Some(intervention_id) = &input.intervention_id {
        let known: i64 = interventions::table
            .filter(interventions::id.eq(intervention_id))
            .count()
            .get_result(conn)?;
        if known == 0 {
            problems.add(
                "intervention_id",
                "must be the id of an existing intervention",
            );
        }
    }
    problems.into_result()?;
    let new = input.into_new(case_id, actor)?;
    store(conn, &new, false)?;
    Ok(Event::from(new))
}

pub fn get(conn: &mut DbConnection, case_id: &str, id: &str) -> StoreResult<Event> {
    e::events
        .filter(e::id.eq(id))
        .filter(e::case_id.eq(case_id))
        .select(Event::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("event"))
}
