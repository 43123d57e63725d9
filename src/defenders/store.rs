use super::Defender;
use crate::audience::Visibility;
use crate::db::DbConnection;
use crate::schema::{case_defenders, defenders::dsl as d};
use crate::store::{StoreError, StoreResult};
use diesel::prelude::*;

#[derive(Debug)]
pub struct DefenderFilter {
    pub q: Option<String>,
    pub country: Option<String>,
    pub visibility: Visibility,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &DefenderFilter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<Defender>> {
    let mut query = d::defenders.select(Defender::as_select()).into_boxed();
    if let Some(q) = &filter.q {
        query = query.filter(
            d::search_names
                .like(crate::search::contains_pattern(q))
                .escape('\\'),
        );
    }
    if let Some(country) = &filter.country {
        query = query.filter(d::country.eq(country.clone()));
    }
    if filter.visibility.is_public() {
        query = query.filter(d::confidential.eq(false));
    }
    if let Some(after) = after {
        query = query.filter(d::id.gt(after.to_string()));
    }
    Ok(query.order(d::id).limit(limit).load(conn)?)
}

pub fn find(conn: &mut DbConnection, id: &str) -> StoreResult<Option<Defender>> {
    Ok(d::defenders
        .find(id)
        .select(Defender::as_select())
        .first(conn)
        .optional()?)
}

/// A defender `visibility` may see: a confidential one is "not found" for partners.
pub fn visible(conn: &mut DbConnection, id: &str, visibility: Visibility) -> StoreResult<Defender> {
    let defender = get(conn, id)?;
    if defender.confidential && visibility.is_public() {
        return Err(StoreError::NotFound("defender"));
    }
    Ok(defender)
}

/// The confidential defenders who share a case with `defender_id`.
pub fn hidden_alongside(conn: &mut DbConnection, defender_id: &str) -> StoreResult<Vec<String>> {
    let their_cases: Vec<String> = case_defenders::table
        .filter(case_defenders::defender_id.eq(defender_id))
        .select(case_defenders::case_id)
        .load(conn)?;
    Ok(case_defenders::table
        .inner_join(d::defenders)
        .filter(case_defenders::case_id.eq_any(their_cases))
        .filter(d::confidential.eq(true))
        .select(d::id)
        .distinct()
        .load(conn)?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Defender> {
    find(conn, id)?.ok_or_else(|| StoreError::NotFound("defender"))
}

pub fn insert(conn: &mut DbConnection, new: Defender) -> StoreResult<Defender> {
    diesel::insert_into(d::defenders)
        .values(&new)
        .execute(conn)?;
    Ok(new)
}

/// Writes `next` over `current`, if the stored version is still the one read.
pub fn update(conn: &mut DbConnection, current: &Defender, next: &Defender) -> StoreResult<()> {
    let written = diesel::update(
        d::defenders
            .find(&next.id)
            .filter(d::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(StoreError::Stale("defender"));
    }
    Ok(())
}

/// Deletes a defender who is in no case: someone named in a case's records stays.
pub fn delete(conn: &mut DbConnection, current: &Defender) -> StoreResult<()> {
    let id = &current.id;
    let linked: i64 = case_defenders::table
        .filter(case_defenders::defender_id.eq(id))
        .count()
        .get_result(conn)?;
    if linked > 0 {
        return Err(StoreError::InUse(format!(
            "the defender is linked to {linked} case(s); unlink them first so the cases' history records it"
        )));
    }
    let deleted = diesel::delete(d::defenders.find(id).filter(d::version.eq(current.version)))
        .execute(conn)?;
    if deleted == 0 {
        // Changed by a concurrent edit since it was read: nothing was deleted.
        return Err(StoreError::Stale("defender"));
    }
    Ok(())
}
