//! Liveness and readiness, for the operator's probes.

use crate::db::Db;
use crate::error::ApiError;
use actix_web::{get, web, HttpResponse};

#[utoipa::path(
    tag = "service",
    security(()),
    responses(
        (status = OK, description = "The process is alive", body = crate::api::service::Health)
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
        (status = OK, description = "The database answers, migrations are applied; alert backlog", body = crate::api::service::Readiness),
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
    let backlog = db
        .read(|conn| Ok(crate::alerts::store::backlog(conn)?))
        .await?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({"status": "ready", "database": backend, "alerts": backlog})))
}
