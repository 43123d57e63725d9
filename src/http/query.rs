//! Query strings: unknown, repeated and NUL-holding parameters refused, the rest
//! parsed with every problem kept for the handler to add to.

use super::fields::{deserialize_collecting, Problems, NUL_MESSAGE};
use super::page::{PageKey, PageRequest};
use crate::error::{ApiError, ApiResult, FieldError};
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::{de::DeserializeOwned, Deserialize};
use serde_json::Value;
use std::future::{ready, Ready};

/// Query parameters, parsed, with the problems found so far: unknown parameters are
/// rejected (a misspelt filter must not silently return everything), and reported
/// together with whatever else the handler finds wrong. Every parameter arrives as a
/// string and the resource parses it.
pub struct ApiQuery<T>(pub T, pub Problems);

impl<T: DeserializeOwned + 'static> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut map = serde_json::Map::new();
        let mut refused = Vec::new();
        for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
            // PostgreSQL cannot store or compare NUL in text: refused on both backends.
            let message = if k.contains('\0') || v.contains('\0') {
                NUL_MESSAGE
            } else if map.contains_key(k.as_ref()) {
                // Which of two values would count is a guess; lists are comma-separated.
                "is given more than once"
            } else {
                map.insert(k.into_owned(), Value::String(v.into_owned()));
                continue;
            };
            refused.push(FieldError {
                field: k.replace('\0', "\\0"),
                message: message.into(),
            });
        }
        if !refused.is_empty() {
            return ready(Err(ApiError::Validation(refused)));
        }
        let (parsed, errors) = deserialize_collecting(Value::Object(map));
        ready(match parsed {
            Some(parsed) => Ok(ApiQuery(parsed, Problems::from_errors(errors))),
            None => Err(ApiError::Validation(errors)),
        })
    }
}

impl ApiQuery<PageQuery> {
    /// The page asked for, in the list's sort key `K`, or every problem with the query.
    pub fn page<K: PageKey>(self) -> ApiResult<PageRequest<K>> {
        let ApiQuery(query, mut problems) = self;
        let page = PageRequest::parse(
            query.limit.as_deref(),
            query.cursor.as_deref(),
            &mut problems,
        );
        problems.into_result()?;
        Ok(page)
    }
}

/// The query of a list that has no filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    pub cursor: Option<String>,
}
