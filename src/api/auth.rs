use crate::auth::{store, CreateToken, Principal};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{ApiJson, ApiQuery, Page, PageQuery, PageRequest, Problems};
use crate::vocabulary::Role;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::Deserialize;

#[utoipa::path(
    tag = "access",
    request_body = crate::auth::CreateToken,
    responses(
        (status = CREATED, description = "Issued; the secret is shown this once", body = crate::auth::IssuedToken)
    )
)]
#[post("/tokens")]
pub async fn create(
    db: web::Data<Db>,
    admin: Principal,
    body: ApiJson<CreateToken>,
) -> ApiResult<HttpResponse> {
    let request = body.0;
    let mut problems = Problems::new();
    match (request.role, &request.subscriber) {
        (Role::Partner, None) => problems.add("subscriber", "is required for a partner token"),
        (role, Some(_)) if role != Role::Partner => {
            problems.add("subscriber", "is only for partner tokens")
        }
        _ => {}
    }
    if request
        .expires_at
        .is_some_and(|at| at.naive_utc() <= crate::db::now())
    {
        problems.add("expires_at", "must be in the future");
    }
    problems.into_result()?;
    let issued = db
        .write(move |conn| {
            let subscriber = crate::subscriptions::store::subscriber_of(conn, &request)?;
            Ok(store::issue(conn, request, subscriber, &admin.name)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(issued))
}

#[utoipa::path(
    tag = "access",
    params(crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::auth::Token>)
    )
)]
#[get("/tokens")]
pub async fn list(db: web::Data<Db>, query: ApiQuery<PageQuery>) -> ApiResult<HttpResponse> {
    let page = query.page::<String>()?;
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |t| t.id.clone())))
}

/// Revokes a token; it stops working on the next request.
#[utoipa::path(
    tag = "access",
    params(("id" = String, Path)),
    responses(
        (status = NO_CONTENT, description = "Done")
    )
)]
#[delete("/tokens/{id}")]
pub async fn revoke(
    db: web::Data<Db>,
    tokens: web::Data<crate::auth::cache::TokenCache>,
    admin: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| Ok(store::revoke(conn, &id, &admin.name)?))
        .await?;
    tokens.revoked();
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The user the entries are about.
    actor: Option<String>,
    /// RFC 3339 instant.
    #[param(schema_with = crate::domain::schema::instant)]
    since: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

/// The audit log, oldest first.
#[utoipa::path(
    tag = "access",
    params(crate::api::auth::AuditQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::auth::store::AuditEntry>)
    )
)]
#[get("/audit")]
pub async fn audit(db: web::Data<Db>, query: ApiQuery<AuditQuery>) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
    let since = match q.since.as_deref().map(crate::domain::timestamp::parse_text) {
        None => None,
        Some(Some(t)) => Some(t.naive_utc()),
        Some(None) => {
            problems.add("since", crate::domain::timestamp::RULE);
            None
        }
    };
    problems.into_result()?;
    let filter = store::AuditFilter {
        actor: q.actor,
        since,
    };
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::audit_page(conn, &filter, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |e| e.id.clone())))
}
