//! Cases: one situation followed over time, with its defenders and records.

pub mod detail;
pub mod store;

use crate::domain::to_json_list;
use crate::http::{nullable, present, Problems};
use crate::store::StoreResult;
use crate::vocabulary::{CaseRole, CaseStatus, ClosedReason};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::cases, treat_none_as_null = true)]
pub struct Case {
    pub id: String,
    pub title: String,
    pub country: String,
    pub status: CaseStatus,
    pub closed_reason: Option<ClosedReason>,
    pub summary: Option<String>,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub subjects: String,
    pub opened_on: Option<NaiveDate>,
    pub confidential: bool,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
    #[serde(skip)]
    pub deleted_at: Option<NaiveDateTime>,
}

impl crate::audience::Confidential for Case {
    fn confidential_refs(&self) -> Vec<String> {
        self.confidential
            .then(|| format!("case {}", self.id))
            .into_iter()
            .collect()
    }
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "closing_rule", skip_on_field_errors = false))]
pub struct CreateCase {
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: String,
    #[serde(default = "open")]
    pub status: CaseStatus,
    pub closed_reason: Option<ClosedReason>,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub summary: Option<String>,
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_subjects"))]
    #[schema(schema_with = crate::domain::schema::subjects)]
    pub subjects: Vec<String>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub opened_on: Option<NaiveDate>,
    #[serde(default)]
    pub confidential: bool,
}

fn open() -> CaseStatus {
    CaseStatus::Open
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCase {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = crate::domain::CountryCode)]
    pub country: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<CaseStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub closed_reason: Option<Option<ClosedReason>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(custom(function = "crate::domain::valid_subjects"))]
    #[schema(schema_with = crate::domain::schema::subjects)]
    pub subjects: Option<Vec<String>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub opened_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub confidential: Option<bool>,
}

/// Rules across fields, checked on the case as it will be.
/// What is wrong with a status and closing reason together, if anything.
fn closing_problem(
    status: CaseStatus,
    closed_reason: Option<ClosedReason>,
) -> Option<&'static str> {
    match (status, closed_reason) {
        (CaseStatus::Closed, None) => Some("is required when the case is closed"),
        (CaseStatus::Open, Some(_)) => Some("must be null while the case is open"),
        _ => None,
    }
}

/// `validator` rule for a new case.
fn closing_rule(case: &CreateCase) -> Result<(), validator::ValidationError> {
    match closing_problem(case.status, case.closed_reason) {
        Some(message) => Err(crate::http::cross_field("closed_reason", message)),
        None => Ok(()),
    }
}

/// The same rule on a case as a PATCH leaves it.
fn check(status: CaseStatus, closed_reason: Option<ClosedReason>) -> StoreResult<()> {
    let mut problems = Problems::new();
    if let Some(message) = closing_problem(status, closed_reason) {
        problems.add("closed_reason", message);
    }
    problems.into_result()
}

impl CreateCase {
    pub fn into_new(self) -> StoreResult<Case> {
        let now = crate::db::now();
        Ok(Case {
            id: crate::db::new_id(),
            title: self.title,
            country: self.country,
            status: self.status,
            closed_reason: self.closed_reason,
            summary: self.summary,
            subjects: to_json_list(&self.subjects),
            opened_on: self.opened_on,
            confidential: self.confidential,
            version: 1,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
    }
}

impl UpdateCase {
    pub fn apply(self, current: &Case) -> StoreResult<Case> {
        let mut next = current.clone();
        let subjects = self
            .subjects
            .unwrap_or_else(|| crate::domain::from_json_list(&current.subjects));
        if let Some(title) = self.title {
            next.title = title;
        }
        if let Some(country) = self.country {
            next.country = country;
        }
        if let Some(status) = self.status {
            next.status = status;
            // Reopening clears the reason it was closed for, unless one is given.
            if status == CaseStatus::Open && self.closed_reason.is_none() {
                next.closed_reason = None;
            }
        }
        if let Some(reason) = self.closed_reason {
            next.closed_reason = reason;
        }
        if let Some(summary) = self.summary {
            next.summary = summary;
        }
        if let Some(opened_on) = self.opened_on {
            next.opened_on = opened_on;
        }
        if let Some(confidential) = self.confidential {
            next.confidential = confidential;
        }
        check(next.status, next.closed_reason)?;
        next.subjects = to_json_list(&subjects);
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}

/// Body of `PUT /cases/{id}/defenders/{defender_id}`.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDefender {
    pub role: CaseRole,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::case_defenders)]
pub struct CaseDefenderLink {
    pub case_id: String,
    pub defender_id: String,
    pub role: CaseRole,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
}

/// A defender as embedded in a case: the defender plus their part in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDefender {
    #[serde(flatten)]
    pub defender: crate::defenders::Defender,
    pub role_in_case: CaseRole,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrialWithHearings {
    #[serde(flatten)]
    pub trial: crate::trials::Trial,
    pub hearings: Vec<crate::hearings::HearingView>,
}

/// `GET /cases/{id}`: the case with everything recorded in it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    pub defenders: Vec<CaseDefender>,
    pub charges: Vec<crate::charges::Charge>,
    pub trials: Vec<TrialWithHearings>,
    pub sentences: Vec<crate::sentences::Sentence>,
    pub interventions: Vec<crate::interventions::Intervention>,
}
