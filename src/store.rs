//! What the data layer answers when it cannot do what it was asked: a few kinds of
//! failure with fixed, human texts that name no table and no constraint. Only
//! `error.rs` turns them into HTTP responses.

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

/// One invalid input field: `field` is a JSON path into the request body or a
/// query parameter name.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Collects rule failures so that one answer names every bad field.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Problems already found, to which more may be added.
    pub fn from_errors(errors: Vec<FieldError>) -> Self {
        Self(errors)
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> StoreResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(StoreError::Invalid(self.0))
        }
    }

    pub fn first_message(&self) -> Option<String> {
        self.0.first().map(|e| e.message.clone())
    }
}

/// Why the database refused a write that broke one of its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// A unique rule: the same values exist already.
    Duplicate,
    /// A foreign key: a record named does not exist, or another still refers to it.
    BrokenLink,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such record, or one the reader may not see: the two read alike.
    #[error("no {0} with that id")]
    NotFound(&'static str),
    /// The record changed between its read and the write (a lost race).
    #[error("the {0} was changed meanwhile; fetch it again")]
    Stale(&'static str),
    /// The database refused the write.
    #[error("{}", conflict_text(*.0))]
    Conflict(Conflict),
    /// Two records that are not linked, as a request to unlink them assumed.
    #[error("the {0} is not linked to this case")]
    NotLinked(&'static str),
    /// The record is still needed by others; the text says by what.
    #[error("{0}")]
    InUse(String),
    #[error("{} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// A passing condition (a lock, a restart): the same request may succeed later.
    #[error("the database is busy or unavailable")]
    Unavailable,
    /// The system gave no random bytes for a secret.
    #[error("no randomness: {0}")]
    NoRandomness(String),
    #[error("database error")]
    Database(#[source] DieselError),
}

pub type StoreResult<T> = Result<T, StoreError>;

fn conflict_text(conflict: Conflict) -> &'static str {
    match conflict {
        Conflict::Duplicate => "a record with the same values exists already",
        Conflict::BrokenLink => {
            "the change would break a link between records: a record it names does not exist, or another record still refers to it"
        }
    }
}

/// One invalid field.
pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

impl From<DieselError> for StoreError {
    fn from(err: DieselError) -> Self {
        match err {
            // The database's own words name its tables and constraints: they go to the
            // log, never into an answer.
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                tracing::warn!(
                    database = info.message(),
                    "unique constraint refused a write"
                );
                StoreError::Conflict(Conflict::Duplicate)
            }
            DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => {
                tracing::warn!(database = info.message(), "foreign key refused a write");
                StoreError::Conflict(Conflict::BrokenLink)
            }
            DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                StoreError::Unavailable
            }
            other => StoreError::Database(other),
        }
    }
}
