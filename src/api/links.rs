//! The pages behind the links in emails. They need no token: the link's own secret
//! is the credential. A GET only shows a page with a button, because mail scanners
//! follow links; the POST acts (and is what RFC 8058 one-click clients send).

use crate::alerts::mail::Templates;
use crate::auth::store::AuditEntry;
use crate::db::{new_id, now, Db};
use crate::error::{ApiError, ApiResult};
use crate::subscriptions::store::{self, Unsubscribed};
use actix_web::{get, post, web, HttpRequest, HttpResponse};

fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body)
}

fn page(
    templates: &Templates,
    status: actix_web::http::StatusCode,
    title: &str,
    message: &str,
    action: Option<(&str, &str)>,
) -> ApiResult<HttpResponse> {
    let body = templates
        .page(title, message, action)
        .map_err(crate::error::internal)?;
    Ok(html(status, body))
}

fn gone(templates: &Templates) -> ApiResult<HttpResponse> {
    page(
        templates,
        actix_web::http::StatusCode::NOT_FOUND,
        "Link not valid",
        "This link is not valid any more. It may have been used already or have expired.",
        None,
    )
}

/// The page after following a link: `title` on success, "not valid" for an unknown,
/// used or expired one.
fn outcome<T>(
    templates: &Templates,
    result: ApiResult<T>,
    title: &str,
    message: &str,
) -> ApiResult<HttpResponse> {
    match result {
        Ok(_) => page(
            templates,
            actix_web::http::StatusCode::OK,
            title,
            message,
            None,
        ),
        Err(ApiError::NotFound(_)) => gone(templates),
        Err(other) => Err(other),
    }
}

fn client_ip(req: &HttpRequest) -> Option<String> {
    req.connection_info()
        .realip_remote_addr()
        .map(str::to_string)
}

fn audit(client_ip: Option<String>, actor: String, action: &str, resource: String) -> AuditEntry {
    AuditEntry {
        id: new_id(),
        at: now(),
        actor,
        token_id: None,
        role: None,
        action: action.into(),
        resource: Some(resource),
        status: 200,
        client_ip,
    }
}

#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from the confirmation email")),
    security(()),
    responses(
        (status = OK, description = "A page with a button that confirms", body = String, content_type = "text/html"),
        (status = NOT_FOUND, description = "The link is unknown, used or expired", body = String, content_type = "text/html")
    )
)]
#[get("/confirm/{token}")]
pub async fn confirm_page(
    templates: web::Data<Templates>,
    db: web::Data<Db>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let action = format!("/confirm/{token}");
    let valid = db
        .read(move |conn| Ok(store::confirmation_pending(conn, &token)?))
        .await?;
    if !valid {
        return gone(&templates);
    }
    page(
        &templates,
        actix_web::http::StatusCode::OK,
        "Confirm your address",
        "Press the button to receive case alerts at this address.",
        Some((&action, "Confirm")),
    )
}

#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from the confirmation email")),
    security(()),
    responses(
        (status = OK, description = "Confirmed", body = String, content_type = "text/html"),
        (status = NOT_FOUND, description = "The link is unknown, used or expired", body = String, content_type = "text/html")
    )
)]
#[post("/confirm/{token}")]
pub async fn confirm(
    req: HttpRequest,
    templates: web::Data<Templates>,
    db: web::Data<Db>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let ip = client_ip(&req);
    let result = db
        .write(move |conn| {
            let subscriber = store::confirm(conn, &token)?;
            crate::auth::chain::append(
                conn,
                &[audit(
                    ip,
                    format!("subscriber {}", subscriber.id),
                    "POST /confirm",
                    format!("subscriber {}", subscriber.id),
                )],
            )?;
            Ok(subscriber)
        })
        .await;
    outcome(
        &templates,
        result,
        "Address confirmed",
        "Thank you. Alerts about the cases you follow will be sent to this address.",
    )
}

#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from an alert email")),
    security(()),
    responses(
        (status = OK, description = "A page with a button that unsubscribes", body = String, content_type = "text/html"),
        (status = NOT_FOUND, description = "The link is unknown", body = String, content_type = "text/html")
    )
)]
#[get("/unsubscribe/{token}")]
pub async fn unsubscribe_page(
    templates: web::Data<Templates>,
    db: web::Data<Db>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let action = format!("/unsubscribe/{token}");
    match db
        .read(move |conn| {
            Ok(match store::unsubscribe_target(conn, &token)? {
                Some((scope, target)) => {
                    crate::alerts::mail::describe_target(conn, &scope, &target)?
                }
                None => "every case you follow".into(),
            })
        })
        .await
    {
        Ok(what) => page(
            &templates,
            actix_web::http::StatusCode::OK,
            "Unsubscribe",
            &format!("Stop the alerts sent because {what}?"),
            Some((&action, "Unsubscribe")),
        ),
        Err(ApiError::NotFound(_)) => gone(&templates),
        Err(other) => Err(other),
    }
}

/// One-click unsubscribe (RFC 8058): the mail client POSTs
/// `List-Unsubscribe=One-Click`; a browser posts the page's form. Either ends it.
#[utoipa::path(
    tag = "subscriptions",
    params(("token" = String, Path, description = "The token from an alert email")),
    security(()),
    responses(
        (status = OK, description = "Unsubscribed (also when it was already)", body = String, content_type = "text/html"),
        (status = NOT_FOUND, description = "The link is unknown", body = String, content_type = "text/html")
    )
)]
#[post("/unsubscribe/{token}")]
pub async fn unsubscribe(
    req: HttpRequest,
    templates: web::Data<Templates>,
    db: web::Data<Db>,
    token: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let token = token.into_inner();
    let ip = client_ip(&req);
    let result = db
        .write(move |conn| {
            let done = store::unsubscribe(conn, &token)?;
            let resource = match &done {
                Unsubscribed::One(view) => format!("subscription {}", view.id),
                Unsubscribed::All(subscriber) => format!("subscriber {}", subscriber.id),
            };
            let actor = match &done {
                Unsubscribed::One(view) => format!("subscriber {}", view.subscriber.id),
                Unsubscribed::All(subscriber) => format!("subscriber {}", subscriber.id),
            };
            crate::auth::chain::append(conn, &[audit(ip, actor, "POST /unsubscribe", resource)])?;
            Ok(done)
        })
        .await;
    outcome(
        &templates,
        result,
        "Unsubscribed",
        "You will receive no more of these alerts.",
    )
}
