use crate::auth::{redact, Visibility};
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::hearings::store;
use crate::http::{parse_bound_param, ApiQuery, Page, PageRequest};
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// RFC 3339 instant or YYYY-MM-DD (the start of that day, UTC).
    #[param(schema_with = crate::domain::schema::date_or_instant)]
    from: Option<String>,
    /// RFC 3339 instant or YYYY-MM-DD (the end of that day, UTC).
    #[param(schema_with = crate::domain::schema::date_or_instant)]
    to: Option<String>,
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
    tag = "hearings",
    params(crate::api::hearings::CalendarQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::hearings::store::CalendarEntry>)
    )
)]
#[get("/hearings")]
pub async fn calendar(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    query: ApiQuery<CalendarQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<(NaiveDateTime, String)>::parse(
        q.limit.as_deref(),
        q.cursor.as_deref(),
        &mut problems,
    );
    let from = parse_bound_param("from", q.from.as_deref(), false, &mut problems);
    let to = parse_bound_param("to", q.to.as_deref(), true, &mut problems);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            problems.add("to", "must be after from");
        }
    }
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    problems.into_result()?;
    let position = page.after.clone();
    let filter = store::CalendarFilter {
        from,
        to,
        country: q.country,
        visibility: vis,
    };
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::calendar(conn, &filter, position, fetch)?))
        .await?;
    let page = Page::from_rows(rows, &page, |e| (e.at_utc, e.hearing.id.clone()));
    crate::auth::note_confidential_reads(&req, page.items.iter());
    Ok(HttpResponse::Ok().json(redact(vis, &page)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// RFC 3339 instant or YYYY-MM-DD; by default 30 days ago.
    #[param(schema_with = crate::domain::schema::date_or_instant)]
    from: Option<String>,
    /// RFC 3339 instant or YYYY-MM-DD.
    #[param(schema_with = crate::domain::schema::date_or_instant)]
    to: Option<String>,
    /// ISO 3166-1 alpha-2 code.
    #[param(value_type = Option<crate::domain::CountryCode>)]
    country: Option<String>,
}

/// The most hearings one feed carries.
const FEED_CAP: i64 = 2000;

/// The calendar as an iCalendar feed that calendar applications can subscribe to:
/// one event per hearing, at its local time in the court's time zone. By default from
/// 30 days ago on.
#[utoipa::path(
    tag = "hearings",
    params(crate::api::hearings::FeedQuery),
    responses(
        (status = OK, description = "An iCalendar (RFC 5545) feed", body = String, content_type = "text/calendar")
    )
)]
#[get("/hearings.ics")]
pub async fn feed(
    req: HttpRequest,
    db: web::Data<Db>,
    settings: web::Data<crate::http::HttpSettings>,
    vis: Visibility,
    query: ApiQuery<FeedQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let from = parse_bound_param("from", q.from.as_deref(), false, &mut problems)
        .or_else(|| Some(crate::db::now() - chrono::Duration::days(30)));
    let to = parse_bound_param("to", q.to.as_deref(), true, &mut problems);
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    problems.into_result()?;
    let filter = store::CalendarFilter {
        from,
        to,
        country: q.country,
        visibility: vis,
    };
    let rows = db
        .read(move |conn| Ok(store::calendar(conn, &filter, None, FEED_CAP)?))
        .await?;
    crate::auth::note_confidential_reads(&req, rows.iter());
    let body = crate::hearings::ical::feed(&rows, settings.base_url.trim_end_matches('/'));
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Content-Disposition", "inline; filename=\"hearings.ics\""))
        .body(body))
}
