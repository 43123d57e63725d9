//! One error type for the whole API, rendered as RFC 9457 problem details.

use crate::store::StoreError;
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use diesel::result::Error as DieselError;
use serde::Serialize;

pub use crate::store::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("a valid bearer token is required (Authorization: Bearer <token>)")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the request must carry If-Match with the resource's ETag")]
    PreconditionRequired,
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("the request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request has {} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("too many requests; retry after {0} second(s)")]
    TooManyRequests(u64),
    #[error("the service is temporarily unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

/// "No `what` with that id", worded as the data layer words it.
pub fn not_found(what: &'static str) -> ApiError {
    StoreError::NotFound(what).into()
}

pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
    crate::store::invalid(field, message).into()
}

pub fn internal(err: impl Into<anyhow::Error>) -> ApiError {
    ApiError::Internal(err.into())
}

/// An RFC 9457 problem document: every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// A URI reference naming the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    detail: String,
    /// For a validation failure (422): every bad field.
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
}

impl ApiError {
    fn slug_and_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => ("/problems/bad-request", "Bad request"),
            ApiError::Unauthorized => ("/problems/unauthorized", "Unauthorized"),
            ApiError::Forbidden(_) => ("/problems/forbidden", "Forbidden"),
            ApiError::TooManyRequests(_) => ("/problems/too-many-requests", "Too many requests"),
            ApiError::NotFound(_) => ("/problems/not-found", "Not found"),
            ApiError::MethodNotAllowed(_) => ("/problems/method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("/problems/conflict", "Conflict"),
            ApiError::PreconditionRequired => {
                ("/problems/precondition-required", "Precondition required")
            }
            ApiError::PreconditionFailed(_) => {
                ("/problems/precondition-failed", "Precondition failed")
            }
            ApiError::PayloadTooLarge(_) => ("/problems/payload-too-large", "Payload too large"),
            ApiError::UnsupportedMediaType(_) => {
                ("/problems/unsupported-media-type", "Unsupported media type")
            }
            ApiError::Validation(_) => ("/problems/validation", "Invalid request"),
            ApiError::Unavailable(_) => ("/problems/unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("/problems/internal", "Internal server error"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let (kind, title) = self.slug_and_title();
        let detail = match self {
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "the request could not be completed; it has been logged".to_string()
            }
            ApiError::Unavailable(reason) => {
                tracing::warn!(%reason, "service unavailable");
                self.to_string()
            }
            ApiError::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                format!("invalid field(s): {}", fields.join(", "))
            }
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation(errors) => Some(errors.as_slice()),
            _ => None,
        };
        let body = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            ApiError::Unavailable(_) => {
                response.insert_header(("Retry-After", "1"));
            }
            ApiError::TooManyRequests(seconds) => {
                response.insert_header(("Retry-After", seconds.to_string()));
            }
            ApiError::Unauthorized => {
                response.insert_header(("WWW-Authenticate", "Bearer realm=\"case-tracker\""));
            }
            _ => {}
        }
        response.json(body)
    }
}

/// The one place where a failure of the data layer becomes an answer.
impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound(_) | StoreError::NotLinked(_) => {
                ApiError::NotFound(err.to_string())
            }
            StoreError::Stale(_) => ApiError::PreconditionFailed(err.to_string()),
            StoreError::Conflict(_) | StoreError::InUse(_) => ApiError::Conflict(err.to_string()),
            StoreError::Invalid(errors) => ApiError::Validation(errors),
            StoreError::Unavailable => ApiError::Unavailable("concurrent update, retry".into()),
            StoreError::Database(DieselError::NotFound) => ApiError::NotFound("not found".into()),
            StoreError::Database(other) => ApiError::Internal(other.into()),
            StoreError::NoRandomness(_) => ApiError::Internal(anyhow::anyhow!("{err}")),
        }
    }
}

impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        StoreError::from(err).into()
    }
}

impl From<diesel::r2d2::PoolError> for ApiError {
    fn from(err: diesel::r2d2::PoolError) -> Self {
        ApiError::Unavailable(format!("no database connection available: {err}"))
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(anyhow::anyhow!("blocking task failed: {err}"))
    }
}
