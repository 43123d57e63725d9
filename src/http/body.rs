//! JSON request bodies: the media type, the size limit, bytes the database cannot
//! hold, and every bad field named.

use super::fields::{parse_body, NUL_MESSAGE};
use super::HttpSettings;
use crate::error::{ApiError, FieldError};
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::{future::LocalBoxFuture, StreamExt};
use serde::de::DeserializeOwned;
use serde_json::Value;
use validator::Validate;

/// One walk over a body before it is parsed: an integral number such as
/// `8218960837.0` becomes an integer (JSON has one kind of number, and JSON Schema's
/// `integer` takes it too), and the path of every string or key holding a NUL
/// character is collected (PostgreSQL cannot store one).
fn prepare(value: &mut Value, path: &str, nul: &mut Vec<String>) {
    let at = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => nul.push(if path.is_empty() {
            "body".into()
        } else {
            path.to_string()
        }),
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let integral = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64);
            if let Some(f) = integral {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                prepare(item, &format!("{path}[{i}]"), nul);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key.contains('\0') {
                    nul.push(at(&key.replace('\0', "\\0")));
                } else {
                    prepare(item, &at(key), nul);
                }
            }
        }
        _ => {}
    }
}

fn is_json_content_type(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let Ok(mime) = value.parse::<mime::Mime>() else {
        return false;
    };
    mime.type_() == mime::APPLICATION
        && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
}

/// A JSON request body: 415 unless it is JSON, 413 past the size limit, 400 when it
/// does not parse, 422 naming every field that is of the wrong type, unknown, missing,
/// or fails its `validator` rules.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<HttpSettings>>()
            .map(|s| s.max_body_bytes)
            .unwrap_or(64 * 1024);
        let json = is_json_content_type(req);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType(
                    "the request body must be JSON (Content-Type: application/json)".into(),
                ));
            }
            if declared.is_some_and(|len| len > limit) {
                return Err(ApiError::PayloadTooLarge(limit));
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let mut value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
            if !value.is_object() {
                return Err(crate::error::invalid("body", "must be a JSON object"));
            }
            let mut nul = Vec::new();
            prepare(&mut value, "", &mut nul);
            if !nul.is_empty() {
                return Err(ApiError::Validation(
                    nul.into_iter()
                        .map(|field| FieldError {
                            field,
                            message: NUL_MESSAGE.into(),
                        })
                        .collect(),
                ));
            }
            parse_body(value).map(ApiJson).map_err(ApiError::Validation)
        })
    }
}
