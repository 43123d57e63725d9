use super::{store, CreateTrial, UpdateTrial};
use crate::auth::{note_confidential_read, Visibility};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, Actor, ApiJson, ApiQuery, IfMatch, Page, PageQuery,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

#[utoipa::path(
    tag = "trials",
    params(("id" = String, Path, description = "The case id"), crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::trials::Trial>)
    )
)]
#[get("/cases/{id}/trials")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let page = query.page(1)?;
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let (rows, case) = db
        .read(move |conn| {
            let case = crate::cases::store::visible(conn, &case_id, vis)?;
            Ok((store::page(conn, &case_id, after.as_deref(), fetch)?, case))
        })
        .await?;
    crate::auth::note_confidential_reads(&req, [&case]);
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |c| vec![c.id.clone()])))
}

#[utoipa::path(
    tag = "trials",
    params(("id" = String, Path, description = "The case id")),
    request_body = crate::trials::CreateTrial,
    responses(
        (status = CREATED, description = "Created", body = crate::trials::Trial)
    )
)]
#[post("/cases/{id}/trials")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateTrial>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let input = body.0;
    let trial = db
        .write(move |conn| {
            crate::cases::store::get(conn, &case_id)?;
            store::insert(conn, &actor.0, input.into_new(&case_id)?)
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/trials/{}", trial.id),
        trial.version,
        &trial,
    ))
}

#[utoipa::path(
    tag = "trials",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::trials::Trial)
    )
)]
#[get("/trials/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (trial, reads) = db
        .read(move |conn| {
            let trial = store::get(conn, &id)?;
            let reads =
                crate::cases::store::require_visible(conn, &trial.case_id, None, vis, "trial")?;
            Ok((trial, reads))
        })
        .await?;
    note_confidential_read(&req, reads);
    Ok(ok_versioned(trial.version, &trial))
}

#[utoipa::path(
    tag = "trials",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::trials::UpdateTrial,
    responses(
        (status = OK, description = "OK", body = crate::trials::Trial),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/trials/{id}")]
pub async fn update(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateTrial>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let trial = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            store::update(conn, &actor.0, &current, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(trial.version, &trial))
}

#[utoipa::path(
    tag = "trials",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/trials/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let trial = store::get(conn, &id)?;
        precondition.check(trial.version)?;
        store::delete(conn, &actor.0, &trial)
    })
    .await?;
    Ok(no_content())
}
