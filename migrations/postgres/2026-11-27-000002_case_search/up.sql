-- The full-text index of cases: one document per case (title, summary, subjects,
-- defenders' names and spellings, charges, timeline texts), folded by the application
-- so that spelling variants meet, kept in sync in the transaction of every write.
-- public_body leaves out what partners may not see (confidential defenders, events).
CREATE TABLE case_search (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    body TEXT NOT NULL,
    public_body TEXT NOT NULL,
    document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    public_document TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', public_body)) STORED
);

CREATE INDEX case_search_document ON case_search USING GIN (document);
CREATE INDEX case_search_public_document ON case_search USING GIN (public_document);
