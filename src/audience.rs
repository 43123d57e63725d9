//! Who reads: staff, or a partner organisation. Partners never see what is
//! confidential nor a staff-only field, and a staff read of a confidential record is
//! named for the audit log.

use serde::{Serialize, Serializer};
use std::cell::Cell;

/// What a reader may see: staff see everything, partners only what is not
/// confidential and never the staff-only fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    Staff,
    Public,
}

impl Visibility {
    pub fn is_public(&self) -> bool {
        *self == Visibility::Public
    }

    /// The values of a `confidential` column this reader may see.
    pub fn confidential_values(&self) -> Vec<bool> {
        if self.is_public() {
            vec![false]
        } else {
            vec![false, true]
        }
    }
}

/// A record that may be confidential: what the audit log calls it when it is.
pub trait Confidential {
    /// `"case <id>"`, `"defender <id>"`, ...: the confidential records this one is or
    /// shows; none for a record that is not confidential.
    fn confidential_refs(&self) -> Vec<String>;
}

/// The fields only staff see, by name, for the maps of changed fields in the story
/// (`changes`); on the records themselves each is marked where it is declared with
/// `#[serde(skip_serializing_if = "crate::audience::staff_only")]`.
pub const STAFF_ONLY_FIELDS: [&str; 2] = ["details", "observers"];

thread_local! {
    /// Set while a body is serialized for a partner (`AsSeenBy`).
    static FOR_PARTNER: Cell<bool> = const { Cell::new(false) };
}

/// For `skip_serializing_if`: whether the body being serialized goes to a partner.
pub fn staff_only<T>(_: &T) -> bool {
    FOR_PARTNER.with(Cell::get)
}

/// A map of changed fields as the reader being served may see it.
pub fn visible_changes(
    mut changes: serde_json::Map<String, serde_json::Value>,
    visibility: Visibility,
) -> serde_json::Map<String, serde_json::Value> {
    if visibility.is_public() {
        changes.retain(|field, _| !STAFF_ONLY_FIELDS.contains(&field.as_str()));
    }
    changes
}

/// The reader of the body being serialized now.
pub fn current_reader() -> Visibility {
    if FOR_PARTNER.with(Cell::get) {
        Visibility::Public
    } else {
        Visibility::Staff
    }
}

/// A body serialized as `visibility` may see it: for a partner, every field marked
/// staff-only is left out, at any depth, without copying the body.
pub struct AsSeenBy<'a, T> {
    pub visibility: Visibility,
    pub body: &'a T,
}

impl<T: Serialize> Serialize for AsSeenBy<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let before = FOR_PARTNER.with(|p| p.replace(self.visibility.is_public()));
        let result = self.body.serialize(serializer);
        FOR_PARTNER.with(|p| p.set(before));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defenders::Defender;
    use crate::hearings::HearingView;
    use crate::vocabulary::{DefenderRole, HearingStatus};
    use std::collections::BTreeSet;

    /// The keys a staff body has and a partner's lacks.
    fn dropped<T: Serialize>(body: &T) -> BTreeSet<String> {
        let keys = |visibility| match serde_json::to_value(AsSeenBy { visibility, body }) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect::<BTreeSet<_>>(),
            other => panic!("{other:?}"),
        };
        let (staff, partner) = (keys(Visibility::Staff), keys(Visibility::Public));
        staff.difference(&partner).cloned().collect()
    }

    #[test]
    fn the_fields_marked_staff_only_are_the_ones_left_out_of_changes_and_the_mark_ends() {
        let now = crate::db::now();
        let defender = Defender {
            id: "d".into(),
            name: "Maks Bokayev".into(),
            other_names: "[]".into(),
            search_names: "maks bokayev".into(),
            role: DefenderRole::Activist,
            organisation: None,
            country: "KZ".into(),
            details: Some("Phone".into()),
            confidential: false,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let hearing = HearingView {
            id: "h".into(),
            trial_id: "t".into(),
            case_id: "c".into(),
            scheduled_at: "2016-10-12T10:00:00+05:00".into(),
            time_zone: "Asia/Atyrau".into(),
            status: HearingStatus::Held,
            description: None,
            observers: Some("Observer A.".into()),
            violations: None,
            version: 1,
            created_at: "2016-10-01T00:00:00Z".into(),
            updated_at: "2016-10-01T00:00:00Z".into(),
        };
        let marked: BTreeSet<String> = dropped(&defender)
            .union(&dropped(&hearing))
            .cloned()
            .collect();
        let listed: BTreeSet<String> = STAFF_ONLY_FIELDS.iter().map(|f| f.to_string()).collect();
        assert_eq!(marked, listed);
        // Serializing for a partner leaves the thread serializing for staff afterwards.
        let _ = serde_json::to_value(AsSeenBy {
            visibility: Visibility::Public,
            body: &defender,
        });
        assert_eq!(current_reader(), Visibility::Staff);
        assert_eq!(serde_json::to_value(&defender).unwrap()["details"], "Phone");
    }
}
