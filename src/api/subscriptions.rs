use crate::auth::Principal;
use crate::configuration::AlertSettings;
use crate::db::Db;
use crate::error::{invalid, not_found, ApiResult};
use crate::http::{
    created, no_content, ok_versioned, ApiJson, ApiQuery, IfMatch, Page, PageRequest,
};
use crate::subscriptions::{store, CreateSubscription, Target};
use crate::vocabulary::Role;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionQuery {
    /// A subscriber id (staff only; a partner sees its own).
    subscriber: Option<String>,
    /// Subscriptions to this case id.
    case: Option<String>,
    /// How many items, 1 to 200 (default 50).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 200)]
    limit: Option<String>,
    #[param(schema_with = crate::domain::schema::cursor)]
    cursor: Option<String>,
}

/// Partners see and manage only their own subscriber's subscriptions.
fn own_subscriber(principal: &Principal) -> Option<String> {
    match principal.role {
        Role::Partner => Some(principal.subscriber_id.clone().unwrap_or_default()),
        _ => None,
    }
}

#[utoipa::path(
    tag = "subscriptions",
    params(crate::api::subscriptions::SubscriptionQuery),
    responses(
        (status = OK, description = "OK", body = crate::http::Page<crate::subscriptions::SubscriptionView>)
    )
)]
#[get("/subscriptions")]
pub async fn list(
    db: web::Data<Db>,
    principal: Principal,
    query: ApiQuery<SubscriptionQuery>,
) -> ApiResult<HttpResponse> {
    let ApiQuery(q, mut problems) = query;
    let page = PageRequest::<String>::parse(q.limit.as_deref(), q.cursor.as_deref(), &mut problems);
    problems.into_result()?;
    let filter = store::Filter {
        subscriber_id: own_subscriber(&principal).or(q.subscriber),
        case_id: q.case,
        visibility: principal.visibility(),
    };
    let after = page.after.clone();
    let fetch = page.fetch();
    let rows = db
        .read(move |conn| Ok(store::list(conn, &filter, after.as_deref(), fetch)?))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, &page, |s| s.id.clone())))
}

/// Whose address a new subscription is for.
enum Who {
    /// A partner's own subscriber (its id).
    Own(String),
    /// The subscriber staff named.
    Named(crate::auth::NewSubscriber),
}

/// Follows a case, a country or a subject. A new address first gets a confirmation
/// email; no alert goes to it until it is confirmed.
#[utoipa::path(
    tag = "subscriptions",
    request_body = crate::subscriptions::CreateSubscription,
    responses(
        (status = CREATED, description = "Created", body = crate::subscriptions::SubscriptionView),
        (status = CONFLICT, description = "Conflicts with the current state", body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/subscriptions")]
pub async fn create(
    req: HttpRequest,
    db: web::Data<Db>,
    alerts: web::Data<AlertSettings>,
    principal: Principal,
    body: ApiJson<CreateSubscription>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    // Validation has checked that exactly one target is given.
    let target = body.target().ok_or_else(|| {
        invalid(
            "case_id",
            "give exactly one of case_id, country and subject",
        )
    })?;
    let who = match (own_subscriber(&principal), body.subscriber) {
        (Some(own), None) => Who::Own(own),
        (None, Some(named)) => Who::Named(named),
        (Some(_), Some(_)) => {
            return Err(invalid(
                "subscriber",
                "a partner subscribes its own address: leave this out",
            ))
        }
        (None, None) => return Err(invalid("subscriber", "is required")),
    };
    // A partner subscribing itself sees what partners see.
    let visibility = match who {
        Who::Own(_) => crate::audience::Visibility::Public,
        Who::Named(_) => crate::audience::Visibility::Staff,
    };
    let hours = alerts.confirmation_valid_hours;
    let actor = principal.name.clone();
    let delivery = body.delivery;
    let view = db
        .write(move |conn| {
            if let Target::Case(case_id) = &target {
                store::check_case(conn, case_id, visibility)?;
            }
            let subscriber = match &who {
                Who::Own(own) => store::subscriber(conn, own)?,
                Who::Named(named) => store::find_or_create_subscriber(conn, named)?,
            };
            let (view, confirm) =
                store::create(conn, &subscriber, &target, delivery, &actor, hours)?;
            if confirm {
                crate::effects::confirmation_requested(conn, &subscriber.id)?;
            }
            Ok(view)
        })
        .await?;
    Ok(created(
        &req,
        &format!("/api/v1/subscriptions/{}", view.id),
        view.version,
        &view,
    ))
}

#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path)),
    responses(
        (status = OK, description = "OK", body = crate::subscriptions::SubscriptionView)
    )
)]
#[get("/subscriptions/{id}")]
pub async fn get(
    db: web::Data<Db>,
    principal: Principal,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let own = own_subscriber(&principal);
    let visibility = principal.visibility();
    let view = db
        .read(move |conn| Ok(store::view(conn, &id, visibility)?))
        .await?;
    if own.is_some_and(|s| s != view.subscriber.id) {
        return Err(not_found("subscription"));
    }
    Ok(ok_versioned(view.version, &view))
}

/// Ends a subscription; alerts it had not sent yet are not sent.
#[utoipa::path(
    tag = "subscriptions",
    params(("id" = String, Path), ("If-Match" = String, Header, description = "The ETag of the version being changed (or `*`)")),
    responses(
        (status = NO_CONTENT, description = "Done")
    )
)]
#[delete("/subscriptions/{id}")]
pub async fn delete(
    db: web::Data<Db>,
    principal: Principal,
    precondition: IfMatch,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let own = own_subscriber(&principal);
    let visibility = principal.visibility();
    let by = principal.name.clone();
    db.write(move |conn| {
        let subscription = store::get(conn, &id, visibility)?;
        if own.is_some_and(|s| s != subscription.subscriber_id) {
            return Err(not_found("subscription"));
        }
        precondition.check(subscription.version)?;
        Ok(store::cancel(conn, &subscription, &by)?)
    })
    .await?;
    Ok(no_content())
}
