// The logical schema shared by both backends: the SQL in migrations/sqlite and
// migrations/postgres must produce columns of these types.

diesel::table! {
    countries (code) {
        code -> Text,
        alpha3 -> Text,
        numeric_code -> Text,
        name -> Text,
    }
}

diesel::table! {
    defenders (id) {
        id -> Text,
        name -> Text,
        other_names -> Text,
        search_names -> Text,
        role -> Text,
        organisation -> Nullable<Text>,
        country -> Text,
        details -> Nullable<Text>,
        confidential -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    cases (id) {
        id -> Text,
        title -> Text,
        country -> Text,
        status -> Text,
        closed_reason -> Nullable<Text>,
        summary -> Nullable<Text>,
        subjects -> Text,
        opened_on -> Nullable<Date>,
        confidential -> Bool,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    case_defenders (case_id, defender_id) {
        case_id -> Text,
        defender_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    charges (id) {
        id -> Text,
        case_id -> Text,
        defender_id -> Text,
        legal_basis -> Text,
        description -> Nullable<Text>,
        brought_on -> Nullable<Date>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    trials (id) {
        id -> Text,
        case_id -> Text,
        court -> Text,
        city -> Nullable<Text>,
        instance -> Text,
        started_on -> Nullable<Date>,
        ended_on -> Nullable<Date>,
        status -> Text,
        outcome -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    hearings (id) {
        id -> Text,
        trial_id -> Text,
        case_id -> Text,
        scheduled_at -> Timestamp,
        time_zone -> Text,
        status -> Text,
        description -> Nullable<Text>,
        observers -> Nullable<Text>,
        violations -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sentences (id) {
        id -> Text,
        case_id -> Text,
        defender_id -> Text,
        kind -> Text,
        term_months -> Nullable<Integer>,
        amount -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        description -> Nullable<Text>,
        handed_down_on -> Nullable<Date>,
        status -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interventions (id) {
        id -> Text,
        intervention_type -> Text,
        reference -> Nullable<Text>,
        title -> Text,
        issued_on -> Date,
        country -> Text,
        url -> Nullable<Text>,
        languages -> Text,
        subjects -> Text,
        addressed_to -> Text,
        actions_requested -> Nullable<Text>,
        deadline -> Nullable<Date>,
        response -> Text,
        response_details -> Nullable<Text>,
        follows_id -> Nullable<Text>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    intervention_cases (intervention_id, case_id) {
        intervention_id -> Text,
        case_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    events (id) {
        id -> Text,
        case_id -> Text,
        kind -> Text,
        occurred_on -> Text,
        precision -> Text,
        occurred_start -> Date,
        title -> Text,
        description -> Nullable<Text>,
        source_url -> Nullable<Text>,
        intervention_id -> Nullable<Text>,
        defender_ids -> Text,
        record_type -> Nullable<Text>,
        record_id -> Nullable<Text>,
        changes -> Nullable<Text>,
        actor -> Text,
        confidential -> Bool,
        recorded_at -> Timestamp,
    }
}

diesel::joinable!(case_defenders -> cases (case_id));
diesel::joinable!(case_defenders -> defenders (defender_id));
diesel::joinable!(charges -> cases (case_id));
diesel::joinable!(trials -> cases (case_id));
diesel::joinable!(hearings -> trials (trial_id));
diesel::joinable!(hearings -> cases (case_id));
diesel::joinable!(charges -> defenders (defender_id));
diesel::joinable!(sentences -> defenders (defender_id));
diesel::joinable!(sentences -> cases (case_id));
diesel::joinable!(intervention_cases -> interventions (intervention_id));
diesel::joinable!(intervention_cases -> cases (case_id));
diesel::joinable!(events -> cases (case_id));

diesel::table! {
    subscribers (id) {
        id -> Text,
        name -> Text,
        organisation -> Nullable<Text>,
        email -> Text,
        created_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
        confirmation_token -> Nullable<Text>,
        confirmation_expires_at -> Nullable<Timestamp>,
        unsubscribe_token -> Nullable<Text>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        name -> Text,
        role -> Text,
        subscriber_id -> Nullable<Text>,
        secret_hash -> Text,
        created_at -> Timestamp,
        created_by -> Text,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> Timestamp,
        actor -> Text,
        token_id -> Nullable<Text>,
        role -> Nullable<Text>,
        action -> Text,
        resource -> Nullable<Text>,
        status -> Integer,
        client_ip -> Nullable<Text>,
        // Null only on entries from before the chain, until the application chains them.
        seq -> Nullable<BigInt>,
        prev_hash -> Nullable<Text>,
        hash -> Nullable<Text>,
    }
}

diesel::table! {
    subscriptions (id) {
        id -> Text,
        subscriber_id -> Text,
        scope -> Text,
        target -> Text,
        delivery -> Text,
        unsubscribe_token -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        created_by -> Text,
        cancelled_at -> Nullable<Timestamp>,
        cancelled_by -> Nullable<Text>,
    }
}

diesel::table! {
    alerts (id) {
        id -> Text,
        kind -> Text,
        subscriber_id -> Text,
        subscription_id -> Nullable<Text>,
        case_id -> Nullable<Text>,
        event_id -> Nullable<Text>,
        hearing_id -> Nullable<Text>,
        delivery -> Text,
        digest_id -> Nullable<Text>,
        dedupe_key -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

// The search rows of timeline events (see migrations/*/..._event_search); declared for
// batch inserts. The tables' integer `id` and PostgreSQL's generated `tsvector`s are
// left out: the database fills them.
diesel::table! {
    event_search (event_id) {
        event_id -> Text,
        case_id -> Text,
        body -> Text,
        public_body -> Text,
        public -> Bool,
    }
}

diesel::table! {
    event_defenders (event_id, defender_id) {
        event_id -> Text,
        defender_id -> Text,
    }
}

diesel::joinable!(event_defenders -> events (event_id));
diesel::joinable!(api_tokens -> subscribers (subscriber_id));
diesel::joinable!(subscriptions -> subscribers (subscriber_id));
diesel::joinable!(alerts -> subscribers (subscriber_id));
diesel::joinable!(alerts -> subscriptions (subscription_id));
diesel::allow_tables_to_appear_in_same_query!(
    countries,
    defenders,
    cases,
    case_defenders,
    charges,
    trials,
    hearings,
    sentences,
    interventions,
    intervention_cases,
    events,
    event_defenders,
    subscribers,
    api_tokens,
    audit_log,
    subscriptions,
    alerts,
    event_search,
);
