//! Subscriptions: who follows which case, country or subject, and how they confirm
//! their address and leave again.

pub mod store;

use crate::auth::NewSubscriber;
use crate::vocabulary::Delivery;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::subscribers)]
pub struct Subscriber {
    pub id: String,
    pub name: String,
    pub organisation: Option<String>,
    pub email: String,
    pub created_at: NaiveDateTime,
    pub confirmed_at: Option<NaiveDateTime>,
    pub confirmation_token: Option<String>,
    pub confirmation_expires_at: Option<NaiveDateTime>,
    pub unsubscribe_token: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::subscriptions)]
pub struct Subscription {
    pub id: String,
    pub subscriber_id: String,
    pub scope: String,
    pub target: String,
    pub delivery: String,
    pub unsubscribe_token: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = crate::schema::subscriptions)]
pub struct NewSubscription {
    pub id: String,
    pub subscriber_id: String,
    pub scope: String,
    pub target: String,
    pub delivery: String,
    pub unsubscribe_token: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

/// What a subscription follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Case(String),
    Country(String),
    Subject(String),
}

impl Target {
    pub fn scope(&self) -> &'static str {
        match self {
            Target::Case(_) => "case",
            Target::Country(_) => "country",
            Target::Subject(_) => "subject",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Target::Case(v) | Target::Country(v) | Target::Subject(v) => v,
        }
    }
}

/// A subscription as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionView {
    pub id: String,
    pub subscriber: SubscriberView,
    pub case_id: Option<String>,
    pub country: Option<String>,
    pub subject: Option<String>,
    pub delivery: String,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriberView {
    pub id: String,
    pub name: String,
    pub organisation: Option<String>,
    pub email: String,
    /// Alerts go only to a confirmed address.
    pub confirmed: bool,
}

impl SubscriptionView {
    pub fn new(subscription: Subscription, subscriber: Subscriber) -> Self {
        let field =
            |scope: &str| (subscription.scope == scope).then(|| subscription.target.clone());
        Self {
            case_id: field("case"),
            country: field("country"),
            subject: field("subject"),
            id: subscription.id,
            subscriber: SubscriberView {
                id: subscriber.id,
                name: subscriber.name,
                organisation: subscriber.organisation,
                email: subscriber.email,
                confirmed: subscriber.confirmed_at.is_some(),
            },
            delivery: subscription.delivery,
            version: subscription.version,
            created_at: subscription.created_at,
            created_by: subscription.created_by,
        }
    }
}

/// Body of `POST /subscriptions`: exactly one of `case_id`, `country` and `subject`.
/// Staff name the subscriber; a partner's token already belongs to one.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(schema(function = "one_target", skip_on_field_errors = false))]
pub struct CreateSubscription {
    #[validate(nested)]
    pub subscriber: Option<NewSubscriber>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub case_id: Option<String>,
    #[validate(custom(function = "crate::domain::valid_country"))]
    #[schema(value_type = Option<crate::domain::CountryCode>)]
    pub country: Option<String>,
    #[validate(
        length(min = 1, max = 100),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 100)]
    pub subject: Option<String>,
    #[serde(default = "immediate")]
    pub delivery: Delivery,
}

fn immediate() -> Delivery {
    Delivery::Immediate
}

fn one_target(body: &CreateSubscription) -> Result<(), validator::ValidationError> {
    if body.target().is_some() {
        Ok(())
    } else {
        Err(crate::http::cross_field(
            "case_id",
            "give exactly one of case_id, country and subject",
        ))
    }
}

impl CreateSubscription {
    /// What the subscription follows; `None` unless exactly one target is given.
    pub fn target(&self) -> Option<Target> {
        match (&self.case_id, &self.country, &self.subject) {
            (Some(c), None, None) => Some(Target::Case(c.clone())),
            (None, Some(c), None) => Some(Target::Country(c.clone())),
            (None, None, Some(s)) => Some(Target::Subject(s.trim().to_string())),
            _ => None,
        }
    }
}
