-- The full-text index of cases: one document per case (title, summary, subjects,
-- defenders' names and spellings, charges, timeline texts), folded by the application
-- so that spelling variants meet, kept in sync in the transaction of every write.
-- public_body leaves out what partners may not see (confidential defenders, events).
CREATE TABLE case_search (
    id INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE REFERENCES cases (id),
    body TEXT NOT NULL,
    public_body TEXT NOT NULL
);

CREATE VIRTUAL TABLE case_search_fts USING fts5 (
    body,
    public_body,
    content = 'case_search',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER case_search_inserted AFTER INSERT ON case_search BEGIN
    INSERT INTO case_search_fts (rowid, body, public_body) VALUES (new.id, new.body, new.public_body);
END;

CREATE TRIGGER case_search_deleted AFTER DELETE ON case_search BEGIN
    INSERT INTO case_search_fts (case_search_fts, rowid, body, public_body)
        VALUES ('delete', old.id, old.body, old.public_body);
END;

CREATE TRIGGER case_search_updated AFTER UPDATE ON case_search BEGIN
    INSERT INTO case_search_fts (case_search_fts, rowid, body, public_body)
        VALUES ('delete', old.id, old.body, old.public_body);
    INSERT INTO case_search_fts (rowid, body, public_body) VALUES (new.id, new.body, new.public_body);
END;
