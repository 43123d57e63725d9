//! Small domain rules shared by several resources: names normalised for search,
//! country codes, lists stored as JSON text, URLs.

pub mod schema;

use crate::store::Problems;
use serde::Serializer;
use std::borrow::Cow;
use validator::ValidationError;

/// The form names and texts are matched in: transliterated to ASCII, lower case, single
/// spaces. "Bokayev", "BOKAYEV" and "Бокаев" all become "bokayev"/"bokaev".
pub fn search_key(text: &str) -> String {
    // Word by word: deunicode drops control characters such as line breaks, which
    // would glue the words on either side together.
    let ascii: Vec<String> = text
        .split_whitespace()
        .map(|word| deunicode::deunicode(word).to_lowercase())
        .collect();
    ascii
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
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

/// The limits of a list of short texts: at most `items` entries, each 1 to `length`
/// characters and not blank, none twice. The validators and the OpenAPI schemas
/// (`schema`) both read them.
#[derive(Debug, Clone, Copy)]
pub struct ListRule {
    pub items: usize,
    pub length: usize,
}

/// Other spellings of a name.
pub const OTHER_NAMES: ListRule = ListRule {
    items: 20,
    length: 200,
};
/// Subjects (tags).
pub const SUBJECTS: ListRule = ListRule {
    items: 20,
    length: 100,
};
/// The authorities an intervention is addressed to.
pub const ADDRESSEES: ListRule = ListRule {
    items: 30,
    length: 300,
};
/// ISO 639-1 codes.
pub const LANGUAGES: ListRule = ListRule {
    items: 30,
    length: 2,
};

fn valid_list(items: &[String], list: ListRule) -> Result<(), ValidationError> {
    let mut problems = Problems::new();
    check_list("", items, list.items, list.length, &mut problems);
    match problems.first_message() {
        None => Ok(()),
        Some(message) => Err(rule("list", message)),
    }
}

/// `validator` rule for other spellings of a name.
pub fn valid_names(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, OTHER_NAMES)
}

/// `validator` rule for subjects (tags).
pub fn valid_subjects(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, SUBJECTS)
}

/// `validator` rule for the authorities an intervention is addressed to.
pub fn valid_addressees(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, ADDRESSEES)
}

/// `validator` rule: ISO 639-1 language codes.
pub fn valid_languages(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, LANGUAGES)?;
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

/// The ids of the defenders an event concerns.
pub const DEFENDER_IDS: ListRule = ListRule {
    items: 50,
    length: 100,
};

/// `validator` rule for a list of ids: each given once.
pub fn valid_defender_ids(items: &[String]) -> Result<(), ValidationError> {
    valid_list(items, DEFENDER_IDS)
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
    if !is_web_url(value) {
        problems.add(
            field,
            "must be an absolute http or https URL of a named host, without spaces",
        );
    }
}

/// An absolute http(s) address of a named host (no user, no IP literal), an optional
/// port of up to four digits, and a path, query or fragment without white space,
/// control characters or the characters RFC 3987 excludes: the rule
/// `schema::url_pattern` states, and one the URL parser always takes.
pub fn is_web_url(value: &str) -> bool {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &value[8..]
    } else if lower.starts_with("http://") {
        &value[7..]
    } else {
        return false;
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let label = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = host.split('.').collect();
    let hosted = labels.iter().all(|l| label(l))
        && labels
            .last()
            .is_some_and(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()));
    let ported =
        port.is_none_or(|p| (1..=4).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    // What RFC 3987 leaves out of an IRI besides white space and controls.
    let clean = tail
        .chars()
        .all(|c| !c.is_whitespace() && !c.is_control() && !"<>\"{}|\\^`".contains(c));
    hosted && ported && clean && url::Url::parse(value).is_ok()
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

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A LIKE pattern that finds `item` as one element of a JSON-text list.
pub fn list_member_pattern(item: &str) -> String {
    let quoted = serde_json::to_string(item).unwrap_or_default();
    format!("%{}%", like_escape(&quoted))
}

/// Strict plain dates for request bodies: exactly `YYYY-MM-DD`, a real day, between
/// 1900 and 2100 (chrono alone also takes signs, five-digit years and spaces).
pub mod date {
    use chrono::{Datelike, NaiveDate};
    use serde::{de::Error, Deserialize, Deserializer};

    pub fn parse<E: Error>(text: &str) -> Result<NaiveDate, E> {
        let b = text.as_bytes();
        let shaped = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shaped {
            return Err(E::custom("must be a date as YYYY-MM-DD"));
        }
        let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|_| E::custom("is not a real date (YYYY-MM-DD)"))?;
        if !(1900..=2100).contains(&date.year()) {
            return Err(E::custom("must be a date between 1900 and 2100"));
        }
        Ok(date)
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        parse(&String::deserialize(d)?)
    }

    /// An optional date in a create body (absent or null = none).
    pub fn optional<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse(&s))
            .transpose()
    }

    /// A date in a PATCH that may be changed but not cleared.
    pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        required(d).map(Some)
    }

    /// A nullable date in a PATCH: absent = leave, null = clear.
    pub fn nullable<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<NaiveDate>>, D::Error> {
        optional(d).map(Some)
    }
}

/// Strict instants for request bodies and query parameters: RFC 3339 with a four-digit
/// year between 1900 and 2100 (chrono's own parser also takes signs, five-digit years
/// and a space for the `T`).
pub mod timestamp {
    use chrono::{DateTime, Datelike, FixedOffset, Timelike};
    use serde::{de::Error, Deserialize, Deserializer};

    pub const RULE: &str =
        "must be an RFC 3339 date and time with its UTC offset between 1900 and 2100, e.g. 2016-10-12T10:00:00+06:00";

    pub fn parse_text(text: &str) -> Option<DateTime<FixedOffset>> {
        let b = text.as_bytes();
        let shaped = b.len() >= 20
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && matches!(b[10], b'T' | b't');
        let at = DateTime::parse_from_rfc3339(text).ok().filter(|_| shaped)?;
        // chrono keeps a leap second (":60") as a nanosecond past the 59th.
        let leap = at.nanosecond() >= 1_000_000_000;
        ((1900..=2100).contains(&at.year()) && !leap).then_some(at)
    }

    pub fn required<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        parse_text(&String::deserialize(d)?).ok_or_else(|| D::Error::custom(RULE))
    }

    /// An optional instant in a create body (absent or null = none).
    pub fn optional<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| parse_text(&s).ok_or_else(|| D::Error::custom(RULE)))
            .transpose()
    }

    /// An instant in a PATCH that may be changed but not cleared.
    pub fn present<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
        required(d).map(Some)
    }

    pub const BOUND_RULE: &str =
        "must be a date as YYYY-MM-DD or an RFC 3339 timestamp, between 1900 and 2100";

    /// A bound of a period in a query: an instant, or a date taken in UTC as its start,
    /// or with `end_of_day` as its end (the next day's start).
    pub fn bound(text: &str, end_of_day: bool) -> Option<chrono::NaiveDateTime> {
        if let Some(at) = parse_text(text) {
            return Some(at.naive_utc());
        }
        let day = super::date::parse::<serde_json::Error>(text).ok()?;
        let day = if end_of_day { day.succ_opt()? } else { day };
        day.and_hms_opt(0, 0, 0)
    }
}

/// `validator` rule: a text that is not only white space.
pub fn not_blank(text: &str) -> Result<(), ValidationError> {
    if text.trim().is_empty() {
        Err(rule("blank", "must not be blank".into()))
    } else {
        Ok(())
    }
}

/// `validator` rule for an email address: `validator`'s syntax check, and an address
/// the mail library can put in an envelope, so a stored address can always be sent to.
pub fn valid_email(text: &str) -> Result<(), ValidationError> {
    use validator::ValidateEmail;
    if text.validate_email() && text.parse::<lettre::Address>().is_ok() {
        Ok(())
    } else {
        Err(rule("email", "must be an email address".into()))
    }
}

/// An ISO 3166-1 alpha-2 country code, as the OpenAPI document describes it: one of
/// the codes of the country list.
pub struct CountryCode;

impl utoipa::PartialSchema for CountryCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let codes: Vec<&str> = rust_iso3166::ALL.iter().map(|c| c.alpha2).collect();
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(codes))
            .description(Some("ISO 3166-1 alpha-2 country code, e.g. KZ"))
            .into()
    }
}

impl utoipa::ToSchema for CountryCode {}

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
        assert_eq!(search_key("Güzyal\nAn editor"), "guzyal an editor");
    }

    #[test]
    fn country_codes_come_from_the_iso_list() {
        assert!(is_country("KZ"));
        assert!(!is_country("kz"));
        assert!(!is_country("XX"));
        assert_eq!(rust_iso3166::ALL.len(), 249);
    }

    #[test]
    fn dates_are_strict() {
        let ok = |s: &str| date::parse::<serde_json::Error>(s).is_ok();
        assert!(ok("2016-10-12"));
        for bad in [
            "2016-02-30",
            "-0001-01-01",
            "+10000-01-01",
            "0000-01-01",
            "2016-05-17 ",
            " 2016-05-17",
            "2016-5-17",
            "1899-12-31",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn instants_are_strict() {
        let ok = |s: &str| timestamp::parse_text(s).is_some();
        assert!(ok("2016-10-12T10:00:00+05:00"));
        assert!(ok("2016-10-12T10:00:00.5Z"));
        for bad in [
            "+12016-10-12T10:00:00+05:00",
            "12016-10-12T10:00:00+05:00",
            "0000-10-12T10:00:00Z",
            "1899-12-31T23:59:59Z",
            "2101-01-01T00:00:00Z",
            "2016-10-12 10:00:00+05:00",
            "2016-10-12T10:00:00",
            "2016-10-12",
        ] {
            assert!(!ok(bad), "{bad}");
        }
    }

    #[test]
    fn list_member_patterns_match_whole_elements() {
        assert_eq!(list_member_pattern("a_b"), "%\"a\\_b\"%");
    }
}
