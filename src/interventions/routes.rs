use super::{store, CreateIntervention, UpdateIntervention};
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, parse_vocab_param, Actor, ApiJson, ApiQuery, IfMatch, Page,
    PageRequest,
};
use crate::vocabulary::InterventionType;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InterventionQuery {
    country: Option<String>,
    #[serde(rename = "type")]
    intervention_type: Option<String>,
    case: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[get("/interventions")]
pub async fn list(
    db: web::Data<Db>,
    vis: crate::auth::Visibility,
    query: ApiQuery<InterventionQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), 1, &mut problems);
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
        intervention_type: kind.map(|k| k.as_str().to_string()),
        case_id: q.case,
        visibility: vis,
    };
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| store::list(conn, &filter, after.as_deref(), fetch))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |i| vec![i.id.clone()])))
}

#[post("/interventions")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    body: ApiJson<CreateIntervention>,
) -> ApiResult<HttpResponse> {
    let new = body.0.into_new()?;
    let intervention = db.write(move |conn| store::insert(conn, new)).await?;
    Ok(created(
        &req,
        &format!("/api/v1/interventions/{}", intervention.id),
        intervention.version,
        &intervention,
    ))
}

#[get("/interventions/{id}")]
pub async fn get(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let intervention = db.read(move |conn| store::get(conn, &id)).await?;
    Ok(ok_versioned(intervention.version, &intervention))
}

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
        store::delete(conn, &actor.0, &intervention)
    })
    .await?;
    Ok(no_content())
}

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
            let is_new = store::link_case(conn, &actor.0, &intervention, &case)?;
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
        store::unlink_case(conn, &actor.0, &intervention, &case)
    })
    .await?;
    Ok(no_content())
}
