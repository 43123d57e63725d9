//! The OpenAPI schemas of the domain rules, for `#[schema(schema_with = ...)]` and
//! `#[param(schema_with = ...)]`: each states what its validator enforces, so that a
//! client or a generated form knows the rule before it sends anything. Contract fuzzing
//! checks both directions: what the schema allows is accepted, what it forbids refused.
//! The rules every text follows (no NUL, not blank when it has a minimum length, the
//! years of a `date` or `date-time`) are added to the whole document by `openapi.rs`
//! from the patterns here.

use super::ListRule;
use utoipa::openapi::schema::{ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};

/// A year the service takes: 1900 to 2100.
const YEAR: &str = "(19[0-9]{2}|20[0-9]{2}|2100)";
const MONTH: &str = "(0[1-9]|1[0-2])";
/// The leap years among them (1900 and 2100 are not).
const LEAP_YEAR: &str = "((19|20)(0[48]|[2468][048]|[13579][26])|2000)";
const TIME: &str =
    "[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";

/// A real day of those years, month by month.
fn day() -> String {
    format!(
        "({YEAR}-(0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|{YEAR}-(0[469]|11)-(0[1-9]|[12][0-9]|30)|{YEAR}-02-(0[1-9]|1[0-9]|2[0-8])|{LEAP_YEAR}-02-29)"
    )
}

/// What `white space` is for the blank check (Rust's `char::is_whitespace`), as a
/// character class body.
pub const WHITE_SPACE: &str =
    "\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/// Text with no NUL character (PostgreSQL cannot store one).
pub fn no_nul_pattern() -> String {
    "^[^\\u0000]*$".into()
}

/// Text with no NUL character and something other than white space.
pub fn non_blank_pattern() -> String {
    format!("^[^\\u0000]*[^\\u0000{WHITE_SPACE}][^\\u0000]*$")
}

/// `YYYY-MM-DD`, 1900 to 2100 (`domain::date`).
pub fn date_pattern() -> String {
    format!("^{}$", day())
}

/// RFC 3339 with its offset, 1900 to 2100 (`domain::timestamp`).
pub fn instant_pattern() -> String {
    format!("^{}{TIME}$", day())
}

fn string(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn one_of(values: Vec<String>, description: &str) -> ObjectBuilder {
    string(description).enum_values(Some(values))
}

/// A date as precise as it is known: `YYYY`, `YYYY-MM` or `YYYY-MM-DD`.
pub fn approximate_date() -> RefOr<Schema> {
    string("`YYYY`, `YYYY-MM` or `YYYY-MM-DD`, between 1900 and 2100: as precise as it is known")
        .pattern(Some(format!("^({YEAR}(-{MONTH})?|{})$", day())))
        .into()
}

/// A bound of a period in a query: a date or an RFC 3339 instant.
pub fn date_or_instant() -> RefOr<Schema> {
    string("`YYYY-MM-DD` or an RFC 3339 instant with its offset, between 1900 and 2100")
        .pattern(Some(format!("^{}({TIME})?$", day())))
        .into()
}

/// An RFC 3339 instant with its offset.
pub fn instant() -> RefOr<Schema> {
    string("RFC 3339 with its UTC offset, between 1900 and 2100, e.g. 2016-10-12T10:00:00+06:00")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .into()
}

/// The web address rule of `domain::check_url`.
pub fn url_pattern() -> String {
    let label = "[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?";
    let top = "[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?";
    format!(
        "^[Hh][Tt][Tt][Pp][Ss]?://({label}\\.)*{top}(:[0-9]{{1,4}})?([/?#][^\\u0000-\\u0020\\u007f-\\u009f{WHITE_SPACE}<>\"{{}}|\\\\^`]*)?$"
    )
}

/// An absolute http(s) address of a named host.
pub fn url() -> RefOr<Schema> {
    string("An absolute http or https address of a named host, at most 2000 characters")
        .format(Some(SchemaFormat::Custom("iri".into())))
        .max_length(Some(2000))
        .pattern(Some(url_pattern()))
        .into()
}

/// An IANA time zone name.
pub fn time_zone() -> RefOr<Schema> {
    let names = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_string());
    one_of(names.collect(), "An IANA time zone name, e.g. Asia/Almaty").into()
}

/// An ISO 4217 currency code.
pub fn currency() -> RefOr<Schema> {
    use iso_currency::IntoEnumIterator;
    let codes = iso_currency::Currency::iter().map(|c| c.code().to_string());
    one_of(codes.collect(), "An ISO 4217 currency code, e.g. KZT").into()
}

fn language_codes() -> Vec<String> {
    let mut codes: Vec<String> = isolang::languages()
        .filter_map(|l| l.to_639_1())
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// A list of short texts by its rule: each entry not blank, none twice.
fn texts(list: ListRule, description: &str) -> RefOr<Schema> {
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(list.length));
    ArrayBuilder::new()
        .items(item)
        .max_items(Some(list.items))
        .unique_items(true)
        .description(Some(description))
        .into()
}

pub fn other_names() -> RefOr<Schema> {
    texts(super::OTHER_NAMES, "Other spellings of the name")
}

pub fn subjects() -> RefOr<Schema> {
    texts(super::SUBJECTS, "Subjects (tags)")
}

pub fn addressees() -> RefOr<Schema> {
    texts(super::ADDRESSEES, "The authorities it is addressed to")
}

pub fn languages() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(one_of(language_codes(), "An ISO 639-1 code"))
        .max_items(Some(super::LANGUAGES.items))
        .unique_items(true)
        .description(Some("ISO 639-1 codes of the languages it was published in"))
        .into()
}

pub fn defender_ids() -> RefOr<Schema> {
    texts(
        super::DEFENDER_IDS,
        "The ids of the defenders of the case it concerns, each once",
    )
}

/// A schema that also takes `null`.
fn or_null(schema: RefOr<Schema>) -> RefOr<Schema> {
    utoipa::openapi::schema::OneOfBuilder::new()
        .item(schema)
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .into()
}

pub fn optional_instant() -> RefOr<Schema> {
    or_null(instant())
}

pub fn optional_url() -> RefOr<Schema> {
    or_null(url())
}

pub fn optional_currency() -> RefOr<Schema> {
    or_null(currency())
}

/// The `next_cursor` of a previous page: base64url, as the service issues it.
pub fn cursor() -> RefOr<Schema> {
    string("The `next_cursor` of the previous page")
        .pattern(Some("^[A-Za-z0-9_-]+$"))
        .max_length(Some(2000))
        .into()
}

/// Timeline kinds (logged events and change records), comma-separated.
pub fn event_kinds() -> RefOr<Schema> {
    use crate::vocabulary::{ChangeKind, EventKind};
    let logged = EventKind::ALL.iter().map(|k| k.as_str());
    let changes = ChangeKind::ALL.iter().map(|k| k.as_str());
    let kinds: Vec<&str> = logged.chain(changes).collect();
    let kind = format!("({})", kinds.join("|"));
    string("Only events of these kinds (logged events and change records), comma-separated (at most 20)")
        .pattern(Some(format!("^{kind}(,{kind}){{0,19}}$")))
        .into()
}

/// The order of a history.
pub fn order() -> RefOr<Schema> {
    one_of(
        vec!["asc".into(), "desc".into()],
        "`asc` (oldest first, the default) or `desc`",
    )
    .into()
}

#[cfg(test)]
mod tests {
    //! Each pattern against the parser it describes, on the same inputs: what one
    //! takes, the other takes.
    use super::*;
    use regex::Regex;

    fn agree(pattern: &str, samples: &[String], rule: impl Fn(&str) -> bool) {
        let re = Regex::new(pattern).expect(pattern);
        for sample in samples {
            assert_eq!(
                re.is_match(sample),
                rule(sample),
                "{sample:?} against {pattern}"
            );
        }
    }

    fn days() -> Vec<String> {
        let mut out = Vec::new();
        for year in [1899, 1900, 1904, 1996, 2000, 2016, 2023, 2100, 2101] {
            for month in 0..=13 {
                for day in 0..=32 {
                    out.push(format!("{year:04}-{month:02}-{day:02}"));
                }
            }
        }
        out.extend(
            [
                "2016-1-01",
                "+2016-01-01",
                "12016-01-01",
                "2016-01-01 ",
                "2016/01/01",
                "",
            ]
            .map(String::from),
        );
        out
    }

    #[test]
    fn dates_are_the_days_the_parser_takes() {
        agree(&date_pattern(), &days(), |s| {
            crate::domain::date::parse::<serde_json::Error>(s).is_ok()
        });
    }

    #[test]
    fn instants_are_what_the_parser_takes() {
        let mut samples: Vec<String> = days()
            .iter()
            .step_by(7)
            .map(|d| format!("{d}T10:00:00+05:00"))
            .collect();
        samples.extend(
            [
                "2016-10-12t10:00:00z",
                "2016-10-12T10:00:00.123456789Z",
                "2016-10-12T10:00:00-23:59",
                "2016-10-12T24:00:00Z",
                "2016-10-12T23:59:60Z",
                "2016-10-12T10:00Z",
                "2016-10-12 10:00:00Z",
                "2016-10-12T10:00:00",
                "2016-10-12T10:00:00+0500",
                "2100-12-31T23:59:59-05:00",
            ]
            .map(String::from),
        );
        agree(&instant_pattern(), &samples, |s| {
            crate::domain::timestamp::parse_text(s).is_some()
        });
    }

    #[test]
    fn approximate_dates_are_what_events_take() {
        let mut samples = days();
        samples.extend(
            [
                "1899", "1900", "2100", "2101", "2016-00", "2016-02", "2016-13", "16", "2016-",
            ]
            .map(String::from),
        );
        let pattern = match approximate_date() {
            RefOr::T(Schema::Object(o)) => o.pattern.expect("a pattern"),
            _ => unreachable!(),
        };
        agree(&pattern, &samples, |s| {
            crate::events::ApproximateDate::parse(s).is_some()
        });
    }

    #[test]
    fn web_addresses_are_what_the_url_rule_takes() {
        let samples = [
            "https://example.org",
            "HTTP://Example.org:8080/a/b?q=1#f",
            "https://www.example.org/путь?q=ü",
            "https://a-b.example/x",
            "http://localhost/",
            "ftp://example.org/",
            "https://192.168.0.1/",
            "https://example.123/",
            "https://-a.example/",
            "https://a-.example/",
            "https://user@example.org/",
            "https://example.org:123456/",
            "https://example.org/a b",
            "https://example.org/a\tb",
            "https://example.org/a<b",
            "https://example.org/a\\b",
            "https://example.org/\u{85}",
            "https://example.org/\u{3000}",
            "https://",
            "https://.example.org/",
            "https://example..org/",
            "https://example.org?x",
            "https://example.org#",
        ]
        .map(String::from);
        agree(&url_pattern(), &samples, crate::domain::is_web_url);
    }

    #[test]
    fn blank_is_white_space_as_the_blank_check_sees_it() {
        let mut samples: Vec<String> = (0u32..0x3100)
            .filter_map(char::from_u32)
            .filter(|c| *c != '\0')
            .map(|c| format!(" {c} "))
            .collect();
        samples.extend(["", " ", "\u{feff}", "a\0"].map(String::from));
        agree(&non_blank_pattern(), &samples, |s| {
            !s.contains('\0') && crate::domain::not_blank(s).is_ok()
        });
    }
}
