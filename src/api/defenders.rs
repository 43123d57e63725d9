use crate::auth::{note_confidential_reads, redact, Visibility};
use crate::db::Db;
use crate::defenders::{store, CreateDefender, UpdateDefender};
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, ApiJson, ApiQuery, IfMatch, Page, PageQuery, PageRequest,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DefenderQuery {
    /// Searches names and other spellings, ignoring case, accents and script.
    #[param(min_length = 1, max_length = 200)]
    q: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[param(value_type = Option<crate::domain::CountryCode>)]
    country: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

#[utoipa::path(
    tag = "defenders",
    params(crate::api::defenders::DefenderQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::defenders::Defender>)
    )
)]
#[get("/defenders")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    query: ApiQuery<DefenderQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
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
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, &filter, after.as_deref(), fetch)?))
        .await?;
    let page = Page::from_rows(rows, &page, |d| d.id.clone());
    crate::auth::note_confidential_reads(&req, page.items.iter());
    Ok(HttpResponse::Ok().json(redact(vis, &page)))
}

#[utoipa::path(
    tag = "defenders",
    request_body = crate::defenders::CreateDefender,
    responses(
        (status = CREATED, description = "Created", body = crate::defenders::Defender)
    )
)]
#[post("/defenders")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    body: ApiJson<CreateDefender>,
) -> ApiResult<HttpResponse> {
    let new = body.0.into_new()?;
    let defender = db.write(move |conn| Ok(store::insert(conn, new)?)).await?;
    Ok(created(
        &req,
        &format!("/api/v1/defenders/{}", defender.id),
        defender.version,
        &defender,
    ))
}

#[utoipa::path(
    tag = "defenders",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::defenders::Defender)
    )
)]
#[get("/defenders/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let defender = db
        .read(move |conn| Ok(store::visible(conn, &id, vis)?))
        .await?;
    note_confidential_reads(&req, [&defender]);
    Ok(ok_versioned(defender.version, &redact(vis, &defender)))
}

#[utoipa::path(
    tag = "defenders",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::defenders::UpdateDefender,
    responses(
        (status = OK, description = "OK", body = crate::defenders::Defender),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
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
            store::update(conn, &current, &next)?;
            crate::effects::defender_changed(conn, &current, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(defender.version, &defender))
}

#[utoipa::path(
    tag = "defenders",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/defenders/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let defender = store::get(conn, &id)?;
        precondition.check(defender.version)?;
        Ok(store::delete(conn, &defender)?)
    })
    .await?;
    Ok(no_content())
}

#[utoipa::path(
    tag = "defenders",
    params(("id" = String, Path), crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::cases::Case>)
    )
)]
#[get("/defenders/{id}/cases")]
pub async fn cases(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let page = query.page::<String>()?;
    let after = page.after.clone();
    let fetch = page.fetch();
    let (rows, defender) = db
        .read(move |conn| {
            let defender = store::visible(conn, &id, vis)?;
            Ok((
                crate::cases::store::cases_of(conn, &id, vis, after.as_deref(), fetch)?,
                defender,
            ))
        })
        .await?;
    let page = Page::from_rows(rows, &page, |c| c.id.clone());
    crate::auth::note_confidential_reads(&req, [&defender]);
    crate::auth::note_confidential_reads(&req, page.items.iter());
    Ok(HttpResponse::Ok().json(page))
}
