//! ISO 3166-1 countries, loaded from the `rust_iso3166` list after every migration.

pub mod store;

use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::countries)]
pub struct Country {
    pub code: String,
    pub alpha3: String,
    pub numeric_code: String,
    pub name: String,
}
