use super::{Hearing, HearingView};
use crate::db::DbConnection;
use crate::schema::{case_defenders, cases, defenders, hearings::dsl as h, trials};
use crate::store::StoreResult;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

#[derive(Debug)]
pub struct CalendarFilter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub country: Option<String>,
    pub visibility: crate::audience::Visibility,
}

/// One line of the advocacy calendar.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CalendarEntry {
    #[serde(flatten)]
    pub hearing: HearingView,
    pub court: String,
    pub city: Option<String>,
    pub case_title: String,
    pub country: String,
    /// The defenders of the case, to know whom the trial is about.
    pub defenders: Vec<CalendarDefender>,
    #[serde(skip)]
    pub at_utc: NaiveDateTime,
    #[serde(skip)]
    pub case_confidential: bool,
}

impl crate::audience::Confidential for CalendarEntry {
    /// A confidential case's hearing, and the confidential defenders it names.
    fn confidential_refs(&self) -> Vec<String> {
        let case = self
            .case_confidential
            .then(|| format!("case {}", self.hearing.case_id));
        case.into_iter()
            .chain(
                self.defenders
                    .iter()
                    .filter(|d| d.confidential)
                    .map(|d| format!("defender {}", d.id)),
            )
            .collect()
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CalendarDefender {
    pub id: String,
    pub name: String,
    pub role_in_case: String,
    #[serde(skip)]
    pub confidential: bool,
}

/// Hearings across cases in time order, keyset on (scheduled_at, id).
pub fn calendar(
    conn: &mut DbConnection,
    filter: &CalendarFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> StoreResult<Vec<CalendarEntry>> {
    let mut query = h::hearings
        .inner_join(trials::table)
        .inner_join(cases::table)
        .filter(cases::deleted_at.is_null())
        .select((
            Hearing::as_select(),
            trials::court,
            trials::city,
            cases::title,
            cases::country,
            cases::confidential,
        ))
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(h::scheduled_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(h::scheduled_at.lt(to));
    }
    if let Some(country) = &filter.country {
        query = query.filter(cases::country.eq(country.clone()));
    }
    if filter.visibility.is_public() {
        query = query.filter(cases::confidential.eq(false));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            h::scheduled_at
                .gt(at)
                .or(h::scheduled_at.eq(at).and(h::id.gt(id))),
        );
    }
    let rows: Vec<(Hearing, String, Option<String>, String, String, bool)> = query
        .order((h::scheduled_at, h::id))
        .limit(limit)
        .load(conn)?;
    // The defenders of the cases on this page, in one query.
    let mut case_ids: Vec<String> = rows.iter().map(|r| r.0.case_id.clone()).collect();
    case_ids.sort();
    case_ids.dedup();
    let mut linked = case_defenders::table
        .inner_join(defenders::table)
        .filter(case_defenders::case_id.eq_any(case_ids))
        .into_boxed();
    if filter.visibility.is_public() {
        linked = linked.filter(defenders::confidential.eq(false));
    }
    let linked: Vec<(String, String, String, String, bool)> = linked
        .order((case_defenders::case_id, defenders::id))
        .select((
            case_defenders::case_id,
            defenders::id,
            defenders::name,
            case_defenders::role,
            defenders::confidential,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(hearing, court, city, case_title, country, case_confidential)| {
                let defenders = linked
                    .iter()
                    .filter(|l| l.0 == hearing.case_id)
                    .map(|(_, id, name, role, confidential)| CalendarDefender {
                        id: id.clone(),
                        name: name.clone(),
                        role_in_case: role.clone(),
                        confidential: *confidential,
                    })
                    .collect();
                CalendarEntry {
                    at_utc: hearing.scheduled_at,
                    hearing: HearingView::from(hearing),
                    court,
                    city,
                    case_title,
                    country,
                    defenders,
                    case_confidential,
                }
            },
        )
        .collect())
}
