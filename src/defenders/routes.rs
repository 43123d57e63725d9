use super::{store, CreateDefender, UpdateDefender};
use crate::auth::{note_confidential_read, redact, Visibility};
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, ApiJson, ApiQuery, IfMatch, Page, PageQuery, PageRequest,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefenderQuery {
    q: Option<String>,
    country: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[get("/defenders")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    query: ApiQuery<DefenderQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), 1, &mut problems);
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    if let Some(text) = &q.q {
        if text.chars().count() > 200 || crate::search::query_terms(text).is_empty() {
            problems.add(
                "q",
                "must contain a word to search for, in at most 200 characters",
            );
        }
    }
    problems.into_result()?;
    let filter = store::DefenderFilter {
        q: q.q,
        country: q.country,
        visibility: vis,
    };
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| store::list(conn, &filter, after.as_deref(), fetch))
        .await?;
    crate::auth::note_confidential_reads(&req, rows.iter());
    Ok(HttpResponse::Ok().json(redact(
        vis,
        &Page::from_rows(rows, &page, |d| vec![d.id.clone()]),
    )))
}

#[post("/defenders")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    body: ApiJson<CreateDefender>,
) -> ApiResult<HttpResponse> {
    let new = body.0.into_new()?;
    let defender = db.write(move |conn| store::insert(conn, new)).await?;
    Ok(created(
        &req,
        &format!("/api/v1/defenders/{}", defender.id),
        defender.version,
        &defender,
    ))
}

#[get("/defenders/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let defender = db.read(move |conn| store::visible(conn, &id, vis)).await?;
    if defender.confidential {
        note_confidential_read(&req, format!("defender {}", defender.id));
    }
    Ok(ok_versioned(defender.version, &redact(vis, &defender)))
}

#[patch("/defenders/{id}")]
pub async fn update(
    db: web::Data<Db>,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateDefender>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let defender = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            store::update(conn, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(defender.version, &defender))
}

#[delete("/defenders/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| store::delete(conn, &id, &precondition))
        .await?;
    Ok(no_content())
}

#[get("/defenders/{id}/cases")]
pub async fn cases(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let page = query.page(1)?;
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let (rows, defender) = db
        .read(move |conn| {
            let defender = store::visible(conn, &id, vis)?;
            Ok((
                store::cases_of(conn, &id, vis, after.as_deref(), fetch)?,
                defender,
            ))
        })
        .await?;
    crate::auth::note_confidential_reads(&req, [&defender]);
    crate::auth::note_confidential_reads(&req, rows.iter());
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |c| vec![c.id.clone()])))
}
