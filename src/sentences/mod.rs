//! Sentences handed down to a defender in a case.

use crate::db::DbConnection;
use crate::http::{nullable, present, Problems};
use crate::records::{set, CaseRecord, Parent, ParentRef, Story};
use crate::store::StoreResult;
use crate::vocabulary::ChangeKind;
use crate::vocabulary::{SentenceKind, SentenceStatus};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::{Validate, ValidationError};

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::sentences, treat_none_as_null = true)]
pub struct Sentence {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub kind: SentenceKind,
    pub term_months: Option<i32>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub description: Option<String>,
    pub handed_down_on: Option<NaiveDate>,
    pub status: SentenceStatus,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

crate::case_record_table!(Sentence, sentences, parent = case_id);

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "amount_with_currency", skip_on_field_errors = false))]
pub struct CreateSentence {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub defender_id: String,
    pub kind: SentenceKind,
    /// Length of a prison term, restriction or ban, in months.
    #[validate(range(min = 1, max = 1200))]
    #[schema(minimum = 1, maximum = 1200)]
    pub term_months: Option<i32>,
    /// A fine, in whole units of `currency`.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount: Option<i64>,
    #[validate(custom(function = "crate::domain::valid_currency"))]
    #[schema(schema_with = crate::domain::schema::optional_currency)]
    pub currency: Option<String>,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub handed_down_on: Option<NaiveDate>,
    #[serde(default = "in_force")]
    pub status: SentenceStatus,
}

fn in_force() -> SentenceStatus {
    SentenceStatus::InForce
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSentence {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub kind: Option<SentenceKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1, max = 1200))]
    #[schema(minimum = 1, maximum = 1200)]
    pub term_months: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub amount: Option<Option<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(custom(function = "crate::domain::valid_currency"))]
    #[schema(schema_with = crate::domain::schema::optional_currency)]
    pub currency: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub handed_down_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<SentenceStatus>,
}

/// The field an amount or a currency given alone lacks, and what to say about it.
fn unpaired(amount: Option<i64>, currency: Option<&str>) -> Option<(&'static str, &'static str)> {
    match (amount, currency) {
        (Some(_), None) => Some(("currency", "is required with an amount")),
        (None, Some(_)) => Some(("amount", "is required with a currency")),
        _ => None,
    }
}

fn check(amount: Option<i64>, currency: Option<&str>) -> StoreResult<()> {
    let mut problems = Problems::new();
    if let Some((field, message)) = unpaired(amount, currency) {
        problems.add(field, message);
    }
    problems.into_result()
}

/// `validator` rule: an amount and its currency come together.
fn amount_with_currency(sentence: &CreateSentence) -> Result<(), ValidationError> {
    match unpaired(sentence.amount, sentence.currency.as_deref()) {
        Some((field, message)) => Err(crate::http::cross_field(field, message)),
        None => Ok(()),
    }
}

impl CaseRecord for Sentence {
    const KIND: &'static str = "sentence";
    const COLLECTION: &'static str = "sentences";
    const PARENT: Parent = Parent::Case;
    type Create = CreateSentence;
    type Update = UpdateSentence;
    type View = Sentence;

    fn defender_id(&self) -> Option<&str> {
        Some(&self.defender_id)
    }

    /// Its rules across fields were checked when the body was parsed.
    fn create(input: CreateSentence, parent: &ParentRef) -> StoreResult<Self> {
        let now = crate::db::now();
        Ok(Sentence {
            id: crate::db::new_id(),
            case_id: parent.case_id.clone(),
            defender_id: input.defender_id,
            kind: input.kind,
            term_months: input.term_months,
            amount: input.amount,
            currency: input.currency,
            description: input.description,
            handed_down_on: input.handed_down_on,
            status: input.status,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    fn apply(patch: UpdateSentence, current: &Self) -> StoreResult<Self> {
        let mut next = current.clone();
        set(&mut next.kind, patch.kind);
        set(&mut next.term_months, patch.term_months);
        set(&mut next.amount, patch.amount);
        set(&mut next.currency, patch.currency);
        set(&mut next.description, patch.description);
        set(&mut next.handed_down_on, patch.handed_down_on);
        set(&mut next.status, patch.status);
        check(next.amount, next.currency.as_deref())?;
        Ok(next)
    }

    fn check(conn: &mut DbConnection, next: &Self, current: Option<&Self>) -> StoreResult<()> {
        let previous = current.map(|c| c.defender_id.as_str());
        crate::records::require_linked(conn, &next.case_id, &next.defender_id, previous)
    }

    fn created(&self, name: &str) -> Story {
        let on = self
            .handed_down_on
            .map(|d| format!(" on {d}"))
            .unwrap_or_default();
        let title = format!("{name} sentenced to {}{on}", describe(self));
        Story::new(ChangeKind::SentenceHandedDown, title)
    }

    fn updated(current: &Self, next: &Self, name: &str) -> Story {
        if current.status != next.status {
            let status = next.status.as_str().replace('_', " ");
            let title = format!("Sentence of {name} ({}): {status}", describe(next));
            Story::new(ChangeKind::SentenceStatusChanged, title)
        } else {
            let title = format!("Sentence of {name} updated: {}", describe(next));
            Story::new(ChangeKind::SentenceUpdated, title)
        }
    }

    fn deleted(&self, name: &str) -> Story {
        let title = format!(
            "Record of the sentence of {name} removed ({})",
            describe(self)
        );
        Story::new(ChangeKind::SentenceDeleted, title)
    }
}

/// How the sentence reads in the case's timeline: "2 years of restricted freedom",
/// "8 years in prison", "a suspended sentence of 3 years", "a fine of 500000 KZT",
/// "2 years of restricted freedom and a fine of 100000 KZT".
pub fn describe(s: &Sentence) -> String {
    let term = s.term_months.map(describe_term);
    let mut fine = match (s.amount, s.currency.as_deref()) {
        (Some(amount), Some(currency)) => Some(format!("a fine of {amount} {currency}")),
        _ => None,
    };
    let kind = s.kind.as_str().replace('_', " ");
    let main = match (s.kind.as_str(), term) {
        ("fine", term) => {
            let fine = fine.take().unwrap_or_else(|| "a fine".into());
            match term {
                Some(term) => format!("{fine} ({term})"),
                None => fine,
            }
        }
        ("death_penalty", _) => "the death penalty".into(),
        ("prison", Some(term)) => format!("{term} in prison"),
        ("suspended", Some(term)) => format!("a suspended sentence of {term}"),
        ("suspended", None) => "a suspended sentence".into(),
        ("travel_ban" | "professional_ban", Some(term)) => format!("a {kind} of {term}"),
        ("travel_ban" | "professional_ban", None) => format!("a {kind}"),
        ("other", Some(term)) => format!("{term} (other penalty)"),
        ("other", None) => "another penalty".into(),
        (_, Some(term)) => format!("{term} of {kind}"),
        (_, None) => kind,
    };
    match fine {
        Some(fine) => format!("{main} and {fine}"),
        None => main,
    }
}

/// "1 month", "2 years", "2 years 6 months".
fn describe_term(months: i32) -> String {
    let (y, m) = (months / 12, months % 12);
    let plural = |n: i32, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
    match (y, m) {
        (0, m) => plural(m, "month"),
        (y, 0) => plural(y, "year"),
        (y, m) => format!("{} {}", plural(y, "year"), plural(m, "month")),
    }
}
