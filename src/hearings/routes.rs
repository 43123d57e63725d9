use super::{store, CreateHearing, HearingView, UpdateHearing};
use crate::auth::{note_confidential_read, redact, Visibility};
use crate::db::Db;
use crate::domain::check_country;
use crate::error::ApiResult;
use crate::http::{
    created, no_content, ok_versioned, Actor, ApiJson, ApiQuery, IfMatch, Page, PageQuery,
    PageRequest, Problems,
};
use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Deserialize;

const KEY_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6f";

fn time_key(at: &NaiveDateTime, id: &str) -> Vec<String> {
    vec![at.format(KEY_FORMAT).to_string(), id.to_string()]
}

/// The (scheduled_at, id) position a cursor carries.
fn after(page: &PageRequest) -> ApiResult<Option<(NaiveDateTime, String)>> {
    let Some(keys) = &page.after else {
        return Ok(None);
    };
    let at = NaiveDateTime::parse_from_str(&keys[0], KEY_FORMAT)
        .map_err(|_| crate::error::invalid("cursor", "is not a cursor returned by this list"))?;
    Ok(Some((at, keys[1].clone())))
}

#[utoipa::path(
    tag = "hearings",
    params(("id" = String, Path, description = "The trial id"), crate::http::PageQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::hearings::HearingView>)
    )
)]
#[get("/trials/{id}/hearings")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<PageQuery>,
) -> ApiResult<HttpResponse> {
    let trial_id = id.into_inner();
    let page = query.page(2)?;
    let position = after(&page)?;
    let fetch = page.fetch();
    let (rows, reads) = db
        .read(move |conn| {
            let trial = crate::trials::store::get(conn, &trial_id)?;
            let reads =
                crate::cases::store::require_visible(conn, &trial.case_id, None, vis, "trial")?;
            Ok((store::page(conn, &trial_id, position, fetch)?, reads))
        })
        .await?;
    note_confidential_read(&req, reads);
    let page = Page::from_rows(rows, &page, |h| time_key(&h.scheduled_at, &h.id));
    Ok(HttpResponse::Ok().json(redact(vis, &page.map(HearingView::from))))
}

#[utoipa::path(
    tag = "hearings",
    params(("id" = String, Path, description = "The trial id")),
    request_body = crate::hearings::CreateHearing,
    responses(
        (status = CREATED, description = "Created", body = crate::hearings::HearingView)
    )
)]
#[post("/trials/{id}/hearings")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<CreateHearing>,
) -> ApiResult<HttpResponse> {
    let trial_id = id.into_inner();
    let input = body.0;
    let hearing = db
        .write(move |conn| {
            let trial = crate::trials::store::get(conn, &trial_id)?;
            store::insert(conn, &actor.0, input.into_new(&trial)?)
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/hearings/{}", hearing.id),
        hearing.version,
        &hearing,
    ))
}

#[utoipa::path(
    tag = "hearings",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::hearings::HearingView)
    )
)]
#[get("/hearings/{id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let (hearing, reads) = db
        .read(move |conn| {
            let hearing = store::get(conn, &id)?;
            let reads =
                crate::cases::store::require_visible(conn, &hearing.case_id, None, vis, "hearing")?;
            Ok((HearingView::from(hearing), reads))
        })
        .await?;
    note_confidential_read(&req, reads);
    Ok(ok_versioned(hearing.version, &redact(vis, &hearing)))
}

#[utoipa::path(
    tag = "hearings",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    request_body = crate::hearings::UpdateHearing,
    responses(
        (status = OK, description = "OK", body = crate::hearings::HearingView),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/hearings/{id}")]
pub async fn update(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
    body: ApiJson<UpdateHearing>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let patch = body.0;
    let hearing = db
        .write(move |conn| {
            let current = store::get(conn, &id)?;
            precondition.check(current.version)?;
            if let Some(trial_id) = &patch.trial_id {
                store::check_trial(conn, &current, trial_id)?;
            }
            let next = patch.apply(&current)?;
            store::update(conn, &actor.0, &current, &next)
        })
        .await?;
    Ok(ok_versioned(hearing.version, &hearing))
}

#[utoipa::path(
    tag = "hearings",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done"),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[delete("/hearings/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    actor: Actor,
    id: web::Path<String>,
    precondition: IfMatch,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    db.write(move |conn| {
        let hearing = store::get(conn, &id)?;
        precondition.check(hearing.version)?;
        store::delete(conn, &actor.0, &hearing)
    })
    .await?;
    Ok(no_content())
}

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

/// A bound of the calendar: an RFC 3339 instant, or a date (from: its start, to: its
/// end, both in UTC).
fn bound(
    name: &str,
    value: Option<&str>,
    end_of_day: bool,
    problems: &mut Problems,
) -> Option<NaiveDateTime> {
    let at = crate::domain::timestamp::bound(value?, end_of_day);
    if at.is_none() {
        problems.add(name, crate::domain::timestamp::BOUND_RULE);
    }
    at
}

#[utoipa::path(
    tag = "hearings",
    params(crate::hearings::routes::CalendarQuery),
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
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), 2, &mut problems);
    let from = bound("from", q.from.as_deref(), false, &mut problems);
    let to = bound("to", q.to.as_deref(), true, &mut problems);
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            problems.add("to", "must be after from");
        }
    }
    if let Some(country) = &q.country {
        check_country("country", country, &mut problems);
    }
    problems.into_result()?;
    let position = after(&page)?;
    let filter = store::CalendarFilter {
        from,
        to,
        country: q.country,
        visibility: vis,
    };
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| store::calendar(conn, &filter, position, fetch))
        .await?;
    let page = Page::from_rows(rows, &page, |e| time_key(&e.at_utc, &e.hearing.id));
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
    params(crate::hearings::routes::FeedQuery),
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
    let from = bound("from", q.from.as_deref(), false, &mut problems)
        .or_else(|| Some(crate::db::now() - chrono::Duration::days(30)));
    let to = bound("to", q.to.as_deref(), true, &mut problems);
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
        .read(move |conn| store::calendar(conn, &filter, None, FEED_CAP))
        .await?;
    crate::auth::note_confidential_reads(&req, rows.iter());
    let body = super::ical::feed(&rows, settings.base_url.trim_end_matches('/'));
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Content-Disposition", "inline; filename=\"hearings.ics\""))
        .body(body))
}
