use super::Country;
use crate::db::DbConnection;
use crate::schema::countries::dsl as c;
use crate::store::StoreResult;
use diesel::prelude::*;
use std::collections::HashSet;

/// Inserts the countries of the ISO list that the table lacks.
pub fn sync(conn: &mut DbConnection) -> StoreResult<()> {
    let present: HashSet<String> = c::countries
        .select(c::code)
        .load(conn)?
        .into_iter()
        .collect();
    for country in rust_iso3166::ALL {
        if present.contains(country.alpha2) {
            continue;
        }
        diesel::insert_into(c::countries)
            .values(Country {
                code: country.alpha2.to_string(),
                alpha3: country.alpha3.to_string(),
                numeric_code: format!("{:03}", country.numeric),
                name: country.name.to_string(),
            })
            .execute(conn)?;
    }
    Ok(())
}

pub fn list(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> StoreResult<Vec<Country>> {
    let mut query = c::countries
        .select(Country::as_select())
        .order(c::code)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(c::code.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

pub fn get(conn: &mut DbConnection, code: &str) -> StoreResult<Option<Country>> {
    Ok(c::countries
        .find(code.to_uppercase())
        .select(Country::as_select())
        .first(conn)
        .optional()?)
}
