use super::{store, CreateSentence, UpdateSentence};
use crate::auth::{note_confidential_read, Visibility};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, Actor, ApiJson, ApiQuery, IfMatch, Page, PageQuery,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

#[utoipa::path(
    tag = "sentences",
    params(("id" = String, Path, description = "The case id"), crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::sentences::Sentence>)
    )
)]
#[get("/cases/{id}/sentences")]
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
    let (rows, hidden, case) = db
        .read(move |conn| {
            let case = crate::cases::store::visible(conn, &case_id, vis)?;
            let hidden = crate::cases::store::hidden_defenders(conn, &case_id)?;
            Ok((
                store::page(conn, &case_id, after.as_deref(), fetch)?,
                hidden,
                case,
            ))
        })
        .await?;
    let mut page = Page::from_rows(rows, &page, |c| vec![c.id.clone()]);
    if vis.is_public() {
        // Records of confidential defenders are left out; the cursor still follows the rows.
        page.items.retain(|c| !hidden.contains(&c.defender_id));
    } else {
        let named = page.items.iter().map(|c| c.defender_id.as_str());
        note_confidential_read(
            &req,
            crate::cases::store::confidential_reads(&case, &hidden, named),
        );
    }
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(
    tag = "sentences",
    params(("id" = String, Path, description = "The case id")),
    request_body = crate::sentences::CreateSentence,
    responses(
        (status = CREATED, description = "Created", body = crate::sentences::Sentence)
    )
)]
#[post("/cases/{id}/sentences")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateSentence>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let input = body.0;
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

#[utoipa::path(
    tag = "sentences",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::sentences::Sentence)
    )
)]
#[get("/sentences/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (sentence, reads) = db
        .read(move |conn| {
            let sentence = store::get(conn, &id)?;
            let reads = crate::cases::store::require_visible(
                conn,
                &sentence.case_id,
                Some(&sentence.defender_id),
                vis,
                "sentence",
            )?;
            Ok((sentence, reads))
        })
        .await?;
    note_confidential_read(&req, reads);
    Ok(ok_versioned(sentence.version, &sentence))
}

#[utoipa::path(
    tag = "sentences",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::sentences::UpdateSentence,
    responses(
        (status = OK, description = "OK", body = crate::sentences::Sentence),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
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

#[utoipa::path(
    tag = "sentences",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
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
