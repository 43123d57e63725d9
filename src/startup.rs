//! Builds the HTTP application: routes, middleware, shared state.

use crate::configuration::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::HttpSettings;
use crate::{
    alerts, cases, charges, countries, defenders, events, hearings, interventions, sentences,
    subscriptions, trials,
};
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{get, web, App, HttpResponse, HttpServer, ResponseError};
use std::net::TcpListener;
use std::time::Instant;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub struct Application {
    port: u16,
    server: Server,
    worker: Option<crate::alerts::worker::WorkerHandle>,
}

impl Application {
    /// Connects to the database (migrating it) and binds the listener; port 0 picks a
    /// free port, which tests use.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let database = settings.database.clone();
        let db = actix_web::rt::task::spawn_blocking(move || Db::connect(&database)).await??;
        let listener = TcpListener::bind((
            settings.application.host.as_str(),
            settings.application.port,
        ))?;
        let port = listener.local_addr()?.port();
        let http = HttpSettings {
            base_url: settings.application.base_url.clone(),
            max_body_bytes: settings.application.max_body_bytes,
        };
        tracing::info!(
            address = %listener.local_addr()?,
            backend = db.backend().as_str(),
            "case tracker listening"
        );
        let guard = crate::auth::middleware::Guard::new(&settings.security);
        let worker = if settings.alerts.worker {
            let worker = crate::alerts::worker::Worker::new(
                db.clone(),
                settings.alerts.clone(),
                &settings.application.base_url,
            )?;
            Some(worker.spawn()?)
        } else {
            None
        };
        let templates = crate::alerts::mail::Templates::load()?;
        let audit = crate::auth::audit::AuditLog::start(db.clone())?;
        let server = run(listener, db, http, guard, settings.alerts, templates, audit)?;
        Ok(Self {
            port,
            server,
            worker,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server stops; the alert worker stops with it.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(worker) = self.worker {
            actix_web::rt::task::spawn_blocking(move || worker.stop())
                .await
                .ok();
        }
        result
    }
}

pub fn run(
    listener: TcpListener,
    db: Db,
    http: HttpSettings,
    guard: crate::auth::middleware::Guard,
    alerts: crate::configuration::AlertSettings,
    templates: crate::alerts::mail::Templates,
    audit: crate::auth::audit::AuditLog,
) -> std::io::Result<Server> {
    let audit = web::Data::new(audit);
    let spec = std::sync::Arc::new(crate::openapi::document());
    let allowed = web::Data::new((*spec).clone());
    let db = web::Data::new(db);
    let alerts = web::Data::new(alerts);
    let templates = web::Data::new(templates);
    let http = web::Data::new(http);
    let limits = web::Data::new(guard.limits);
    let tokens = web::Data::new(guard.tokens);
    let server = HttpServer::new(move || {
        App::new()
            // The last wrapped runs first: every response, a refusal by any layer
            // included, passes through the security headers.
            .wrap(from_fn(reject_nul))
            .wrap(from_fn(log_request))
            .wrap(from_fn(security_headers))
            .app_data(db.clone())
            .app_data(http.clone())
            .app_data(limits.clone())
            .app_data(tokens.clone())
            .app_data(alerts.clone())
            .app_data(templates.clone())
            .app_data(allowed.clone())
            .app_data(audit.clone())
            // The contract and its documentation page need no token; registered before
            // the /api/v1 scope so that its authentication does not apply to them.
            .service(
                SwaggerUi::new("/docs/{_:.*}")
                    .external_url_unchecked("/api/v1/openapi.json", (*spec).clone()),
            )
            .service(web::redirect("/docs", "/docs/"))
            .into_utoipa_app()
            .configure(public_routes)
            .service(
                utoipa_actix_web::scope("/api/v1")
                    .wrap(from_fn(crate::auth::middleware::authenticate))
                    .configure(api_routes),
            )
            .into_app()
            .default_service(web::to(no_such_route))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// The routes outside /api/v1: health, readiness, and the links in alert emails.
pub fn public_routes(cfg: &mut ServiceConfig) {
    cfg.service(health)
        .service(ready)
        .service(subscriptions::links::confirm_page)
        .service(subscriptions::links::confirm)
        .service(subscriptions::links::unsubscribe_page)
        .service(subscriptions::links::unsubscribe);
}

/// Every /api/v1 route. Each handler carries its OpenAPI description, which
/// `utoipa_actix_web` collects from here: a route without one does not compile.
pub fn api_routes(cfg: &mut ServiceConfig) {
    cfg.service(crate::auth::routes::create)
        .service(crate::auth::routes::list)
        .service(crate::auth::routes::revoke)
        .service(crate::auth::routes::audit)
        .service(countries::routes::list)
        .service(countries::routes::get)
        .service(defenders::routes::list)
        .service(defenders::routes::create)
        .service(defenders::routes::get)
        .service(defenders::routes::update)
        .service(defenders::routes::delete)
        .service(defenders::routes::cases)
        .service(cases::routes::list)
        .service(cases::routes::create)
        .service(cases::routes::get)
        .service(cases::routes::update)
        .service(cases::routes::delete)
        .service(cases::routes::link_defender)
        .service(cases::routes::unlink_defender)
        .service(crate::records::Routes::<charges::Charge>::new())
        .service(crate::records::Routes::<trials::Trial>::new())
        .service(hearings::routes::calendar)
        .service(hearings::routes::feed)
        .service(crate::records::Routes::<hearings::Hearing>::new())
        .service(crate::records::Routes::<sentences::Sentence>::new())
        .service(interventions::routes::list)
        .service(interventions::routes::create)
        .service(interventions::routes::get)
        .service(interventions::routes::update)
        .service(interventions::routes::delete)
        .service(interventions::routes::link_case)
        .service(interventions::routes::unlink_case)
        .service(events::routes::list)
        .service(events::routes::create)
        .service(events::routes::get)
        .service(events::routes::for_defender)
        .service(subscriptions::routes::list)
        .service(subscriptions::routes::create)
        .service(subscriptions::routes::get)
        .service(subscriptions::routes::delete)
        .service(alerts::routes::list)
        .service(alerts::routes::retry);
}

/// A known path asked with a method it does not have gets 405 and `Allow`; anything
/// else 404.
async fn no_such_route(
    req: actix_web::HttpRequest,
    spec: web::Data<serde_json::Value>,
) -> HttpResponse {
    match crate::openapi::allowed_methods(&spec, req.path()) {
        Some(methods) if !methods.is_empty() => {
            let mut response = ApiError::MethodNotAllowed(format!(
                "{} is not allowed here; allowed: {}",
                req.method(),
                methods.join(", ")
            ))
            .error_response();
            if let Ok(value) = HeaderValue::from_str(&methods.join(", ")) {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::ALLOW, value);
            }
            response
        }
        _ => ApiError::NotFound("no such route".into()).error_response(),
    }
}

/// Headers for an API that serves JSON to scripts and never to be framed or sniffed.
/// The documentation page loads its own scripts and styles, and nothing else.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/docs");
    let mut response = next.call(req).await?;
    let policy = if docs {
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    } else {
        "default-src 'none'; frame-ancestors 'none'"
    };
    let headers = response.headers_mut();
    for (name, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
        ("content-security-policy", policy),
    ] {
        let name = HeaderName::from_static(name);
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    Ok(response)
}

/// The `X-Request-Id` a client or proxy sent, when it is a plain token worth keeping.
fn incoming_request_id(req: &ServiceRequest) -> Option<String> {
    let value = req.headers().get("x-request-id")?.to_str().ok()?;
    let plain = !value.is_empty()
        && value.len() <= 128
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    plain.then(|| value.to_string())
}

/// One span per request, carrying its id (the incoming `X-Request-Id`, or a new one),
/// the client's address and, once authenticated, the user and role: every log line
/// of the request, in handlers and on the database threads, belongs to it. One log
/// line per request with its status and latency, and the id in `X-Request-Id`.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let started = Instant::now();
    let request_id = incoming_request_id(&req).unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let client_ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        path = %req.path(),
        client_ip = %client_ip,
        user = tracing::field::Empty,
        role = tracing::field::Empty,
    );
    let mut response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            latency_ms = started.elapsed().as_secs_f64() * 1000.0,
            "request"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(response)
}

/// A NUL character can never be part of an id, and PostgreSQL refuses it in text: a
/// path holding one stops here with 400. Query parameters are checked where they are
/// parsed (`ApiQuery`), which names the parameter.
async fn reject_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.uri().path().to_ascii_lowercase().contains("%00") {
        let response = ApiError::BadRequest("the request path contains a NUL character".into())
            .error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[utoipa::path(
    tag = "service",
    security(()),
    responses(
        (status = OK, description = "The process is alive", body = crate::startup::Health)
    )
)]
#[get("/health")]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// `GET /health`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

/// `GET /ready`.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// Always `ready`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub alerts: crate::alerts::Backlog,
}

/// Ready when the database answers and every migration has been applied; also tells
/// how many alerts wait to be sent and how many failed, for monitoring.
#[utoipa::path(
    tag = "service",
    security(()),
    responses(
        (status = OK, description = "The database answers, migrations are applied; alert backlog", body = crate::startup::Readiness),
        (status = SERVICE_UNAVAILABLE, description = "Not ready, and why", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/ready")]
pub async fn ready(db: web::Data<Db>) -> Result<HttpResponse, ApiError> {
    let backend = db.backend().as_str();
    let pending = db
        .read(|conn| {
            crate::db::pending_migrations(conn)
                .map(|pending| !pending.is_empty())
                .map_err(|e| ApiError::Unavailable(format!("cannot read the migration state: {e}")))
        })
        .await?;
    if pending {
        return Err(ApiError::Unavailable("migrations are pending".into()));
    }
    let backlog = db.read(|conn| Ok(alerts::store::backlog(conn)?)).await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"status": "ready", "database": backend, "alerts": backlog})))
}
