//! Keyset pages: the cursor a list hands out, the page a request asks for, and the
//! page it answers.

use super::fields::Problems;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A keyset position: the sort key values of the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor(pub Vec<String>);

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&self.0).unwrap_or_default())
    }

    /// The keys of a cursor this service could have issued: none holds a control
    /// character (PostgreSQL refuses NUL in text, so it must never reach a query).
    pub fn decode(text: &str) -> Option<Self> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let keys = serde_json::from_slice::<Vec<String>>(&bytes).ok()?;
        let clean = keys
            .iter()
            .all(|k| k.len() <= 200 && !k.chars().any(char::is_control));
        clean.then_some(Cursor(keys))
    }
}

/// `limit` and `cursor`, parsed; `keys` is how many sort keys the cursor carries.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Vec<String>>,
}

impl PageRequest {
    pub fn parse(
        limit: Option<&str>,
        cursor: Option<&str>,
        keys: usize,
        problems: &mut Problems,
    ) -> PageRequest {
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    problems.add(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    );
                    DEFAULT_LIMIT
                }
            },
        };
        let after = match cursor {
            None => None,
            Some(text) => match Cursor::decode(text) {
                Some(c) if c.0.len() == keys => Some(c.0),
                _ => {
                    problems.add("cursor", "is not a cursor returned by this list");
                    None
                }
            },
        };
        PageRequest { limit, after }
    }

    /// The typed position the cursor carries, if any.
    pub fn position<K: PageKey>(&self) -> crate::error::ApiResult<Option<K>> {
        match &self.after {
            None => Ok(None),
            Some(keys) => K::from_keys(keys).map(Some).ok_or_else(|| {
                crate::error::invalid("cursor", "is not a cursor returned by this list")
            }),
        }
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// The sort key of a list's rows, as its cursor carries it.
pub trait PageKey: Sized + Send + 'static {
    /// How many values the cursor holds.
    const LEN: usize;
    fn to_keys(&self) -> Vec<String>;
    fn from_keys(keys: &[String]) -> Option<Self>;
}

/// Ids sort in creation order.
impl PageKey for String {
    const LEN: usize = 1;

    fn to_keys(&self) -> Vec<String> {
        vec![self.clone()]
    }

    fn from_keys(keys: &[String]) -> Option<Self> {
        match keys {
            [id] => Some(id.clone()),
            _ => None,
        }
    }
}

/// An instant to the microsecond both databases keep, then the id.
const INSTANT_KEY: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl PageKey for (chrono::NaiveDateTime, String) {
    const LEN: usize = 2;

    fn to_keys(&self) -> Vec<String> {
        vec![self.0.format(INSTANT_KEY).to_string(), self.1.clone()]
    }

    fn from_keys(keys: &[String]) -> Option<Self> {
        match keys {
            [at, id] => chrono::NaiveDateTime::parse_from_str(at, INSTANT_KEY)
                .ok()
                .map(|at| (at, id.clone())),
            _ => None,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows; `key` gives a row's sort key values.
    pub fn from_rows(
        mut rows: Vec<T>,
        request: &PageRequest,
        key: impl Fn(&T) -> Vec<String>,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor(key(r)).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}
