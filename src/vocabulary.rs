//! The controlled lists, in one place. Values follow the HURIDOCS Events Standard
//! Formats micro-thesauri where the field has one, in snake_case for the API.

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $(#[serde(rename = $value)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $value),+
                }
            }

            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($value => Some($name::$variant),)+
                    _ => None,
                }
            }

            /// The accepted values, for error messages and the API description.
            pub fn expected() -> String {
                [$($value),+].join(", ")
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($value),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        /// Stored as its text, on every backend.
        impl<DB: diesel::backend::Backend> diesel::serialize::ToSql<diesel::sql_types::Text, DB>
            for $name
        where
            str: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
        {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, DB>,
            ) -> diesel::serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        /// A stored text that is not one of the values is refused, never guessed.
        impl<DB: diesel::backend::Backend> diesel::deserialize::FromSql<diesel::sql_types::Text, DB>
            for $name
        where
            String: diesel::deserialize::FromSql<diesel::sql_types::Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> diesel::deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Self::parse(&text).ok_or_else(|| {
                    format!("{text:?} is not a {}", stringify!($name)).into()
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What a defender does: the reason they are at risk.
    DefenderRole {
        Journalist => "journalist",
        Lawyer => "lawyer",
        Activist => "activist",
        PoliticalActivist => "political_activist",
        Editor => "editor",
        Blogger => "blogger",
        NgoMember => "ngo_member",
        TradeUnionist => "trade_unionist",
        EnvironmentalDefender => "environmental_defender",
        LandRightsDefender => "land_rights_defender",
        Academic => "academic",
        Artist => "artist",
        Student => "student",
        ReligiousLeader => "religious_leader",
        Other => "other",
    }
);

vocabulary!(
    CaseStatus {
        Open => "open",
        Closed => "closed",
    }
);

vocabulary!(
    /// Why a case was closed (required when the status is `closed`).
    ClosedReason {
        Released => "released",
        Acquitted => "acquitted",
        ChargesDropped => "charges_dropped",
        SentenceServed => "sentence_served",
        Pardoned => "pardoned",
        LeftCountry => "left_country",
        Deceased => "deceased",
        NoLongerAtRisk => "no_longer_at_risk",
        ContactLost => "contact_lost",
        Duplicate => "duplicate",
        Other => "other",
    }
);

vocabulary!(
    /// The part a defender plays in one case.
    CaseRole {
        Defendant => "defendant",
        Victim => "victim",
        Witness => "witness",
        Lawyer => "lawyer",
        Relative => "relative",
        Other => "other",
    }
);

vocabulary!(
    ChargeStatus {
        Pending => "pending",
        Dropped => "dropped",
        Convicted => "convicted",
        Acquitted => "acquitted",
    }
);

vocabulary!(
    /// Court level (ESF "type of court" reduced to the instance that matters here).
    TrialInstance {
        FirstInstance => "first_instance",
        Appeal => "appeal",
        Cassation => "cassation",
        Supervisory => "supervisory",
        Constitutional => "constitutional",
    }
);

vocabulary!(
    TrialStatus {
        Scheduled => "scheduled",
        Ongoing => "ongoing",
        Suspended => "suspended",
        Concluded => "concluded",
    }
);

vocabulary!(
    TrialOutcome {
        Convicted => "convicted",
        PartlyConvicted => "partly_convicted",
        Acquitted => "acquitted",
        Dismissed => "dismissed",
        ReturnedForInvestigation => "returned_for_investigation",
        VerdictUpheld => "verdict_upheld",
        VerdictOverturned => "verdict_overturned",
        VerdictAltered => "verdict_altered",
    }
);

vocabulary!(
    HearingStatus {
        Scheduled => "scheduled",
        Held => "held",
        Postponed => "postponed",
        Cancelled => "cancelled",
    }
);

vocabulary!(
    SentenceKind {
        Prison => "prison",
        RestrictedFreedom => "restricted_freedom",
        HouseArrest => "house_arrest",
        Fine => "fine",
        Suspended => "suspended",
        TravelBan => "travel_ban",
        ProfessionalBan => "professional_ban",
        CorrectionalLabour => "correctional_labour",
        CommunityService => "community_service",
        DeathPenalty => "death_penalty",
        Other => "other",
    }
);

vocabulary!(
    SentenceStatus {
        InForce => "in_force",
        UnderAppeal => "under_appeal",
        Upheld => "upheld",
        Reduced => "reduced",
        Overturned => "overturned",
        Served => "served",
        Pardoned => "pardoned",
        Amnestied => "amnestied",
    }
);

vocabulary!(
    /// ESF "type of intervention", narrowed to what an NGO publishes or sends.
    InterventionType {
        UrgentAppeal => "urgent_appeal",
        FollowUp => "follow_up",
        PressRelease => "press_release",
        Statement => "statement",
        OpenLetter => "open_letter",
        UnSubmission => "un_submission",
        Report => "report",
        Briefing => "briefing",
    }
);

vocabulary!(
    /// ESF "response": what came back from the authorities addressed.
    InterventionResponse {
        NoneToDate => "none_to_date",
        Acknowledged => "acknowledged",
        ReplyReceived => "reply_received",
        PositiveAction => "positive_action",
        Denied => "denied",
    }
);

vocabulary!(
    /// What researchers log on a case's timeline (ESF "type of act", narrowed to what
    /// happens to defenders and in their cases). Change records have kinds of their own
    /// (`hearing_scheduled`, `case_status_changed`, ...), written only by the service.
    EventKind {
        Arrest => "arrest",
        Detention => "detention",
        Release => "release",
        IllTreatment => "ill_treatment",
        Harassment => "harassment",
        Threat => "threat",
        Surveillance => "surveillance",
        Raid => "raid",
        TravelBan => "travel_ban",
        EnforcedDisappearance => "enforced_disappearance",
        Killing => "killing",
        ProsecutionDemand => "prosecution_demand",
        Verdict => "verdict",
        Appeal => "appeal",
        UnDecision => "un_decision",
        StateResponse => "state_response",
        Note => "note",
    }
);

vocabulary!(
    /// Who a token speaks for: admins do everything, researchers read and write,
    /// advocates read everything and write nothing, partners read what is not
    /// confidential and manage their own subscriptions.
    Role {
        Admin => "admin",
        Researcher => "researcher",
        Advocate => "advocate",
        Partner => "partner",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_through_parse_and_serde() {
        for kind in SentenceKind::ALL {
            assert_eq!(SentenceKind::parse(kind.as_str()), Some(*kind));
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(CaseStatus::parse("Open"), None);
        assert!(InterventionType::expected().contains("urgent_appeal"));
    }
}

vocabulary!(
    /// How a subscriber receives alerts: one email per change, or one a day.
    Delivery {
        Immediate => "immediate",
        Daily => "daily",
    }
);

vocabulary!(
    /// Where an alert is on its way to the subscriber. `cancelled`: the subscription
    /// ended first; `suppressed`: the case or change became confidential first.
    AlertStatus {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
        Suppressed => "suppressed",
    }
);

vocabulary!(
    /// What an alert email is.
    AlertKind {
        Event => "event",
        Digest => "digest",
        Reminder => "reminder",
        Confirmation => "confirmation",
    }
);

vocabulary!(
    /// The kinds of the change records the service writes on a case's timeline when one
    /// of its records changes (researchers log `EventKind`s).
    ChangeKind {
        CaseOpened => "case_opened",
        CaseUpdated => "case_updated",
        CaseStatusChanged => "case_status_changed",
        CaseDeleted => "case_deleted",
        DefenderLinked => "defender_linked",
        DefenderRoleChanged => "defender_role_changed",
        DefenderUnlinked => "defender_unlinked",
        ChargeBrought => "charge_brought",
        ChargeUpdated => "charge_updated",
        ChargeStatusChanged => "charge_status_changed",
        ChargeDeleted => "charge_deleted",
        TrialCreated => "trial_created",
        TrialUpdated => "trial_updated",
        TrialStatusChanged => "trial_status_changed",
        TrialDeleted => "trial_deleted",
        HearingScheduled => "hearing_scheduled",
        HearingRescheduled => "hearing_rescheduled",
        HearingUpdated => "hearing_updated",
        HearingStatusChanged => "hearing_status_changed",
        HearingDeleted => "hearing_deleted",
        SentenceHandedDown => "sentence_handed_down",
        SentenceUpdated => "sentence_updated",
        SentenceStatusChanged => "sentence_status_changed",
        SentenceDeleted => "sentence_deleted",
        InterventionLinked => "intervention_linked",
        InterventionUnlinked => "intervention_unlinked",
    }
);
