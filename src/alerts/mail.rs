//! What an alert email says, and how it leaves: SMTP through a connection pool, or
//! `.eml` files when no SMTP server is configured.

use super::Alert;
use crate::configuration::{AlertSettings, SmtpSecurity};
use crate::db::DbConnection;
use crate::schema::{events as e, subscribers as sr, subscriptions as s};
use crate::subscriptions::{Subscriber, Subscription};
use crate::vocabulary::{AlertKind, AlertStatus};
use diesel::prelude::*;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{FileTransport, Message, SmtpTransport, Transport};
use serde::Serialize;
use std::time::Duration;

const TEMPLATES: [(&str, &str); 10] = [
    ("page.html", include_str!("../../templates/page.html")),
    ("layout.html", include_str!("../../templates/layout.html")),
    ("event.txt", include_str!("../../templates/event.txt")),
    ("event.html", include_str!("../../templates/event.html")),
    ("digest.txt", include_str!("../../templates/digest.txt")),
    ("digest.html", include_str!("../../templates/digest.html")),
    ("reminder.txt", include_str!("../../templates/reminder.txt")),
    (
        "reminder.html",
        include_str!("../../templates/reminder.html"),
    ),
    (
        "confirmation.txt",
        include_str!("../../templates/confirmation.txt"),
    ),
    (
        "confirmation.html",
        include_str!("../../templates/confirmation.html"),
    ),
];

/// The email templates, compiled once. HTML templates escape every value.
pub struct Templates(minijinja::Environment<'static>);

impl Templates {
    pub fn load() -> anyhow::Result<Self> {
        let mut env = minijinja::Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| anyhow::anyhow!("template {name}: {e}"))?;
        }
        Ok(Self(env))
    }

    /// A small HTML page for the links in emails; `action` adds a one-button form.
    pub fn page(
        &self,
        title: &str,
        message: &str,
        action: Option<(&str, &str)>,
    ) -> anyhow::Result<String> {
        let (action, button) = action.unzip();
        self.0
            .get_template("page.html")
            .and_then(|t| {
                t.render(minijinja::context! {
                    title => title, message => message, action => action, button => button,
                })
            })
            .map_err(|e| anyhow::anyhow!("template page.html: {e}"))
    }

    fn render<C: Serialize>(&self, name: &str, context: &C) -> anyhow::Result<(String, String)> {
        let render = |file: String| -> anyhow::Result<String> {
            self.0
                .get_template(&file)
                .and_then(|t| t.render(minijinja::value::Serde(context)))
                .map_err(|e| anyhow::anyhow!("template {file}: {e}"))
        };
        Ok((
            render(format!("{name}.txt"))?,
            render(format!("{name}.html"))?,
        ))
    }
}

/// A composed alert: send it, or record why not.
pub enum Composed {
    Send {
        message: Box<Message>,
        /// The daily changes a digest carries, marked sent with it.
        carried: Vec<String>,
        /// The daily changes a digest leaves out because they may no longer be sent.
        dropped: Vec<String>,
    },
    Skip {
        status: AlertStatus,
        reason: String,
        /// The alert and, for a digest, its changes.
        ids: Vec<String>,
    },
}

/// Everything composing needs besides the database.
pub struct Composer {
    templates: Templates,
    from: Mailbox,
    base_url: String,
    domain: String,
}

#[derive(Debug, Serialize)]
struct CaseContext {
    title: String,
    country: String,
    url: String,
}

#[derive(Debug, Serialize)]
struct Change {
    field: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct EventContext {
    title: String,
    occurred_on: String,
    description: Option<String>,
    changes: Vec<Change>,
}

#[derive(Debug, Serialize)]
struct DigestItem {
    case: CaseContext,
    event: EventContext,
    reason: String,
}

impl Composer {
    pub fn new(settings: &AlertSettings, base_url: &str) -> anyhow::Result<Self> {
        let from: Mailbox = settings.from.parse().map_err(|e| {
            anyhow::anyhow!("alerts.from {:?} is not a mailbox: {e}", settings.from)
        })?;
        let domain = from.email.domain().to_string();
        Ok(Self {
            templates: Templates::load()?,
            from,
            base_url: base_url.trim_end_matches('/').to_string(),
            domain,
        })
    }

    /// The stable Message-ID of an alert: a resend after a crash carries the same one.
    pub fn message_id(&self, alert_id: &str) -> String {
        format!("<alert.{alert_id}@{}>", self.domain)
    }

    pub fn compose(&self, conn: &mut DbConnection, alert: &Alert) -> anyhow::Result<Composed> {
        let skip = |status, reason: &str| Composed::Skip {
            status,
            reason: reason.into(),
            ids: vec![alert.id.clone()],
        };
        let subscriber: Subscriber = sr::table
            .find(&alert.subscriber_id)
            .select(Subscriber::as_select())
            .first(conn)?;
        let kind = AlertKind::parse(&alert.kind)
            .ok_or_else(|| anyhow::anyhow!("unknown alert kind {}", alert.kind))?;
        if kind != AlertKind::Confirmation && subscriber.confirmed_at.is_none() {
            return Ok(skip(AlertStatus::Cancelled, "the address is not confirmed"));
        }
        let subscription = match &alert.subscription_id {
            Some(id) => Some(
                s::table
                    .find(id)
                    .select(Subscription::as_select())
                    .first(conn)?,
            ),
            None => None,
        };
        if subscription
            .as_ref()
            .is_some_and(|s| s.cancelled_at.is_some())
        {
            return Ok(skip(
                AlertStatus::Cancelled,
                "the subscription ended before the alert was sent",
            ));
        }
        match kind {
            AlertKind::Confirmation => self.confirmation(alert, &subscriber),
            AlertKind::Event => {
                let Some(subscription) = subscription else {
                    anyhow::bail!("alert {} has no subscription", alert.id);
                };
                match self.item(conn, alert, &subscription)? {
                    Err(reason) => Ok(skip(AlertStatus::Suppressed, &reason)),
                    Ok(item) => {
                        let subject = format!(
                            "[{}] {}: {}",
                            item.case.country, item.case.title, item.event.title
                        );
                        let context = serde_json::json!({
                            "subscriber": subscriber.name,
                            "case": item.case,
                            "event": item.event,
                            "reason": item.reason,
                            "unsubscribe_url": self.unsubscribe_url(&subscription.unsubscribe_token),
                        });
                        let message = self.message(
                            alert,
                            &subscriber,
                            &subject,
                            "event",
                            &context,
                            Some(&subscription.unsubscribe_token),
                        )?;
                        Ok(Composed::Send {
                            message: Box::new(message),
                            carried: Vec::new(),
                            dropped: Vec::new(),
                        })
                    }
                }
            }
            AlertKind::Digest => self.digest(conn, alert, &subscriber),
            AlertKind::Reminder => {
                let Some(subscription) = subscription else {
                    anyhow::bail!("alert {} has no subscription", alert.id);
                };
                self.reminder(conn, alert, &subscriber, &subscription)
            }
        }
    }

    fn confirmation(&self, alert: &Alert, subscriber: &Subscriber) -> anyhow::Result<Composed> {
        let valid = subscriber
            .confirmation_expires_at
            .is_some_and(|at| at > crate::db::now());
        let (Some(token), true, None) = (
            &subscriber.confirmation_token,
            valid,
            subscriber.confirmed_at,
        ) else {
            return Ok(Composed::Skip {
                status: AlertStatus::Cancelled,
                reason: "the address is confirmed already or the link expired".into(),
                ids: vec![alert.id.clone()],
            });
        };
        let context = serde_json::json!({
            "subscriber": subscriber.name,
            "confirm_url": format!("{}/confirm/{token}", self.base_url),
        });
        let message = self.message(
            alert,
            subscriber,
            "Confirm your address for case alerts",
            "confirmation",
            &context,
            None,
        )?;
        Ok(Composed::Send {
            message: Box::new(message),
            carried: Vec::new(),
            dropped: Vec::new(),
        })
    }

    /// One change as a subscriber may see it, or why it may not be sent.
    fn item(
        &self,
        conn: &mut DbConnection,
        alert: &Alert,
        subscription: &Subscription,
    ) -> anyhow::Result<Result<DigestItem, String>> {
        let (Some(case_id), Some(event_id)) = (&alert.case_id, &alert.event_id) else {
            anyhow::bail!("alert {} names no case or event", alert.id);
        };
        let Some(case) = super::store::public_case(conn, case_id)? else {
            return Ok(Err("the case is confidential or was deleted".into()));
        };
        let event: crate::events::Event = e::table
            .find(event_id)
            .select(crate::events::Event::as_select())
            .first(conn)?;
        let hidden = crate::records::hidden_defenders(conn, case_id)?;
        let named = crate::domain::from_json_list(&event.defender_ids);
        if event.confidential || named.iter().any(|d| hidden.contains(d)) {
            return Ok(Err("the change is confidential".into()));
        }
        let changes = public_changes(event.changes.as_deref());
        Ok(Ok(DigestItem {
            case: self.case_context(conn, &case)?,
            event: EventContext {
                title: event.title,
                occurred_on: event.occurred_on,
                description: event.description,
                changes,
            },
            reason: describe_target(conn, &subscription.scope, &subscription.target)?,
        }))
    }

    fn digest(
        &self,
        conn: &mut DbConnection,
        alert: &Alert,
        subscriber: &Subscriber,
    ) -> anyhow::Result<Composed> {
        let members = super::store::members(conn, &alert.id)?;
        let mut items = Vec::new();
        let mut carried = Vec::new();
        let mut dropped = Vec::new();
        for member in &members {
            let subscription: Option<Subscription> = match &member.subscription_id {
                Some(id) => s::table
                    .find(id)
                    .select(Subscription::as_select())
                    .first(conn)
                    .optional()?,
                None => None,
            };
            let usable = match &subscription {
                Some(sub) if sub.cancelled_at.is_none() => self.item(conn, member, sub)?.ok(),
                _ => None,
            };
            match usable {
                Some(item) => {
                    items.push(item);
                    carried.push(member.id.clone());
                }
                None => dropped.push(member.id.clone()),
            }
        }
        if items.is_empty() {
            let mut ids = dropped;
            ids.push(alert.id.clone());
            return Ok(Composed::Skip {
                status: AlertStatus::Suppressed,
                reason: "nothing in the digest may be sent any more".into(),
                ids,
            });
        }
        let cases: std::collections::BTreeSet<&str> =
            items.iter().map(|i| i.case.url.as_str()).collect();
        let subject = match (cases.len(), items.first()) {
            (1, Some(first)) => format!(
                "[{}] {}: {} change{} today",
                first.case.country,
                first.case.title,
                items.len(),
                if items.len() == 1 { "" } else { "s" }
            ),
            _ => format!(
                "Daily digest: {} changes in {} cases you follow",
                items.len(),
                cases.len()
            ),
        };
        let token = subscriber.unsubscribe_token.clone().unwrap_or_default();
        let context = serde_json::json!({
            "subscriber": subscriber.name,
            "items": items,
            "unsubscribe_url": self.unsubscribe_url(&token),
        });
        let message = self.message(
            alert,
            subscriber,
            &subject,
            "digest",
            &context,
            Some(&token),
        )?;
        Ok(Composed::Send {
            message: Box::new(message),
            carried,
            dropped,
        })
    }

    fn reminder(
        &self,
        conn: &mut DbConnection,
        alert: &Alert,
        subscriber: &Subscriber,
        subscription: &Subscription,
    ) -> anyhow::Result<Composed> {
        let skip = |status, reason: &str| Composed::Skip {
            status,
            reason: reason.into(),
            ids: vec![alert.id.clone()],
        };
        let Some(hearing_id) = &alert.hearing_id else {
            anyhow::bail!("reminder {} names no hearing", alert.id);
        };
        use crate::records::Stored;
        let Some(hearing) = crate::hearings::Hearing::find(conn, hearing_id)? else {
            return Ok(skip(AlertStatus::Cancelled, "the hearing was deleted"));
        };
        if hearing.status != crate::vocabulary::HearingStatus::Scheduled
            || hearing.scheduled_at <= crate::db::now()
        {
            return Ok(skip(
                AlertStatus::Cancelled,
                "the hearing is no longer scheduled",
            ));
        }
        let Some(case) = super::store::public_case(conn, &hearing.case_id)? else {
            return Ok(skip(
                AlertStatus::Suppressed,
                "the case is confidential or was deleted",
            ));
        };
        let trial = crate::records::get::<crate::trials::Trial>(conn, &hearing.trial_id)?;
        let local = hearing.scheduled_at.and_utc().with_timezone(
            &hearing
                .time_zone
                .parse::<chrono_tz::Tz>()
                .unwrap_or(chrono_tz::UTC),
        );
        let when = local.format("%-d %B %Y, %H:%M").to_string();
        let case = self.case_context(conn, &case)?;
        let subject = format!(
            "[{}] {}: hearing on {}",
            case.country,
            case.title,
            local.format("%-d %B %Y")
        );
        let context = serde_json::json!({
            "subscriber": subscriber.name,
            "case": case,
            "when": when,
            "time_zone": hearing.time_zone,
            "court": trial.court,
            "city": trial.city,
            "reason": describe_target(conn, &subscription.scope, &subscription.target)?,
            "unsubscribe_url": self.unsubscribe_url(&subscription.unsubscribe_token),
        });
        let message = self.message(
            alert,
            subscriber,
            &subject,
            "reminder",
            &context,
            Some(&subscription.unsubscribe_token),
        )?;
        Ok(Composed::Send {
            message: Box::new(message),
            carried: Vec::new(),
            dropped: Vec::new(),
        })
    }

    fn case_context(
        &self,
        conn: &mut DbConnection,
        case: &crate::cases::Case,
    ) -> anyhow::Result<CaseContext> {
        Ok(CaseContext {
            title: case.title.clone(),
            country: country_name(conn, &case.country)?,
            url: format!("{}/api/v1/cases/{}", self.base_url, case.id),
        })
    }

    fn unsubscribe_url(&self, token: &str) -> String {
        format!("{}/unsubscribe/{token}", self.base_url)
    }

    fn message<C: Serialize>(
        &self,
        alert: &Alert,
        to: &Subscriber,
        subject: &str,
        template: &str,
        context: &C,
        unsubscribe_token: Option<&str>,
    ) -> anyhow::Result<Message> {
        let (text, html) = self.templates.render(template, context)?;
        let address = to.email.parse::<lettre::Address>()?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(Some(header_text(&to.name, 100)), address))
            .subject(header_text(subject, 250))
            .message_id(Some(self.message_id(&alert.id)))
            .date_now()
            .raw_header(raw("Auto-Submitted", "auto-generated".into()));
        if let Some(token) = unsubscribe_token {
            // RFC 8058: a mail client may unsubscribe with one POST, no page to visit.
            builder = builder
                .raw_header(raw(
                    "List-Unsubscribe",
                    format!("<{}>", self.unsubscribe_url(token)),
                ))
                .raw_header(raw(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        Ok(builder.multipart(MultiPart::alternative_plain_html(text, html))?)
    }
}

fn raw(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Case data in a header: no control characters (so no line breaks that could start
/// a new header or recipient), and a bounded length.
pub fn header_text(text: &str, max_chars: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    match cleaned.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &cleaned[..cut]),
        None => cleaned,
    }
}

/// The changed fields of a change record as a partner may see them: new values only,
/// never a staff-only field.
fn public_changes(changes: Option<&str>) -> Vec<Change> {
    let Some(serde_json::Value::Object(map)) =
        changes.and_then(|t| serde_json::from_str::<serde_json::Value>(t).ok())
    else {
        return Vec::new();
    };
    let map = crate::audience::visible_changes(map, crate::audience::Visibility::Public);
    map.into_iter()
        .map(|(field, change)| {
            let value = match change.get("new") {
                None | Some(serde_json::Value::Null) => "(removed)".to_string(),
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            };
            Change {
                field: field.replace('_', " "),
                value,
            }
        })
        .collect()
}

fn country_name(conn: &mut DbConnection, code: &str) -> anyhow::Result<String> {
    Ok(crate::countries::store::get(conn, code)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .map(|c| c.name)
        .unwrap_or_else(|| code.to_string()))
}

/// Why a subscriber gets an email, in words: "you follow ...".
pub fn describe_target(
    conn: &mut DbConnection,
    scope: &str,
    target: &str,
) -> crate::store::StoreResult<String> {
    Ok(match scope {
        "case" => {
            let title = crate::cases::store::get(conn, target)
                .map(|c| c.title)
                .unwrap_or_else(|_| "a case".into());
            format!("you follow the case “{title}”")
        }
        "country" => {
            let name = crate::countries::store::get(conn, target)?
                .map(|c| c.name)
                .unwrap_or_else(|| target.to_string());
            format!("you follow the cases in {name}")
        }
        _ => format!("you follow the subject “{target}”"),
    })
}

/// Why a delivery failed, and whether trying again could help.
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

/// Where mail goes.
pub enum Mailer {
    /// An SMTP server, over pooled connections.
    Smtp(SmtpTransport),
    /// No SMTP server: each message becomes an `.eml` file in a folder.
    Files(FileTransport),
}

impl Mailer {
    pub fn from_settings(settings: &AlertSettings) -> anyhow::Result<Self> {
        let smtp = &settings.smtp;
        if smtp.host.trim().is_empty() {
            std::fs::create_dir_all(&settings.mail_dir)?;
            tracing::info!(dir = %settings.mail_dir, "no SMTP host set: alert emails are written as .eml files");
            return Ok(Mailer::Files(FileTransport::new(&settings.mail_dir)));
        }
        let builder = match smtp.security {
            SmtpSecurity::Starttls => SmtpTransport::starttls_relay(&smtp.host)?,
            SmtpSecurity::Tls => SmtpTransport::relay(&smtp.host)?,
            SmtpSecurity::None => SmtpTransport::builder_dangerous(smtp.host.as_str()),
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_millis(smtp.timeout_ms)))
            .pool_config(PoolConfig::new().max_size(smtp.pool_size.max(1)));
        if !smtp.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                smtp.username.clone(),
                smtp.password.clone(),
            ));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    pub fn send(&self, message: &Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(transport) => transport.send(message).map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: format!("{e}"),
            }),
            Mailer::Files(transport) => {
                transport.send(message).map(|_| ()).map_err(|e| SendError {
                    permanent: false,
                    message: format!("{e}"),
                })
            }
        }
    }
}
