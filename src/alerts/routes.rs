use super::store;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{parse_vocab_param, ApiQuery, Page, PageRequest};
use crate::vocabulary::AlertStatus;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    status: Option<String>,
    subscriber: Option<String>,
    case: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// The delivery log: every alert with its status, attempts and last error.
#[get("/alerts")]
pub async fn list(db: web::Data<Db>, query: ApiQuery<AlertQuery>) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), 1, &mut problems);
    let status = parse_vocab_param(
        "status",
        q.status.as_deref(),
        AlertStatus::parse,
        AlertStatus::expected,
        &mut problems,
    );
    problems.into_result()?;
    let filter = store::Filter {
        status,
        subscriber_id: q.subscriber,
        case_id: q.case,
    };
    let after = page.after.as_ref().map(|k| k[0].clone());
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| store::list(conn, &filter, after.as_deref(), fetch))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |a| vec![a.id.clone()])))
}

/// Queues a failed alert again, due now, with a fresh set of attempts.
#[post("/alerts/{id}/retry")]
pub async fn retry(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let alert = db.write(move |conn| store::retry(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(alert))
}
