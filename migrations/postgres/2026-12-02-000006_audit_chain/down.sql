DROP TRIGGER audit_log_no_truncate ON audit_log;
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$ LANGUAGE plpgsql;
DROP INDEX audit_log_unchained;
ALTER TABLE audit_log DROP CONSTRAINT audit_log_chained;
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN seq;
