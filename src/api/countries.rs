use crate::countries::store;
use crate::db::Db;
use crate::error::{not_found, ApiResult};
use crate::http::{ApiQuery, Page, PageRequest};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CountryQuery {
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

#[utoipa::path(
    tag = "countries",
    params(crate::api::countries::CountryQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::countries::Country>)
    )
)]
#[get("/countries")]
pub async fn list(db: web::Data<Db>, query: ApiQuery<CountryQuery>) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
    problems.into_result()?;
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, after.as_deref(), fetch)?))
        .await?;
    let page = Page::from_rows(rows, &page, |c| c.code.clone());
    Ok(HttpResponse::Ok().json(page))
}

#[utoipa::path(
    tag = "countries",
    params(("code" = String, Path, description = "ISO 3166-1 alpha-2 code")),
    responses(
        (status = OK, description = "OK", body = crate::countries::Country)
    )
)]
#[get("/countries/{code}")]
pub async fn get(db: web::Data<Db>, code: web::Path<String>) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let country = db
        .read(move |conn| Ok(store::get(conn, &code)?))
        .await?
        .ok_or_else(|| not_found("country"))?;
    Ok(HttpResponse::Ok().json(country))
}
