-- A subscriber's address must be confirmed (a single-use link) before any alert is
-- sent to it. The link's token is kept only until it is used or replaced.
ALTER TABLE subscribers ADD COLUMN confirmed_at TIMESTAMP;
ALTER TABLE subscribers ADD COLUMN confirmation_token TEXT;
ALTER TABLE subscribers ADD COLUMN confirmation_expires_at TIMESTAMP;
-- Unsubscribes the subscriber from everything (the link in a daily digest).
ALTER TABLE subscribers ADD COLUMN unsubscribe_token TEXT;
CREATE UNIQUE INDEX subscribers_confirmation ON subscribers (confirmation_token);
CREATE UNIQUE INDEX subscribers_unsubscribe ON subscribers (unsubscribe_token);

-- A subscriber follows one case, every case of a country, or a subject.
-- The unsubscribe token is kept in clear: every email carries it, it can do nothing
-- but end this subscription, and the worker must be able to put it in a link.
CREATE TABLE subscriptions (
    id TEXT PRIMARY KEY NOT NULL,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id),
    scope TEXT NOT NULL,
    target TEXT NOT NULL,
    delivery TEXT NOT NULL,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    cancelled_at TIMESTAMP,
    cancelled_by TEXT
);
CREATE UNIQUE INDEX subscriptions_one_active
    ON subscriptions (subscriber_id, scope, target) WHERE cancelled_at IS NULL;
CREATE INDEX subscriptions_match ON subscriptions (scope, target) WHERE cancelled_at IS NULL;
CREATE INDEX subscriptions_subscriber ON subscriptions (subscriber_id, id);

-- The outbox: one row per email to send, written in the transaction of the change
-- that caused it. dedupe_key makes "once per event, hearing or digest" a constraint.
CREATE TABLE alerts (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id),
    subscription_id TEXT REFERENCES subscriptions (id),
    case_id TEXT REFERENCES cases (id),
    event_id TEXT REFERENCES events (id),
    hearing_id TEXT REFERENCES hearings (id),
    delivery TEXT NOT NULL,
    digest_id TEXT REFERENCES alerts (id),
    dedupe_key TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX alerts_due ON alerts (status, next_attempt_at);
CREATE INDEX alerts_status ON alerts (status, id);
CREATE INDEX alerts_digest ON alerts (digest_id);
CREATE INDEX alerts_subscription ON alerts (subscription_id, status);
