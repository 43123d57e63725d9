//! The hearing calendar in iCalendar form (RFC 5545).

use super::local_time;
use super::store::CalendarEntry;
use icalendar::{Calendar, CalendarDateTime, Component, Event, EventLike, EventStatus};

pub fn feed(entries: &[CalendarEntry], base_url: &str) -> String {
    let mut calendar = Calendar::new();
    calendar
        .name("Hearings")
        .description("Court hearings of the cases followed");
    for entry in entries {
        let hearing = &entry.hearing;
        let local = local_time(&entry.at_utc, &hearing.time_zone).naive_local();
        let place = match &entry.city {
            Some(city) => format!("{}, {city}", entry.court),
            None => entry.court.clone(),
        };
        let names: Vec<&str> = entry.defenders.iter().map(|d| d.name.as_str()).collect();
        let defenders = if names.is_empty() {
            String::new()
        } else {
            format!(" Defenders: {}.", names.join(", "))
        };
        let mut event = Event::new();
        event
            .uid(&format!("hearing-{}@case-tracker", hearing.id))
            .summary(&format!("Hearing: {}", entry.case_title))
            .location(&place)
            .description(&format!(
                "{} hearing ({}), {}.{} Case: {base_url}/api/v1/cases/{}",
                hearing.status, entry.country, place, defenders, hearing.case_id
            ))
            .url(&format!("{base_url}/api/v1/cases/{}", hearing.case_id))
            .starts(CalendarDateTime::WithTimezone {
                date_time: local,
                tzid: hearing.time_zone.clone(),
            });
        match hearing.status.as_str() {
            "cancelled" => {
                event.status(EventStatus::Cancelled);
            }
            "postponed" => {
                event.status(EventStatus::Tentative);
            }
            _ => {
                event.status(EventStatus::Confirmed);
            }
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
