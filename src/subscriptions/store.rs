use super::{NewSubscription, Subscriber, Subscription, SubscriptionView, Target};
use crate::audience::Visibility;
use crate::auth::NewSubscriber;
use crate::db::{new_id, now, DbConnection};
use crate::schema::{alerts as a, subscribers as sr, subscriptions as s};
use crate::store::{StoreError, StoreResult};
use crate::vocabulary::{AlertStatus, Delivery};
use diesel::prelude::*;

fn token() -> StoreResult<String> {
    crate::auth::random_token().map_err(|e| StoreError::NoRandomness(e.to_string()))
}

/// The subscriber a partner token is for, created (unconfirmed) if it is new.
pub fn subscriber_of(
    conn: &mut DbConnection,
    request: &crate::auth::CreateToken,
) -> StoreResult<Option<String>> {
    match &request.subscriber {
        None => Ok(None),
        Some(named) => Ok(Some(find_or_create_subscriber(conn, named)?.id)),
    }
}

/// The subscriber with this address, created (unconfirmed) if it is new.
pub fn find_or_create_subscriber(
    conn: &mut DbConnection,
    new: &NewSubscriber,
) -> StoreResult<Subscriber> {
    let existing = sr::table
        .filter(sr::email.eq(&new.email))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?;
    if let Some(subscriber) = existing {
        return Ok(subscriber);
    }
    let id = new_id();
    diesel::insert_into(sr::table)
        .values((
            sr::id.eq(&id),
            sr::name.eq(&new.name),
            sr::organisation.eq(&new.organisation),
            sr::email.eq(&new.email),
            sr::created_at.eq(now()),
            sr::unsubscribe_token.eq(token()?),
        ))
        .execute(conn)?;
    subscriber(conn, &id)
}

pub fn subscriber(conn: &mut DbConnection, id: &str) -> StoreResult<Subscriber> {
    Ok(sr::table
        .find(id)
        .select(Subscriber::as_select())
        .first(conn)?)
}

/// Checks that a case target exists (and, for a partner, is not confidential): both
/// are reported alike so a partner learns nothing about confidential cases.
pub fn check_case(
    conn: &mut DbConnection,
    case_id: &str,
    visibility: Visibility,
) -> StoreResult<()> {
    use crate::schema::cases;
    let shown = visibility.confidential_values();
    let found: i64 = cases::table
        .find(case_id)
        .filter(cases::deleted_at.is_null())
        .filter(cases::confidential.eq_any(shown))
        .count()
        .get_result(conn)?;
    if found == 0 {
        return Err(crate::store::invalid(
            "case_id",
            "must be the id of an existing case",
        ));
    }
    Ok(())
}

/// Creates a subscription. An address that has not confirmed yet gets a new
/// confirmation link unless a valid one is out already; the second value says whether
/// one must be sent (`effects::confirmation_requested`, in this transaction).
pub fn create(
    conn: &mut DbConnection,
    subscriber: &Subscriber,
    target: &Target,
    delivery: Delivery,
    actor: &str,
    confirmation_valid_hours: i64,
) -> StoreResult<(SubscriptionView, bool)> {
    let duplicate: Option<String> = s::table
        .filter(s::subscriber_id.eq(&subscriber.id))
        .filter(s::scope.eq(target.scope()))
        .filter(s::target.eq(target.value()))
        .filter(s::cancelled_at.is_null())
        .select(s::id)
        .first(conn)
        .optional()?;
    if let Some(existing) = duplicate {
        return Err(StoreError::InUse(format!(
            "this subscriber already follows this {}: subscription {existing}",
            target.scope()
        )));
    }
    let id = new_id();
    diesel::insert_into(s::table)
        .values(NewSubscription {
            id: id.clone(),
            subscriber_id: subscriber.id.clone(),
            scope: target.scope().into(),
            target: target.value().into(),
            delivery: delivery.as_str().into(),
            unsubscribe_token: token()?,
            version: 1,
            created_at: now(),
            created_by: actor.into(),
        })
        .execute(conn)?;
    let confirm = new_confirmation_link(conn, subscriber, confirmation_valid_hours)?;
    Ok((view(conn, &id, Visibility::Staff)?, confirm))
}

/// Makes a confirmation link for an unconfirmed address that has no valid one yet;
/// returns whether it did.
fn new_confirmation_link(
    conn: &mut DbConnection,
    subscriber: &Subscriber,
    valid_hours: i64,
) -> StoreResult<bool> {
    let now = now();
    let link_out = subscriber.confirmation_token.is_some()
        && subscriber
            .confirmation_expires_at
            .is_some_and(|at| at > now);
    if subscriber.confirmed_at.is_some() || link_out {
        return Ok(false);
    }
    diesel::update(sr::table.find(&subscriber.id))
        .set((
            sr::confirmation_token.eq(token()?),
            sr::confirmation_expires_at.eq(now + chrono::Duration::hours(valid_hours)),
        ))
        .execute(conn)?;
    Ok(true)
}

/// The subscriptions a reader may see: a partner never learns of a confidential case,
/// not even through a subscription staff made for it. `unseen` holds the values of the
/// cases' `confidential` column the reader may not see (none for staff, so that their
/// reads look up no case).
#[diesel::dsl::auto_type]
fn visible_to(unseen: Vec<bool>) -> _ {
    let case_scope: &'static str = "case";
    let unseen_cases = crate::schema::cases::table
        .filter(crate::schema::cases::confidential.eq_any(unseen))
        .select(crate::schema::cases::id);
    s::scope
        .ne(case_scope)
        .or(diesel::dsl::not(s::target.eq_any(unseen_cases)))
}

/// The values of a case's `confidential` column `visibility` may not see.
fn unseen(visibility: Visibility) -> Vec<bool> {
    if visibility.is_public() {
        vec![true]
    } else {
        Vec::new()
    }
}

pub fn view(
    conn: &mut DbConnection,
    id: &str,
    visibility: Visibility,
) -> StoreResult<SubscriptionView> {
    let (subscription, subscriber) = s::table
        .inner_join(sr::table)
        .filter(s::id.eq(id))
        .filter(s::cancelled_at.is_null())
        .filter(visible_to(unseen(visibility)))
        .select((Subscription::as_select(), Subscriber::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("subscription"))?;
    Ok(SubscriptionView::new(subscription, subscriber))
}

pub fn get(conn: &mut DbConnection, id: &str, visibility: Visibility) -> StoreResult<Subscription> {
    s::table
        .filter(s::id.eq(id))
        .filter(s::cancelled_at.is_null())
        .filter(visible_to(unseen(visibility)))
        .select(Subscription::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("subscription"))
}

#[derive(Debug)]
pub struct Filter {
    pub subscriber_id: Option<String>,
    pub case_id: Option<String>,
    pub visibility: Visibility,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &Filter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<SubscriptionView>> {
    let mut query = s::table
        .inner_join(sr::table)
        .filter(s::cancelled_at.is_null())
        .filter(visible_to(unseen(filter.visibility)))
        .select((Subscription::as_select(), Subscriber::as_select()))
        .into_boxed();
    if let Some(subscriber_id) = &filter.subscriber_id {
        query = query.filter(s::subscriber_id.eq(subscriber_id.clone()));
    }
    if let Some(case_id) = &filter.case_id {
        query = query
            .filter(s::scope.eq("case"))
            .filter(s::target.eq(case_id.clone()));
    }
    if let Some(after) = after {
        query = query.filter(s::id.gt(after.to_string()));
    }
    let rows: Vec<(Subscription, Subscriber)> = query.order(s::id).limit(limit).load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(subscription, subscriber)| SubscriptionView::new(subscription, subscriber))
        .collect())
}

/// Ends a subscription; what it had not sent yet is not sent.
pub fn cancel(conn: &mut DbConnection, subscription: &Subscription, by: &str) -> StoreResult<()> {
    let updated = diesel::update(
        s::table
            .filter(s::id.eq(&subscription.id))
            .filter(s::version.eq(subscription.version))
            .filter(s::cancelled_at.is_null()),
    )
    .set((
        s::cancelled_at.eq(now()),
        s::cancelled_by.eq(by),
        s::version.eq(subscription.version + 1),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(StoreError::Stale("subscription"));
    }
    diesel::update(
        a::table
            .filter(a::subscription_id.eq(&subscription.id))
            .filter(a::status.eq(AlertStatus::Pending.as_str())),
    )
    .set((
        a::status.eq(AlertStatus::Cancelled.as_str()),
        a::last_error.eq("the subscription ended before the alert was sent"),
        a::claimed_until.eq(None::<chrono::NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(())
}

/// Confirms the address a single-use link was sent to.
pub fn confirm(conn: &mut DbConnection, token: &str) -> StoreResult<Subscriber> {
    let found = sr::table
        .filter(sr::confirmation_token.eq(token))
        .filter(sr::confirmation_expires_at.gt(now()))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("confirmation link"))?;
    diesel::update(sr::table.find(&found.id))
        .set((
            sr::confirmed_at.eq(now()),
            sr::confirmation_token.eq(None::<String>),
            sr::confirmation_expires_at.eq(None::<chrono::NaiveDateTime>),
        ))
        .execute(conn)?;
    subscriber(conn, &found.id)
}

/// What an unsubscribe link ends.
#[derive(Debug)]
pub enum Unsubscribed {
    /// One subscription (the link in an alert or reminder).
    One(SubscriptionView),
    /// Every subscription of the address (the link in a digest).
    All(Subscriber),
}

/// Ends what the link names. Following it twice is not an error: one-click clients
/// may retry.
pub fn unsubscribe(conn: &mut DbConnection, token: &str) -> StoreResult<Unsubscribed> {
    let one = s::table
        .filter(s::unsubscribe_token.eq(token))
        .select(Subscription::as_select())
        .first(conn)
        .optional()?;
    if let Some(subscription) = one {
        let subscriber = subscriber(conn, &subscription.subscriber_id)?;
        if subscription.cancelled_at.is_none() {
            cancel(conn, &subscription, "unsubscribe link")?;
        }
        return Ok(Unsubscribed::One(SubscriptionView::new(
            subscription,
            subscriber,
        )));
    }
    let subscriber = sr::table
        .filter(sr::unsubscribe_token.eq(token))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("unsubscribe link"))?;
    let active: Vec<Subscription> = s::table
        .filter(s::subscriber_id.eq(&subscriber.id))
        .filter(s::cancelled_at.is_null())
        .select(Subscription::as_select())
        .load(conn)?;
    for subscription in &active {
        cancel(conn, subscription, "unsubscribe link")?;
    }
    Ok(Unsubscribed::All(subscriber))
}

/// Peeks at an unsubscribe link without using it (the page a browser shows first):
/// the scope and target of the one subscription it ends, or none when it ends them all.
pub fn unsubscribe_target(
    conn: &mut DbConnection,
    token: &str,
) -> StoreResult<Option<(String, String)>> {
    let one: Option<(String, String)> = s::table
        .filter(s::unsubscribe_token.eq(token))
        .select((s::scope, s::target))
        .first(conn)
        .optional()?;
    if one.is_some() {
        return Ok(one);
    }
    let known: i64 = sr::table
        .filter(sr::unsubscribe_token.eq(token))
        .count()
        .get_result(conn)?;
    if known == 0 {
        return Err(StoreError::NotFound("unsubscribe link"));
    }
    Ok(None)
}

/// Whether a confirmation link can still be used.
pub fn confirmation_pending(conn: &mut DbConnection, token: &str) -> StoreResult<bool> {
    let found: i64 = sr::table
        .filter(sr::confirmation_token.eq(token))
        .filter(sr::confirmation_expires_at.gt(now()))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}
