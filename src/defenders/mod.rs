//! Defenders: the people at risk that cases are about.

pub mod store;

use crate::domain::to_json_list;
use crate::http::{nullable, present};
use crate::vocabulary::DefenderRole;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::defenders, treat_none_as_null = true)]
pub struct Defender {
    pub id: String,
    pub name: String,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub other_names: String,
    #[serde(skip)]
    pub search_names: String,
    pub role: DefenderRole,
    pub organisation: Option<String>,
    pub country: String,
    /// Contact details and notes: staff only, never sent to a partner.
    #[serde(skip_serializing_if = "crate::audience::staff_only")]
    pub details: Option<String>,
    pub confidential: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

impl crate::audience::Confidential for Defender {
    fn confidential_refs(&self) -> Vec<String> {
        self.confidential
            .then(|| format!("defender {}", self.id))
            .into_iter()
            .collect()
    }
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDefender {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_names"))]
    #[schema(schema_with = crate::domain::schema::other_names)]
    pub other_names: Vec<String>,
    pub role: DefenderRole,
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<String>,
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: String,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub details: Option<String>,
    #[serde(default)]
    pub confidential: bool,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateDefender {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_names"))]
    #[schema(schema_with = crate::domain::schema::other_names)]
    pub other_names: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub role: Option<DefenderRole>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub details: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub confidential: Option<bool>,
}

/// All the names a defender is known by, as one search key per line.
pub fn search_names(name: &str, other_names: &[String]) -> String {
    std::iter::once(name)
        .chain(other_names.iter().map(String::as_str))
        .map(crate::search::fold)
        .collect::<Vec<_>>()
        .join("\n")
}

impl CreateDefender {
    pub fn into_new(self) -> crate::store::StoreResult<Defender> {
        let now = crate::db::now();
        Ok(Defender {
            id: crate::db::new_id(),
            search_names: search_names(&self.name, &self.other_names),
            other_names: to_json_list(&self.other_names),
            name: self.name,
            role: self.role,
            organisation: self.organisation,
            country: self.country,
            details: self.details,
            confidential: self.confidential,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

impl UpdateDefender {
    /// The defender as it will be after this change.
    pub fn apply(self, current: &Defender) -> crate::store::StoreResult<Defender> {
        let mut next = current.clone();
        let other_names = match self.other_names {
            Some(names) => names,
            None => crate::domain::from_json_list(&current.other_names),
        };
        if let Some(name) = self.name {
            next.name = name;
        }
        if let Some(role) = self.role {
            next.role = role;
        }
        if let Some(organisation) = self.organisation {
            next.organisation = organisation;
        }
        if let Some(country) = self.country {
            next.country = country;
        }
        if let Some(details) = self.details {
            next.details = details;
        }
        if let Some(confidential) = self.confidential {
            next.confidential = confidential;
        }
        next.search_names = search_names(&next.name, &other_names);
        next.other_names = to_json_list(&other_names);
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}
