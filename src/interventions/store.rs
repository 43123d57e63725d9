use super::Intervention;
use crate::changes::ChangeRecord;
use crate::db::DbConnection;
use crate::schema::{cases as c, intervention_cases as ic, interventions::dsl as i};
use crate::store::{StoreError, StoreResult};
use crate::vocabulary::ChangeKind;
use diesel::prelude::*;

#[derive(Debug)]
pub struct InterventionFilter {
    pub country: Option<String>,
    pub intervention_type: Option<crate::vocabulary::InterventionType>,
    pub case_id: Option<String>,
    pub visibility: crate::audience::Visibility,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &InterventionFilter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Intervention>> {
    let mut query = i::interventions
        .select(Intervention::as_select())
        .into_boxed();
    if let Some(country) = &filter.country {
        query = query.filter(i::country.eq(country.clone()));
    }
    if let Some(kind) = &filter.intervention_type {
        query = query.filter(i::intervention_type.eq(*kind));
    }
    if let Some(case_id) = &filter.case_id {
        use crate::schema::cases;
        let covered = ic::table
            .inner_join(cases::table)
            .filter(ic::case_id.eq(case_id.clone()))
            .filter(cases::deleted_at.is_null());
        // A partner asking about a confidential case learns nothing, as for an unknown one.
        query = if filter.visibility.is_public() {
            let covered = covered
                .filter(cases::confidential.eq(false))
                .select(ic::intervention_id);
            query.filter(i::id.eq_any(covered))
        } else {
            query.filter(i::id.eq_any(covered.select(ic::intervention_id)))
        };
    }
    if let Some(after) = after {
        query = query.filter(i::id.gt(after.to_string()));
    }
    Ok(query.order(i::id).limit(limit).load(conn)?)
}

pub fn for_case(conn: &mut DbConnection, case_id: &str) -> StoreResult<Vec<Intervention>> {
    Ok(i::interventions
        .inner_join(ic::table)
        .filter(ic::case_id.eq(case_id))
        .order((i::issued_on, i::id))
        .select(Intervention::as_select())
        .load(conn)?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Intervention> {
    i::interventions
        .find(id)
        .select(Intervention::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("intervention"))
}

/// `follows_id` must name another intervention, and following it must not lead back
/// to this one.
fn check_follows(conn: &mut DbConnection, id: &str, follows: Option<&str>) -> StoreResult<()> {
    let mut next = follows.map(str::to_string);
    let mut steps = 0;
    while let Some(current) = next {
        if current == id || steps > 100 {
            return Err(crate::store::invalid(
                "follows_id",
                "would make the intervention follow itself",
            ));
        }
        let found: Option<Option<String>> = i::interventions
            .find(&current)
            .select(i::follows_id)
            .first(conn)
            .optional()?;
        match found {
            None if steps == 0 => {
                return Err(crate::store::invalid(
                    "follows_id",
                    "must be the id of an existing intervention",
                ))
            }
            None => return Ok(()),
            Some(parent) => next = parent,
        }
        steps += 1;
    }
    Ok(())
}

pub fn insert(conn: &mut DbConnection, new: Intervention) -> StoreResult<Intervention> {
    check_follows(conn, &new.id, new.follows_id.as_deref())?;
    diesel::insert_into(i::interventions)
        .values(&new)
        .execute(conn)?;
    Ok(new)
}

/// Serialises the writes that point an existing intervention at another one. On
/// PostgreSQL two such writes running at once (A follows B, B follows A) would each
/// check the chain without seeing the other's uncommitted change, and together make a
/// cycle; this transaction-scoped lock makes the second one wait and see the first.
/// SQLite write transactions are serialised already (`BEGIN IMMEDIATE`).
fn lock_follow_chains(conn: &mut DbConnection) -> StoreResult<()> {
    /// An arbitrary key for `pg_advisory_xact_lock`, used only here.
    const FOLLOWS_LOCK: i64 = 0x1e7e_0f01;
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({FOLLOWS_LOCK})")).execute(pg)?;
    }
    Ok(())
}

pub fn update(
    conn: &mut DbConnection,
    current: &Intervention,
    next: &Intervention,
) -> StoreResult<()> {
    // A new intervention cannot close a cycle (nothing points to it yet), and clearing
    // `follows_id` cannot either; re-pointing an existing one can.
    if next.follows_id.is_some() && next.follows_id != current.follows_id {
        lock_follow_chains(conn)?;
    }
    check_follows(conn, &next.id, next.follows_id.as_deref())?;
    let written = diesel::update(
        i::interventions
            .find(&next.id)
            .filter(i::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(StoreError::Stale("intervention"));
    }
    Ok(())
}

/// Deletes an intervention that covers no live case and that no follow-up points to.
/// Links to cases that were deleted meanwhile do not hold it (they can no longer be
/// unlinked through the API): they go with it, each leaving an `intervention_unlinked`
/// record on that case's timeline.
pub fn delete(
    conn: &mut DbConnection,
    intervention: &Intervention,
) -> StoreResult<Vec<ChangeRecord>> {
    let links: Vec<(String, Option<chrono::NaiveDateTime>)> = ic::table
        .inner_join(c::table)
        .filter(ic::intervention_id.eq(&intervention.id))
        .select((ic::case_id, c::deleted_at))
        .load(conn)?;
    let covered = links
        .iter()
        .filter(|(_, deleted)| deleted.is_none())
        .count();
    if covered > 0 {
        return Err(StoreError::InUse(format!(
            "the intervention covers {covered} case(s); unlink them first so the cases' history records it"
        )));
    }
    let followers: i64 = i::interventions
        .filter(i::follows_id.eq(&intervention.id))
        .count()
        .get_result(conn)?;
    if followers > 0 {
        return Err(StoreError::InUse(format!(
            "{followers} follow-up(s) point to this intervention"
        )));
    }
    let mut changes = Vec::new();
    for (case_id, _) in &links {
        changes.push(remove_link(conn, intervention, case_id)?);
    }
    let deleted = diesel::delete(
        i::interventions
            .find(&intervention.id)
            .filter(i::version.eq(intervention.version)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(StoreError::Stale("intervention"));
    }
    Ok(changes)
}

fn link_exists(conn: &mut DbConnection, intervention_id: &str, case_id: &str) -> StoreResult<bool> {
    Ok(ic::table
        .find((intervention_id, case_id))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Records that the intervention covers the case; returns whether the link is new.
pub fn link_case(
    conn: &mut DbConnection,
    intervention: &Intervention,
    case_id: &str,
) -> StoreResult<Option<ChangeRecord>> {
    // ON CONFLICT DO NOTHING: two requests linking the same pair at once both succeed
    // (PostgreSQL would otherwise fail the second on the primary key).
    let insert = diesel::insert_into(ic::table)
        .values((
            ic::intervention_id.eq(&intervention.id),
            ic::case_id.eq(case_id),
            ic::created_at.eq(crate::db::now()),
        ))
        .on_conflict_do_nothing();
    let inserted = match conn {
        DbConnection::Pg(pg) => insert.execute(pg)?,
        DbConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    if inserted == 0 {
        return Ok(None);
    }
    let mut changes = serde_json::Map::new();
    changes.insert(
        "intervention_id".into(),
        serde_json::json!({"old": null, "new": intervention.id}),
    );
    Ok(Some(ChangeRecord {
        case_id: case_id.to_string(),
        kind: ChangeKind::InterventionLinked,
        record_type: "intervention",
        record_id: intervention.id.clone(),
        title: format!("{} covers the case", intervention.describe()),
        changes,
        defender_ids: vec![],
    }))
}

pub fn unlink_case(
    conn: &mut DbConnection,
    intervention: &Intervention,
    case_id: &str,
) -> StoreResult<ChangeRecord> {
    if !link_exists(conn, &intervention.id, case_id)? {
        return Err(StoreError::NotLinked("intervention"));
    }
    remove_link(conn, intervention, case_id)
}

/// Removes an existing link and records it on the case's timeline.
fn remove_link(
    conn: &mut DbConnection,
    intervention: &Intervention,
    case_id: &str,
) -> StoreResult<ChangeRecord> {
    diesel::delete(ic::table.find((&intervention.id, case_id))).execute(conn)?;
    let mut changes = serde_json::Map::new();
    changes.insert(
        "intervention_id".into(),
        serde_json::json!({"old": intervention.id, "new": null}),
    );
    Ok(ChangeRecord {
        case_id: case_id.to_string(),
        kind: ChangeKind::InterventionUnlinked,
        record_type: "intervention",
        record_id: intervention.id.clone(),
        title: format!(
            "{} no longer listed as covering the case",
            intervention.describe()
        ),
        changes,
        defender_ids: vec![],
    })
}
