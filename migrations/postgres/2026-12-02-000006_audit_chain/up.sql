-- Each audit entry is chained to the one before: `seq` is its position, `hash` the
-- SHA-256 of `prev_hash` and the entry (see src/auth/chain.rs). Entries written before
-- this migration are chained by the application when it next opens the database.
ALTER TABLE audit_log ADD COLUMN seq BIGINT UNIQUE;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE INDEX audit_log_unchained ON audit_log (at, id) WHERE hash IS NULL;
-- New entries come chained (NOT VALID: the older rows are chained afterwards).
ALTER TABLE audit_log ADD CONSTRAINT audit_log_chained
    CHECK (seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL) NOT VALID;

-- The only update allowed: chaining an entry from before the chain, once, leaving the
-- entry itself as it was.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.hash IS NULL
            AND (NEW.id, NEW.at, NEW.actor, NEW.token_id, NEW.role, NEW.action,
                 NEW.resource, NEW.status, NEW.client_ip)
            IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor, OLD.token_id, OLD.role,
                 OLD.action, OLD.resource, OLD.status, OLD.client_ip)
        THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END
$$ LANGUAGE plpgsql;

-- TRUNCATE fires no row trigger.
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
