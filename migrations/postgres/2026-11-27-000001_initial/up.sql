-- Countries are loaded from the ISO 3166-1 list by the application after migrating.
CREATE TABLE countries (
    code TEXT PRIMARY KEY NOT NULL,
    alpha3 TEXT NOT NULL,
    numeric_code TEXT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE defenders (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    other_names TEXT NOT NULL DEFAULT '[]',
    search_names TEXT NOT NULL,
    role TEXT NOT NULL,
    organisation TEXT,
    country TEXT NOT NULL REFERENCES countries (code),
    details TEXT,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX defenders_country ON defenders (country, id);

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    country TEXT NOT NULL REFERENCES countries (code),
    status TEXT NOT NULL,
    closed_reason TEXT,
    summary TEXT,
    subjects TEXT NOT NULL DEFAULT '[]',
    opened_on DATE,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX cases_country ON cases (country, id);
CREATE INDEX cases_updated ON cases (updated_at);

CREATE TABLE case_defenders (
    case_id TEXT NOT NULL REFERENCES cases (id),
    defender_id TEXT NOT NULL REFERENCES defenders (id),
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, defender_id)
);
CREATE INDEX case_defenders_defender ON case_defenders (defender_id, case_id);

CREATE TABLE charges (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    defender_id TEXT NOT NULL REFERENCES defenders (id),
    legal_basis TEXT NOT NULL,
    description TEXT,
    brought_on DATE,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX charges_case ON charges (case_id, id);

CREATE TABLE trials (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    court TEXT NOT NULL,
    city TEXT,
    instance TEXT NOT NULL,
    started_on DATE,
    ended_on DATE,
    status TEXT NOT NULL,
    outcome TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX trials_case ON trials (case_id, id);

CREATE TABLE hearings (
    id TEXT PRIMARY KEY NOT NULL,
    trial_id TEXT NOT NULL REFERENCES trials (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    scheduled_at TIMESTAMP NOT NULL,
    time_zone TEXT NOT NULL,
    status TEXT NOT NULL,
    description TEXT,
    observers TEXT,
    violations TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX hearings_trial ON hearings (trial_id, scheduled_at, id);
CREATE INDEX hearings_calendar ON hearings (scheduled_at, id);

CREATE TABLE sentences (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    defender_id TEXT NOT NULL REFERENCES defenders (id),
    kind TEXT NOT NULL,
    term_months INTEGER,
    amount BIGINT,
    currency TEXT,
    description TEXT,
    handed_down_on DATE,
    status TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX sentences_case ON sentences (case_id, id);

CREATE TABLE interventions (
    id TEXT PRIMARY KEY NOT NULL,
    intervention_type TEXT NOT NULL,
    reference TEXT,
    title TEXT NOT NULL,
    issued_on DATE NOT NULL,
    country TEXT NOT NULL REFERENCES countries (code),
    url TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    subjects TEXT NOT NULL DEFAULT '[]',
    addressed_to TEXT NOT NULL DEFAULT '[]',
    actions_requested TEXT,
    deadline DATE,
    response TEXT NOT NULL,
    response_details TEXT,
    follows_id TEXT REFERENCES interventions (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interventions_country ON interventions (country, id);

CREATE TABLE intervention_cases (
    intervention_id TEXT NOT NULL REFERENCES interventions (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (intervention_id, case_id)
);
CREATE INDEX intervention_cases_case ON intervention_cases (case_id, intervention_id);

-- The timeline: events logged by researchers and change records written by the
-- service in the same transaction as the change they describe.
CREATE TABLE events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    precision TEXT NOT NULL,
    occurred_start DATE NOT NULL,
    title TEXT NOT NULL,
    description TEXT,
    source_url TEXT,
    intervention_id TEXT REFERENCES interventions (id),
    defender_ids TEXT NOT NULL DEFAULT '[]',
    record_type TEXT,
    record_id TEXT,
    changes TEXT,
    actor TEXT NOT NULL,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX events_case_order ON events (case_id, occurred_start, recorded_at, id);
