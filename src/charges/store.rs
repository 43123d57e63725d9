use super::{Charge, NewCharge};
use crate::db::DbConnection;
use crate::error::{not_found, ApiError, ApiResult};
use crate::events::{diff, store::record, ChangeRecord};
use crate::schema::{cases, charges::dsl as ch};
use diesel::prelude::*;

pub fn for_case(conn: &mut DbConnection, case_id: &str) -> ApiResult<Vec<Charge>> {
    Ok(ch::charges
        .filter(ch::case_id.eq(case_id))
        .order(ch::id)
        .select(Charge::as_select())
        .load(conn)?)
}

pub fn page(
    conn: &mut DbConnection,
    case_id: &str,
    after: Option<&str>,
    limit: i64,
) -> ApiResult<Vec<Charge>> {
    let mut query = ch::charges
        .filter(ch::case_id.eq(case_id.to_string()))
        .select(Charge::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(ch::id.gt(after.to_string()));
    }
    Ok(query.order(ch::id).limit(limit).load(conn)?)
}

/// A charge of a case that has not been deleted.
pub fn get(conn: &mut DbConnection, id: &str) -> ApiResult<Charge> {
    ch::charges
        .inner_join(cases::table)
        .filter(ch::id.eq(id))
        .filter(cases::deleted_at.is_null())
        .select(Charge::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("charge"))
}

pub fn insert(conn: &mut DbConnection, actor: &str, new: NewCharge) -> ApiResult<Charge> {
    crate::cases::store::require_linked(conn, &new.case_id, &new.defender_id, "defender_id")?;
    diesel::insert_into(ch::charges)
        .values(&new)
        .execute(conn)?;
    let charge = get(conn, &new.id)?;
    let name = crate::defenders::store::name_of(conn, &charge.defender_id)?;
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: charge.case_id.clone(),
            kind: "charge_brought".into(),
            record_type: "charge",
            record_id: charge.id.clone(),
            title: format!("{name} charged: {}", charge.legal_basis),
            changes: diff(None, Some(&charge)),
            defender_ids: vec![charge.defender_id.clone()],
        },
    )?;
    Ok(charge)
}

pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    current: &Charge,
    next: &Charge,
) -> ApiResult<()> {
    let written = diesel::update(
        ch::charges
            .find(&next.id)
            .filter(ch::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(ApiError::PreconditionFailed(
            "the charge was changed meanwhile; fetch it again".into(),
        ));
    }
    let changes = diff(Some(current), Some(next));
    if changes.is_empty() {
        return Ok(());
    }
    let name = crate::defenders::store::name_of(conn, &next.defender_id)?;
    let (kind, title) = if current.status != next.status {
        (
            "charge_status_changed",
            format!(
                "Charge against {name} ({}) {}",
                next.legal_basis, next.status
            ),
        )
    } else {
        (
            "charge_updated",
            format!("Charge against {name} ({}) updated", next.legal_basis),
        )
    };
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: next.case_id.clone(),
            kind: kind.into(),
            record_type: "charge",
            record_id: next.id.clone(),
            title,
            changes,
            defender_ids: vec![next.defender_id.clone()],
        },
    )
}

pub fn delete(conn: &mut DbConnection, actor: &str, charge: &Charge) -> ApiResult<()> {
    let deleted = diesel::delete(
        ch::charges
            .find(&charge.id)
            .filter(ch::version.eq(charge.version)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(ApiError::PreconditionFailed(
            "the charge was changed meanwhile".into(),
        ));
    }
    let name = crate::defenders::store::name_of(conn, &charge.defender_id)?;
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: charge.case_id.clone(),
            kind: "charge_deleted".into(),
            record_type: "charge",
            record_id: charge.id.clone(),
            title: format!(
                "Charge record removed: {} against {name}",
                charge.legal_basis
            ),
            changes: diff(Some(charge), None),
            defender_ids: vec![charge.defender_id.clone()],
        },
    )
}
