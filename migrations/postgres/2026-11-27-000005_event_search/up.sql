-- Each timeline event's text is indexed as its own row, so that logging an event costs
-- the same however long its case's history is; the case's document keeps the case's
-- own fields. `public` says whether partners may see the event (it is not
-- confidential, names no confidential defender, and its case is not confidential);
-- public_body is its text when so, and empty otherwise.
CREATE TABLE event_search (
    id BIGSERIAL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE REFERENCES events (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    body TEXT NOT NULL,
    public_body TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    public_document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', public_body)) STORED
);

CREATE INDEX event_search_case ON event_search (case_id);
CREATE INDEX event_search_document ON event_search USING GIN (document);
CREATE INDEX event_search_public_document ON event_search USING GIN (public_document);

-- The case documents held the events' texts until now: the service rebuilds every
-- case's document, and its events' rows, when it starts.
DELETE FROM case_search;
