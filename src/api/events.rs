use crate::auth::Actor;
use crate::auth::{redact, Visibility};
use crate::db::Db;
use crate::error::ApiResult;
use crate::events::store::{self, EventFilter, EventKey, Order, Scope};
use crate::events::LogEvent;
use crate::http::{ApiJson, ApiQuery, HttpSettings, Page, PageRequest, Problems};
use actix_web::{get, http::header, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EventQuery {
    /// Only events of these kinds (comma-separated).
    #[param(schema_with = crate::domain::schema::event_kinds)]
    kind: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD: from the start of that period.
    #[param(schema_with = crate::domain::schema::approximate_date)]
    since: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD: to the end of that period.
    #[param(schema_with = crate::domain::schema::approximate_date)]
    until: Option<String>,
    /// `asc` (oldest first, the default) or `desc`.
    #[param(schema_with = crate::domain::schema::order)]
    order: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

/// `since`/`until` take `YYYY`, `YYYY-MM` or `YYYY-MM-DD`: since is the start of that
/// period, until its end.
fn period_bound(
    name: &str,
    value: Option<&str>,
    end: bool,
    problems: &mut Problems,
) -> Option<NaiveDate> {
    let text = value?;
    match crate::events::ApproximateDate::parse(text) {
        Some(date) => Some(if end { date.end() } else { date.start() }),
        None => {
            problems.add(
                name,
                "must be a real date as YYYY, YYYY-MM or YYYY-MM-DD, between 1900 and 2100",
            );
            None
        }
    }
}

/// A kind a history holds: one researchers log, or one of the service's change records.
fn is_timeline_kind(kind: &str) -> bool {
    crate::vocabulary::EventKind::parse(kind).is_some()
        || crate::vocabulary::ChangeKind::parse(kind).is_some()
}

/// The parsed query of a history.
struct HistoryQuery {
    filter: EventFilter,
    order: Order,
    page: PageRequest<EventKey>,
}

fn parse_history_query(query: ApiQuery<EventQuery>) -> ApiResult<HistoryQuery> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
    let since = period_bound("since", q.since.as_deref(), false, &mut problems);
    let until = period_bound("until", q.until.as_deref(), true, &mut problems);
    if let (Some(s), Some(u)) = (since, until) {
        if u < s {
            problems.add("until", "must not be before since");
        }
    }
    let order = match q.order.as_deref() {
        None | Some("asc") => Order::OldestFirst,
        Some("desc") => Order::NewestFirst,
        Some(_) => {
            problems.add("order", "must be asc (oldest first) or desc (newest first)");
            Order::OldestFirst
        }
    };
    let kinds: Vec<String> = q
        .kind
        .as_deref()
        .map(|k| k.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    if kinds.len() > 20 {
        problems.add("kind", "must be at most 20 comma-separated kinds");
    } else if let Some(unknown) = kinds.iter().find(|k| !is_timeline_kind(k)) {
        problems.add(
            "kind",
            format!(
                "{unknown:?} is not a kind of event; kinds are: {}, {}",
                crate::vocabulary::EventKind::expected(),
                crate::vocabulary::ChangeKind::expected()
            ),
        );
    }
    problems.into_result()?;
    Ok(HistoryQuery {
        filter: EventFilter {
            public: false,
            hidden_defenders: Vec::new(),
            kinds,
            since,
            until,
        },
        order,
        page,
    })
}

async fn history(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    scope: Scope,
    q: ApiQuery<EventQuery>,
) -> ApiResult<HttpResponse> {
    let HistoryQuery {
        mut filter,
        order,
        page,
    } = parse_history_query(q)?;
    let after = page.after.clone();
    let fetch = page.fetch();
    // The row past the page only tells whether another page follows: it is not read.
    let shown = usize::try_from(page.limit).unwrap_or(usize::MAX);
    let (rows, mut reads) = db
        .read(move |conn| {
            let mut reads = match &scope {
                Scope::Case(id) => crate::auth::Confidential::confidential_refs(
                    &crate::cases::store::visible(conn, id, vis)?,
                ),
                Scope::Defender(id) => crate::auth::Confidential::confidential_refs(
                    &crate::defenders::store::visible(conn, id, vis)?,
                ),
            };
            if vis.is_public() {
                filter.public = true;
                filter.hidden_defenders = match &scope {
                    Scope::Case(id) => crate::records::hidden_defenders(conn, id)?,
                    Scope::Defender(id) => crate::defenders::store::hidden_alongside(conn, id)?,
                };
            }
            let rows = store::page(conn, &scope, &filter, order, after, fetch)?;
            // Across cases, the confidential cases the events belong to are read too.
            if let (Scope::Defender(_), false) = (&scope, vis.is_public()) {
                let cases: Vec<&str> = rows
                    .iter()
                    .take(shown)
                    .map(|e| e.case_id.as_str())
                    .collect();
                reads.extend(crate::cases::store::confidential_among(conn, &cases)?);
            }
            Ok((rows, reads))
        })
        .await?;
    reads.extend(
        rows.iter()
            .take(shown)
            .flat_map(crate::auth::Confidential::confidential_refs),
    );
    crate::auth::note_confidential_read(&req, reads);
    let page = Page::from_rows(rows, &page, |e| {
        (e.occurred_start, e.recorded_at, e.id.clone())
    });
    // Change records carry old and new values, staff-only fields among them.
    Ok(HttpResponse::Ok().json(redact(vis, &page)))
}

/// The case's history: logged events and change records, oldest first by default.
#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "The case id"), crate::api::events::EventQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::events::Event>)
    )
)]
#[get("/cases/{id}/events")]
pub async fn list(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<EventQuery>,
) -> ApiResult<HttpResponse> {
    history(req, db, vis, Scope::Case(id.into_inner()), query).await
}

/// The history of every case a defender is in.
#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "The defender id"), crate::api::events::EventQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::events::Event>)
    )
)]
#[get("/defenders/{id}/events")]
pub async fn for_defender(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    id: web::Path<String>,
    query: ApiQuery<EventQuery>,
) -> ApiResult<HttpResponse> {
    history(req, db, vis, Scope::Defender(id.into_inner()), query).await
}

#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "The case id"), ("event_id" = String, Path, description = "The event id")),
    responses(
        (status = OK, description = "OK", body = crate::events::Event)
    )
)]
#[get("/cases/{id}/events/{event_id}")]
pub async fn get(
    req: HttpRequest,
    db: web::Data<Db>,
    vis: Visibility,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (case_id, event_id) = path.into_inner();
    let (event, case) = db
        .read(move |conn| {
            let case = crate::cases::store::visible(conn, &case_id, vis)?;
            let event = store::get(conn, &case_id, &event_id)?;
            if vis.is_public() {
                let hidden = crate::records::hidden_defenders(conn, &case_id)?;
                let named = crate::domain::from_json_list(&event.defender_ids);
                if event.confidential || named.iter().any(|d| hidden.contains(d)) {
                    return Err(crate::error::not_found("event"));
                }
            }
            Ok((event, case))
        })
        .await?;
    crate::auth::note_confidential_reads(&req, [&case]);
    crate::auth::note_confidential_reads(&req, [&event]);
    Ok(HttpResponse::Ok().json(redact(vis, &event)))
}

/// Logs something that happened in the case. Events are never edited: a correction
/// is a new event.
#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "The case id")),
    request_body = crate::events::LogEvent,
    responses(
        (status = CREATED, description = "Logged", body = crate::events::Event)
    )
)]
#[post("/cases/{id}/events")]
pub async fn create(
    db: web::Data<Db>,
    settings: web::Data<HttpSettings>,
    actor: Actor,
    id: web::Path<String>,
    body: ApiJson<LogEvent>,
) -> ApiResult<HttpResponse> {
    let case_id = id.into_inner();
    let input = body.0;
    let event = db
        .write(move |conn| {
            let new = store::log(conn, &case_id, &actor.0, input)?;
            crate::effects::logged(conn, &new)?;
            Ok(crate::events::Event::from(new))
        })
        .await?;
    let location = format!(
        "{}/api/v1/cases/{}/events/{}",
        settings.base_url.trim_end_matches('/'),
        event.case_id,
        event.id
    );
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(event))
}
