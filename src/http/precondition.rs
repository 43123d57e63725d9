//! `If-Match`: which version a change is meant for.

use crate::error::{ApiError, ApiResult};
use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest};
use std::future::{ready, Ready};

/// What `If-Match` asks for. PATCH and DELETE require it: a client must say which
/// version it is changing, so nobody overwrites an edit they have not seen.
#[derive(Debug, Clone)]
pub enum IfMatch {
    Any,
    Versions(Vec<i64>),
}

impl IfMatch {
    pub fn check(&self, current: i64) -> ApiResult<()> {
        match self {
            IfMatch::Any => Ok(()),
            IfMatch::Versions(v) if v.contains(&current) => Ok(()),
            IfMatch::Versions(_) => Err(ApiError::PreconditionFailed(format!(
                "If-Match does not name the current version: its ETag is \"{current}\" (quotes included); fetch it again and reapply your change"
            ))),
        }
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse_if_match(req))
    }
}

fn parse_if_match(req: &HttpRequest) -> ApiResult<IfMatch> {
    let mut values = req.headers().get_all(header::IF_MATCH).peekable();
    if values.peek().is_none() {
        return Err(ApiError::PreconditionRequired);
    }
    let mut versions = Vec::new();
    for value in values {
        // A value that is not visible ASCII holds no ETag of ours: it matches nothing.
        let Ok(text) = value.to_str() else {
            continue;
        };
        for tag in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if tag == "*" {
                return Ok(IfMatch::Any);
            }
            // Weak tags never match under the strong comparison If-Match uses.
            if tag.starts_with("W/") {
                continue;
            }
            // Anything but a quoted version can never match (412 says what to send).
            let inner = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"'));
            if let Some(v) = inner.and_then(|t| t.parse::<i64>().ok()) {
                versions.push(v);
            }
        }
    }
    Ok(IfMatch::Versions(versions))
}
