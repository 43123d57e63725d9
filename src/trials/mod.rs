//! Trials: court proceedings in a case, each with its hearings.

pub mod routes;
pub mod store;

use crate::error::ApiError;
use crate::http::{nullable, present, Problems};
use crate::vocabulary::{TrialInstance, TrialOutcome, TrialStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(Debug, Clone, Queryable, Selectable, AsChangeset, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::trials, treat_none_as_null = true)]
pub struct Trial {
    pub id: String,
    pub case_id: String,
    pub court: String,
    pub city: Option<String>,
    pub instance: String,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub status: String,
    pub outcome: Option<String>,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::trials)]
pub struct NewTrial {
    pub id: String,
    pub case_id: String,
    pub court: String,
    pub city: Option<String>,
    pub instance: String,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub status: String,
    pub outcome: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTrial {
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub court: String,
    #[validate(
        length(min = 1, max = 100),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub city: Option<String>,
    #[serde(default = "first_instance")]
    pub instance: TrialInstance,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub started_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub ended_on: Option<NaiveDate>,
    #[serde(default = "scheduled")]
    pub status: TrialStatus,
    pub outcome: Option<TrialOutcome>,
}

fn first_instance() -> TrialInstance {
    TrialInstance::FirstInstance
}

fn scheduled() -> TrialStatus {
    TrialStatus::Scheduled
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTrial {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub court: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(
        length(min = 1, max = 100),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub city: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub instance: Option<TrialInstance>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub started_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub ended_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<TrialStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub outcome: Option<Option<TrialOutcome>>,
}

fn check(
    started_on: Option<NaiveDate>,
    ended_on: Option<NaiveDate>,
    status: &str,
    outcome: Option<&str>,
) -> Result<(), ApiError> {
    let mut problems = Problems::new();
    if let (Some(start), Some(end)) = (started_on, ended_on) {
        if end < start {
            problems.add("ended_on", "must not be before started_on");
        }
    }
    if outcome.is_some() && status != TrialStatus::Concluded.as_str() {
        problems.add("outcome", "may only be set once the trial is concluded");
    }
    problems.into_result()
}

impl CreateTrial {
    pub fn into_new(self, case_id: &str) -> Result<NewTrial, ApiError> {
        let outcome = self.outcome.map(|o| o.as_str().to_string());
        check(
            self.started_on,
            self.ended_on,
            self.status.as_str(),
            outcome.as_deref(),
        )?;
        let now = crate::db::now();
        Ok(NewTrial {
            id: crate::db::new_id(),
            case_id: case_id.into(),
            court: self.court,
            city: self.city,
            instance: self.instance.as_str().into(),
            started_on: self.started_on,
            ended_on: self.ended_on,
            status: self.status.as_str().into(),
            outcome,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

impl UpdateTrial {
    pub fn apply(self, current: &Trial) -> Result<Trial, ApiError> {
        let mut next = current.clone();
        if let Some(v) = self.court {
            next.court = v;
        }
        if let Some(v) = self.city {
            next.city = v;
        }
        if let Some(v) = self.instance {
            next.instance = v.as_str().into();
        }
        if let Some(v) = self.started_on {
            next.started_on = v;
        }
        if let Some(v) = self.ended_on {
            next.ended_on = v;
        }
        if let Some(v) = self.status {
            next.status = v.as_str().into();
        }
        if let Some(v) = self.outcome {
            next.outcome = v.map(|o| o.as_str().into());
        }
        check(
            next.started_on,
            next.ended_on,
            &next.status,
            next.outcome.as_deref(),
        )?;
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}
