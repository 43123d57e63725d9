-- The defenders an event names, one row each: a history leaves out what names a
-- confidential defender through this index instead of matching the event's JSON list
-- as text. The list stays on the event as it was recorded.
CREATE TABLE event_defenders (
    event_id TEXT NOT NULL REFERENCES events (id),
    defender_id TEXT NOT NULL,
    PRIMARY KEY (event_id, defender_id)
);
CREATE INDEX event_defenders_by_defender ON event_defenders (defender_id, event_id);
INSERT INTO event_defenders (event_id, defender_id)
    SELECT DISTINCT events.id, named.value
    FROM events, jsonb_array_elements_text(events.defender_ids::jsonb) AS named(value)
ON CONFLICT DO NOTHING;
