use super::{Case, CaseDefender, CaseDefenderLink};
use crate::audience::Visibility;
use crate::changes::{diff, ChangeRecord};
use crate::db::DbConnection;
use crate::schema::{case_defenders as cd, cases::dsl as c, charges, defenders, sentences};
use crate::store::{StoreError, StoreResult};
use crate::vocabulary::ChangeKind;
use crate::vocabulary::{CaseRole, CaseStatus};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug)]
pub struct CaseFilter {
    pub country: Option<String>,
    pub status: Option<CaseStatus>,
    pub subject: Option<String>,
    pub defender: Option<String>,
    pub visibility: Visibility,
    pub updated_since: Option<NaiveDateTime>,
}

type Backend = <DbConnection as diesel::Connection>::Backend;

/// The cases matching every filter but `q`, not deleted.
fn filtered(filter: &CaseFilter) -> crate::schema::cases::BoxedQuery<'static, Backend> {
    let mut query = c::cases.filter(c::deleted_at.is_null()).into_boxed();
    if filter.visibility.is_public() {
        query = query.filter(c::confidential.eq(false));
    }
    if let Some(country) = &filter.country {
        query = query.filter(c::country.eq(country.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(c::status.eq(*status));
    }
    if let Some(subject) = &filter.subject {
        query = query.filter(
            c::subjects
                .like(crate::domain::list_member_pattern(subject))
                .escape('\\'),
        );
    }
    if let Some(defender) = &filter.defender {
        // A defender a partner may not see names no case, exactly like an unknown id.
        let linked = cd::table
            .inner_join(defenders::table)
            .filter(cd::defender_id.eq(defender.clone()))
            .filter(defenders::confidential.eq_any(filter.visibility.confidential_values()))
            .select(cd::case_id);
        query = query.filter(c::id.eq_any(linked));
    }
    if let Some(since) = filter.updated_since {
        query = query.filter(c::updated_at.ge(since));
    }
    query
}

/// Cases in id (creation) order, after the keyset position `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Case>> {
    let mut query = filtered(filter);
    if let Some(after) = after {
        query = query.filter(c::id.gt(after.to_string()));
    }
    Ok(query
        .select(Case::as_select())
        .order(c::id)
        .limit(limit)
        .load(conn)?)
}

/// How many ranked matches a full-text search considers.
pub const SEARCH_CAP: i64 = 1000;

/// Cases matching the full-text query `q` and the other filters, best match first;
/// each with its rank (lower is better), keyset on (rank, id).
pub fn search(
    conn: &mut DbConnection,
    filter: &CaseFilter,
    q: &str,
    after: Option<(f64, String)>,
    limit: usize,
) -> StoreResult<Vec<(Case, f64)>> {
    let mut hits = crate::search::matching_cases(conn, q, filter.visibility, SEARCH_CAP)?;
    // Hits come in (rank, id) order, the order of the pages.
    if let Some((rank, id)) = &after {
        hits.retain(|(case_id, r)| r.total_cmp(rank).then_with(|| case_id.cmp(id)).is_gt());
    }
    // With no other filter every hit is a result (deleted cases have no search document,
    // confidential ones none that partners search), so only the page needs loading.
    let unfiltered = filter.country.is_none()
        && filter.status.is_none()
        && filter.subject.is_none()
        && filter.defender.is_none()
        && filter.updated_since.is_none();
    if unfiltered {
        hits.truncate(limit);
    }
    let ranks: std::collections::HashMap<String, f64> = hits.iter().cloned().collect();
    let mut found: Vec<(Case, f64)> = Vec::new();
    for chunk in hits.chunks(500) {
        let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
        let rows: Vec<Case> = filtered(filter)
            .filter(c::id.eq_any(ids))
            .select(Case::as_select())
            .load(conn)?;
        found.extend(rows.into_iter().map(|case| {
            let rank = ranks.get(&case.id).copied().unwrap_or(f64::MAX);
            (case, rank)
        }));
    }
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
    found.truncate(limit);
    Ok(found)
}

/// A case `visibility` may see: a confidential one is "not found" for partners, exactly
/// like a missing one.
pub fn visible(conn: &mut DbConnection, id: &str, visibility: Visibility) -> StoreResult<Case> {
    let case = get(conn, id)?;
    if case.confidential && visibility.is_public() {
        return Err(StoreError::NotFound("case"));
    }
    Ok(case)
}

/// The confidential cases among `ids`, as the audit log names them: what a staff read
/// across cases (a defender's history) touched.
pub fn confidential_among(conn: &mut DbConnection, ids: &[&str]) -> StoreResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<String> = c::cases
        .filter(c::id.eq_any(ids))
        .filter(c::confidential.eq(true))
        .select(c::id)
        .load(conn)?;
    Ok(found.into_iter().map(|id| format!("case {id}")).collect())
}

/// A case that has not been deleted.
pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Case> {
    c::cases
        .find(id)
        .filter(c::deleted_at.is_null())
        .select(Case::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("case"))
}

/// Opens a case; returns it and its change record.
pub fn insert(conn: &mut DbConnection, new: Case) -> StoreResult<(Case, ChangeRecord)> {
    diesel::insert_into(c::cases).values(&new).execute(conn)?;
    let case = new;
    let change = ChangeRecord {
        case_id: case.id.clone(),
        kind: ChangeKind::CaseOpened,
        record_type: "case",
        record_id: case.id.clone(),
        title: format!("Case opened: {}", case.title),
        changes: diff(None, Some(&case)),
        defender_ids: vec![],
    };
    Ok((case, change))
}

/// Writes `next` over `current`; returns the change record unless nothing changed.
pub fn update(
    conn: &mut DbConnection,
    current: &Case,
    next: &Case,
) -> StoreResult<Option<ChangeRecord>> {
    let written = diesel::update(
        c::cases
            .find(&next.id)
            .filter(c::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(StoreError::Stale("case"));
    }
    let changes = diff(Some(current), Some(next));
    if changes.is_empty() {
        return Ok(None);
    }
    let (kind, title) = if current.status != next.status {
        match next.closed_reason {
            Some(reason) => (
                ChangeKind::CaseStatusChanged,
                format!("Case closed ({})", reason.as_str().replace('_', " ")),
            ),
            None => (ChangeKind::CaseStatusChanged, "Case reopened".to_string()),
        }
    } else {
        let fields: Vec<&str> = changes.keys().map(String::as_str).collect();
        (
            ChangeKind::CaseUpdated,
            format!("Case details updated: {}", fields.join(", ")),
        )
    };
    Ok(Some(ChangeRecord {
        case_id: next.id.clone(),
        kind,
        record_type: "case",
        record_id: next.id.clone(),
        title,
        changes,
        defender_ids: vec![],
    }))
}

/// Marks a case deleted. Its timeline stays, and ends with the deletion.
pub fn delete(conn: &mut DbConnection, case: &Case) -> StoreResult<ChangeRecord> {
    let now = crate::db::now();
    let written = diesel::update(c::cases.find(&case.id).filter(c::version.eq(case.version)))
        .set((
            c::deleted_at.eq(now),
            c::version.eq(case.version + 1),
            c::updated_at.eq(now),
        ))
        .execute(conn)?;
    if written == 0 {
        return Err(StoreError::Stale("case"));
    }
    Ok(ChangeRecord {
        case_id: case.id.clone(),
        kind: ChangeKind::CaseDeleted,
        record_type: "case",
        record_id: case.id.clone(),
        title: format!("Case deleted: {}", case.title),
        changes: diff(Some(case), None),
        defender_ids: vec![],
    })
}

pub fn find_link(
    conn: &mut DbConnection,
    case_id: &str,
    defender_id: &str,
) -> StoreResult<Option<CaseDefenderLink>> {
    Ok(cd::table
        .find((case_id, defender_id))
        .select(CaseDefenderLink::as_select())
        .first(conn)
        .optional()?)
}

/// Links a defender to a case, or changes their role in it. Returns the link and
/// whether it is new.
pub fn link_defender(
    conn: &mut DbConnection,
    case: &Case,
    defender: &crate::defenders::Defender,
    role: CaseRole,
) -> StoreResult<(CaseDefenderLink, bool, Option<ChangeRecord>)> {
    let existing = find_link(conn, &case.id, &defender.id)?;
    let (link, is_new, kind, title) = match existing {
        Some(link) if link.role == role => return Ok((link, false, None)),
        Some(link) => {
            diesel::update(cd::table.find((&case.id, &defender.id)))
                .set(cd::role.eq(role))
                .execute(conn)?;
            let title = format!(
                "{}'s role in the case changed from {} to {}",
                defender.name, link.role, role
            );
            let next = CaseDefenderLink { role, ..link };
            (next, false, ChangeKind::DefenderRoleChanged, title)
        }
        None => {
            let link = CaseDefenderLink {
                case_id: case.id.clone(),
                defender_id: defender.id.clone(),
                role,
                created_at: crate::db::now(),
            };
            diesel::insert_into(cd::table).values(&link).execute(conn)?;
            let title = format!("{} added to the case as {}", defender.name, role);
            (link, true, ChangeKind::DefenderLinked, title)
        }
    };
    let mut changes = serde_json::Map::new();
    changes.insert("role".into(), serde_json::json!({"old": null, "new": role}));
    let change = ChangeRecord {
        case_id: case.id.clone(),
        kind,
        record_type: "case_defender",
        record_id: defender.id.clone(),
        title,
        changes,
        defender_ids: vec![defender.id.clone()],
    };
    Ok((link, is_new, Some(change)))
}

/// Unlinks a defender who has no charge or sentence in the case.
pub fn unlink_defender(
    conn: &mut DbConnection,
    case: &Case,
    defender: &crate::defenders::Defender,
) -> StoreResult<ChangeRecord> {
    let link = find_link(conn, &case.id, &defender.id)?.ok_or(StoreError::NotLinked("defender"))?;
    let charges: i64 = charges::table
        .filter(charges::case_id.eq(&case.id))
        .filter(charges::defender_id.eq(&defender.id))
        .count()
        .get_result(conn)?;
    let sentences: i64 = sentences::table
        .filter(sentences::case_id.eq(&case.id))
        .filter(sentences::defender_id.eq(&defender.id))
        .count()
        .get_result(conn)?;
    if charges + sentences > 0 {
        return Err(StoreError::InUse(format!(
            "the defender has {charges} charge(s) and {sentences} sentence(s) in this case; delete those first"
        )));
    }
    diesel::delete(cd::table.find((&case.id, &defender.id))).execute(conn)?;
    let mut changes = serde_json::Map::new();
    changes.insert(
        "role".into(),
        serde_json::json!({"old": link.role, "new": null}),
    );
    Ok(ChangeRecord {
        case_id: case.id.clone(),
        kind: ChangeKind::DefenderUnlinked,
        record_type: "case_defender",
        record_id: defender.id.clone(),
        title: format!("{} removed from the case", defender.name),
        changes,
        defender_ids: vec![defender.id.clone()],
    })
}

pub fn defenders_of(conn: &mut DbConnection, case_id: &str) -> StoreResult<Vec<CaseDefender>> {
    let rows: Vec<(crate::defenders::Defender, CaseRole)> = cd::table
        .inner_join(defenders::table)
        .filter(cd::case_id.eq(case_id))
        .order(defenders::id)
        .select((crate::defenders::Defender::as_select(), cd::role))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(defender, role_in_case)| CaseDefender {
            defender,
            role_in_case,
        })
        .collect())
}

pub fn find_by_title(conn: &mut DbConnection, title: &str) -> StoreResult<Option<Case>> {
    Ok(c::cases
        .filter(c::title.eq(title))
        .filter(c::deleted_at.is_null())
        .select(Case::as_select())
        .first(conn)
        .optional()?)
}

/// The cases a defender is in, in case id order.
pub fn cases_of(
    conn: &mut DbConnection,
    defender_id: &str,
    visibility: Visibility,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Case>> {
    let mut query = c::cases
        .inner_join(cd::table)
        .filter(cd::defender_id.eq(defender_id))
        .filter(c::deleted_at.is_null())
        .select(Case::as_select())
        .into_boxed();
    if visibility.is_public() {
        query = query.filter(c::confidential.eq(false));
    }
    if let Some(after) = after {
        query = query.filter(c::id.gt(after.to_string()));
    }
    Ok(query.order(c::id).limit(limit).load(conn)?)
}
