//! Alert emails: the outbox rows written with each change, and the worker that
//! delivers them over SMTP.
//!
//! A change to a case writes its timeline event and, in the same transaction, one
//! `pending` alert per confirmed subscription that matches it. Nothing is sent inside
//! a request. The worker claims due alerts for a lease, composes each one from the
//! database as it is at sending time (so a case made confidential meanwhile is not
//! mailed), sends it, and records the outcome.

pub mod mail;
pub mod store;
pub mod worker;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::alerts)]
pub struct Alert {
    pub id: String,
    pub kind: String,
    pub subscriber_id: String,
    pub subscription_id: Option<String>,
    pub case_id: Option<String>,
    pub event_id: Option<String>,
    pub hearing_id: Option<String>,
    pub delivery: String,
    /// For a change delivered daily: the digest that carries it.
    pub digest_id: Option<String>,
    #[serde(skip)]
    pub dedupe_key: String,
    pub status: String,
    pub attempts: i32,
    #[serde(serialize_with = "crate::domain::utc")]
    pub next_attempt_at: NaiveDateTime,
    #[serde(skip)]
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc_opt")]
    pub sent_at: Option<NaiveDateTime>,
}

// None is written as NULL rather than DEFAULT, which lets SQLite insert many rows in
// one statement.
#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::alerts, treat_none_as_default_value = false)]
pub struct NewAlert {
    pub id: String,
    pub kind: String,
    pub subscriber_id: String,
    pub subscription_id: Option<String>,
    pub case_id: Option<String>,
    pub event_id: Option<String>,
    pub hearing_id: Option<String>,
    pub delivery: String,
    pub digest_id: Option<String>,
    pub dedupe_key: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

impl NewAlert {
    pub fn pending(
        kind: crate::vocabulary::AlertKind,
        subscriber_id: &str,
        dedupe_key: String,
    ) -> Self {
        let now = crate::db::now();
        Self {
            id: crate::db::new_id(),
            kind: kind.as_str().into(),
            subscriber_id: subscriber_id.into(),
            subscription_id: None,
            case_id: None,
            event_id: None,
            hearing_id: None,
            delivery: crate::vocabulary::Delivery::Immediate.as_str().into(),
            digest_id: None,
            dedupe_key,
            status: crate::vocabulary::AlertStatus::Pending.as_str().into(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        }
    }
}

/// The pending and failed counts that `/ready` reports.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Backlog {
    pub pending: i64,
    pub failed: i64,
}
