use crate::alerts::store;
use crate::db::Db;
use crate::error::ApiResult;
use crate::http::{parse_vocab_param, ApiQuery, Page, PageRequest};
use crate::vocabulary::AlertStatus;
use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertQuery {
    #[param(value_type = Option<crate::vocabulary::AlertStatus>)]
    status: Option<String>,
    /// A subscriber id.
    subscriber: Option<String>,
    /// A case id.
    case: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

/// The delivery log: every alert with its status, attempts and last error.
#[utoipa::path(
    tag = "alerts",
    params(crate::api::alerts::AlertQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::alerts::Alert>)
    )
)]
#[get("/alerts")]
pub async fn list(db: web::Data<Db>, query: ApiQuery<AlertQuery>) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
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
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, &filter, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |a| a.id.clone())))
}

/// Queues a failed alert again, due now, with a fresh set of attempts.
#[utoipa::path(
    tag = "alerts",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::alerts::Alert),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/alerts/{id}/retry")]
pub async fn retry(db: web::Data<Db>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let alert = db.write(move |conn| Ok(store::retry(conn, &id)?)).await?;
    Ok(HttpResponse::Ok().json(alert))
}
