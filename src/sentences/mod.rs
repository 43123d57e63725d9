//! Sentences handed down to a defender in a case.

pub mod routes;
pub mod store;

use crate::error::ApiError;
use crate::http::{nullable, present, Problems};
use crate::vocabulary::{SentenceKind, SentenceStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(Debug, Clone, Queryable, Selectable, AsChangeset, Serialize)]
#[diesel(table_name = crate::schema::sentences, treat_none_as_null = true)]
pub struct Sentence {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub kind: String,
    pub term_months: Option<i32>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub handed_down_on: Option<NaiveDate>,
    pub status: String,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::sentences)]
pub struct NewSentence {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub kind: String,
    pub term_months: Option<i32>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub handed_down_on: Option<NaiveDate>,
    pub status: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateSentence {
    #[validate(length(min = 1, max = 100))]
    pub defender_id: String,
    pub kind: SentenceKind,
    /// Length of a prison term, restriction or ban, in months.
    #[validate(range(min = 1, max = 1200))]
    pub term_months: Option<i32>,
    /// A fine, in whole units of `currency`.
    #[validate(range(min = 1))]
    pub amount: Option<i64>,
    #[validate(custom(function = "crate::domain::valid_currency"))]
    pub currency: Option<String>,
    #[validate(length(max = 5000))]
    pub description: Option<String>,
    pub handed_down_on: Option<NaiveDate>,
    #[serde(default = "in_force")]
    pub status: SentenceStatus,
}

fn in_force() -> SentenceStatus {
    SentenceStatus::InForce
}

#[derive(Debug, Deserialize, Validate)]
#[serde(deny_unknown_fields)]
pub struct UpdateSentence {
    #[serde(default, deserialize_with = "present")]
    pub kind: Option<SentenceKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1, max = 1200))]
    pub term_months: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1))]
    pub amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "crate::domain::valid_currency"))]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 5000))]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub handed_down_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    pub status: Option<SentenceStatus>,
}

fn check(amount: Option<i64>, currency: Option<&str>) -> Result<(), ApiError> {
    let mut problems = Problems::new();
    match (amount, currency) {
        (Some(_), None) => problems.add("currency", "is required with an amount"),
        (None, Some(_)) => problems.add("amount", "is required with a currency"),
        _ => {}
    }
    problems.into_result()
}

impl CreateSentence {
    pub fn into_new(self, case_id: &str) -> Result<NewSentence, ApiError> {
        check(self.amount, self.currency.as_deref())?;
        let now = crate::db::now();
        Ok(NewSentence {
            id: crate::db::new_id(),
            case_id: case_id.into(),
            defender_id: self.defender_id,
            kind: self.kind.as_str().into(),
            term_months: self.term_months,
            amount: self.amount,
            currency: self.currency,
            description: self.description,
            handed_down_on: self.handed_down_on,
            status: self.status.as_str().into(),
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

impl UpdateSentence {
    pub fn apply(self, current: &Sentence) -> Result<Sentence, ApiError> {
        let mut next = current.clone();
        if let Some(v) = self.kind {
            next.kind = v.as_str().into();
        }
        if let Some(v) = self.term_months {
            next.term_months = v;
        }
        if let Some(v) = self.amount {
            next.amount = v;
        }
        if let Some(v) = self.currency {
            next.currency = v;
        }
        if let Some(v) = self.description {
            next.description = v;
        }
        if let Some(v) = self.handed_down_on {
            next.handed_down_on = v;
        }
        if let Some(v) = self.status {
            next.status = v.as_str().into();
        }
        check(next.amount, next.currency.as_deref())?;
        next.version = current.version + 1;
        next.updated_at = crate::db::now();
        Ok(next)
    }
}

/// "two years of restricted freedom", "a fine of 500000 KZT".
pub fn describe(s: &Sentence) -> String {
    let kind = s.kind.replace('_', " ");
    if let (Some(amount), Some(currency)) = (s.amount, &s.currency) {
        return format!("a {kind} of {amount} {currency}");
    }
    match s.term_months {
        Some(months) => {
            let (y, m) = (months / 12, months % 12);
            let plural = |n: i32, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
            let term = match (y, m) {
                (0, m) => plural(m, "month"),
                (y, 0) => plural(y, "year"),
                (y, m) => format!("{} {}", plural(y, "year"), plural(m, "month")),
            };
            format!("{term} of {kind}")
        }
        None => kind,
    }
}
