//! Field errors: every bad field of a body or a query named in one answer, from
//! serde's refusals and the `validator` rules, and the shapes PATCH fields take.

use super::fault::{Fault, ValueDeserializer};
use crate::error::FieldError;
pub use crate::store::Problems;
use serde::{de::DeserializeOwned, Deserialize, Deserializer};
use serde_json::Value;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// Why a text holding a NUL character is refused (PostgreSQL cannot store one).
pub const NUL_MESSAGE: &str = "must not contain a NUL character";

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
        let err = match serde_path_to_error::deserialize::<_, T>(ValueDeserializer(&value)) {
            Ok(parsed) => return (Some(parsed), errors),
            Err(err) => err,
        };
        let path = err.path().to_string();
        let fault = err.into_inner();
        let path = if path == "." { String::new() } else { path };
        let variants = match &fault {
            Fault::UnknownVariant { expected, .. } => *expected,
            _ => &[],
        };
        let missing = matches!(fault, Fault::MissingField(_));
        let (field, message) = describe(&path, fault);
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
            if let Some(variant) = variants.first() {
                let variant = Value::String(variant.to_string());
                if !candidates.contains(&variant) {
                    candidates.insert(*next, variant);
                }
            }
            let Some(candidate) = candidates.get(*next) else {
                break;
            };
            object.insert(top.clone(), candidate.clone());
            *next += 1;
            continue;
        }
        errors.push(FieldError {
            field,
            message: message.clone(),
        });
        if object.remove(&top).is_none() && !missing {
            break;
        }
        stand_ins.insert(top, (placeholders(variants), 0));
    }
    (None, errors)
}

/// Values that may satisfy a field's type, tried in turn in place of a bad value:
/// first an accepted value of a list, when the field has one.
fn placeholders(variants: &[&str]) -> Vec<Value> {
    let mut values: Vec<Value> = variants
        .first()
        .map(|v| Value::String(v.to_string()))
        .into_iter()
        .collect();
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

fn top_level(field: &str) -> String {
    field
        .split(['.', '['])
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The field a fault is about and what to say of it.
fn describe(path: &str, fault: Fault) -> (String, String) {
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
    let message = match fault {
        Fault::UnknownField(name) => {
            let message = "is not a field of this resource, or may not be set";
            return (join(&name), message.into());
        }
        Fault::MissingField(name) => return (join(name), "is required".into()),
        other @ Fault::UnknownVariant { .. } => other.to_string(),
        Fault::Refused(message) => message,
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

/// A query parameter that bounds a period: an RFC 3339 instant, or a date standing for
/// its start (or, with `end_of_day`, its end) in UTC; a bad one is added to `problems`.
pub fn parse_bound_param(
    name: &str,
    value: Option<&str>,
    end_of_day: bool,
    problems: &mut Problems,
) -> Option<chrono::NaiveDateTime> {
    let at = crate::domain::timestamp::bound(value?, end_of_day);
    if at.is_none() {
        problems.add(name, crate::domain::timestamp::BOUND_RULE);
    }
    at
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
