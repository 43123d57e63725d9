//! Hearings: the sessions of a trial. A hearing's time is kept as an instant plus the
//! court's IANA time zone, and shown in that zone, so "9:00 in court" stays 9:00.

pub mod ical;
pub mod store;

use crate::db::DbConnection;
use crate::http::{nullable, present, Problems};
use crate::records::{set, CaseRecord, Parent, ParentRef, Story};
use crate::store::StoreResult;
use crate::vocabulary::ChangeKind;
use crate::vocabulary::HearingStatus;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeZone, Timelike};
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = crate::schema::hearings, treat_none_as_null = true)]
pub struct Hearing {
    pub id: String,
    pub trial_id: String,
    pub case_id: String,
    /// UTC.
    pub scheduled_at: NaiveDateTime,
    pub time_zone: String,
    pub status: HearingStatus,
    pub description: Option<String>,
    pub observers: Option<String>,
    pub violations: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

crate::case_record_table!(Hearing, hearings, parent = trial_id, by = scheduled_at);

/// A hearing as the API shows it: `scheduled_at` in the court's time zone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HearingView {
    pub id: String,
    pub trial_id: String,
    pub case_id: String,
    pub scheduled_at: String,
    pub time_zone: String,
    pub status: HearingStatus,
    pub description: Option<String>,
    /// Who observed it: staff only, never sent to a partner.
    #[serde(skip_serializing_if = "crate::audience::staff_only")]
    pub observers: Option<String>,
    pub violations: Option<String>,
    pub version: i64,
    pub created_at: String,
    pub updated_at: String,
}

fn rfc3339_utc(t: &NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// The instant in the court's zone (UTC if the stored zone name is unknown).
pub fn local_time(utc: &NaiveDateTime, zone: &str) -> DateTime<FixedOffset> {
    let offset = zone
        .parse::<Tz>()
        .map(|tz| tz.offset_from_utc_datetime(utc).fix())
        .unwrap_or_else(|_| FixedOffset::east_opt(0).unwrap_or_else(|| Offset::fix(&chrono::Utc)));
    offset.from_utc_datetime(utc)
}

impl From<Hearing> for HearingView {
    fn from(h: Hearing) -> Self {
        HearingView {
            scheduled_at: local_time(&h.scheduled_at, &h.time_zone).to_rfc3339(),
            created_at: rfc3339_utc(&h.created_at),
            updated_at: rfc3339_utc(&h.updated_at),
            id: h.id,
            trial_id: h.trial_id,
            case_id: h.case_id,
            time_zone: h.time_zone,
            status: h.status,
            description: h.description,
            observers: h.observers,
            violations: h.violations,
            version: h.version,
        }
    }
}

impl Hearing {
    /// "2016-10-12 10:00 (Asia/Almaty)"
    pub fn when(&self) -> String {
        format!(
            "{} ({})",
            local_time(&self.scheduled_at, &self.time_zone).format("%Y-%m-%d %H:%M"),
            self.time_zone
        )
    }
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateHearing {
    /// RFC 3339 with the court's UTC offset, e.g. 2016-10-12T10:00:00+06:00.
    #[serde(deserialize_with = "crate::domain::timestamp::required")]
    #[schema(schema_with = crate::domain::schema::instant)]
    pub scheduled_at: DateTime<FixedOffset>,
    /// The court's IANA time zone, e.g. Asia/Almaty.
    #[validate(length(min = 1, max = 64))]
    #[schema(schema_with = crate::domain::schema::time_zone)]
    pub time_zone: String,
    #[serde(default = "scheduled")]
    pub status: HearingStatus,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub observers: Option<String>,
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub violations: Option<String>,
}

fn scheduled() -> HearingStatus {
    HearingStatus::Scheduled
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateHearing {
    /// Moves the hearing to another trial of the same case.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub trial_id: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::timestamp::present")]
    #[schema(schema_with = crate::domain::schema::instant)]
    pub scheduled_at: Option<DateTime<FixedOffset>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(length(min = 1, max = 64))]
    #[schema(schema_with = crate::domain::schema::time_zone)]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<HearingStatus>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub observers: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 10000))]
    #[schema(max_length = 10000)]
    pub violations: Option<Option<String>>,
}

const UNKNOWN_ZONE: &str = "must be an IANA time zone name, e.g. Asia/Almaty";

/// Drops what is finer than a microsecond: both databases keep microseconds (SQLite
/// would otherwise keep the nanoseconds as text), and the keyset cursors carry them,
/// so a finer time would sort after its own cursor and repeat on every page.
fn to_micros(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// Checks the zone name and that the given offset is the zone's offset at that
/// instant, so a hearing cannot silently shift by an hour.
fn check_time(at: &DateTime<FixedOffset>, zone: &str) -> StoreResult<()> {
    let mut problems = Problems::new();
    match zone.parse::<Tz>() {
        Err(_) => problems.add("time_zone", UNKNOWN_ZONE),
        Ok(tz) => {
            let expected = tz.offset_from_utc_datetime(&at.naive_utc()).fix();
            if expected != *at.offset() {
                problems.add(
                    "scheduled_at",
                    format!(
                        "its UTC offset {} is not the offset of {zone} at that time ({expected}); give the court's local time with its offset",
                        at.offset()
                    ),
                );
            }
        }
    }
    problems.into_result()
}

impl CaseRecord for Hearing {
    const KIND: &'static str = "hearing";
    const COLLECTION: &'static str = "hearings";
    const PARENT: Parent = Parent::Trial;
    type Create = CreateHearing;
    type Update = UpdateHearing;
    type View = HearingView;

    fn create(input: CreateHearing, trial: &ParentRef) -> StoreResult<Self> {
        check_time(&input.scheduled_at, &input.time_zone)?;
        let now = crate::db::now();
        Ok(Hearing {
            id: crate::db::new_id(),
            trial_id: trial.id.clone(),
            case_id: trial.case_id.clone(),
            scheduled_at: to_micros(input.scheduled_at.naive_utc()),
            time_zone: input.time_zone,
            status: input.status,
            description: input.description,
            observers: input.observers,
            violations: input.violations,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    fn apply(patch: UpdateHearing, current: &Self) -> StoreResult<Self> {
        let mut next = current.clone();
        let zone = patch
            .time_zone
            .clone()
            .unwrap_or_else(|| current.time_zone.clone());
        if patch.scheduled_at.is_none() && zone != current.time_zone {
            let mut problems = Problems::new();
            problems.add(
                "scheduled_at",
                "must be given, in the court's local time, when time_zone changes",
            );
            if zone.parse::<Tz>().is_err() {
                problems.add("time_zone", UNKNOWN_ZONE);
            }
            // Never Ok: scheduled_at is always named.
            problems.into_result()?;
        }
        let at = patch
            .scheduled_at
            .unwrap_or_else(|| local_time(&current.scheduled_at, &zone));
        if patch.scheduled_at.is_some() || patch.time_zone.is_some() {
            check_time(&at, &zone)?;
        }
        next.scheduled_at = to_micros(at.naive_utc());
        next.time_zone = zone;
        set(&mut next.trial_id, patch.trial_id);
        set(&mut next.status, patch.status);
        set(&mut next.description, patch.description);
        set(&mut next.observers, patch.observers);
        set(&mut next.violations, patch.violations);
        Ok(next)
    }

    /// A hearing may only move to another trial of its own case.
    fn check(conn: &mut DbConnection, next: &Self, current: Option<&Self>) -> StoreResult<()> {
        use crate::schema::trials;
        if current.is_none_or(|c| c.trial_id == next.trial_id) {
            return Ok(());
        }
        let case_id: Option<String> = trials::table
            .find(&next.trial_id)
            .select(trials::case_id)
            .first(conn)
            .optional()?;
        match case_id {
            Some(case_id) if case_id == next.case_id => Ok(()),
            _ => Err(crate::store::invalid(
                "trial_id",
                "must be a trial of the same case as the hearing",
            )),
        }
    }

    /// The court of its trial.
    fn subject(conn: &mut DbConnection, hearing: &Self) -> StoreResult<String> {
        use crate::schema::trials;
        Ok(trials::table
            .find(&hearing.trial_id)
            .select(trials::court)
            .first(conn)
            .optional()?
            .unwrap_or_default())
    }

    fn created(&self, court: &str) -> Story {
        let title = format!("Hearing scheduled for {} at {court}", self.when());
        Story::new(ChangeKind::HearingScheduled, title)
    }

    fn updated(current: &Self, next: &Self, _: &str) -> Story {
        if current.scheduled_at != next.scheduled_at {
            let title = format!("Hearing of {} moved to {}", current.when(), next.when());
            Story::new(ChangeKind::HearingRescheduled, title)
        } else if current.status != next.status {
            let title = format!("Hearing of {}: {}", next.when(), next.status);
            Story::new(ChangeKind::HearingStatusChanged, title)
        } else {
            Story::new(
                ChangeKind::HearingUpdated,
                format!("Hearing of {} updated", next.when()),
            )
        }
    }

    fn deleted(&self, _: &str) -> Story {
        let title = format!("Record of the hearing of {} removed", self.when());
        Story::new(ChangeKind::HearingDeleted, title)
    }
}
