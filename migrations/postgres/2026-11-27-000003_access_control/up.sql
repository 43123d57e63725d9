-- Partners who receive alerts; a partner token belongs to one.
CREATE TABLE subscribers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    organisation TEXT,
    email TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL
);

-- API tokens: only a SHA-256 of the secret is kept; the secret is shown once.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    subscriber_id TEXT REFERENCES subscribers (id),
    secret_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    revoked_by TEXT
);

-- Who did what, when, from where: every write and every read of a confidential record.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    token_id TEXT,
    role TEXT,
    action TEXT NOT NULL,
    resource TEXT,
    status INTEGER NOT NULL,
    client_ip TEXT
);
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
