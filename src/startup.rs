//! Builds the HTTP application: routes, middleware, shared state.

use crate::configuration::Settings;
use crate::db::Db;
use crate::error::ApiError;
use crate::http::HttpSettings;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, App, HttpResponse, HttpServer, ResponseError};
use std::net::TcpListener;
use std::time::Instant;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

pub struct Application {
    port: u16,
    server: Server,
    worker: Option<crate::alerts::worker::WorkerHandle>,
}

/// The database of this service: connected, migrated and prepared (see `prepare`).
pub fn open_database(settings: &crate::configuration::DatabaseSettings) -> anyhow::Result<Db> {
    Db::connect(settings, prepare)
}

/// What the data needs after a migration: the country list, a search document for
/// every case, and every audit entry chained.
pub fn prepare(conn: &mut crate::db::DbConnection) -> anyhow::Result<()> {
    use crate::db::write_transaction;
    write_transaction(conn, crate::countries::store::sync)
        .map_err(|e| anyhow::anyhow!("loading the country list failed: {e}"))?;
    write_transaction(conn, crate::search::index_missing)
        .map_err(|e| anyhow::anyhow!("indexing cases for search failed: {e}"))?;
    let chained = write_transaction(conn, crate::auth::chain::chain_unchained)
        .map_err(|e| anyhow::anyhow!("chaining the audit log failed: {e}"))?;
    if chained > 0 {
        tracing::info!(
            entries = chained,
            "chained audit entries written before the chain"
        );
    }
    Ok(())
}

impl Application {
    /// Connects to the database (migrating it) and binds the listener; port 0 picks a
    /// free port, which tests use.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let database = settings.database.clone();
        let db = actix_web::rt::task::spawn_blocking(move || open_database(&database)).await??;
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
            .configure(crate::api::public_routes)
            .service(
                utoipa_actix_web::scope("/api/v1")
                    .wrap(from_fn(crate::auth::middleware::authenticate))
                    .configure(crate::api::api_routes),
            )
            .into_app()
            .default_service(web::to(no_such_route))
    })
    .listen(listener)?
    .run();
    Ok(server)
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
