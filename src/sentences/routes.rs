use super::{store, CreateSentenceBody, UpdateSentence};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, Actor, ApiJson, ApiQuery, IfMatch, Page, PageQuery,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

#[get("/cases/{id}/sentences")]
pub async fn list(
    db: web::Data<Db>,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let page = query.0.page(1)?;
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| {
            crate::cases::store::get(conn, &case_id)?;
            store::page(conn, &case_id, after.as_deref(), fetch)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |c| vec![c.id.clone()])))
}

#[post("/cases/{id}/sentences")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateSentenceBody>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let input = body.0 .0;
    let sentence = db
        .write(move |conn| {
            crate::cases::store::get(conn, &case_id)?;
            store::insert(conn, &actor.0, input.into_new(&case_id)?)
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/sentences/{}", sentence.id),
        sentence.version,
        &sentence,
    ))
}

#[get("/sentences/{id}")]
pub async fn get(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let sentence = db.read(move |conn| store::get(conn, &id)).await?;
    Ok(ok_versioned(sentence.version, &sentence))
}

#[patch("/sentences/{id}")]
pub async fn update(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateSentence>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let sentence = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            store::update(conn, &actor.0, &current, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(sentence.version, &sentence))
}

#[delete("/sentences/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let sentence = store::get(conn, &id)?;
        precondition.check(sentence.version)?;
        store::delete(conn, &actor.0, &sentence)
    })
    .await?;
    Ok(no_content())
}
