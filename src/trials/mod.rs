//! Trials: court proceedings in a case, each with its hearings.

use crate::db::DbConnection;
use crate::http::{nullable, present, Problems};
use crate::records::{set, CaseRecord, Parent, ParentRef, Story};
use crate::store::{StoreError, StoreResult};
use crate::vocabulary::ChangeKind;
use crate::vocabulary::{TrialInstance, TrialOutcome, TrialStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::trials, treat_none_as_null = true)]
pub struct Trial {
    pub id: String,
    pub case_id: String,
    pub court: String,
    pub city: Option<String>,
    pub instance: TrialInstance,
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    pub status: TrialStatus,
    pub outcome: Option<TrialOutcome>,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

crate::case_record_table!(Trial, trials, parent = case_id);

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
    status: TrialStatus,
    outcome: Option<TrialOutcome>,
) -> StoreResult<()> {
    let mut problems = Problems::new();
    if let (Some(start), Some(end)) = (started_on, ended_on) {
        if end < start {
            problems.add("ended_on", "must not be before started_on");
        }
    }
    if outcome.is_some() && status != TrialStatus::Concluded {
        problems.add("outcome", "may only be set once the trial is concluded");
    }
    problems.into_result()
}

/// "first instance trial at Atyrau City Court No. 2, Atyrau"
fn describe(trial: &Trial) -> String {
    let place = trial
        .city
        .as_deref()
        .map(|c| format!(", {c}"))
        .unwrap_or_default();
    let instance = trial.instance.as_str().replace('_', " ");
    format!("{instance} trial at {}{place}", trial.court)
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl CaseRecord for Trial {
    const KIND: &'static str = "trial";
    const COLLECTION: &'static str = "trials";
    const PARENT: Parent = Parent::Case;
    type Create = CreateTrial;
    type Update = UpdateTrial;
    type View = Trial;

    fn create(input: CreateTrial, parent: &ParentRef) -> StoreResult<Self> {
        check(
            input.started_on,
            input.ended_on,
            input.status,
            input.outcome,
        )?;
        let now = crate::db::now();
        Ok(Trial {
            id: crate::db::new_id(),
            case_id: parent.case_id.clone(),
            court: input.court,
            city: input.city,
            instance: input.instance,
            started_on: input.started_on,
            ended_on: input.ended_on,
            status: input.status,
            outcome: input.outcome,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    fn apply(patch: UpdateTrial, current: &Self) -> StoreResult<Self> {
        let mut next = current.clone();
        set(&mut next.court, patch.court);
        set(&mut next.city, patch.city);
        set(&mut next.instance, patch.instance);
        set(&mut next.started_on, patch.started_on);
        set(&mut next.ended_on, patch.ended_on);
        set(&mut next.status, patch.status);
        set(&mut next.outcome, patch.outcome);
        check(next.started_on, next.ended_on, next.status, next.outcome)?;
        Ok(next)
    }

    /// A trial with hearings is kept: deleting each hearing records it in the story.
    fn check_delete(conn: &mut DbConnection, trial: &Self) -> StoreResult<()> {
        use crate::schema::hearings;
        let sessions: i64 = hearings::table
            .filter(hearings::trial_id.eq(&trial.id))
            .count()
            .get_result(conn)?;
        if sessions > 0 {
            return Err(StoreError::InUse(format!(
                "the trial has {sessions} hearing(s); delete them first so the history records each"
            )));
        }
        Ok(())
    }

    fn created(&self, _: &str) -> Story {
        let when = self
            .started_on
            .map(|d| format!(", opening {d}"))
            .unwrap_or_default();
        let title = format!("{}{when}", capitalise(&describe(self)));
        Story::new(ChangeKind::TrialCreated, title)
    }

    fn updated(current: &Self, next: &Self, _: &str) -> Story {
        if current.status != next.status || current.outcome != next.outcome {
            let outcome = next
                .outcome
                .map(|o| format!(": {}", o.as_str().replace('_', " ")))
                .unwrap_or_default();
            let title = format!("{} {}{outcome}", capitalise(&describe(next)), next.status);
            Story::new(ChangeKind::TrialStatusChanged, title)
        } else {
            let title = format!("{} updated", capitalise(&describe(next)));
            Story::new(ChangeKind::TrialUpdated, title)
        }
    }

    fn deleted(&self, _: &str) -> Story {
        Story::new(
            ChangeKind::TrialDeleted,
            format!("Record of the {} removed", describe(self)),
        )
    }
}
