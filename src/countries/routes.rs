use super::store;
use crate::db::Db;
use crate::error::{not_found, ApiResult};
use crate::http::{ApiQuery, Page, PageRequest};
use actix_web::{get, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountryQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[get("/countries")]
pub async fn list(db: web::Data<Db>, query: ApiQuery<CountryQuery>) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), 1, &mut problems);
    problems.into_result()?;
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| store::list(conn, after.as_deref(), fetch))
        .await?;
    let page = Page::from_rows(rows, &page, |c| vec![c.code.clone()]);
    Ok(HttpResponse::Ok().json(page))
}

#[get("/countries/{code}")]
pub async fn get(db: web::Data<Db>, code: web::Path<String>) -> ApiResult<HttpResponse> {
    let code = code.into_inner();
    let country = db
        .read(move |conn| store::get(conn, &code))
        .await?
        .ok_or_else(|| not_found("country"))?;
    Ok(HttpResponse::Ok().json(country))
}
