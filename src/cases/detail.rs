//! A case with all its records, as one reader may see them: what `GET /cases/{id}`
//! answers. It reads through the stores of each kind, in one transaction.

use super::{store, CaseDetail, TrialWithHearings};
use crate::audience::Visibility;
use crate::db::DbConnection;
use crate::store::StoreResult;
use diesel::Connection;

/// The case with all its records as `visibility` may see them, read in one
/// transaction so the parts agree.
pub fn read(conn: &mut DbConnection, id: &str, visibility: Visibility) -> StoreResult<CaseDetail> {
    use crate::records::{of_case, CaseAccess};
    conn.transaction(|conn| {
        let case = store::visible(conn, id, visibility)?;
        let mut access = CaseAccess::new(&case.id, case.confidential, visibility, "case")?;
        // Staff see every record: only partners need the case's confidential defenders.
        if visibility.is_public() {
            access.load_hidden(conn)?;
        }
        let mut defenders = store::defenders_of(conn, id)?;
        defenders.retain(|d| access.may_see(Some(&d.defender.id)));
        let mut hearings: std::collections::HashMap<String, Vec<crate::hearings::HearingView>> =
            std::collections::HashMap::new();
        for hearing in of_case::<crate::hearings::Hearing>(conn, &access)? {
            let trial_id = hearing.trial_id.clone();
            hearings.entry(trial_id).or_default().push(hearing.into());
        }
        let trials = of_case::<crate::trials::Trial>(conn, &access)?
            .into_iter()
            .map(|trial| TrialWithHearings {
                hearings: hearings.remove(&trial.id).unwrap_or_default(),
                trial,
            })
            .collect();
        Ok(CaseDetail {
            charges: of_case(conn, &access)?,
            sentences: of_case(conn, &access)?,
            interventions: crate::interventions::store::for_case(conn, id)?,
            case,
            defenders,
            trials,
        })
    })
}
