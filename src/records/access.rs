//! What a reader may see of one case's records: nothing of a confidential case for a
//! partner, and nothing about a confidential defender; what staff read of either is
//! named for the audit log.

use crate::audience::Visibility;
use crate::db::DbConnection;
use crate::schema::{case_defenders, cases, defenders};
use crate::store::{StoreError, StoreResult};
use diesel::prelude::*;

#[derive(Debug, Clone)]
pub struct CaseAccess {
    pub case_id: String,
    pub confidential: bool,
    /// The case's confidential defenders, once `load_hidden` has read them.
    pub hidden: Vec<String>,
    pub public: bool,
}

impl CaseAccess {
    /// The access `visibility` has to a case whose `confidential` flag is known; a case
    /// it may not see is "no `missing` with that id", exactly like a missing one. The
    /// case's confidential defenders are not known yet (`load_hidden`).
    pub fn new(
        case_id: &str,
        confidential: bool,
        visibility: Visibility,
        missing: &'static str,
    ) -> StoreResult<Self> {
        let public = visibility.is_public();
        if confidential && public {
            return Err(StoreError::NotFound(missing));
        }
        Ok(CaseAccess {
            case_id: case_id.to_string(),
            confidential,
            hidden: Vec::new(),
            public,
        })
    }

    /// The access to a case not deleted, read by id.
    pub fn load(
        conn: &mut DbConnection,
        case_id: &str,
        visibility: Visibility,
        missing: &'static str,
    ) -> StoreResult<Self> {
        let confidential: bool = cases::table
            .find(case_id)
            .filter(cases::deleted_at.is_null())
            .select(cases::confidential)
            .first(conn)
            .optional()?
            .ok_or(StoreError::NotFound(missing))?;
        Self::new(case_id, confidential, visibility, missing)
    }

    /// Reads the case's confidential defenders: needed only where records name
    /// defenders (to leave them out for partners, to audit staff reads of them).
    pub fn load_hidden(&mut self, conn: &mut DbConnection) -> StoreResult<()> {
        self.hidden = hidden_defenders(conn, &self.case_id)?;
        Ok(())
    }

    /// Whether the reader may see a record about `defender` (or about nobody).
    pub fn may_see(&self, defender: Option<&str>) -> bool {
        !self.public || defender.is_none_or(|d| !self.hidden.iter().any(|h| h == d))
    }

    /// The confidential records a staff read of records about `defenders` touches:
    /// the case itself and the confidential defenders named. Partners read none.
    pub fn reads<'a>(&self, defenders: impl IntoIterator<Item = &'a str>) -> Vec<String> {
        if self.public {
            return Vec::new();
        }
        let mut read: Vec<String> = self
            .confidential
            .then(|| format!("case {}", self.case_id))
            .into_iter()
            .collect();
        let mut named: Vec<&str> = defenders
            .into_iter()
            .filter(|d| self.hidden.iter().any(|h| h == d))
            .collect();
        named.sort();
        named.dedup();
        read.extend(named.into_iter().map(|d| format!("defender {d}")));
        read
    }
}

/// The confidential defenders of a case: partners see none of their records.
pub fn hidden_defenders(conn: &mut DbConnection, case_id: &str) -> StoreResult<Vec<String>> {
    Ok(case_defenders::table
        .inner_join(defenders::table)
        .filter(case_defenders::case_id.eq(case_id))
        .filter(defenders::confidential.eq(true))
        .select(defenders::id)
        .load(conn)?)
}
