//! Interventions: what the organisation published or sent (appeals, follow-ups,
//! press releases, statements, letters, UN submissions), and the cases they cover.

pub mod store;

use crate::domain::to_json_list;
use crate::http::{nullable, present, Problems};
use crate::store::StoreResult;
use crate::vocabulary::{InterventionResponse, InterventionType};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::interventions, treat_none_as_null = true)]
pub struct Intervention {
    pub id: String,
    #[serde(rename = "type")]
    pub intervention_type: InterventionType,
    pub reference: Option<String>,
    pub title: String,
    pub issued_on: NaiveDate,
    pub country: String,
    pub url: Option<String>,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub languages: String,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub subjects: String,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub addressed_to: String,
    pub actions_requested: Option<String>,
    pub deadline: Option<NaiveDate>,
    pub response: InterventionResponse,
    pub response_details: Option<String>,
    pub follows_id: Option<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateIntervention {
    #[serde(rename = "type")]
    pub intervention_type: InterventionType,
    /// The programme's number, e.g. "UA 219/06" or a UN communication "KAZ 2/2011".
    #[validate(
        length(min = 1, max = 50),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 50)]
    pub reference: Option<String>,
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 500)]
    pub title: String,
    #[serde(deserialize_with = "crate::domain::date::required")]
    pub issued_on: NaiveDate,
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: String,
    #[validate(length(max = 2000), custom(function = "crate::domain::valid_url"))]
    #[schema(schema_with = crate::domain::schema::optional_url)]
    pub url: Option<String>,
    /// ISO 639-1 codes of the languages it was published in.
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_languages"))]
    #[schema(schema_with = crate::domain::schema::languages)]
    pub languages: Vec<String>,
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_subjects"))]
    #[schema(schema_with = crate::domain::schema::subjects)]
    pub subjects: Vec<String>,
    /// The authorities it is addressed to.
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_addressees"))]
    #[schema(schema_with = crate::domain::schema::addressees)]
    pub addressed_to: Vec<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub actions_requested: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub deadline: Option<NaiveDate>,
    #[serde(default = "none_to_date")]
    pub response: InterventionResponse,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub response_details: Option<String>,
    /// The appeal this one follows up.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub follows_id: Option<String>,
}

fn none_to_date() -> InterventionResponse {
    InterventionResponse::NoneToDate
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIntervention {
    #[serde(default, rename = "type", deserialize_with = "present")]
    #[schema(nullable = false)]
    pub intervention_type: Option<InterventionType>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(
        length(min = 1, max = 50),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 50)]
    pub reference: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 500),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 500)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::date::present")]
    #[schema(nullable = false)]
    pub issued_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000), custom(function = "crate::domain::valid_url"))]
    #[schema(schema_with = crate::domain::schema::optional_url)]
    pub url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_languages"))]
    #[schema(schema_with = crate::domain::schema::languages)]
    pub languages: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_subjects"))]
    #[schema(schema_with = crate::domain::schema::subjects)]
    pub subjects: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_addressees"))]
    #[schema(schema_with = crate::domain::schema::addressees)]
    pub addressed_to: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub actions_requested: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub deadline: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub response: Option<InterventionResponse>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub response_details: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub follows_id: Option<Option<String>>,
}

/// The lists an intervention carries, parsed.
pub struct Lists {
    pub languages: Vec<String>,
    pub subjects: Vec<String>,
    pub addressed_to: Vec<String>,
}

/// Rules across fields, checked on the intervention as it will be.
fn check(issued_on: NaiveDate, deadline: Option<NaiveDate>) -> StoreResult<()> {
    let mut problems = Problems::new();
    if deadline.is_some_and(|d| d < issued_on) {
        problems.add("deadline", "must not be before issued_on");
    }
    problems.into_result()
}

impl CreateIntervention {
    pub fn into_new(self) -> StoreResult<Intervention> {
        let lists = Lists {
            languages: self.languages,
            subjects: self.subjects,
            addressed_to: self.addressed_to,
        };
        check(self.issued_on, self.deadline)?;
        let now = crate::db::now();
        Ok(Intervention {
            id: crate::db::new_id(),
            intervention_type: self.intervention_type,
            reference: self.reference,
            title: self.title,
            issued_on: self.issued_on,
            country: self.country,
            url: self.url,
            languages: to_json_list(&lists.languages),
            subjects: to_json_list(&lists.subjects),
            addressed_to: to_json_list(&lists.addressed_to),
            actions_requested: self.actions_requested,
            deadline: self.deadline,
            response: self.response,
            response_details: self.response_details,
            follows_id: self.follows_id,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

impl UpdateIntervention {
    pub fn apply(self, current: &Intervention) -> StoreResult<Intervention> {
        use crate::domain::from_json_list;
        let mut next = current.clone();
        let lists = Lists {
            languages: self
                .languages
                .unwrap_or_else(|| from_json_list(&current.languages)),
            subjects: self
                .subjects
                .unwrap_or_else(|| from_json_list(&current.subjects)),
            addressed_to: self
                .addressed_to
                .unwrap_or_else(|| from_json_list(&current.addressed_to)),
        };
        if let Some(v) = self.intervention_type {
            next.intervention_type = v;
        }
        if let Some(v) = self.reference {
            next.reference = v;
        }
        if let Some(v) = self.title {
            next.title = v;
        }
        if let Some(v) = self.issued_on {
            next.issued_on = v;
        }
        if let Some(v) = self.country {
            next.country = v;
        }
        if let Some(v) = self.url {
            next.url = v;
        }
        if let Some(v) = self.actions_requested {
            next.actions_requested = v;
        }
        if let Some(v) = self.deadline {
            next.deadline = v;
        }
        if let Some(v) = self.response {
            next.response = v;
        }
        if let Some(v) = self.response_details {
            next.response_details = v;
        }
        if let Some(v) = self.follows_id {
            next.follows_id = v;
        }
        check(next.issued_on, next.deadline)?;
        next.languages = to_json_list(&lists.languages);
        next.subjects = to_json_list(&lists.subjects);
        next.addressed_to = to_json_list(&lists.addressed_to);
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}

impl Intervention {
    /// "Press release “Kazakhstan: …” (2016-10-11)"
    pub fn describe(&self) -> String {
        let kind = self.intervention_type.as_str().replace('_', " ");
        let mut kind_cap = kind.clone();
        if let Some(first) = kind_cap.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let reference = self
            .reference
            .as_deref()
            .map(|r| format!(" {r}"))
            .unwrap_or_default();
        format!(
            "{kind_cap}{reference} “{}” ({})",
            self.title, self.issued_on
        )
    }
}
