//! Request parsing and response helpers shared by every resource: JSON bodies and
//! query strings that report every bad field, `If-Match`, keyset pages, ETags.

use crate::error::{ApiError, ApiResult, FieldError};
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use futures_util::{future::LocalBoxFuture, StreamExt};
use serde::{de::DeserializeOwned, Deserialize, Deserializer, Serialize};
use serde_json::Value;
use std::future::{ready, Ready};
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// Settings the request helpers need, registered as app data.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    pub base_url: String,
    pub max_body_bytes: usize,
}

/// Collects domain-rule failures so one response names every bad field.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
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

    pub fn into_result(self) -> ApiResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    pub fn first_message(&self) -> Option<String> {
        self.0.first().map(|e| e.message.clone())
    }
}

/// Deserializes `value` into `T`, collecting every field serde rejects: the failing
/// top-level key is set aside and deserialization retried, so one bad enum value does
/// not hide the next one. A required field set aside is stood in for by a placeholder
/// so that the rest can still be parsed and validated. Returns what could be parsed
/// and the errors.
pub fn deserialize_collecting<T: DeserializeOwned>(
    mut value: Value,
) -> (Option<T>, Vec<FieldError>) {
    let mut errors: Vec<FieldError> = Vec::new();
    // Key set aside -> (placeholders to try, next one to try).
    let mut stand_ins: std::collections::HashMap<String, (Vec<Value>, usize)> = Default::default();
    for _ in 0..256 {
        let err = match serde_path_to_error::deserialize::<_, T>(&value) {
            Ok(parsed) => return (Some(parsed), errors),
            Err(err) => err,
        };
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let path = if path == "." { String::new() } else { path };
        let (field, message) = describe_serde_error(&path, &message);
        let top = field
            .split(['.', '['])
            .next()
            .unwrap_or_default()
            .to_string();
        let Some(object) = value.as_object_mut() else {
            errors.push(FieldError { field, message });
            break;
        };
        if let Some((candidates, next)) = stand_ins.get_mut(&top) {
            // The field was reported already; this is a placeholder that did not fit.
            // Its error may name the accepted values (an enum): try one of those next.
            if let Some(Value::String(variant)) = placeholders(&message).first() {
                if !candidates.contains(&Value::String(variant.clone())) {
                    candidates.insert(*next, Value::String(variant.clone()));
                }
            }
            let Some(candidate) = candidates.get(*next) else {
                break;
            };
            object.insert(top.clone(), candidate.clone());
            *next += 1;
            continue;
        }
        let missing = message == "is required";
        errors.push(FieldError {
            field,
            message: message.clone(),
        });
        if object.remove(&top).is_none() && !missing {
            break;
        }
        stand_ins.insert(top, (placeholders(&message), 0));
    }
    (None, errors)
}

/// Values that may satisfy a field's type, tried in turn in place of a bad value.
fn placeholders(message: &str) -> Vec<Value> {
    let mut values = Vec::new();
    // "unknown variant `x`, expected one of `a`, `b`" / "expected `a` or `b`"
    if let Some(rest) = message.split("expected").nth(1) {
        if let Some(variant) = rest.split('`').nth(1) {
            values.push(Value::String(variant.to_string()));
        }
    }
    values.extend([
        Value::Bool(false),
        Value::from(1),
        Value::String("2000-01-01".into()),
        Value::String("2000-01-01T00:00:00Z".into()),
        Value::String("x".into()),
        Value::Array(vec![]),
        Value::Object(Default::default()),
        Value::Null,
    ]);
    values
}

/// Parses and validates a request body: every field serde rejects, then every
/// `validator` rule the parsable remainder breaks.
pub fn parse_body<T: DeserializeOwned + Validate>(value: Value) -> Result<T, Vec<FieldError>> {
    let (parsed, mut errors) = deserialize_collecting::<T>(value);
    if let Some(parsed) = &parsed {
        if let Err(e) = parsed.validate() {
            // Fields already reported may hold placeholders: their rules say nothing.
            let reported: Vec<String> = errors.iter().map(|e| top_level(&e.field)).collect();
            errors.extend(
                validation_errors(&e)
                    .into_iter()
                    .filter(|e| !reported.contains(&top_level(&e.field))),
            );
        }
    }
    match parsed {
        Some(parsed) if errors.is_empty() => Ok(parsed),
        _ => Err(errors),
    }
}

/// The paths of the strings (and keys) in `value` that contain a NUL character.
fn find_nul(value: &Value, path: String, found: &mut Vec<String>) {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::String(s) if s.contains('\0') => {
            found.push(if path.is_empty() { "body".into() } else { path })
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                find_nul(item, format!("{path}[{i}]"), found);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                if key.contains('\0') {
                    found.push(join(&key.replace('\0', "\\0")));
                } else {
                    find_nul(item, join(key), found);
                }
            }
        }
        _ => {}
    }
}

/// JSON has one kind of number: `8218960837.0` is the integer 8218960837, as JSON
/// Schema's `integer` says too. Such numbers are read as integers.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            let integral = n
                .as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= i64::MIN as f64 && *f < i64::MAX as f64);
            if let Some(f) = integral {
                *value = Value::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

fn top_level(field: &str) -> String {
    field
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_string()
}

fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    let end = rest.find('`')?;
    Some(rest[..end].to_string())
}

fn describe_serde_error(path: &str, message: &str) -> (String, String) {
    let join = |name: &str| {
        if path.is_empty() || path.ends_with(name) {
            if path.is_empty() {
                name.to_string()
            } else {
                path.to_string()
            }
        } else {
            format!("{path}.{name}")
        }
    };
    if let Some(name) = backticked(message, "unknown field `") {
        return (
            join(&name),
            "is not a field of this resource, or may not be set".into(),
        );
    }
    if let Some(name) = backticked(message, "missing field `") {
        return (join(&name), "is required".into());
    }
    const CHRONO: [&str; 6] = [
        "input contains invalid characters",
        "input is out of range",
        "premature end of input",
        "trailing input",
        "input is not enough for unique date and time",
        "no possible date and time matching input",
    ];
    let message = if CHRONO.contains(&message) {
        format!("is not a valid date or time ({message}); dates are YYYY-MM-DD, times RFC 3339")
    } else {
        message.to_string()
    };
    let field = if path.is_empty() {
        "body".to_string()
    } else {
        path.to_string()
    };
    (field, message)
}

/// The messages the `validator` derive produces, flattened to field paths. A rule
/// across fields (`#[validate(schema(...))]`, failing with [`cross_field`]) is reported
/// on the field it names, unless that field is reported already.
pub fn validation_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let (mut out, mut cross) = (Vec::new(), Vec::new());
    flatten_validation("", errors, &mut out, &mut cross);
    for error in cross {
        if !out.iter().any(|e| e.field == error.field) {
            out.push(error);
        }
    }
    out
}

/// A failed rule across fields, reported on `field`. Use it from a
/// `#[validate(schema(function = "...", skip_on_field_errors = false))]` function so
/// that it is named together with the other bad fields.
pub fn cross_field(field: &'static str, message: &'static str) -> validator::ValidationError {
    let mut error = validator::ValidationError::new("cross_field").with_message(message.into());
    error.add_param("field".into(), &field);
    error
}

fn flatten_validation(
    prefix: &str,
    errors: &ValidationErrors,
    out: &mut Vec<FieldError>,
    cross: &mut Vec<FieldError>,
) {
    let mut fields: Vec<_> = errors.errors().iter().collect();
    fields.sort_by(|a, b| a.0.cmp(b.0));
    for (field, kind) in fields {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(errs) if *field == "__all__" => {
                for e in errs {
                    let named = e
                        .params
                        .get("field")
                        .and_then(|f| f.as_str())
                        .unwrap_or("body");
                    let field = if prefix.is_empty() {
                        named.to_string()
                    } else {
                        format!("{prefix}.{named}")
                    };
                    cross.push(FieldError {
                        field,
                        message: describe_validation(e),
                    });
                }
            }
            ValidationErrorsKind::Field(errs) => {
                for e in errs {
                    out.push(FieldError {
                        field: path.clone(),
                        message: describe_validation(e),
                    });
                }
            }
            ValidationErrorsKind::Struct(inner) => flatten_validation(&path, inner, out, cross),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten_validation(&format!("{path}[{i}]"), inner, out, cross);
                }
            }
        }
    }
}

fn describe_validation(e: &validator::ValidationError) -> String {
    if let Some(message) = &e.message {
        return message.to_string();
    }
    let param = |k: &str| e.params.get(k).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters long"),
            (None, Some(max)) => format!("must be at most {max} characters long"),
            (Some(min), None) => format!("must be at least {min} characters long"),
            _ => "has an invalid length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "url" => "must be an absolute http or https URL".into(),
        "email" => "must be an email address".into(),
        code => format!("is invalid ({code})"),
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
            let value: Value = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadRequest(format!("the body is not valid JSON: {e}")))?;
            if !value.is_object() {
                return Err(crate::error::invalid("body", "must be a JSON object"));
            }
            // PostgreSQL cannot store NUL in text; no field of ours needs one.
            let mut nul = Vec::new();
            find_nul(&value, String::new(), &mut nul);
            if !nul.is_empty() {
                return Err(ApiError::Validation(
                    nul.into_iter()
                        .map(|field| FieldError {
                            field,
                            message: "must not contain a NUL character".into(),
                        })
                        .collect(),
                ));
            }
            let mut value = value;
            integral_numbers(&mut value);
            parse_body(value).map(ApiJson).map_err(ApiError::Validation)
        })
    }
}

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
                "must not contain a NUL character"
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
            Some(parsed) => {
                let mut problems = Problems::new();
                problems.0 = errors;
                Ok(ApiQuery(parsed, problems))
            }
            None => Err(ApiError::Validation(errors)),
        })
    }
}

impl ApiQuery<PageQuery> {
    /// The page asked for, or every problem with the query.
    pub fn page(self, keys: usize) -> ApiResult<PageRequest> {
        let ApiQuery(query, mut problems) = self;
        let page = PageRequest::parse(
            query.limit.as_deref(),
            query.cursor.as_deref(),
            keys,
            &mut problems,
        );
        problems.into_result()?;
        Ok(page)
    }
}

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

/// The actor that change records are attributed to.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        use actix_web::HttpMessage;
        let name = req
            .extensions()
            .get::<crate::auth::Principal>()
            .map(|p| p.name.clone());
        ready(name.map(Actor).ok_or(ApiError::Unauthorized))
    }
}

/// Strings that may be absent (no change) but not null.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Nullable fields in a PATCH: absent = leave alone, null = clear, value = set.
pub fn nullable<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A keyset position: the sort key values of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(pub Vec<String>);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    /// The keys of a cursor this service could have issued: none holds a control
    /// character (PostgreSQL refuses NUL in text, so it must never reach a query).
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let keys = serde_json::from_slice::<Vec<String>>(&bytes).ok()?;
        let clean = keys
            .iter()
            .all(|k| k.len() <= 200 && !k.chars().any(char::is_control));
        clean.then_some(Cursor(keys))
    }
}

/// `limit` and `cursor`, parsed; `keys` is how many sort keys the cursor carries.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        keys: usize,
        problems: &mut Problems,
    ) -> PageRequest {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.add(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match cursor {
            None => None,
            Some(text) => match Cursor::decode(text) {
                Some(c) if c.0.len() == keys => Some(c.0),
                _ => {
                    problems.add("cursor", "is not a cursor returned by this list");
                    None
                }
            },
        };
        PageRequest { limit, after }
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows; `key` gives a row's sort key values.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> Vec<String>,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor(key(r)).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// 200 with the resource and its ETag.
pub fn ok_versioned<T: Serialize>(version: i64, body: &T) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// 201 with Location and ETag.
pub fn created<T: Serialize>(
    req: &HttpRequest,
    path: &str,
    version: i64,
    body: &T,
) -> HttpResponse {
    let base = req
        .app_data::<web::Data<HttpSettings>>()
        .map(|s| s.base_url.trim_end_matches('/').to_string())
        .unwrap_or_default();
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("{base}{path}")))
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

pub fn no_content() -> HttpResponse {
    HttpResponse::NoContent().finish()
}

/// Parses an optional vocabulary value in a query parameter.
pub fn parse_vocab_param<T>(
    name: &str,
    value: Option<&str>,
    parse: fn(&str) -> Option<T>,
    expected: fn() -> String,
    problems: &mut Problems,
) -> Option<T> {
    let text = value?;
    let parsed = parse(text);
    if parsed.is_none() {
        problems.add(name, format!("must be one of: {}", expected()));
    }
    parsed
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
