use super::{CreateToken, IssuedToken, Token};
use crate::db::{new_id, now, DbConnection};
use crate::schema::{api_tokens::dsl as t, audit_log};
use crate::store::{StoreError, StoreResult};
use diesel::prelude::*;

/// Issues a token; the secret in the result is not stored anywhere. A partner's
/// token acts for its subscriber (`subscriptions::store::find_or_create_subscriber`).
pub fn issue(
    conn: &mut DbConnection,
    request: CreateToken,
    subscriber_id: Option<String>,
    created_by: &str,
) -> StoreResult<IssuedToken> {
    let secret = super::new_secret().map_err(|e| StoreError::NoRandomness(e.to_string()))?;
    let id = new_id();
    diesel::insert_into(t::api_tokens)
        .values((
            t::id.eq(&id),
            t::name.eq(&request.name),
            t::role.eq(request.role.as_str()),
            t::subscriber_id.eq(&subscriber_id),
            t::secret_hash.eq(super::hash_secret(&secret)),
            t::created_at.eq(now()),
            t::created_by.eq(created_by),
            t::expires_at.eq(request.expires_at.map(|e| e.naive_utc())),
        ))
        .execute(conn)?;
    Ok(IssuedToken {
        token: get(conn, &id)?,
        token_secret: secret,
    })
}

pub fn get(conn: &mut DbConnection, id: &str) -> StoreResult<Token> {
    t::api_tokens
        .find(id)
        .select(Token::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::NotFound("token"))
}

/// The token with this secret hash, if it is neither revoked nor expired.
pub fn authenticate(conn: &mut DbConnection, secret_hash: &str) -> StoreResult<Option<Token>> {
    let token: Option<Token> = t::api_tokens
        .filter(t::secret_hash.eq(secret_hash))
        .select(Token::as_select())
        .first(conn)
        .optional()?;
    let current = now();
    Ok(token.filter(|token| {
        token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > current)
    }))
}

pub fn list(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> StoreResult<Vec<Token>> {
    let mut query = t::api_tokens.select(Token::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(t::id.gt(after.to_string()));
    }
    Ok(query.order(t::id).limit(limit).load(conn)?)
}

/// Revokes a token; revoking it again changes nothing.
pub fn revoke(conn: &mut DbConnection, id: &str, by: &str) -> StoreResult<Token> {
    let token = get(conn, id)?;
    if token.revoked_at.is_none() {
        diesel::update(t::api_tokens.find(id))
            .set((t::revoked_at.eq(now()), t::revoked_by.eq(by)))
            .execute(conn)?;
    }
    get(conn, id)
}

#[derive(Debug, Clone, Insertable, Queryable, Selectable, serde::Serialize, utoipa::ToSchema)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    #[serde(serialize_with = "crate::domain::utc")]
    pub at: chrono::NaiveDateTime,
    pub actor: String,
    pub token_id: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub resource: Option<String>,
    pub status: i32,
    pub client_ip: Option<String>,
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub since: Option<chrono::NaiveDateTime>,
}

pub fn audit_page(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .into_boxed();
    if let Some(actor) = &filter.actor {
        query = query.filter(audit_log::actor.eq(actor.clone()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::at.ge(since));
    }
    if let Some(after) = after {
        query = query.filter(audit_log::id.gt(after.to_string()));
    }
    Ok(query.order(audit_log::id).limit(limit).load(conn)?)
}
