use super::{Alert, Backlog, NewAlert};
use crate::cases::Case;
use crate::db::{now, DbConnection};
use crate::events::NewEvent;
use crate::schema::{
    alerts as a, cases as c, hearings as h, subscribers as sr, subscriptions as s,
};
use crate::store::{StoreError, StoreResult};
use crate::subscriptions::Subscription;
use crate::vocabulary::{AlertKind, AlertStatus, Delivery};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// Writes the alerts a new timeline event causes, in the event's transaction. The
/// caller has decided that partners may learn of the event (`events::store` does):
/// nothing may be queued for a confidential case or event, or for an event about a
/// confidential defender.
pub fn enqueue_for_event(
    conn: &mut DbConnection,
    event: &NewEvent,
    case: &Case,
) -> StoreResult<usize> {
    let alerts: Vec<NewAlert> = matching_subscriptions(conn, case)?
        .into_iter()
        .map(|subscription| {
            let mut alert = NewAlert::pending(
                AlertKind::Event,
                &subscription.subscriber_id,
                // One email per subscriber and event, however many of their
                // subscriptions match it.
                format!("event:{}:{}", subscription.subscriber_id, event.id),
            );
            alert.subscription_id = Some(subscription.id);
            alert.case_id = Some(case.id.clone());
            alert.event_id = Some(event.id.clone());
            alert.delivery = subscription.delivery;
            alert
        })
        .collect();
    insert_all(conn, &alerts)
}

/// A case that alerts may speak of: it exists and is not confidential.
pub fn public_case(conn: &mut DbConnection, case_id: &str) -> StoreResult<Option<Case>> {
    Ok(c::table
        .find(case_id)
        .filter(c::deleted_at.is_null())
        .filter(c::confidential.eq(false))
        .select(Case::as_select())
        .first(conn)
        .optional()?)
}

/// The confirmed, active subscriptions that follow `case`, at most one per subscriber:
/// the most specific (the case itself, then its country, then a subject).
pub fn matching_subscriptions(
    conn: &mut DbConnection,
    case: &Case,
) -> StoreResult<Vec<Subscription>> {
    let subjects = crate::domain::from_json_list(&case.subjects);
    let found: Vec<Subscription> = s::table
        .inner_join(sr::table)
        .filter(s::cancelled_at.is_null())
        .filter(sr::confirmed_at.is_not_null())
        .filter(
            s::scope
                .eq("case")
                .and(s::target.eq(&case.id))
                .or(s::scope.eq("country").and(s::target.eq(&case.country)))
                .or(s::scope.eq("subject").and(s::target.eq_any(subjects))),
        )
        .select(Subscription::as_select())
        .order(s::id)
        .load(conn)?;
    let rank = |scope: &str| match scope {
        "case" => 0,
        "country" => 1,
        _ => 2,
    };
    let mut best: HashMap<String, Subscription> = HashMap::new();
    for subscription in found {
        match best.get(&subscription.subscriber_id) {
            Some(kept) if rank(&kept.scope) <= rank(&subscription.scope) => {}
            _ => {
                best.insert(subscription.subscriber_id.clone(), subscription);
            }
        }
    }
    let mut chosen: Vec<Subscription> = best.into_values().collect();
    chosen.sort_by(|x, y| x.id.cmp(&y.id));
    Ok(chosen)
}

/// Inserts an alert unless one with its dedupe key exists; returns 1 if inserted.
fn insert(conn: &mut DbConnection, alert: &NewAlert) -> StoreResult<usize> {
    insert_all(conn, std::slice::from_ref(alert))
}

/// Inserts alerts in one statement, skipping those whose dedupe key exists; returns
/// how many were inserted.
fn insert_all(conn: &mut DbConnection, alerts: &[NewAlert]) -> StoreResult<usize> {
    if alerts.is_empty() {
        return Ok(0);
    }
    let insert = diesel::insert_into(a::table)
        .values(alerts)
        .on_conflict(a::dedupe_key)
        .do_nothing();
    Ok(match conn {
        DbConnection::Pg(pg) => insert.execute(pg)?,
        DbConnection::Sqlite(lite) => insert.execute(lite)?,
    })
}

/// Queues the email with a subscriber's confirmation link.
pub fn enqueue_confirmation(conn: &mut DbConnection, subscriber_id: &str) -> StoreResult<()> {
    let key = format!("confirmation:{subscriber_id}:{}", crate::db::new_id());
    insert(
        conn,
        &NewAlert::pending(AlertKind::Confirmation, subscriber_id, key),
    )?;
    Ok(())
}

/// The reminders now due and not yet queued: one per subscriber, hearing and date
/// (a hearing moved to a new date is reminded again), for every scheduled hearing of
/// a public case in the next `days` days. Only reads: the worker takes the write lock
/// only when there is something to queue.
pub fn due_reminders(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    days: i64,
) -> StoreResult<Vec<NewAlert>> {
    let upcoming: Vec<(String, NaiveDateTime, Case)> = h::table
        .inner_join(c::table)
        .filter(h::status.eq("scheduled"))
        .filter(h::scheduled_at.gt(at))
        .filter(h::scheduled_at.le(at + chrono::Duration::days(days)))
        .filter(c::deleted_at.is_null())
        .filter(c::confidential.eq(false))
        .select((h::id, h::scheduled_at, Case::as_select()))
        .order((h::scheduled_at, h::id))
        .load(conn)?;
    let mut due = Vec::new();
    for (hearing_id, scheduled_at, case) in upcoming {
        for subscription in matching_subscriptions(conn, &case)? {
            let mut alert = NewAlert::pending(
                AlertKind::Reminder,
                &subscription.subscriber_id,
                format!(
                    "reminder:{}:{hearing_id}:{}",
                    subscription.subscriber_id,
                    scheduled_at.and_utc().timestamp()
                ),
            );
            alert.subscription_id = Some(subscription.id.clone());
            alert.case_id = Some(case.id.clone());
            alert.hearing_id = Some(hearing_id.clone());
            due.push(alert);
        }
    }
    let keys: Vec<&str> = due.iter().map(|a| a.dedupe_key.as_str()).collect();
    let queued: Vec<String> = a::table
        .filter(a::dedupe_key.eq_any(&keys))
        .select(a::dedupe_key)
        .load(conn)?;
    due.retain(|alert| !queued.contains(&alert.dedupe_key));
    Ok(due)
}

/// Queues reminders from `due_reminders`; one queued meanwhile is skipped.
pub fn queue_reminders(conn: &mut DbConnection, due: &[NewAlert]) -> StoreResult<usize> {
    let mut queued = 0;
    for alert in due {
        queued += insert(conn, alert)?;
    }
    Ok(queued)
}

/// Whether daily changes recorded before `slot` wait for their digest.
pub fn digest_due(conn: &mut DbConnection, slot: NaiveDateTime) -> StoreResult<bool> {
    let waiting: i64 = a::table
        .filter(a::status.eq(AlertStatus::Pending.as_str()))
        .filter(a::kind.eq(AlertKind::Event.as_str()))
        .filter(a::delivery.eq(Delivery::Daily.as_str()))
        .filter(a::digest_id.is_null())
        .filter(a::created_at.lt(slot))
        .count()
        .get_result(conn)?;
    Ok(waiting > 0)
}

/// Gathers the daily changes recorded before `slot` (the latest digest time) into one
/// digest alert per subscriber. Returns the number of digests made.
pub fn bundle_digests(conn: &mut DbConnection, slot: NaiveDateTime) -> StoreResult<usize> {
    macro_rules! waiting {
        () => {
            a::table
                .filter(a::status.eq(AlertStatus::Pending.as_str()))
                .filter(a::kind.eq(AlertKind::Event.as_str()))
                .filter(a::delivery.eq(Delivery::Daily.as_str()))
                .filter(a::digest_id.is_null())
                .filter(a::created_at.lt(slot))
                .select((a::id, a::subscriber_id))
                .order(a::id)
        };
    }
    // Another worker bundling at the same moment skips the rows this one holds.
    let rows: Vec<(String, String)> = match conn {
        DbConnection::Pg(pg) => waiting!().for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => waiting!().load(lite)?,
    };
    let mut by_subscriber: HashMap<String, Vec<String>> = HashMap::new();
    for (id, subscriber_id) in rows {
        by_subscriber.entry(subscriber_id).or_default().push(id);
    }
    let made = by_subscriber.len();
    for (subscriber_id, members) in by_subscriber {
        let digest_id = crate::db::new_id();
        let mut digest = NewAlert::pending(
            AlertKind::Digest,
            &subscriber_id,
            format!("digest:{subscriber_id}:{digest_id}"),
        );
        digest.id = digest_id.clone();
        digest.delivery = Delivery::Daily.as_str().into();
        insert(conn, &digest)?;
        diesel::update(a::table.filter(a::id.eq_any(&members)))
            .set(a::digest_id.eq(&digest_id))
            .execute(conn)?;
    }
    Ok(made)
}

/// Claims up to `limit` due alerts for `lease`: no other worker takes them until the
/// lease runs out (which happens only if this worker dies before recording the
/// outcome). Daily changes wait for their digest and are never claimed alone.
pub fn claim(
    conn: &mut DbConnection,
    at: NaiveDateTime,
    limit: i64,
    lease: chrono::Duration,
) -> StoreResult<Vec<Alert>> {
    macro_rules! due {
        () => {
            a::table
                .filter(a::status.eq(AlertStatus::Pending.as_str()))
                .filter(a::next_attempt_at.le(at))
                .filter(a::claimed_until.is_null().or(a::claimed_until.lt(at)))
                .filter(
                    a::kind
                        .ne(AlertKind::Event.as_str())
                        .or(a::delivery.ne(Delivery::Daily.as_str())),
                )
                .select(a::id)
                .order((a::next_attempt_at, a::id))
                .limit(limit)
        };
    }
    let ids: Vec<String> = match conn {
        DbConnection::Pg(pg) => due!().for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due!().load(lite)?,
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(a::table.filter(a::id.eq_any(&ids)))
        .set(a::claimed_until.eq(at + lease))
        .execute(conn)?;
    Ok(a::table
        .filter(a::id.eq_any(&ids))
        .select(Alert::as_select())
        .order((a::next_attempt_at, a::id))
        .load(conn)?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Alert> {
    a::table
        .find(id)
        .select(Alert::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("alert"))
}

/// The daily changes a digest carries, oldest first.
pub fn members(conn: &mut DbConnection, digest_id: &str) -> StoreResult<Vec<Alert>> {
    Ok(a::table
        .filter(a::digest_id.eq(digest_id))
        .select(Alert::as_select())
        .order(a::id)
        .load(conn)?)
}

/// Records a delivered alert (and the changes its digest carried).
pub fn mark_sent(conn: &mut DbConnection, alert: &Alert, carried: &[String]) -> StoreResult<()> {
    let at = now();
    diesel::update(a::table.find(&alert.id))
        .set((
            a::status.eq(AlertStatus::Sent.as_str()),
            a::sent_at.eq(at),
            a::attempts.eq(alert.attempts + 1),
            a::claimed_until.eq(None::<NaiveDateTime>),
            a::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    if !carried.is_empty() {
        diesel::update(a::table.filter(a::id.eq_any(carried)))
            .set((a::status.eq(AlertStatus::Sent.as_str()), a::sent_at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// Records a failed attempt: retried at `next` or, with no `next`, failed for good.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    alert: &Alert,
    error: &str,
    next: Option<NaiveDateTime>,
) -> StoreResult<()> {
    let status = match next {
        Some(_) => AlertStatus::Pending,
        None => AlertStatus::Failed,
    };
    diesel::update(a::table.find(&alert.id))
        .set((
            a::status.eq(status.as_str()),
            a::attempts.eq(alert.attempts + 1),
            a::next_attempt_at.eq(next.unwrap_or(alert.next_attempt_at)),
            a::claimed_until.eq(None::<NaiveDateTime>),
            a::last_error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records an alert that will not be sent, and why (`ids` may include digest members).
pub fn mark_skipped(
    conn: &mut DbConnection,
    ids: &[String],
    status: AlertStatus,
    reason: &str,
) -> StoreResult<()> {
    diesel::update(a::table.filter(a::id.eq_any(ids)))
        .set((
            a::status.eq(status.as_str()),
            a::claimed_until.eq(None::<NaiveDateTime>),
            a::last_error.eq(reason),
        ))
        .execute(conn)?;
    Ok(())
}

/// Puts a failed alert back in the queue, due now, with a fresh set of attempts.
pub fn retry(conn: &mut DbConnection, id: &str) -> StoreResult<Alert> {
    let alert = get(conn, id)?;
    if alert.status != AlertStatus::Failed.as_str() {
        return Err(StoreError::InUse(format!(
            "only a failed alert can be retried; this one is {}",
            alert.status
        )));
    }
    diesel::update(a::table.find(id))
        .set((
            a::status.eq(AlertStatus::Pending.as_str()),
            a::attempts.eq(0),
            a::next_attempt_at.eq(now()),
            a::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    get(conn, id)
}

#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<AlertStatus>,
    pub subscriber_id: Option<String>,
    pub case_id: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Alert>> {
    let mut query = a::table.select(Alert::as_select()).into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(a::status.eq(status.as_str()));
    }
    if let Some(subscriber_id) = &filter.subscriber_id {
        query = query.filter(a::subscriber_id.eq(subscriber_id.clone()));
    }
    if let Some(case_id) = &filter.case_id {
        query = query.filter(a::case_id.eq(case_id.clone()));
    }
    if let Some(after) = after {
        query = query.filter(a::id.gt(after.to_string()));
    }
    Ok(query.order(a::id).limit(limit).load(conn)?)
}

pub fn backlog(conn: &mut DbConnection) -> StoreResult<Backlog> {
    let count = |conn: &mut DbConnection, status: AlertStatus| -> StoreResult<i64> {
        Ok(a::table
            .filter(a::status.eq(status.as_str()))
            .count()
            .get_result(conn)?)
    };
    Ok(Backlog {
        pending: count(conn, AlertStatus::Pending)?,
        failed: count(conn, AlertStatus::Failed)?,
    })
}
