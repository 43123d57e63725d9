use super::{Hearing, HearingView, NewHearing};
use crate::db::DbConnection;
use crate::error::{invalid, not_found, ApiError, ApiResult};
use crate::events::{diff, store::record, ChangeRecord};
use crate::schema::{case_defenders, cases, defenders, hearings::dsl as h, trials};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

pub fn for_case(conn: &mut DbConnection, case_id: &str) -> ApiResult<Vec<Hearing>> {
    Ok(h::hearings
        .filter(h::case_id.eq(case_id))
        .order((h::scheduled_at, h::id))
        .select(Hearing::as_select())
        .load(conn)?)
}

/// A trial's hearings in time order, keyset on (scheduled_at, id).
pub fn page(
    conn: &mut DbConnection,
    trial_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> ApiResult<Vec<Hearing>> {
    let mut query = h::hearings
        .filter(h::trial_id.eq(trial_id.to_string()))
        .select(Hearing::as_select())
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(
            h::scheduled_at
                .gt(at)
                .or(h::scheduled_at.eq(at).and(h::id.gt(id))),
        );
    }
    Ok(query
        .order((h::scheduled_at, h::id))
        .limit(limit)
        .load(conn)?)
}

pub fn get(conn: &mut DbConnection, id: &str) -> ApiResult<Hearing> {
    h::hearings
        .inner_join(cases::table)
        .filter(h::id.eq(id))
        .filter(cases::deleted_at.is_null())
        .select(Hearing::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found("hearing"))
}

fn court(conn: &mut DbConnection, trial_id: &str) -> ApiResult<String> {
    Ok(trials::table
        .find(trial_id)
        .select(trials::court)
        .first(conn)
        .optional()?
        .unwrap_or_default())
}

pub fn insert(conn: &mut DbConnection, actor: &str, new: NewHearing) -> ApiResult<HearingView> {
    diesel::insert_into(h::hearings)
        .values(&new)
        .execute(conn)?;
    let hearing = get(conn, &new.id)?;
    let court = court(conn, &hearing.trial_id)?;
    let view = HearingView::from(hearing.clone());
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: hearing.case_id.clone(),
            kind: "hearing_scheduled".into(),
            record_type: "hearing",
            record_id: hearing.id.clone(),
            title: format!("Hearing scheduled for {} at {court}", hearing.when()),
            changes: diff(None, Some(&view)),
            defender_ids: vec![],
        },
    )?;
    Ok(view)
}

/// A hearing may only move to another trial of its own case.
pub fn check_trial(conn: &mut DbConnection, hearing: &Hearing, trial_id: &str) -> ApiResult<()> {
    let case_id: Option<String> = trials::table
        .find(trial_id)
        .select(trials::case_id)
        .first(conn)
        .optional()?;
    match case_id {
        Some(case_id) if case_id == hearing.case_id => Ok(()),
        _ => Err(invalid(
            "trial_id",
            "must be a trial of the same case as the hearing",
        )),
    }
}

pub fn update(
    conn: &mut DbConnection,
    actor: &str,
    current: &Hearing,
    next: &Hearing,
) -> ApiResult<HearingView> {
    let written = diesel::update(
        h::hearings
            .find(&next.id)
            .filter(h::version.eq(current.version)),
    )
    .set(next)
    .execute(conn)?;
    if written == 0 {
        return Err(ApiError::PreconditionFailed(
            "the hearing was changed meanwhile; fetch it again".into(),
        ));
    }
    let (before, after) = (
        HearingView::from(current.clone()),
        HearingView::from(next.clone()),
    );
    let changes = diff(Some(&before), Some(&after));
    if changes.is_empty() {
        return Ok(after);
    }
    let (kind, title) = if current.scheduled_at != next.scheduled_at {
        (
            "hearing_rescheduled",
            format!("Hearing of {} moved to {}", current.when(), next.when()),
        )
    } else if current.status != next.status {
        (
            "hearing_status_changed",
            format!("Hearing of {}: {}", next.when(), next.status),
        )
    } else {
        (
            "hearing_updated",
            format!("Hearing of {} updated", next.when()),
        )
    };
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: next.case_id.clone(),
            kind: kind.into(),
            record_type: "hearing",
            record_id: next.id.clone(),
            title,
            changes,
            defender_ids: vec![],
        },
    )?;
    Ok(after)
}

pub fn delete(conn: &mut DbConnection, actor: &str, hearing: &Hearing) -> ApiResult<()> {
    let deleted = diesel::delete(
        h::hearings
            .find(&hearing.id)
            .filter(h::version.eq(hearing.version)),
    )
    .execute(conn)?;
    if deleted == 0 {
        return Err(ApiError::PreconditionFailed(
            "the hearing was changed meanwhile".into(),
        ));
    }
    let view = HearingView::from(hearing.clone());
    record(
        conn,
        actor,
        ChangeRecord {
            case_id: hearing.case_id.clone(),
            kind: "hearing_deleted".into(),
            record_type: "hearing",
            record_id: hearing.id.clone(),
            title: format!("Record of the hearing of {} removed", hearing.when()),
            changes: diff(Some(&view), None),
            defender_ids: vec![],
        },
    )
}

#[derive(Debug)]
pub struct CalendarFilter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub country: Option<String>,
    pub visibility: crate::auth::Visibility,
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

impl crate::auth::Confidential for CalendarEntry {
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
) -> ApiResult<Vec<CalendarEntry>> {
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
