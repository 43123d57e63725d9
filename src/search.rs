//! Full-text search of cases: SQLite FTS5 or PostgreSQL `tsvector`, over one document
//! per case that the application keeps in sync in the transaction of every write.
//!
//! Names reach us in many transliterations ("Bokayev", "Bokaev", "Бокаев"), so both
//! the documents and the queries are folded: transliterated to ASCII, lower-cased,
//! and put through a few rules that make common romanisation variants meet.

use crate::db::DbConnection;
use crate::error::ApiResult;
use crate::schema::{case_defenders, cases, charges, countries, defenders, events};
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

/// Rebuilds the search documents of one case: everything, and what partners may see.
pub fn reindex(conn: &mut DbConnection, case_id: &str) -> ApiResult<()> {
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
    let history: Vec<(String, Option<String>, bool, String)> = events::table
        .filter(events::case_id.eq(case_id))
        .select((
            events::title,
            events::description,
            events::confidential,
            events::defender_ids,
        ))
        .load(conn)?;
    for (title, description, secret, defender_ids) in history {
        let public = !secret
            && !crate::domain::from_json_list(&defender_ids)
                .iter()
                .any(|d| hidden.contains(d));
        texts.push((title, public));
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
    store_document(conn, case_id, &body, &public_body)
}

/// Adds one new timeline event to its case's document, without reading the rest of the
/// history again: a write costs the same however long the case's history is. What
/// partners may not see (`public` false) goes into `body` only.
pub fn append_event(
    conn: &mut DbConnection,
    event: &crate::events::NewEvent,
    public: bool,
) -> ApiResult<()> {
    let text = fold(&format!(
        "{}\n{}",
        event.title,
        event.description.as_deref().unwrap_or_default()
    ));
    let public_text = if public { text.as_str() } else { "" };
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "UPDATE case_search SET body = body || char(10) || ?, \
             public_body = public_body || char(10) || ? WHERE case_id = ?"
        }
        DbConnection::Pg(_) => {
            "UPDATE case_search SET body = body || chr(10) || $1, \
             public_body = public_body || chr(10) || $2 WHERE case_id = $3"
        }
    };
    let updated = diesel::sql_query(sql)
        .bind::<Text, _>(&text)
        .bind::<Text, _>(public_text)
        .bind::<Text, _>(&event.case_id)
        .execute(conn)?;
    if updated == 0 {
        // No document yet: build it whole.
        return reindex(conn, &event.case_id);
    }
    Ok(())
}

pub fn store_document(
    conn: &mut DbConnection,
    case_id: &str,
    body: &str,
    public_body: &str,
) -> ApiResult<()> {
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

/// Up to `limit` cases matching every term of `q` (as a word prefix), best first;
/// for `Visibility::Public`, only what partners may see is searched.
pub fn matching_cases(
    conn: &mut DbConnection,
    q: &str,
    visibility: crate::auth::Visibility,
    limit: i64,
) -> ApiResult<Vec<(String, f64)>> {
    let terms = query_terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let public = visibility.is_public();
    let hits: Vec<Hit> = match conn {
        DbConnection::Sqlite(c) => {
            let terms = terms
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" AND ");
            let column = if public { "public_body" } else { "body" };
            let expression = format!("{column} : ({terms})");
            diesel::sql_query(
                "SELECT s.case_id AS case_id, bm25(case_search_fts) AS rank \
                 FROM case_search_fts JOIN case_search s ON s.id = case_search_fts.rowid \
                 WHERE case_search_fts MATCH ? ORDER BY rank, s.case_id LIMIT ?",
            )
            .bind::<Text, _>(expression)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load(c)?
        }
        DbConnection::Pg(c) => {
            let expression = terms
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            let sql = if public {
                "SELECT case_id, -ts_rank(public_document, q)::float8 AS rank \
                 FROM case_search, to_tsquery('simple', $1) AS q \
                 WHERE public_document @@ q ORDER BY rank, case_id LIMIT $2"
            } else {
                "SELECT case_id, -ts_rank(document, q)::float8 AS rank \
                 FROM case_search, to_tsquery('simple', $1) AS q \
                 WHERE document @@ q ORDER BY rank, case_id LIMIT $2"
            };
            diesel::sql_query(sql)
                .bind::<Text, _>(expression)
                .bind::<diesel::sql_types::BigInt, _>(limit)
                .load(c)?
        }
    };
    Ok(hits.into_iter().map(|h| (h.case_id, h.rank)).collect())
}

/// Indexes the cases that have no search document yet (after an upgrade).
pub fn index_missing(conn: &mut DbConnection) -> ApiResult<usize> {
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
