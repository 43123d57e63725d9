//! The OpenAPI 3.1 description of the service, generated from the annotations on the
//! handlers (`#[utoipa::path]`) and the types they take and return, so it cannot drift
//! from the code. The responses every operation shares by convention (authentication,
//! rate limits, validation, preconditions) are added here, in one place, from the same
//! rules the middleware and extractors apply.

use actix_web::App;
use std::collections::BTreeMap;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Case tracker",
        description = "Urgent-intervention case tracker: cases of human-rights defenders at risk, \
their charges, trials, hearings, sentences and interventions, the full history of every case, \
and alert emails to partner organisations. Every /api/v1 operation needs a bearer token; \
partners never see confidential records, which answer 404 exactly like missing ones.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::domain::CountryCode,
        crate::vocabulary::AlertStatus,
        crate::vocabulary::CaseStatus,
        crate::vocabulary::InterventionType,
    )),
    tags(
        (name = "service", description = "Liveness and readiness"),
        (name = "countries", description = "ISO 3166-1 countries"),
        (name = "defenders", description = "People at risk"),
        (name = "cases", description = "Cases and the defenders in them"),
        (name = "charges", description = "Charges against a case's defenders"),
        (name = "trials", description = "Court proceedings of a case"),
        (name = "hearings", description = "Sessions of a trial, and the calendar across cases"),
        (name = "sentences", description = "Sentences of a case's defenders"),
        (name = "events", description = "The history of a case"),
        (name = "interventions", description = "What the organisation published or sent"),
        (name = "subscriptions", description = "Alert subscriptions, and the links in alert emails"),
        (name = "alerts", description = "The alert delivery log"),
        (name = "access", description = "API tokens and the audit log"),
    )
)]
struct ApiDoc;

/// The complete document, as served at `/api/v1/openapi.json`.
pub fn document() -> serde_json::Value {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::api::public_routes)
        .service(utoipa_actix_web::scope("/api/v1").configure(crate::api::api_routes))
        .split_for_parts();
    apply_conventions(&mut api);
    let mut json = serde_json::to_value(&api).unwrap_or_default();
    state_text_rules(&mut json);
    json
}

/// The rules every text follows, stated where a schema has no pattern of its own: no
/// NUL character (PostgreSQL cannot store one), something other than white space where
/// a text has a minimum length (`domain::not_blank`), and the years 1900 to 2100 of
/// every date and instant (`domain::date`, `domain::timestamp`).
fn state_text_rules(value: &mut serde_json::Value) {
    use crate::domain::schema as rules;
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(types)) => types.iter().any(|t| t == "string"),
                _ => false,
            };
            let constrained = ["enum", "pattern", "const"]
                .iter()
                .any(|k| map.contains_key(*k));
            if is_string && !constrained {
                let format = map.get("format").and_then(Value::as_str);
                let non_blank = map
                    .get("minLength")
                    .and_then(Value::as_u64)
                    .is_some_and(|n| n >= 1);
                let pattern = match format {
                    Some("date") => rules::date_pattern(),
                    Some("date-time") => rules::instant_pattern(),
                    _ if non_blank => rules::non_blank_pattern(),
                    _ => rules::no_nul_pattern(),
                };
                map.insert("pattern".into(), Value::String(pattern));
            }
            map.values_mut().for_each(state_text_rules);
        }
        Value::Array(items) => items.iter_mut().for_each(state_text_rules),
        _ => {}
    }
}

fn problem(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

fn add(operation: &mut Operation, status: u16, description: &str) {
    operation
        .responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| problem(description));
}

/// The shared responses and the security requirement, by the rules every request
/// goes through.
fn apply_conventions(api: &mut OpenApi) {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API token (`ct_...`). Calendar applications may send it as the password of HTTP Basic authentication instead.",
                ))
                .build(),
        ),
    );
    for (path, item) in api.paths.paths.iter_mut() {
        let protected = path.starts_with("/api/v1/");
        let operations: BTreeMap<&str, &mut Option<Operation>> = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PUT", &mut item.put),
            ("PATCH", &mut item.patch),
            ("DELETE", &mut item.delete),
        ]
        .into_iter()
        .collect();
        for (method, operation) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let parameters: Vec<utoipa::openapi::path::Parameter> = operation
                .parameters
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p) => Some(p),
                    utoipa::openapi::RefOr::Ref(_) => None,
                })
                .collect();
            let has = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
            add(
                operation,
                400,
                "Malformed request: bad JSON, a NUL character, or a malformed header",
            );
            if path.contains('{') {
                add(
                    operation,
                    404,
                    "No such record, or one the caller may not see",
                );
            }
            if has(ParameterIn::Query) {
                add(operation, 422, "Invalid query parameters, each one named");
            }
            if operation.request_body.is_some() {
                add(
                    operation,
                    413,
                    "The body is larger than the configured limit",
                );
                add(operation, 415, "The body is not application/json");
                add(operation, 422, "Invalid fields, each one named");
            }
            let if_match = parameters.iter().any(|p| {
                p.parameter_in == ParameterIn::Header && p.name.eq_ignore_ascii_case("if-match")
            });
            if if_match {
                add(operation, 412, "If-Match does not name the current version");
                add(operation, 428, "If-Match is required");
            }
            if protected {
                operation.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                add(operation, 401, "No valid token");
                add(operation, 403, "The token's role may not do this");
                add(
                    operation,
                    429,
                    "The token's request budget is spent; see Retry-After",
                );
                add(operation, 503, "The database is unavailable or busy; retry");
            }
            let _ = method;
        }
    }
}

/// The methods the document allows on a concrete request path, if the path is known:
/// a request with another method gets 405 and this list in `Allow`.
pub fn allowed_methods(api: &serde_json::Value, request_path: &str) -> Option<Vec<&'static str>> {
    let segments: Vec<&str> = request_path.trim_end_matches('/').split('/').collect();
    let paths = api.get("paths")?.as_object()?;
    for (template, item) in paths {
        let parts: Vec<&str> = template.split('/').collect();
        let matches = parts.len() == segments.len()
            && parts
                .iter()
                .zip(&segments)
                .all(|(t, s)| (t.starts_with('{') && t.ends_with('}') && !s.is_empty()) || t == s);
        if matches {
            let mut methods = Vec::new();
            for name in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
                if item.get(name.to_ascii_lowercase()).is_some() {
                    methods.push(name);
                }
            }
            return Some(methods);
        }
    }
    None
}
