use crate::auth::Actor;
use crate::auth::{note_confidential_reads, redact, Visibility};
use crate::cases::{store, CreateCase, LinkDefender, UpdateCase};
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, parse_bound_param, parse_vocab_param, ApiJson, ApiQuery,
    IfMatch, Page, PageRequest,
};
use crate::vocabulary::CaseStatus;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// ISO 3166-1 alpha-2 code.
    #[param(value_type = Option<crate::domain::CountryCode>)]
    country: Option<String>,
    #[param(value_type = Option<crate::vocabulary::CaseStatus>)]
    status: Option<String>,
    /// Cases tagged with this subject.
    #[param(min_length = 1, max_length = 100)]
    subject: Option<String>,
    /// Cases this defender (id) is in.
    defender: Option<String>,
    /// Full-text search over titles, summaries, the names of defenders and the history.
    #[param(min_length = 1, max_length = 200)]
    q: Option<String>,
    /// RFC 3339 instant or YYYY-MM-DD.
    #[param(schema_with = crate::domain::schema::date_or_instant)]
    updated_since: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

#[utoipa::path(
    tag = "cases",
    params(crate::api::cases::CaseQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::cases::Case>)
    )
)]
#[get("/cases")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    query: ApiQuery<CaseQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let (limit, cursor) = (q.limit.as_deref(), q.cursor.as_deref());
    let page = match &q.q {
        Some(text) => CasePage::Search(
            text.clone(),
            PageRequest::parse(limit, cursor, &mut problems),
        ),
        None => CasePage::List(PageRequest::parse(limit, cursor, &mut problems)),
    };
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    let status = parse_vocab_param(
        "status",
        q.status.as_deref(),
        CaseStatus::parse,
        CaseStatus::expected,
        &mut problems,
    );
    if let Some(text) = &q.q {
        if text.chars().count() > 200 || crate::search::query_terms(text).is_empty() {
            problems.add(
                "q",
                "must contain a word to search for, in at most 200 characters",
            );
        }
    }
    if q.subject
        .as_deref()
        .is_some_and(|t| t.trim().is_empty() || t.chars().count() > 100)
    {
        problems.add(
            "subject",
            "must be 1 to 100 characters long, not only spaces",
        );
    }
    let updated_since = parse_bound_param(
        "updated_since",
        q.updated_since.as_deref(),
        false,
        &mut problems,
    );
    problems.into_result()?;
    let filter = store::CaseFilter {
        country: q.country,
        status,
        subject: q.subject,
        defender: q.defender,
        visibility: vis,
        updated_since,
    };
    let page = match page {
        CasePage::Search(text, page) => {
            let limit = usize::try_from(page.fetch()).unwrap_or(usize::MAX);
            let search_after = page.after.clone();
            let rows = db
                .read(move |conn| Ok(store::search(conn, &filter, &text, search_after, limit)?))
                .await?;
            Page::from_rows(rows, &page, |(case, rank)| (*rank, case.id.clone()))
                .map(|(case, _)| case)
        }
        CasePage::List(page) => {
            let (after, fetch) = (page.after.clone(), page.fetch());
            let rows = db
                .read(move |conn| Ok(store::list(conn, &filter, after.as_deref(), fetch)?))
                .await?;
            Page::from_rows(rows, &page, |c| c.id.clone())
        }
    };
    crate::auth::note_confidential_reads(&req, page.items.iter());
    Ok(HttpResponse::Ok().json(page))
}

/// A search pages by (rank, id), a plain list by id.
enum CasePage {
    Search(String, PageRequest<(f64, String)>),
    List(PageRequest<String>),
}

#[utoipa::path(
    tag = "cases",
    request_body = crate::cases::CreateCase,
    responses(
        (status = CREATED, description = "Created", body = crate::cases::Case)
    )
)]
#[post("/cases")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    body: ApiJson<CreateCase>,
) -> ApiResult<HttpResponse> {
    let new = body.0.into_new()?;
    let case = db
        .write(move |conn| {
            let (case, change) = store::insert(conn, new)?;
            crate::effects::record(conn, &actor.0, change)?;
            Ok(case)
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/cases/{}", case.id),
        case.version,
        &case,
    ))
}

#[utoipa::path(
    tag = "cases",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::cases::CaseDetail)
    )
)]
#[get("/cases/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let detail = db
        .read(move |conn| Ok(crate::cases::detail::read(conn, &id, vis)?))
        .await?;
    note_confidential_reads(&req, [&detail.case]);
    note_confidential_reads(&req, detail.defenders.iter().map(|d| &d.defender));
    Ok(ok_versioned(detail.case.version, &redact(vis, &detail)))
}

#[utoipa::path(
    tag = "cases",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::cases::UpdateCase,
    responses(
        (status = OK, description = "OK", body = crate::cases::Case),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/cases/{id}")]
pub async fn update(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateCase>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let case = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            let change = store::update(conn, &current, &next)?;
            crate::effects::record_all(conn, &actor.0, change)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(case.version, &case))
}

#[utoipa::path(
    tag = "cases",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/cases/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let case = store::get(conn, &id)?;
        precondition.check(case.version)?;
        let change = store::delete(conn, &case)?;
        Ok(crate::effects::record(conn, &actor.0, change)?)
    })
    .await?;
    Ok(no_content())
}

#[utoipa::path(
    tag = "cases",
    params(("id" = String, Path, description = "The case id"), ("defender_id" = String, Path, description = "The defender id")),
    request_body = crate::cases::LinkDefender,
    responses(
        (status = OK, description = "The link existed; its role is updated", body = crate::cases::CaseDefenderLink),
        (status = CREATED, description = "Linked", body = crate::cases::CaseDefenderLink),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[put("/cases/{id}/defenders/{defender_id}")]
pub async fn link_defender(
    db: web::Data<Db>,
    actor: Actor,
    path: web::Path<(String, String)>,
    body: ApiJson<LinkDefender>,
) -> ApiResult<HttpResponse> {
    let (case_id, defender_id) = path.into_inner();
    let role = body.0.role;
    let (link, is_new) = db
        .write(move |conn| {
            let case = store::get(conn, &case_id)?;
            let defender = crate::defenders::store::find(conn, &defender_id)?
                .ok_or_else(|| crate::error::not_found("defender"))?;
            let (link, is_new, change) = store::link_defender(conn, &case, &defender, role)?;
            crate::effects::record_all(conn, &actor.0, change)?;
            Ok((link, is_new))
        })
        .await?;
    let mut response = if is_new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(link))
}

#[utoipa::path(
    tag = "cases",
    params(("id" = String, Path, description = "The case id"), ("defender_id" = String, Path, description = "The defender id")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/cases/{id}/defenders/{defender_id}")]
pub async fn unlink_defender(
    db: web::Data<Db>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (case_id, defender_id) = path.into_inner();
    db.write(move |conn| {
        let case = store::get(conn, &case_id)?;
        let defender = crate::defenders::store::find(conn, &defender_id)?
            .ok_or_else(|| crate::error::not_found("defender"))?;
        let change = store::unlink_defender(conn, &case, &defender)?;
        Ok(crate::effects::record(conn, &actor.0, change)?)
    })
    .await?;
    Ok(no_content())
}
