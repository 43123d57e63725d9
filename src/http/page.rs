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

/// `limit` and `cursor`, parsed: `after` is the typed position of the last row of
/// the previous page, in the list's sort key `K`.
#[derive(Debug, Clone)]
pub struct PageRequest<K = String> {
    pub limit: i64,
    pub after: Option<K>,
}

impl<K: PageKey> PageRequest<K> {
    pub fn parse(limit: Option<&str>, cursor: Option<&str>, problems: &mut Problems) -> Self {
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
            Some(text) => match Cursor::decode(text).and_then(|c| K::from_keys(&c.0)) {
                Some(key) => Some(key),
                None => {
                    problems.add("cursor", "is not a cursor returned by this list");
                    None
                }
            },
        };
        PageRequest { limit, after }
    }

    /// How many rows to fetch: one more than the page, to know whether another follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// The sort key of a list's rows, as its cursor carries it.
pub trait PageKey: Clone + Sized + Send + 'static {
    fn to_keys(&self) -> Vec<String>;
    fn from_keys(keys: &[String]) -> Option<Self>;
}

/// Ids sort in creation order.
impl PageKey for String {
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

/// An instant to the microsecond both databases keep.
const INSTANT_KEY: &str = "%Y-%m-%dT%H:%M:%S%.6f";

impl PageKey for (chrono::NaiveDateTime, String) {
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

/// A search hit: its rank (lower is better), then the id.
impl PageKey for (f64, String) {
    fn to_keys(&self) -> Vec<String> {
        vec![self.0.to_string(), self.1.clone()]
    }

    fn from_keys(keys: &[String]) -> Option<Self> {
        match keys {
            [rank, id] => rank.parse().ok().map(|rank| (rank, id.clone())),
            _ => None,
        }
    }
}

/// An event in a history: the start of its period, when it was recorded, its id.
impl PageKey for (chrono::NaiveDate, chrono::NaiveDateTime, String) {
    fn to_keys(&self) -> Vec<String> {
        vec![
            self.0.format("%Y-%m-%d").to_string(),
            self.1.format(INSTANT_KEY).to_string(),
            self.2.clone(),
        ]
    }

    fn from_keys(keys: &[String]) -> Option<Self> {
        match keys {
            [start, recorded, id] => Some((
                chrono::NaiveDate::parse_from_str(start, "%Y-%m-%d").ok()?,
                chrono::NaiveDateTime::parse_from_str(recorded, INSTANT_KEY).ok()?,
                id.clone(),
            )),
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
    /// Builds a page from up to `limit + 1` rows; `key` gives a row's sort key.
    pub fn from_rows<K: PageKey>(
        mut rows: Vec<T>,
        request: &PageRequest<K>,
        key: impl Fn(&T) -> K,
    ) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(usize::MAX);
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|r| Cursor(key(r).to_keys()).encode())
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveDateTime};

    fn round_trip<K: PageKey + PartialEq + std::fmt::Debug>(key: K) {
        let cursor = Cursor(key.to_keys()).encode();
        let mut problems = Problems::new();
        let page = PageRequest::<K>::parse(None, Some(&cursor), &mut problems);
        assert!(problems.is_empty());
        assert_eq!(page.after, Some(key));
    }

    #[test]
    fn every_sort_key_comes_back_from_its_cursor_and_no_other_shape_is_taken() {
        let at = NaiveDateTime::parse_from_str("2016-10-12T04:00:00.123456", INSTANT_KEY).unwrap();
        let day = NaiveDate::from_ymd_opt(2016, 10, 12).unwrap();
        round_trip("0190a".to_string());
        round_trip((at, "0190a".to_string()));
        round_trip((0.1 + 0.2, "0190a".to_string()));
        round_trip((day, at, "0190a".to_string()));
        // A cursor of one list is not a cursor of another.
        let id_cursor = Cursor(vec!["0190a".into()]).encode();
        let mut problems = Problems::new();
        let page =
            PageRequest::<(NaiveDateTime, String)>::parse(None, Some(&id_cursor), &mut problems);
        assert!(page.after.is_none());
        assert_eq!(
            problems.first_message().as_deref(),
            Some("is not a cursor returned by this list")
        );
    }
}
