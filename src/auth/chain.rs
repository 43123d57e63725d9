//! The audit log as a hash chain. Each entry has a position (`seq`, 1, 2, ...) and a
//! `hash` over the previous entry's hash and every field of its own, so an entry
//! changed, removed or slipped in by someone who got past the database's refusals
//! breaks the chain there; a head recorded elsewhere also exposes a rewritten tail.

use super::store::AuditEntry;
use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::audit_log::dsl as a;
use diesel::prelude::*;
use sha2::{Digest, Sha256};
use std::fmt;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Rows read or chained per query.
const PAGE: i64 = 1000;

/// seq, prev_hash, hash and the entry, as stored.
type StoredEntry = (Option<i64>, Option<String>, Option<String>, AuditEntry);

/// A position in the chain, written `SEQ:HASH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

impl Head {
    fn genesis() -> Self {
        Self {
            seq: 0,
            hash: GENESIS.into(),
        }
    }
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for Head {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (seq, hash) = s.split_once(':').ok_or("expected SEQ:HASH")?;
        let seq = seq
            .parse()
            .map_err(|_| format!("{seq:?} is not a number"))?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err("the hash must be 64 hexadecimal digits".into());
        }
        Ok(Self {
            seq,
            hash: hash.to_ascii_lowercase(),
        })
    }
}

/// SHA-256 of `prev_hash` and the entry. Text is length-prefixed and absent values
/// are told apart from empty ones, so no two entries encode alike.
pub fn entry_hash(prev_hash: &str, seq: i64, entry: &AuditEntry) -> String {
    fn text(h: &mut Sha256, value: Option<&str>) {
        match value {
            None => h.update([0]),
            Some(s) => {
                h.update([1]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(seq.to_be_bytes());
    text(&mut h, Some(&entry.id));
    // Microseconds: what PostgreSQL keeps of any instant.
    h.update(entry.at.and_utc().timestamp_micros().to_be_bytes());
    text(&mut h, Some(&entry.actor));
    text(&mut h, entry.token_id.as_deref());
    text(&mut h, entry.role.as_deref());
    text(&mut h, Some(&entry.action));
    text(&mut h, entry.resource.as_deref());
    h.update(entry.status.to_be_bytes());
    text(&mut h, entry.client_ip.as_deref());
    super::hex(&h.finalize())
}

/// Makes appenders take turns between reading the head and committing after it. On
/// PostgreSQL several instances may share the database; on SQLite the caller's write
/// transaction (`BEGIN IMMEDIATE`) already shuts out every other writer.
fn take_turn(conn: &mut DbConnection) -> ApiResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(7361626948291057)").execute(pg)?;
    }
    Ok(())
}

fn head(conn: &mut DbConnection) -> ApiResult<Head> {
    let last: Option<(Option<i64>, Option<String>)> = a::audit_log
        .filter(a::seq.is_not_null())
        .order(a::seq.desc())
        .select((a::seq, a::hash))
        .first(conn)
        .optional()?;
    Ok(match last {
        Some((Some(seq), Some(hash))) => Head { seq, hash },
        _ => Head::genesis(),
    })
}

/// Appends `entries` to the chain. Call inside a write transaction.
pub fn append(conn: &mut DbConnection, entries: &[AuditEntry]) -> ApiResult<()> {
    take_turn(conn)?;
    let mut head = head(conn)?;
    for entry in entries {
        let seq = head.seq + 1;
        let hash = entry_hash(&head.hash, seq, entry);
        diesel::insert_into(a::audit_log)
            .values((
                entry,
                a::seq.eq(seq),
                a::prev_hash.eq(&head.hash),
                a::hash.eq(&hash),
            ))
            .execute(conn)?;
        head = Head { seq, hash };
    }
    Ok(())
}

/// Chains the entries written before the chain existed, oldest first, after the
/// current head; returns how many. Run at start-up, inside a write transaction. The
/// database lets an entry be chained only once and only if nothing else changes.
pub fn chain_unchained(conn: &mut DbConnection) -> ApiResult<usize> {
    take_turn(conn)?;
    let mut head = head(conn)?;
    let mut chained = 0;
    loop {
        let page: Vec<AuditEntry> = a::audit_log
            .filter(a::hash.is_null())
            .order((a::at, a::id))
            .limit(PAGE)
            .select(AuditEntry::as_select())
            .load(conn)?;
        if page.is_empty() {
            return Ok(chained);
        }
        for entry in &page {
            let seq = head.seq + 1;
            let hash = entry_hash(&head.hash, seq, entry);
            diesel::update(a::audit_log.find(&entry.id))
                .set((
                    a::seq.eq(seq),
                    a::prev_hash.eq(&head.hash),
                    a::hash.eq(&hash),
                ))
                .execute(conn)?;
            head = Head { seq, hash };
            chained += 1;
        }
    }
}

/// What `verify` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every entry is in place; `head` is the last one (none when the log is empty).
    Intact { entries: i64, head: Option<Head> },
    /// The first place where the chain does not hold.
    Broken {
        seq: Option<i64>,
        id: Option<String>,
        problem: String,
    },
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Intact { entries, head } => match head {
                Some(head) => write!(f, "audit log intact: {entries} entries, head {head}"),
                None => write!(f, "audit log intact: 0 entries"),
            },
            Verdict::Broken { seq, id, problem } => {
                write!(f, "audit log chain broken")?;
                if let Some(seq) = seq {
                    write!(f, " at entry {seq}")?;
                }
                if let Some(id) = id {
                    write!(f, " (id {id})")?;
                }
                write!(f, ": {problem}")
            }
        }
    }
}

/// Walks the whole chain in order and recomputes every hash. A `recorded` head must
/// still be in the chain, at its position.
pub fn verify(conn: &mut DbConnection, recorded: Option<&Head>) -> ApiResult<Verdict> {
    let broken = |seq, id: &str, problem: String| Verdict::Broken {
        seq,
        id: Some(id.to_string()),
        problem,
    };
    let outside: Option<(Option<i64>, String)> = a::audit_log
        .filter(
            a::seq
                .is_null()
                .or(a::prev_hash.is_null())
                .or(a::hash.is_null()),
        )
        .order((a::at, a::id))
        .select((a::seq, a::id))
        .first(conn)
        .optional()?;
    if let Some((seq, id)) = outside {
        return Ok(broken(seq, &id, "the entry is not chained".into()));
    }
    let mut last = Head::genesis();
    let mut entries = 0;
    loop {
        let mut query = a::audit_log
            .select((a::seq, a::prev_hash, a::hash, AuditEntry::as_select()))
            .filter(a::seq.is_not_null())
            .order(a::seq)
            .limit(PAGE)
            .into_boxed();
        if entries > 0 {
            query = query.filter(a::seq.gt(last.seq));
        }
        let page: Vec<StoredEntry> = query.load(conn)?;
        if page.is_empty() {
            break;
        }
        for (seq, prev_hash, hash, entry) in page {
            let (seq, prev_hash, hash) = (
                seq.unwrap_or_default(),
                prev_hash.unwrap_or_default(),
                hash.unwrap_or_default(),
            );
            let problem = if seq != last.seq + 1 {
                if seq <= last.seq {
                    format!("it should be entry {}", last.seq + 1)
                } else if seq == last.seq + 2 {
                    format!("entry {} is missing", last.seq + 1)
                } else {
                    format!("entries {} to {} are missing", last.seq + 1, seq - 1)
                }
            } else if entry_hash(&prev_hash, seq, &entry) != hash {
                "its hash does not match its contents (the entry was changed)".into()
            } else if prev_hash != last.hash {
                format!(
                    "its prev_hash does not match the hash of entry {} (that entry was \
                     replaced, or this one was inserted)",
                    last.seq
                )
            } else if recorded.is_some_and(|r| r.seq == seq && r.hash != hash) {
                format!(
                    "the recorded head {} is no longer in the chain (the log was rewritten \
                     from this entry or before)",
                    recorded.map(Head::to_string).unwrap_or_default()
                )
            } else {
                entries += 1;
                last = Head { seq, hash };
                continue;
            };
            return Ok(broken(Some(seq), &entry.id, problem));
        }
    }
    if let Some(recorded) = recorded.filter(|r| r.seq > last.seq) {
        return Ok(Verdict::Broken {
            seq: None,
            id: None,
            problem: format!(
                "the chain ends at entry {}, before the recorded head {recorded} (entries \
                 were removed from the end)",
                last.seq
            ),
        });
    }
    Ok(Verdict::Intact {
        entries,
        head: (entries > 0).then_some(last),
    })
}
