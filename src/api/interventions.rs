use crate::auth::Actor;
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, parse_vocab_param, ApiJson, ApiQuery, IfMatch, Page,
    PageRequest,
};
use crate::interventions::{store, CreateIntervention, UpdateIntervention};
use crate::vocabulary::InterventionType;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InterventionQuery {
    /// ISO 3166-1 alpha-2 code.
    #[param(value_type = Option<crate::domain::CountryCode>)]
    country: Option<String>,
    #[serde(rename = "type")]
    #[param(value_type = Option<crate::vocabulary::InterventionType>)]
    intervention_type: Option<String>,
    /// Interventions covering this case id.
    case: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

#[utoipa::path(
    tag = "interventions",
    params(crate::api::interventions::InterventionQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::interventions::Intervention>)
    )
)]
#[get("/interventions")]
pub async fn list(
    db: web::Data<Db>,
    vis: crate::auth::Visibility,
    query: ApiQuery<InterventionQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    let kind = parse_vocab_param(
        "type",
        q.intervention_type.as_deref(),
        InterventionType::parse,
        InterventionType::expected,
        &mut problems,
    );
    problems.into_result()?;
    let filter = store::InterventionFilter {
        country: q.country,
        intervention_type: kind,
        case_id: q.case,
        visibility: vis,
    };
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, &filter, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |i| i.id.clone())))
}

#[utoipa::path(
    tag = "interventions",
    request_body = crate::interventions::CreateIntervention,
    responses(
        (status = CREATED, description = "Created", body = crate::interventions::Intervention),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/interventions")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    body: ApiJson<CreateIntervention>,
) -> ApiResult<HttpResponse> {
    let new = body.0.into_new()?;
    let intervention = db.write(move |conn| Ok(store::insert(conn, new)?)).await?;
    Ok(created(
        &req,
        &format!("/api/v1/interventions/{}", intervention.id),
        intervention.version,
        &intervention,
    ))
}

#[utoipa::path(
    tag = "interventions",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::interventions::Intervention)
    )
)]
#[get("/interventions/{id}")]
pub async fn get(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let intervention = db.read(move |conn| Ok(store::get(conn, &id)?)).await?;
    Ok(ok_versioned(intervention.version, &intervention))
}

#[utoipa::path(
    tag = "interventions",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::interventions::UpdateIntervention,
    responses(
        (status = OK, description = "OK", body = crate::interventions::Intervention),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/interventions/{id}")]
pub async fn update(
    db: web::Data<Db>,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateIntervention>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let intervention = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            let next = patch.apply(&current)?;
            store::update(conn, &current, &next)?;
            Ok(next)
        })
        .await?;
    Ok(ok_versioned(intervention.version, &intervention))
}

#[utoipa::path(
    tag = "interventions",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/interventions/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let intervention = store::get(conn, &id)?;
        precondition.check(intervention.version)?;
        let changes = store::delete(conn, &intervention)?;
        Ok(crate::effects::record_all(conn, &actor.0, changes)?)
    })
    .await?;
    Ok(no_content())
}

#[utoipa::path(
    tag = "interventions",
    params(("id" = String, Path, description = "The intervention id"), ("case_id" = String, Path, description = "The case id")),
    responses(
        (status = OK, description = "Already linked", body = crate::interventions::Intervention),
        (status = CREATED, description = "Linked", body = crate::interventions::Intervention),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[put("/interventions/{id}/cases/{case_id}")]
pub async fn link_case(
    db: web::Data<Db>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, case_id) = path.into_inner();
    let (intervention, is_new) = db
        .write(move |conn| {
            let intervention = store::get(conn, &id)?;
            let case = crate::cases::store::get(conn, &case_id)?;
            let change = store::link_case(conn, &intervention, &case.id)?;
            let is_new = change.is_some();
            crate::effects::record_all(conn, &actor.0, change)?;
            Ok((intervention, is_new))
        })
        .await?;
    let mut response = if is_new {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(intervention))
}

#[utoipa::path(
    tag = "interventions",
    params(("id" = String, Path, description = "The intervention id"), ("case_id" = String, Path, description = "The case id")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/interventions/{id}/cases/{case_id}")]
pub async fn unlink_case(
    db: web::Data<Db>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (id, case_id) = path.into_inner();
    db.write(move |conn| {
        let intervention = store::get(conn, &id)?;
        let case = crate::cases::store::get(conn, &case_id)?;
        let change = store::unlink_case(conn, &intervention, &case.id)?;
        Ok(crate::effects::record(conn, &actor.0, change)?)
    })
    .await?;
    Ok(no_content())
}
