//! Full-text search of cases: SQLite FTS5 or PostgreSQL `tsvector`, over one document
//! per case (its own fields, defenders and charges) and one per timeline event, which
//! the application keeps in sync in the transaction of every write. A case matches
//! when each term is found in its document or in one of its events'.
//!
//! Names reach us in many transliterations ("Bokayev", "Bokaev", "Бокаев"), so both
//! the documents and the queries are folded: transliterated to ASCII, lower-cased,
//! and put through a few rules that make common romanisation variants meet.

use crate::db::DbConnection;
use crate::schema::{case_defenders, cases, charges, countries, defenders, event_search, events};
use crate::store::StoreResult;
use diesel::prelude::*;
use diesel::sql_types::{Double, Text};

const VOWELS: [char; 5] = ['a', 'e', 'i', 'o', 'u'];

/// Folds one word (ASCII lower case letters and digits) to its search form.
fn fold_word(word: &str) -> String {
    let mut w = word.to_string();
    for (from, to) in [
        ("shch", "sh"),
        ("sch", "sh"),
        ("dzh", "j"),
        ("zh", "j"),
        ("kh", "h"),
        ("ph", "f"),
        ("ts", "c"),
        ("ck", "k"),
        ("x", "ks"),
        ("w", "v"),
        ("q", "k"),
        ("y", "i"),
    ] {
        w = w.replace(from, to);
    }
    // An i next to a vowel is a glide that romanisations write as y, i or not at all:
    // Bokayev / Bokaev, Baydalinova / Baidalinova, Yermek / Ermek.
    let chars: Vec<char> = w.chars().collect();
    let mut kept: Vec<char> = Vec::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let prev_vowel = i > 0 && VOWELS.contains(&chars[i - 1]);
        let next_vowel = chars.get(i + 1).is_some_and(|n| VOWELS.contains(n));
        if c == 'i' && (prev_vowel || next_vowel) && chars.len() > 2 {
            continue;
        }
        // Doubled consonants are often written single.
        if !VOWELS.contains(&c) && kept.last() == Some(&c) {
            continue;
        }
        kept.push(c);
    }
    kept.into_iter().collect()
}

/// The folded words of a text.
pub fn fold_words(text: &str) -> Vec<String> {
    crate::domain::search_key(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(fold_word)
        .filter(|w| !w.is_empty())
        .collect()
}

pub fn fold(text: &str) -> String {
    fold_words(text).join(" ")
}

/// A LIKE pattern that finds `needle` anywhere in a search key column.
pub fn contains_pattern(needle: &str) -> String {
    format!("%{}%", crate::domain::like_escape(&fold(needle)))
}

/// The search terms of a query: folded words, at most ten.
pub fn query_terms(q: &str) -> Vec<String> {
    let mut terms = fold_words(q);
    terms.truncate(10);
    terms
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Double)]
    rank: f64,
}

/// Rebuilds the search document of one case (everything, and what partners may see),
/// and brings its events' rows up to date: adds missing ones, and changes those whose
/// visibility to partners changed (the case or a defender became confidential, or
/// stopped being so).
pub fn reindex(conn: &mut DbConnection, case_id: &str) -> StoreResult<()> {
    let Some((title, summary, subjects, country, confidential)) = cases::table
        .find(case_id)
        .filter(cases::deleted_at.is_null())
        .select((
            cases::title,
            cases::summary,
            cases::subjects,
            cases::country,
            cases::confidential,
        ))
        .first::<(String, Option<String>, String, String, bool)>(conn)
        .optional()?
    else {
        // A deleted case is found by no search.
        diesel::delete(event_search::table.filter(event_search::case_id.eq(case_id)))
            .execute(conn)?;
        diesel::sql_query(match conn {
            DbConnection::Sqlite(_) => "DELETE FROM case_search WHERE case_id = ?",
            DbConnection::Pg(_) => "DELETE FROM case_search WHERE case_id = $1",
        })
        .bind::<Text, _>(case_id)
        .execute(conn)?;
        return Ok(());
    };
    // (text, seen by partners)
    let mut texts: Vec<(String, bool)> = vec![(title, true), (summary.unwrap_or_default(), true)];
    texts.extend(
        crate::domain::from_json_list(&subjects)
            .into_iter()
            .map(|s| (s, true)),
    );
    let country_name: Option<String> = countries::table
        .find(&country)
        .select(countries::name)
        .first(conn)
        .optional()?;
    texts.extend(country_name.map(|n| (n, true)));
    let names: Vec<(String, String, String, bool)> = case_defenders::table
        .inner_join(defenders::table)
        .filter(case_defenders::case_id.eq(case_id))
        .select((
            defenders::id,
            defenders::name,
            defenders::other_names,
            defenders::confidential,
        ))
        .load(conn)?;
    let hidden: Vec<String> = names.iter().filter(|n| n.3).map(|n| n.0.clone()).collect();
    for (_, name, others, secret) in names {
        texts.push((name, !secret));
        texts.extend(
            crate::domain::from_json_list(&others)
                .into_iter()
                .map(|n| (n, !secret)),
        );
    }
    let counts: Vec<(String, String, Option<String>)> = charges::table
        .filter(charges::case_id.eq(case_id))
        .select((
            charges::defender_id,
            charges::legal_basis,
            charges::description,
        ))
        .load(conn)?;
    for (defender_id, basis, description) in counts {
        let public = !hidden.contains(&defender_id);
        texts.push((basis, public));
        texts.extend(description.map(|d| (d, public)));
    }
    let body = fold(
        &texts
            .iter()
            .map(|t| t.0.as_str())
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let public_body = if confidential {
        String::new()
    } else {
        fold(
            &texts
                .iter()
                .filter(|t| t.1)
                .map(|t| t.0.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    };
    store_document(conn, case_id, &body, &public_body)?;
    reindex_events(conn, case_id, !confidential, &hidden)
}

/// The events' rows of one case, after a change to what partners may see of it.
fn reindex_events(
    conn: &mut DbConnection,
    case_id: &str,
    case_public: bool,
    hidden: &[String],
) -> StoreResult<()> {
    // (id, title, description, confidential, defender ids, indexed as public?)
    type Indexed = (String, String, Option<String>, bool, String, Option<bool>);
    let history: Vec<Indexed> = events::table
        .left_join(event_search::table.on(event_search::event_id.eq(events::id)))
        .filter(events::case_id.eq(case_id))
        .select((
            events::id,
            events::title,
            events::description,
            events::confidential,
            events::defender_ids,
            event_search::public.nullable(),
        ))
        .load(conn)?;
    for (event_id, title, description, secret, defender_ids, indexed) in history {
        let public = case_public
            && !secret
            && !crate::domain::from_json_list(&defender_ids)
                .iter()
                .any(|d| hidden.contains(d));
        match indexed {
            None => {
                let row = EventRow::new(&event_id, case_id, &title, description.as_deref(), public);
                insert_event_rows(conn, std::slice::from_ref(&row))?;
            }
            Some(was) if was != public => {
                let row = event_search::table.find(&event_id);
                if public {
                    diesel::update(row)
                        .set((
                            event_search::public.eq(true),
                            event_search::public_body.eq(event_search::body),
                        ))
                        .execute(conn)?;
                } else {
                    diesel::update(row)
                        .set((
                            event_search::public.eq(false),
                            event_search::public_body.eq(""),
                        ))
                        .execute(conn)?;
                }
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// One event's search row, ready to insert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = event_search)]
pub struct EventRow {
    event_id: String,
    case_id: String,
    body: String,
    public_body: String,
    public: bool,
}

impl EventRow {
    /// The row of an event; `public`: partners may see it.
    pub fn new(
        event_id: &str,
        case_id: &str,
        title: &str,
        description: Option<&str>,
        public: bool,
    ) -> Self {
        let body = fold(&format!("{title}\n{}", description.unwrap_or_default()));
        Self {
            event_id: event_id.to_string(),
            case_id: case_id.to_string(),
            public_body: if public { body.clone() } else { String::new() },
            body,
            public,
        }
    }
}

/// Inserts events' search rows in one statement (at most a few hundred at a time).
pub fn insert_event_rows(conn: &mut DbConnection, rows: &[EventRow]) -> StoreResult<()> {
    for chunk in rows.chunks(500) {
        let insert = diesel::insert_into(event_search::table).values(chunk);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Pg(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Indexes one new timeline event as its own row: a write costs the same however long
/// the case's history is. What partners may not see (`public` false) is left out of
/// `public_body`.
pub fn append_event(
    conn: &mut DbConnection,
    event: &crate::events::NewEvent,
    public: bool,
) -> StoreResult<()> {
    let row = EventRow::new(
        &event.id,
        &event.case_id,
        &event.title,
        event.description.as_deref(),
        public,
    );
    insert_event_rows(conn, std::slice::from_ref(&row))
}

pub fn store_document(
    conn: &mut DbConnection,
    case_id: &str,
    body: &str,
    public_body: &str,
) -> StoreResult<()> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO case_search (case_id, body, public_body) VALUES (?, ?, ?) \
             ON CONFLICT (case_id) DO UPDATE SET body = excluded.body, public_body = excluded.public_body"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO case_search (case_id, body, public_body) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id) DO UPDATE SET body = excluded.body, public_body = excluded.public_body"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(case_id)
        .bind::<Text, _>(body)
        .bind::<Text, _>(public_body)
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` cases matching every term of `q` (as a word prefix) in their own
/// document or their events', best first: cases whose own document holds every term
/// by its relevance, then the others. For `Visibility::Public`, only what partners may
/// see is searched.
pub fn matching_cases(
    conn: &mut DbConnection,
    q: &str,
    visibility: crate::audience::Visibility,
    limit: i64,
) -> StoreResult<Vec<(String, f64)>> {
    let mut terms = query_terms(q);
    // Folded terms are ASCII letters and digits, which is what lets them be written
    // into the statement below; anything else is dropped, never quoted.
    terms.retain(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric()));
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let public = visibility.is_public();
    // Per backend: for each term, the cases whose document or an event's row has it;
    // and the cases whose own document has every term, with its relevance (lower is
    // better).
    let (each, ranked): (Vec<String>, String) = match conn {
        DbConnection::Sqlite(_) => {
            let column = if public { "public_body" } else { "body" };
            let matching = |table: &str, expression: &str, scored: bool| {
                let score = if scored {
                    ", bm25(case_search_fts) AS score"
                } else {
                    ""
                };
                format!(
                    "SELECT d.case_id{score} FROM {table}_fts \
                     JOIN {table} d ON d.id = {table}_fts.rowid \
                     WHERE {table}_fts MATCH '{column} : ({expression})'"
                )
            };
            let each = terms
                .iter()
                .map(|t| {
                    let term = format!("\"{t}\"*");
                    format!(
                        "{} UNION {}",
                        matching("case_search", &term, false),
                        matching("event_search", &term, false)
                    )
                })
                .collect();
            let all = terms.iter().map(|t| format!("\"{t}\"*"));
            let all = all.collect::<Vec<_>>().join(" AND ");
            (each, matching("case_search", &all, true))
        }
        DbConnection::Pg(_) => {
            let column = if public {
                "public_document"
            } else {
                "document"
            };
            let matching = |table: &str, expression: &str, scored: bool| {
                let score = if scored {
                    format!(", -ts_rank({column}, q) AS score")
                } else {
                    String::new()
                };
                format!(
                    "SELECT case_id{score} \
                     FROM {table}, to_tsquery('simple', '{expression}') AS q WHERE {column} @@ q"
                )
            };
            let each = terms
                .iter()
                .map(|t| {
                    let term = format!("{t}:*");
                    format!(
                        "{} UNION {}",
                        matching("case_search", &term, false),
                        matching("event_search", &term, false)
                    )
                })
                .collect();
            let all = terms.iter().map(|t| format!("{t}:*"));
            let all = all.collect::<Vec<_>>().join(" & ");
            (each, matching("case_search", &all, true))
        }
    };
    let each: Vec<String> = each
        .iter()
        .enumerate()
        .map(|(i, query)| format!("t{i} AS ({query})"))
        .collect();
    let hits = (0..each.len())
        .map(|i| format!("SELECT case_id FROM t{i}"))
        .collect::<Vec<_>>()
        .join(" INTERSECT ");
    let sql = format!(
        "WITH {}, hits AS ({hits}), ranked AS ({ranked}) \
         SELECT h.case_id AS case_id, CAST(coalesce(r.score, 0.0) AS DOUBLE PRECISION) AS rank \
         FROM hits h LEFT JOIN ranked r ON r.case_id = h.case_id \
         ORDER BY rank, h.case_id LIMIT {limit}",
        each.join(", ")
    );
    let hits: Vec<Hit> = diesel::sql_query(sql).load(conn)?;
    Ok(hits.into_iter().map(|h| (h.case_id, h.rank)).collect())
}

/// Indexes the cases that have no search document yet (after an upgrade).
pub fn index_missing(conn: &mut DbConnection) -> StoreResult<usize> {
    #[derive(QueryableByName)]
    struct Missing {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let missing: Vec<Missing> = diesel::sql_query(
        "SELECT id FROM cases WHERE deleted_at IS NULL \
         AND NOT EXISTS (SELECT 1 FROM case_search s WHERE s.case_id = cases.id)",
    )
    .load(conn)?;
    for case in &missing {
        reindex(conn, &case.id)?;
    }
    Ok(missing.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanisation_variants_fold_together() {
        let same = |a: &str, b: &str| assert_eq!(fold(a), fold(b), "{a} / {b}");
        same("Bokayev", "Bokaev");
        same("Bokayev", "Бокаев");
        same("Baydalinova", "Baidalinova");
        same("Yermek", "Ermek");
        same("Zhanaozen", "Janaozen");
        same("Mariya", "Maria");
        assert!(fold("Talgat Ayanov").starts_with(&fold("Talgat Ayan")));
        assert_ne!(fold("Bokayev"), fold("Abzhan"));
        assert_eq!(fold("art. 174"), "art 174");
    }
}
