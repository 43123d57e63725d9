//! The HTTP API: one module of handlers per resource, each thin: it parses the
//! request, calls the data layer inside one transaction, hands the change records a
//! write returns to `effects`, and answers. Nothing below this module speaks HTTP
//! routes.

pub mod alerts;
pub mod auth;
pub mod cases;
pub mod countries;
pub mod defenders;
pub mod events;
pub mod hearings;
pub mod interventions;
pub mod links;
pub mod records;
pub mod service;
pub mod subscriptions;

use utoipa_actix_web::service_config::ServiceConfig;

/// The routes outside /api/v1: health, readiness, and the links in alert emails.
pub fn public_routes(cfg: &mut ServiceConfig) {
    cfg.service(service::health)
        .service(service::ready)
        .service(links::confirm_page)
        .service(links::confirm)
        .service(links::unsubscribe_page)
        .service(links::unsubscribe);
}

/// Every /api/v1 route. Each handler carries its OpenAPI description, which
/// `utoipa_actix_web` collects from here: a route without one does not compile.
pub fn api_routes(cfg: &mut ServiceConfig) {
    cfg.service(auth::create)
        .service(auth::list)
        .service(auth::revoke)
        .service(auth::audit)
        .service(countries::list)
        .service(countries::get)
        .service(defenders::list)
        .service(defenders::create)
        .service(defenders::get)
        .service(defenders::update)
        .service(defenders::delete)
        .service(defenders::cases)
        .service(cases::list)
        .service(cases::create)
        .service(cases::get)
        .service(cases::update)
        .service(cases::delete)
        .service(cases::link_defender)
        .service(cases::unlink_defender)
        .service(records::Routes::<crate::charges::Charge>::new())
        .service(records::Routes::<crate::trials::Trial>::new())
        .service(hearings::calendar)
        .service(hearings::feed)
        .service(records::Routes::<crate::hearings::Hearing>::new())
        .service(records::Routes::<crate::sentences::Sentence>::new())
        .service(interventions::list)
        .service(interventions::create)
        .service(interventions::get)
        .service(interventions::update)
        .service(interventions::delete)
        .service(interventions::link_case)
        .service(interventions::unlink_case)
        .service(events::list)
        .service(events::create)
        .service(events::get)
        .service(events::for_defender)
        .service(subscriptions::list)
        .service(subscriptions::create)
        .service(subscriptions::get)
        .service(subscriptions::delete)
        .service(alerts::list)
        .service(alerts::retry);
}
