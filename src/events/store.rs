use super::{Event, LogEvent, NewEvent};
use crate::db::DbConnection;
use crate::schema::{case_defenders, cases, event_defenders, events::dsl as e, interventions};
use crate::store::Problems;
use crate::store::{StoreError, StoreResult};
use diesel::prelude::*;

/// Inserts a timeline row and the defenders it names; `effects` carries out what it
/// sets off.
pub fn insert(conn: &mut DbConnection, new: &NewEvent) -> StoreResult<()> {
    diesel::insert_into(e::events).values(new).execute(conn)?;
    let mut named = crate::domain::from_json_list(&new.defender_ids);
    named.sort();
    named.dedup();
    for defender_id in named {
        diesel::insert_into(event_defenders::table)
            .values((
                event_defenders::event_id.eq(&new.id),
                event_defenders::defender_id.eq(defender_id),
            ))
            .execute(conn)?;
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
        if !filter.hidden_defenders.is_empty() {
            let naming_hidden = event_defenders::table
                .filter(event_defenders::defender_id.eq_any(filter.hidden_defenders.clone()))
                .select(event_defenders::event_id);
            query = query.filter(diesel::dsl::not(e::id.eq_any(naming_hidden)));
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

/// A researcher's event, once what it refers to is checked; `effects::logged` writes
/// it with what it sets off.
pub fn log(
    conn: &mut DbConnection,
    case_id: &str,
    actor: &str,
    input: LogEvent,
) -> StoreResult<NewEvent> {
    let live: i64 = cases::table
        .find(case_id)
        .filter(cases::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    if live == 0 {
        return Err(StoreError::NotFound("case"));
    }
    let mut problems = Problems::new();
    for (i, defender_id) in input.defender_ids.iter().enumerate() {
        if !crate::records::is_linked(conn, case_id, defender_id)? {
            problems.add(format!("defender_ids[{i}]"), crate::records::NOT_LINKED);
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
    input.into_new(case_id, actor)
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
