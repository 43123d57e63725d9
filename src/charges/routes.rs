use super::{store, CreateCharge, UpdateCharge};
use crate::auth::{note_confidential_read, Visibility};
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, Actor, ApiJson, ApiQuery, IfMatch, Page, PageQuery,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};

#[utoipa::path(
    tag = "charges",
    params(("id" = String, Path, description = "The case id"), crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::charges::Charge>)
    )
)]
#[get("/cases/{id}/charges")]
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
    tag = "charges",
    params(("id" = String, Path, description = "The case id")),
    request_body = crate::charges::CreateCharge,
    responses(
        (status = CREATED, description = "Created", body = crate::charges::Charge)
    )
)]
#[post("/cases/{id}/charges")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateCharge>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let input = body.0;
    let charge = db
        .write(move |conn| {
            crate::cases::store::get(conn, &case_id)?;
            store::insert(conn, &actor.0, input.into_new(&case_id))
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/charges/{}", charge.id),
        charge.version,
        &charge,
    ))
}

#[utoipa::path(
    tag = "charges",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::charges::Charge)
    )
)]
#[get("/charges/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (charge, reads) = db
        .read(move |conn| {
            let charge = store::get(conn, &id)?;
            let reads = crate::cases::store::require_visible(
                conn,
                &charge.case_id,
                Some(&charge.defender_id),
                vis,
                "charge",
            )?;
            Ok((charge, reads))
        })
        .await?;
    note_confidential_read(&req, reads);
    Ok(ok_versioned(charge.version, &charge))
}

#[utoipa::path(
    tag = "charges",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::charges::UpdateCharge,
    responses(
        (status = OK, description = "OK", body = crate::charges::Charge),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/charges/{id}")]
pub async fn update(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateCharge>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let charge = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            store::update(conn, &actor.0, &current, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(charge.version, &charge))
}

#[utoipa::path(
    tag = "charges",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/charges/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let charge = store::get(conn, &id)?;
        precondition.check(charge.version)?;
        store::delete(conn, &actor.0, &charge)
    })
    .await?;
    Ok(no_content())
}
