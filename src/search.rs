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

/// Rebuilds the search document of one case.
pub fn reindex(conn: &mut DbConnection, case_id: &str) -> ApiResult<()> {
    let Some((title, summary, subjects, country)) = cases::table
        .find(case_id)
        .select((
            cases::title,
            cases::summary,
            cases::subjects,
            cases::country,
        ))
        .first::<(String, Option<String>, String, String)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let mut texts = vec![title, summary.unwrap_or_default()];
    texts.extend(crate::domain::from_json_list(&subjects));
    let country_name: Option<String> = countries::table
        .find(&country)
        .select(countries::name)
        .first(conn)
        .optional()?;
    texts.extend(country_name);
    let names: Vec<(String, String)> = case_defenders::table
        .inner_join(defenders::table)
        .filter(case_defenders::case_id.eq(case_id))
        .select((defenders::name, defenders::other_names))
        .load(conn)?;
    for (name, others) in names {
        texts.push(name);
        texts.extend(crate::domain::from_json_list(&others));
    }
    let counts: Vec<(String, Option<String>)> = charges::table
        .filter(charges::case_id.eq(case_id))
        .select((charges::legal_basis, charges::description))
        .load(conn)?;
    for (basis, description) in counts {
        texts.push(basis);
        texts.extend(description);
    }
    let history: Vec<(String, Option<String>)> = events::table
        .filter(events::case_id.eq(case_id))
        .select((events::title, events::description))
        .load(conn)?;
    for (title, description) in history {
        texts.push(title);
        texts.extend(description);
    }
    let body = fold(&texts.join("\n"));
    store_document(conn, case_id, &body)
}

pub fn store_document(conn: &mut DbConnection, case_id: &str, body: &str) -> ApiResult<()> {
    let sql = match conn {
        DbConnection::Sqlite(_) => {
            "INSERT INTO case_search (case_id, body) VALUES (?, ?) \
             ON CONFLICT (case_id) DO UPDATE SET body = excluded.body"
        }
        DbConnection::Pg(_) => {
            "INSERT INTO case_search (case_id, body) VALUES ($1, $2) \
             ON CONFLICT (case_id) DO UPDATE SET body = excluded.body"
        }
    };
    diesel::sql_query(sql)
        .bind::<Text, _>(case_id)
        .bind::<Text, _>(body)
        .execute(conn)?;
    Ok(())
}

/// Up to `limit` cases matching every term of `q` (as a word prefix), best first.
pub fn matching_cases(
    conn: &mut DbConnection,
    q: &str,
    limit: i64,
) -> ApiResult<Vec<(String, f64)>> {
    let terms = query_terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<Hit> = match conn {
        DbConnection::Sqlite(c) => {
            let expression = terms
                .iter()
                .map(|t| format!("\"{t}\"*"))
                .collect::<Vec<_>>()
                .join(" AND ");
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
            diesel::sql_query(
                "SELECT case_id, -ts_rank(document, q)::float8 AS rank \
                 FROM case_search, to_tsquery('simple', $1) AS q \
                 WHERE document @@ q ORDER BY rank, case_id LIMIT $2",
            )
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
        "SELECT id FROM cases WHERE NOT EXISTS (SELECT 1 FROM case_search s WHERE s.case_id = cases.id)",
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
