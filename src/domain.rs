//! Small domain rules shared by several resources: names normalised for search,
//! country codes, lists stored as JSON text, URLs.

use crate::http::Problems;
use serde::Serializer;
use std::borrow::Cow;
use validator::ValidationError;

/// The form names and texts are matched in: transliterated to ASCII, lower case, single
/// spaces. "Bokayev", "BOKAYEV" and "Бокаев" all become "bokayev"/"bokaev".
pub fn search_key(text: &str) -> String {
    let ascii = deunicode::deunicode(text).to_lowercase();
    ascii.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Is `code` an ISO 3166-1 alpha-2 code (upper case)?
pub fn is_country(code: &str) -> bool {
    code.len() == 2
        && code.bytes().all(|b| b.is_ascii_uppercase())
        && rust_iso3166::from_alpha2(code).is_some()
}

pub fn check_country(field: &str, code: &str, problems: &mut Problems) {
    if !is_country(code) {
        problems.add(
            field,
            "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. KZ",
        );
    }
}

fn rule(code: &'static str, message: String) -> ValidationError {
    ValidationError::new(code).with_message(Cow::Owned(message))
}

/// `validator` rule: an ISO 3166-1 alpha-2 code.
pub fn valid_country(code: &str) -> Result<(), ValidationError> {
    if is_country(code) {
        Ok(())
    } else {
        Err(rule(
            "country",
            "must be an ISO 3166-1 alpha-2 country code in upper case, e.g. KZ".into(),
        ))
    }
}

fn valid_list(items: &[String], max_items: usize, max_len: usize) -> Result<(), ValidationError> {
    let mut problems = Problems::new();
    check_list("", items, max_items, max_len, &mut problems);
    match problems.first_message() {
        None => Ok(()),
        Some(message) => Err(rule("list", message)),
    }
}

/// `validator` rule for other spellings of a name.
pub fn valid_names(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, 20, 200)
}

/// `validator` rule for subjects (tags).
pub fn valid_subjects(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, 20, 100)
}

/// `validator` rule for the authorities an intervention is addressed to.
pub fn valid_addressees(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, 30, 300)
}

/// `validator` rule: ISO 639-1 language codes.
pub fn valid_languages(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, 30, 2)?;
    match items
        .iter()
        .position(|c| isolang::Language::from_639_1(c).is_none())
    {
        None => Ok(()),
        Some(i) => Err(rule(
            "language",
            format!(
                "entry {i} ({:?}) is not an ISO 639-1 language code, e.g. en, fr, es",
                items[i]
            ),
        )),
    }
}

/// `validator` rule: an absolute http(s) URL.
pub fn valid_url(value: &str) -> Result<(), ValidationError> {
    let mut problems = Problems::new();
    check_url("", value, &mut problems);
    match problems.first_message() {
        None => Ok(()),
        Some(message) => Err(rule("url", message)),
    }
}

/// `validator` rule: an ISO 4217 currency code.
pub fn valid_currency(code: &str) -> Result<(), ValidationError> {
    match iso_currency::Currency::from_code(code) {
        Some(_) => Ok(()),
        None => Err(rule(
            "currency",
            "must be an ISO 4217 currency code, e.g. KZT".into(),
        )),
    }
}

/// Checks a list of short texts: count, each length, no blanks, no duplicates.
pub fn check_list(
    field: &str,
    items: &[String],
    max_items: usize,
    max_len: usize,
    problems: &mut Problems,
) {
    if items.len() > max_items {
        problems.add(field, format!("must have at most {max_items} entries"));
        return;
    }
    for (i, item) in items.iter().enumerate() {
        let n = item.chars().count();
        if item.trim().is_empty() || n > max_len {
            problems.add(
                field,
                format!("entry {i} must be 1 to {max_len} characters long"),
            );
        } else if items[..i].iter().any(|prior| prior == item) {
            problems.add(field, format!("entry {i} ({item:?}) is listed twice"));
        }
    }
}

pub fn check_url(field: &str, value: &str, problems: &mut Problems) {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        _ => problems.add(field, "must be an absolute http or https URL"),
    }
}

/// Lists are stored as JSON text so that both backends hold them the same way.
pub fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub fn from_json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// `#[serde(serialize_with)]` for a JSON-text column: emits it as an array.
pub fn json_list<S: Serializer>(text: &str, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(from_json_list(text))
}

/// `#[serde(serialize_with)]` for timestamps stored in UTC without an offset.
pub fn utc<S: Serializer>(t: &chrono::NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(
        &t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

pub fn utc_opt<S: Serializer>(t: &Option<chrono::NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}

/// A LIKE pattern that finds `needle` anywhere in a search key column.
pub fn contains_pattern(needle: &str) -> String {
    format!("%{}%", crate::db::like_escape(&search_key(needle)))
}

/// A LIKE pattern that finds `item` as one element of a JSON-text list.
pub fn list_member_pattern(item: &str) -> String {
    let quoted = serde_json::to_string(item).unwrap_or_default();
    format!("%{}%", crate::db::like_escape(&quoted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keys_fold_case_accents_and_scripts() {
        assert_eq!(search_key("  Maks   BOKAYEV "), "maks bokayev");
        assert_eq!(
            search_key("Guzyal Baydalinova"),
            search_key("Güzyal Baydalinova")
        );
        assert_eq!(search_key("Бокаев"), "bokaev");
    }

    #[test]
    fn country_codes_come_from_the_iso_list() {
        assert!(is_country("KZ"));
        assert!(!is_country("kz"));
        assert!(!is_country("XX"));
        assert_eq!(rust_iso3166::ALL.len(), 249);
    }

    #[test]
    fn list_member_patterns_match_whole_elements() {
        assert_eq!(list_member_pattern("a_b"), "%\"a\\_b\"%");
    }
}
