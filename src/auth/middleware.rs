//! Authentication, the role policy, rate limits and the audit log, for every request
//! under /api/v1.

use super::cache::TokenCache;
use super::{allowed, store, ConfidentialReads, Principal};
use crate::db::Db;
use crate::error::ApiError;
use crate::vocabulary::Role;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::header, web, HttpMessage, ResponseError};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limits on how fast one token may call and how often one address may fail to
/// authenticate. Kept in memory: each instance of the service limits on its own.
pub struct Limits {
    per_minute: f64,
    burst: f64,
    failures_per_minute: u32,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
    failures: Mutex<HashMap<Option<IpAddr>, (u32, Instant)>>,
}

impl Limits {
    pub fn new(per_minute: u32, burst: u32, failures_per_minute: u32) -> Self {
        Self {
            per_minute: f64::from(per_minute.max(1)),
            burst: f64::from(burst.max(1)),
            failures_per_minute,
            buckets: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the token's bucket, or says how long to wait.
    fn take(&self, token_id: &str) -> Option<u64> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let (tokens, last) = buckets
            .entry(token_id.to_string())
            .or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_minute / 60.0;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            None
        } else {
            let wait = (1.0 - *tokens) * 60.0 / self.per_minute;
            Some(wait.ceil().max(1.0) as u64)
        }
    }

    /// Seconds an address must wait after too many failed authentications.
    fn failure_wait(&self, ip: Option<IpAddr>) -> Option<u64> {
        let failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let (count, since) = failures.get(&ip)?;
        let elapsed = since.elapsed();
        if *count >= self.failures_per_minute && elapsed < Duration::from_secs(60) {
            Some(60 - elapsed.as_secs())
        } else {
            None
        }
    }

    fn record_failure(&self, ip: Option<IpAddr>) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Duration::from_secs(60) {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }
}

/// What the authentication layer keeps in memory, per instance.
pub struct Guard {
    pub limits: Limits,
    pub tokens: TokenCache,
}

impl Guard {
    pub fn new(settings: &crate::configuration::SecuritySettings) -> Self {
        Self {
            limits: Limits::new(
                settings.rate_limit_per_minute,
                settings.rate_limit_burst,
                settings.auth_failures_per_minute,
            ),
            tokens: TokenCache::new(Duration::from_millis(settings.token_cache_ms)),
        }
    }
}

/// The valid token a secret belongs to: from the cache, or else from the database.
async fn find_token(
    db: &Db,
    tokens: &TokenCache,
    secret: &str,
) -> Result<Option<super::Token>, ApiError> {
    let hash = super::hash_secret(secret);
    if let Some(token) = tokens.get(&hash, crate::db::now()) {
        return Ok(Some(token));
    }
    let generation = tokens.generation();
    let lookup = hash.clone();
    let token = db
        .read(move |conn| Ok(store::authenticate(conn, &lookup)?))
        .await?;
    if let Some(token) = &token {
        tokens.put(token, generation);
    }
    Ok(token)
}

/// The token of a request: `Bearer <token>`, or HTTP Basic with the token as the
/// password, which is what calendar applications can send for the hearing feed.
fn bearer(req: &ServiceRequest) -> Option<String> {
    use base64::{engine::general_purpose::STANDARD, Engine};
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    let credentials = credentials.trim();
    let secret = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = String::from_utf8(STANDARD.decode(credentials).ok()?).ok()?;
        decoded.split_once(':')?.1.to_string()
    } else {
        return None;
    };
    (!secret.is_empty() && secret.len() <= 200).then_some(secret)
}

fn refuse<B>(req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    let response = error.error_response();
    req.into_response(response).map_into_right_body()
}

pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (Some(db), Some(limits), Some(tokens), Some(audit)) = (
        req.app_data::<web::Data<Db>>().cloned(),
        req.app_data::<web::Data<Limits>>().cloned(),
        req.app_data::<web::Data<TokenCache>>().cloned(),
        req.app_data::<web::Data<super::audit::AuditLog>>().cloned(),
    ) else {
        return Ok(refuse(
            req,
            ApiError::Internal(anyhow::anyhow!("authentication is not configured")),
        ));
    };
    let ip = req.peer_addr().map(|a| a.ip());
    if let Some(wait) = limits.failure_wait(ip) {
        return Ok(refuse(req, ApiError::TooManyRequests(wait)));
    }
    let token = match bearer(&req) {
        None => None,
        Some(secret) => match find_token(&db, &tokens, &secret).await {
            Ok(token) => token,
            Err(e) => return Ok(refuse(req, e)),
        },
    };
    let Some(token) = token else {
        limits.record_failure(ip);
        tracing::warn!(client_ip = ?ip, path = req.path(), "authentication failed");
        return Ok(refuse(req, ApiError::Unauthorized));
    };
    let Some(role) = Role::parse(&token.role) else {
        return Ok(refuse(req, ApiError::Unauthorized));
    };
    let principal = Principal {
        token_id: token.id.clone(),
        name: token.name.clone(),
        role,
        subscriber_id: token.subscriber_id.clone(),
    };
    let method = req.method().clone();
    let action = format!("{} {}", method, req.path());
    let write = !matches!(method.as_str(), "GET" | "HEAD");
    let entry = |status: u16, resource: Option<String>| store::AuditEntry {
        id: crate::db::new_id(),
        at: crate::db::now(),
        actor: principal.name.clone(),
        token_id: Some(principal.token_id.clone()),
        role: Some(principal.role.as_str().to_string()),
        action: action.clone(),
        resource,
        status: i32::from(status),
        client_ip: ip.map(|i| i.to_string()),
    };
    if !allowed(role, &method, req.path()) {
        let refused = entry(403, None);
        audit.append(vec![refused]).await;
        let message = format!("a {} token may not {method} this resource", role.as_str());
        return Ok(refuse(req, ApiError::Forbidden(message)));
    }
    if let Some(wait) = limits.take(&token.id) {
        return Ok(refuse(req, ApiError::TooManyRequests(wait)));
    }
    let span = tracing::Span::current();
    span.record("user", principal.name.as_str());
    span.record("role", principal.role.as_str());
    req.extensions_mut().insert(principal.clone());
    let response = next.call(req).await?;
    let status = response.status().as_u16();
    let reads = response
        .request()
        .extensions()
        .get::<ConfidentialReads>()
        .cloned();
    let mut entries = Vec::new();
    if write {
        entries.push(entry(status, None));
    }
    for record in reads.map(|r| r.0).unwrap_or_default() {
        entries.push(entry(status, Some(record)));
    }
    if !entries.is_empty() {
        audit.append(entries).await;
    }
    Ok(response.map_into_left_body())
}
