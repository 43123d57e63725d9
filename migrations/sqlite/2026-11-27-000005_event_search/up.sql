-- Each timeline event's text is indexed as its own row, so that logging an event costs
-- the same however long its case's history is; the case's document keeps the case's
-- own fields. `public` says whether partners may see the event (it is not
-- confidential, names no confidential defender, and its case is not confidential);
-- public_body is its text when so, and empty otherwise.
CREATE TABLE event_search (
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE REFERENCES events (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    body TEXT NOT NULL,
    public_body TEXT NOT NULL,
    public BOOLEAN NOT NULL
);

CREATE INDEX event_search_case ON event_search (case_id);

CREATE VIRTUAL TABLE event_search_fts USING fts5 (
    body,
    public_body,
    content = 'event_search',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER event_search_inserted AFTER INSERT ON event_search BEGIN
    INSERT INTO event_search_fts (rowid, body, public_body) VALUES (new.id, new.body, new.public_body);
END;

CREATE TRIGGER event_search_deleted AFTER DELETE ON event_search BEGIN
    INSERT INTO event_search_fts (event_search_fts, rowid, body, public_body)
        VALUES ('delete', old.id, old.body, old.public_body);
END;

CREATE TRIGGER event_search_updated AFTER UPDATE ON event_search BEGIN
    INSERT INTO event_search_fts (event_search_fts, rowid, body, public_body)
        VALUES ('delete', old.id, old.body, old.public_body);
    INSERT INTO event_search_fts (rowid, body, public_body) VALUES (new.id, new.body, new.public_body);
END;

-- The case documents held the events' texts until now: the service rebuilds every
-- case's document, and its events' rows, when it starts.
DELETE FROM case_search;
