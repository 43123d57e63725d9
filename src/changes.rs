//! What a write did to the records of a case: the change records a write returns and
//! `effects` carries out.

use serde::Serialize;
use serde_json::{Map, Value};

/// What a write did to one record of a case, for its timeline.
#[derive(Debug, Clone)]
pub struct ChangeRecord {
    pub case_id: String,
    /// e.g. `hearing_scheduled`, `case_status_changed`, `charge_deleted`
    pub kind: crate::vocabulary::ChangeKind,
    pub record_type: &'static str,
    pub record_id: String,
    /// Reads as the story of the case: "Hearing scheduled for 2016-10-12 10:00 (Asia/Almaty)".
    pub title: String,
    /// Field name to `{"old": .., "new": ..}`.
    pub changes: Map<String, Value>,
    pub defender_ids: Vec<String>,
}

/// Fields that change on every write and say nothing about the case.
const BOOKKEEPING: [&str; 5] = ["id", "version", "created_at", "updated_at", "search_names"];

/// The fields that differ between two serialised versions of a record. A create is
/// `diff(None, Some(new))`, a delete `diff(Some(old), None)`, so a deleted record's
/// last values stay in the history.
pub fn diff<T: Serialize>(old: Option<&T>, new: Option<&T>) -> Map<String, Value> {
    let as_map = |v: Option<&T>| match v.map(serde_json::to_value) {
        Some(Ok(Value::Object(m))) => m,
        _ => Map::new(),
    };
    let (old, new) = (as_map(old), as_map(new));
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut out = Map::new();
    for key in keys {
        if BOOKKEEPING.contains(&key.as_str()) {
            continue;
        }
        let before = old.get(key).cloned().unwrap_or(Value::Null);
        let after = new.get(key).cloned().unwrap_or(Value::Null);
        if before != after {
            let mut change = Map::new();
            change.insert("old".into(), before);
            change.insert("new".into(), after);
            out.insert(key.clone(), Value::Object(change));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct R {
        id: &'static str,
        status: &'static str,
        note: Option<&'static str>,
    }

    #[test]
    fn diff_lists_only_changed_fields_with_old_and_new_values() {
        let a = R {
            id: "1",
            status: "pending",
            note: None,
        };
        let b = R {
            id: "1",
            status: "dropped",
            note: None,
        };
        let d = diff(Some(&a), Some(&b));
        assert_eq!(d.len(), 1);
        assert_eq!(d["status"]["old"], "pending");
        assert_eq!(d["status"]["new"], "dropped");
        let created = diff(None, Some(&a));
        assert_eq!(created["status"]["old"], Value::Null);
        assert!(!created.contains_key("id"));
    }
}
