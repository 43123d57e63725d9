//! A synthetic data set for measuring how history reads and searches scale: cases,
//! one defender each (with names made from syllables, so name searches have something
//! to find), and a timeline of logged events per case. Rows go in by batches inside
//! transactions, bypassing the API, so 100,000 cases and 2,000,000 events load in
//! minutes.

use crate::db::{write_transaction, DbConnection};
use crate::error::ApiResult;
use crate::schema::{case_defenders, cases, defenders, event_defenders, events};
use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub cases: usize,
    pub events_per_case: usize,
}

/// Deterministic pseudo-random numbers (SplitMix64): the same plan makes the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

const GIVEN: [&str; 12] = [
    "Maks", "Talgat", "Ermek", "Bolat", "Serik", "Aigul", "Dina", "Nurlan", "Asel", "Marat",
    "Gulnara", "Timur",
];
const SYLLABLES: [&str; 16] = [
    "ba", "ka", "mu", "ta", "sen", "bek", "zhan", "nur", "dal", "ras", "tol", "gen", "mir", "sul",
    "yer", "kan",
];
const KINDS: [&str; 6] = [
    "arrest",
    "detention",
    "harassment",
    "note",
    "release",
    "travel_ban",
];

/// A surname from three syllables and a suffix, e.g. "Kamuzhanov".
fn surname(rng: &mut Rng) -> String {
    let mut name: String = (0..3).map(|_| rng.pick(&SYLLABLES)).collect();
    name.push_str(rng.pick(&["ov", "ev", "uly", "ova"]));
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => name,
    }
}

/// The name of the defender of case number `n` of a plan: benchmarks search for these.
pub fn defender_name(n: usize) -> String {
    let mut rng = Rng(n as u64 * 7919 + 17);
    format!("{} {}", rng.pick(&GIVEN), surname(&mut rng))
}

/// The id of case number `n`.
pub fn case_id(n: usize) -> String {
    format!(
        "{:032x}",
        0x0bee_0000_0000_0000_0000_0000_0000_0000u128 + n as u128
    )
}

/// Inserts the plan's cases, defenders, links, events and search documents and rows.
pub fn generate(
    conn: &mut DbConnection,
    plan: Plan,
    mut progress: impl FnMut(usize),
) -> ApiResult<()> {
    const BATCH: usize = 500;
    let created = crate::db::now();
    let mut start = 0;
    while start < plan.cases {
        let end = (start + BATCH).min(plan.cases);
        write_transaction(conn, |conn| insert_batch(conn, plan, start..end, created))?;
        progress(end);
        start = end;
    }
    Ok(())
}

fn insert_batch(
    conn: &mut DbConnection,
    plan: Plan,
    range: std::ops::Range<usize>,
    created: chrono::NaiveDateTime,
) -> ApiResult<()> {
    let base = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap_or_default();
    let mut case_rows = Vec::new();
    let mut defender_rows = Vec::new();
    let mut link_rows = Vec::new();
    let mut event_rows = Vec::new();
    let mut named_rows = Vec::new();
    let mut search_rows = Vec::new();
    let mut documents = Vec::new();
    for n in range {
        let mut rng = Rng(n as u64);
        let id = case_id(n);
        let defender_id = format!(
            "{:032x}",
            0x0def_0000_0000_0000_0000_0000_0000_0000u128 + n as u128
        );
        let name = defender_name(n);
        let title = format!("Case {n}: prosecution of {name}");
        case_rows.push((
            cases::id.eq(id.clone()),
            cases::title.eq(title.clone()),
            cases::country.eq("KZ"),
            cases::status.eq("open"),
            cases::subjects.eq("[\"Human Rights Defenders\"]"),
            cases::confidential.eq(false),
            cases::version.eq(1i64),
            cases::created_at.eq(created),
            cases::updated_at.eq(created),
        ));
        defender_rows.push((
            defenders::id.eq(defender_id.clone()),
            defenders::name.eq(name.clone()),
            defenders::other_names.eq("[]"),
            defenders::search_names.eq(crate::search::fold(&name)),
            defenders::role.eq("activist"),
            defenders::country.eq("KZ"),
            defenders::confidential.eq(false),
            defenders::version.eq(1i64),
            defenders::created_at.eq(created),
            defenders::updated_at.eq(created),
        ));
        link_rows.push((
            case_defenders::case_id.eq(id.clone()),
            case_defenders::defender_id.eq(defender_id.clone()),
            case_defenders::role.eq("defendant"),
            case_defenders::created_at.eq(created),
        ));
        let texts = [title, name, "Kazakhstan".to_string()];
        for e in 0..plan.events_per_case {
            let day = base + Duration::days((rng.next() % 5000) as i64);
            let kind = rng.pick(&KINDS);
            let title = format!("{kind} reported ({e})");
            search_rows.push(crate::search::EventRow::new(
                &format!("{id}{e:08x}"),
                &id,
                &title,
                None,
                true,
            ));
            named_rows.push((
                event_defenders::event_id.eq(format!("{id}{e:08x}")),
                event_defenders::defender_id.eq(defender_id.clone()),
            ));
            event_rows.push((
                events::id.eq(format!("{id}{e:08x}")),
                events::case_id.eq(id.clone()),
                events::kind.eq(kind),
                events::occurred_on.eq(day.format("%Y-%m-%d").to_string()),
                events::precision.eq("day"),
                events::occurred_start.eq(day),
                events::title.eq(title),
                events::defender_ids.eq(format!("[\"{defender_id}\"]")),
                events::actor.eq("generator"),
                events::confidential.eq(false),
                events::recorded_at.eq(created),
            ));
        }
        documents.push((id, crate::search::fold(&texts.join("\n"))));
    }
    // Multi-row inserts run on the backend's own connection (the multi-backend
    // connection does not build them); the chunks stay within both backends' limits on
    // bound parameters.
    macro_rules! insert_all {
        ($table:expr, $rows:expr, $chunk:expr) => {
            for chunk in $rows.chunks($chunk) {
                match conn {
                    DbConnection::Sqlite(c) => diesel::insert_into($table)
                        .values(chunk.to_vec())
                        .execute(c)?,
                    DbConnection::Pg(c) => diesel::insert_into($table)
                        .values(chunk.to_vec())
                        .execute(c)?,
                };
            }
        };
    }
    insert_all!(cases::table, case_rows, 500);
    insert_all!(defenders::table, defender_rows, 500);
    insert_all!(case_defenders::table, link_rows, 500);
    insert_all!(events::table, event_rows, 1000);
    insert_all!(event_defenders::table, named_rows, 5000);
    crate::search::insert_event_rows(conn, &search_rows)?;
    for (id, body) in documents {
        crate::search::store_document(conn, &id, &body, &body)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_ids_are_stable() {
        assert_eq!(defender_name(42), defender_name(42));
        assert_ne!(case_id(1), case_id(2));
        assert_eq!(case_id(1).len(), 32);
    }
}
