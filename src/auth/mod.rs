//! Access control: bearer tokens, roles, what partners may see, and the audit log.

pub mod audit;
pub mod cache;
pub mod chain;
pub mod middleware;
pub mod store;

pub use crate::audience::{Confidential, Visibility};
use crate::vocabulary::Role;
use actix_web::{dev::Payload, FromRequest, HttpMessage, HttpRequest};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::future::{ready, Ready};
use validator::Validate;

/// Tokens look like `ct_<43 characters>`: 256 random bits.
pub const TOKEN_PREFIX: &str = "ct_";

/// A new API token secret from the operating system's random source.
pub fn new_secret() -> Result<String, getrandom::Error> {
    Ok(format!("{TOKEN_PREFIX}{}", random_token()?))
}

/// 256 random bits, URL-safe: for secrets and for the tokens in emailed links.
pub fn random_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What is stored of a secret. A fast hash suffices: the secret has 256 bits of
/// entropy, so there is nothing to guess.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Bytes as lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::schema::api_tokens)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub role: String,
    pub subscriber_id: Option<String>,
    #[serde(skip)]
    pub secret_hash: String,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    pub created_by: String,
    #[serde(serialize_with = "crate::domain::utc_opt")]
    pub expires_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::domain::utc_opt")]
    pub revoked_at: Option<NaiveDateTime>,
    pub revoked_by: Option<String>,
}

/// A token as issued: the only time its secret is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub token: Token,
    pub token_secret: String,
}

/// Body of `POST /tokens`.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// The person or system the token is for.
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub role: Role,
    /// RFC 3339; none means the token does not expire.
    #[serde(default, deserialize_with = "crate::domain::timestamp::optional")]
    #[schema(schema_with = crate::domain::schema::optional_instant)]
    pub expires_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// For a partner token: the subscriber it speaks for.
    #[validate(nested)]
    pub subscriber: Option<NewSubscriber>,
}

#[derive(Debug, Clone, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscriber {
    #[validate(
        length(min = 1, max = 200),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub organisation: Option<String>,
    #[validate(length(max = 254), custom(function = "crate::domain::valid_email"))]
    #[schema(max_length = 254, format = Email)]
    pub email: String,
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub name: String,
    pub role: Role,
    pub subscriber_id: Option<String>,
}

/// The actor that change records are attributed to.
#[derive(Debug, Clone)]
pub struct Actor(pub String);

impl FromRequest for Actor {
    type Error = crate::error::ApiError;
    type Future = Ready<Result<Self, crate::error::ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let name = req.extensions().get::<Principal>().map(|p| p.name.clone());
        ready(name.map(Actor).ok_or(crate::error::ApiError::Unauthorized))
    }
}

impl Principal {
    pub fn visibility(&self) -> Visibility {
        match self.role {
            Role::Partner => Visibility::Public,
            _ => Visibility::Staff,
        }
    }
}

impl FromRequest for Principal {
    type Error = crate::error::ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .cloned()
                .ok_or(crate::error::ApiError::Unauthorized),
        )
    }
}

impl FromRequest for Visibility {
    type Error = crate::error::ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Principal>()
                .map(Principal::visibility)
                .ok_or(crate::error::ApiError::Unauthorized),
        )
    }
}

/// Confidential records a request read, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct ConfidentialReads(pub Vec<String>);

/// Notes every confidential record among `records` that a request read.
pub fn note_confidential_reads<'a, T: Confidential + 'a>(
    req: &HttpRequest,
    records: impl IntoIterator<Item = &'a T>,
) {
    note_confidential_read(
        req,
        records
            .into_iter()
            .flat_map(Confidential::confidential_refs),
    );
}

/// Notes that the request read these confidential records (`"case <id>"`, ...).
pub fn note_confidential_read(req: &HttpRequest, records: impl IntoIterator<Item = String>) {
    let mut records = records.into_iter().peekable();
    if records.peek().is_none() {
        return;
    }
    let mut extensions = req.extensions_mut();
    let mut reads = extensions.remove::<ConfidentialReads>().unwrap_or_default();
    // Once per record a request returns, however many ways it was reached.
    for record in records {
        if !reads.0.contains(&record) {
            reads.0.push(record);
        }
    }
    extensions.insert(reads);
}

/// May `role` make a `method` request to `path` (under /api/v1)? The one place that
/// says who may write what; reads are further filtered by `Visibility`.
pub fn allowed(role: Role, method: &actix_web::http::Method, path: &str) -> bool {
    let admin_only = ["/api/v1/tokens", "/api/v1/audit", "/api/v1/alerts"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    let read = matches!(method.as_str(), "GET" | "HEAD");
    // Partners manage their own subscriptions; the handlers keep them to their own.
    let own_subscriptions = path.starts_with("/api/v1/subscriptions");
    match role {
        Role::Admin => true,
        _ if admin_only => false,
        Role::Researcher => true,
        Role::Partner => read || own_subscriptions,
        Role::Advocate => read,
    }
}

/// A response body as `visibility` may see it: partners never get staff-only fields.
pub fn redact<T: Serialize>(visibility: Visibility, body: &T) -> crate::audience::AsSeenBy<'_, T> {
    crate::audience::AsSeenBy { visibility, body }
}
