//! Tokens recently found valid, so that a busy client is not looked up in the database
//! on every request.
//!
//! Kept per instance. A revocation through this instance empties the cache at once;
//! other instances stop accepting the token when their entry expires, at most
//! `security.token_cache_ms` later. Expiry dates are checked on every use.

use super::Token;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Beyond this many entries the cache starts afresh rather than grow without bound.
const MAX_ENTRIES: usize = 10_000;

pub struct TokenCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Token, Instant)>>,
    /// Bumped by every revocation: a lookup that started before one is not cached.
    generation: AtomicU64,
}

impl TokenCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        }
    }

    /// The cached token for a secret's hash, if it was found valid less than the TTL
    /// ago and has not expired since.
    pub fn get(&self, hash: &str, now: chrono::NaiveDateTime) -> Option<Token> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (token, at) = entries.get(hash)?;
        let fresh = at.elapsed() < self.ttl && token.expires_at.is_none_or(|end| end > now);
        fresh.then(|| token.clone())
    }

    /// The generation to pass to `put` for a lookup that starts now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, token: &Token, generation: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `revoked` also takes, so a revocation either
        // sees this entry and removes it or has bumped the generation first.
        if self.generation.load(Ordering::Acquire) != generation {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(token.secret_hash.clone(), (token.clone(), Instant::now()));
    }

    /// Forgets every cached token: called after a revocation commits.
    pub fn revoked(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: Option<chrono::NaiveDateTime>) -> Token {
        Token {
            id: "t1".into(),
            name: "n".into(),
            role: "staff".into(),
            subscriber_id: None,
            secret_hash: "h".into(),
            created_at: crate::db::now(),
            created_by: "a".into(),
            expires_at,
            revoked_at: None,
            revoked_by: None,
        }
    }

    #[test]
    fn a_cached_token_is_served_until_revoked_or_expired() {
        let now = crate::db::now();
        let cache = TokenCache::new(Duration::from_secs(60));
        let g = cache.generation();
        cache.put(&token(None), g);
        assert_eq!(cache.get("h", now).map(|t| t.id), Some("t1".to_string()));
        cache.revoked();
        assert!(cache.get("h", now).is_none());

        let past = now - chrono::Duration::seconds(1);
        cache.put(&token(Some(past)), cache.generation());
        assert!(cache.get("h", now).is_none(), "an expired token is refused");
    }

    #[test]
    fn a_lookup_that_raced_a_revocation_is_not_cached() {
        let cache = TokenCache::new(Duration::from_secs(60));
        let before = cache.generation();
        cache.revoked();
        cache.put(&token(None), before);
        assert!(cache.get("h", crate::db::now()).is_none());
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let cache = TokenCache::new(Duration::ZERO);
        cache.put(&token(None), cache.generation());
        assert!(cache.get("h", crate::db::now()).is_none());
    }
}
