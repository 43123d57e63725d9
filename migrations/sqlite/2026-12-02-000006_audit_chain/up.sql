-- Each audit entry is chained to the one before: `seq` is its position, `hash` the
-- SHA-256 of `prev_hash` and the entry (see src/auth/chain.rs). Entries written before
-- this migration are chained by the application when it next opens the database.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unchained ON audit_log (at, id) WHERE hash IS NULL;

-- A REPLACE deletes the row it conflicts with (on id or seq) without firing the delete
-- trigger, so an insert that meets an existing row is refused before it gets there.
-- New entries come chained.
CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
    OR EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id OR seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- The only update allowed: chaining an entry from before the chain, once, leaving the
-- entry itself as it was.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN OLD.hash IS NOT NULL
    OR NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
    OR EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq)
    OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.actor IS NOT OLD.actor
    OR NEW.token_id IS NOT OLD.token_id OR NEW.role IS NOT OLD.role
    OR NEW.action IS NOT OLD.action OR NEW.resource IS NOT OLD.resource
    OR NEW.status IS NOT OLD.status OR NEW.client_ip IS NOT OLD.client_ip
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
