//! Charges brought against a defender in a case.

use crate::db::DbConnection;
use crate::http::{nullable, present};
use crate::records::{set, CaseRecord, Parent, ParentRef, Story};
use crate::store::StoreResult;
use crate::vocabulary::ChangeKind;
use crate::vocabulary::ChargeStatus;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use validator::Validate;

#[derive(
    Debug, Clone, Queryable, Selectable, Insertable, AsChangeset, Serialize, utoipa::ToSchema,
)]
#[diesel(table_name = crate::schema::charges, treat_none_as_null = true)]
pub struct Charge {
    pub id: String,
    pub case_id: String,
    pub defender_id: String,
    pub legal_basis: String,
    pub description: Option<String>,
    pub brought_on: Option<NaiveDate>,
    pub status: ChargeStatus,
    pub version: i64,
    #[serde(serialize_with = "crate::domain::utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::domain::utc")]
    pub updated_at: NaiveDateTime,
}

crate::case_record_table!(Charge, charges, parent = case_id);

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCharge {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub defender_id: String,
    /// Code and article as written, e.g. "Criminal Code of Kazakhstan, art. 174".
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub legal_basis: String,
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::date::optional")]
    pub brought_on: Option<NaiveDate>,
    #[serde(default = "pending")]
    pub status: ChargeStatus,
}

fn pending() -> ChargeStatus {
    ChargeStatus::Pending
}

#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCharge {
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    #[validate(
        length(min = 1, max = 300),
        custom(function = "crate::domain::not_blank")
    )]
    #[schema(min_length = 1, max_length = 300)]
    pub legal_basis: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[validate(length(max = 5000))]
    #[schema(max_length = 5000)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::date::nullable")]
    pub brought_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<ChargeStatus>,
}

impl CaseRecord for Charge {
    const KIND: &'static str = "charge";
    const COLLECTION: &'static str = "charges";
    const PARENT: Parent = Parent::Case;
    type Create = CreateCharge;
    type Update = UpdateCharge;
    type View = Charge;

    fn defender_id(&self) -> Option<&str> {
        Some(&self.defender_id)
    }

    fn create(input: CreateCharge, parent: &ParentRef) -> StoreResult<Self> {
        let now = crate::db::now();
        Ok(Charge {
            id: crate::db::new_id(),
            case_id: parent.case_id.clone(),
            defender_id: input.defender_id,
            legal_basis: input.legal_basis,
            description: input.description,
            brought_on: input.brought_on,
            status: input.status,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    fn apply(patch: UpdateCharge, current: &Self) -> StoreResult<Self> {
        let mut next = current.clone();
        set(&mut next.legal_basis, patch.legal_basis);
        set(&mut next.description, patch.description);
        set(&mut next.brought_on, patch.brought_on);
        set(&mut next.status, patch.status);
        Ok(next)
    }

    fn check(conn: &mut DbConnection, next: &Self, current: Option<&Self>) -> StoreResult<()> {
        let previous = current.map(|c| c.defender_id.as_str());
        crate::records::require_linked(conn, &next.case_id, &next.defender_id, previous)
    }

    fn created(&self, name: &str) -> Story {
        Story::new(
            ChangeKind::ChargeBrought,
            format!("{name} charged: {}", self.legal_basis),
        )
    }

    fn updated(current: &Self, next: &Self, name: &str) -> Story {
        let basis = &next.legal_basis;
        if current.status != next.status {
            let title = format!("Charge against {name} ({basis}) {}", next.status);
            Story::new(ChangeKind::ChargeStatusChanged, title)
        } else {
            Story::new(
                ChangeKind::ChargeUpdated,
                format!("Charge against {name} ({basis}) updated"),
            )
        }
    }

    fn deleted(&self, name: &str) -> Story {
        let title = format!("Charge record removed: {} against {name}", self.legal_basis);
        Story::new(ChangeKind::ChargeDeleted, title)
    }
}
