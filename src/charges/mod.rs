//! Charges brought against a defender in a case.

pub mod routes;
pub mod store;

use crate::error::ApiError;
use crate::http::{nullable, present};
use crate::vocabulary::ChargeStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(Debug, Clone, Queryable, Selectable, AsChangeset, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::charges, treat_none_as_null = true)]
pub struct Charge {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub legal_basis: String,
    pub description: Option<String>,
    pub brought_on: Option<NaiveDate>,
    pub status: String,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::charges)]
pub struct NewCharge {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub legal_basis: String,
    pub description: Option<String>,
    pub brought_on: Option<NaiveDate>,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCharge {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub defender_id: String,
    /// Code and article as written, e.g. "Criminal Code of Kazakhstan, art. 174".
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub legal_basis: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub brought_on: Option<NaiveDate>,
    #[serde(default = "pending")]
    pub status: ChargeStatus,
}

fn pending() -> ChargeStatus {
    ChargeStatus::Pending
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCharge {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub legal_basis: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub brought_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<ChargeStatus>,
}

impl CreateCharge {
    pub fn into_new(self, case_id: &str) -> NewCharge {
        let now = crate::db::now();
        NewCharge {
            id: crate::db::new_id(),
            case_id: case_id.into(),
            defender_id: self.defender_id,
            legal_basis: self.legal_basis,
            description: self.description,
            brought_on: self.brought_on,
            status: self.status.as_str().into(),
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

impl UpdateCharge {
    pub fn apply(self, current: &Charge) -> Result<Charge, ApiError> {
        let mut next = current.clone();
        if let Some(v) = self.legal_basis {
            next.legal_basis = v;
        }
        if let Some(v) = self.description {
            next.description = v;
        }
        if let Some(v) = self.brought_on {
            next.brought_on = v;
        }
        if let Some(v) = self.status {
            next.status = v.as_str().into();
        }
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}
