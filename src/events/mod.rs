//! The case timeline. This module holds the change records that every write to a
//! case's records leaves, in the same transaction as the write.

pub mod store;

use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::events)]
pub struct Event {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub occurred_on: String,
    pub precision: String,
    #[serde(skip)]
    pub occurred_start: chrono::NaiveDate,
    pub title: String,
    pub description: Option<String>,
    pub source_url: Option<String>,
    pub intervention_id: Option<String>,
    #[serde(serialize_with = "crate::domain::json_list")]
    #[schema(value_type = Vec<String>)]
    pub defender_ids: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    #[serde(serialize_with = "json_object")]
    #[schema(value_type = Option<Object>)]
    pub changes: Option<String>,
    pub actor: String,
    pub confidential: bool,
    #[serde(serialize_with = "crate::domain::utc")]
    pub recorded_at: chrono::NaiveDateTime,
}

impl crate::audience::Confidential for Event {
    fn confidential_refs(&self) -> Vec<String> {
        self.confidential
            .then(|| format!("event {}", self.id))
            .into_iter()
            .collect()
    }
}

/// The stored map of changed fields, without the staff-only ones for a partner.
fn json_object<S: serde::Serializer>(text: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match text
        .as_deref()
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
    {
        Some(Value::Object(map)) => {
            crate::audience::visible_changes(map, crate::audience::current_reader()).serialize(s)
        }
        Some(v) => v.serialize(s),
        None => s.serialize_none(),
    }
}

/// Body of `POST /cases/{id}/events`: something that happened, as a researcher logs it.
#[derive(Debug, serde::Deserialize, validator::Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogEvent {
    pub kind: crate::vocabulary::EventKind,
    /// `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: as precise as it is known.
    #[validate(custom(function = "valid_approximate_date"))]
    #[schema(schema_with = crate::domain::schema::approximate_date)]
    pub occurred_on: String,
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub title: String,
    #[validate(length(max = 20000))]
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    #[validate(length(max = 2000), custom(function = "crate::domain::valid_url"))]
    #[schema(schema_with = crate::domain::schema::optional_url)]
    pub source_url: Option<String>,
    /// The intervention that reported it, if any.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub intervention_id: Option<String>,
    /// The defenders of the case it concerns.
    #[serde(default)]
    #[validate(custom(function = "crate::domain::valid_defender_ids"))]
    #[schema(schema_with = crate::domain::schema::defender_ids)]
    pub defender_ids: Vec<String>,
    #[serde(default)]
    pub confidential: bool,
}

fn valid_approximate_date(text: &str) -> Result<(), validator::ValidationError> {
    match ApproximateDate::parse(text) {
        Some(_) => Ok(()),
        None => Err(validator::ValidationError::new("date").with_message(
            std::borrow::Cow::Borrowed(
                "must be a real date as YYYY, YYYY-MM or YYYY-MM-DD, between 1900 and 2100",
            ),
        )),
    }
}

impl LogEvent {
    pub fn into_new(self, case_id: &str, actor: &str) -> crate::store::StoreResult<NewEvent> {
        let date = ApproximateDate::parse(&self.occurred_on).ok_or_else(|| {
            crate::store::invalid(
                "occurred_on",
                "must be a real date as YYYY, YYYY-MM or YYYY-MM-DD, between 1900 and 2100",
            )
        })?;
        Ok(NewEvent {
            id: crate::db::new_id(),
            case_id: case_id.into(),
            kind: self.kind.as_str().into(),
            occurred_on: date.to_text(),
            precision: date.precision().as_str().into(),
            occurred_start: date.start(),
            title: self.title,
            description: self.description,
            source_url: self.source_url,
            intervention_id: self.intervention_id,
            defender_ids: crate::domain::to_json_list(&self.defender_ids),
            record_type: None,
            record_id: None,
            changes: None,
            actor: actor.into(),
            confidential: self.confidential,
            recorded_at: crate::db::now(),
        })
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::events)]
pub struct NewEvent {
    pub id: String,
    pub case_id: String,
    pub kind: String,
    pub occurred_on: String,
    pub precision: String,
    pub occurred_start: chrono::NaiveDate,
    pub title: String,
    pub description: Option<String>,
    pub source_url: Option<String>,
    pub intervention_id: Option<String>,
    pub defender_ids: String,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub changes: Option<String>,
    pub actor: String,
    pub confidential: bool,
    pub recorded_at: chrono::NaiveDateTime,
}

impl From<NewEvent> for Event {
    /// The event as stored: the row holds exactly what was inserted.
    fn from(new: NewEvent) -> Self {
        Self {
            id: new.id,
            case_id: new.case_id,
            kind: new.kind,
            occurred_on: new.occurred_on,
            precision: new.precision,
            occurred_start: new.occurred_start,
            title: new.title,
            description: new.description,
            source_url: new.source_url,
            intervention_id: new.intervention_id,
            defender_ids: new.defender_ids,
            record_type: new.record_type,
            record_id: new.record_id,
            changes: new.changes,
            actor: new.actor,
            confidential: new.confidential,
            recorded_at: new.recorded_at,
        }
    }
}

/// A date as precise as it is known: `2016`, `2016-04` or `2016-04-12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApproximateDate {
    start: chrono::NaiveDate,
    precision: Precision,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Year,
    Month,
    Day,
}

impl Precision {
    pub fn as_str(&self) -> &'static str {
        match self {
            Precision::Year => "year",
            Precision::Month => "month",
            Precision::Day => "day",
        }
    }
}

impl ApproximateDate {
    pub fn parse(text: &str) -> Option<Self> {
        use chrono::NaiveDate;
        let parts: Vec<&str> = text.split('-').collect();
        let number = |s: &str, len: usize| {
            (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u32>().ok())
                .flatten()
        };
        let year = number(parts.first()?, 4)? as i32;
        if !(1900..=2100).contains(&year) {
            return None;
        }
        let (start, precision) = match parts.len() {
            1 => (NaiveDate::from_ymd_opt(year, 1, 1)?, Precision::Year),
            2 => (
                NaiveDate::from_ymd_opt(year, number(parts[1], 2)?, 1)?,
                Precision::Month,
            ),
            3 => (
                NaiveDate::from_ymd_opt(year, number(parts[1], 2)?, number(parts[2], 2)?)?,
                Precision::Day,
            ),
            _ => return None,
        };
        Some(Self { start, precision })
    }

    pub fn start(&self) -> chrono::NaiveDate {
        self.start
    }

    /// The last day of the period.
    pub fn end(&self) -> chrono::NaiveDate {
        use chrono::{Datelike, Months};
        match self.precision {
            Precision::Day => self.start,
            Precision::Month => (self.start + Months::new(1))
                .pred_opt()
                .unwrap_or(self.start),
            Precision::Year => {
                chrono::NaiveDate::from_ymd_opt(self.start.year(), 12, 31).unwrap_or(self.start)
            }
        }
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The text form, as precise as the date is.
    pub fn to_text(&self) -> String {
        match self.precision {
            Precision::Year => self.start.format("%Y").to_string(),
            Precision::Month => self.start.format("%Y-%m").to_string(),
            Precision::Day => self.start.format("%Y-%m-%d").to_string(),
        }
    }
}

#[cfg(test)]
mod date_tests {
    use super::*;

    #[test]
    fn approximate_dates_parse_with_their_precision() {
        let d = ApproximateDate::parse("2016-04").unwrap();
        assert_eq!(d.precision(), Precision::Month);
        assert_eq!(d.start().to_string(), "2016-04-01");
        assert_eq!(d.end().to_string(), "2016-04-30");
        assert_eq!(
            ApproximateDate::parse("2016").unwrap().end().to_string(),
            "2016-12-31"
        );
        assert_eq!(
            ApproximateDate::parse("2016-02-29").unwrap().to_text(),
            "2016-02-29"
        );
        for bad in [
            "2015-02-29",
            "16",
            "2016-4",
            "2016-13",
            "2016-04-1",
            "spring 2016",
            "2016-04-01-01",
            "",
            "0000",
            "1899",
            "2101",
            "1899-12-31",
        ] {
            assert!(ApproximateDate::parse(bad).is_none(), "{bad}");
        }
    }
}
