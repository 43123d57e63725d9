DROP TRIGGER event_search_updated;
DROP TRIGGER event_search_deleted;
DROP TRIGGER event_search_inserted;
DROP TABLE event_search_fts;
DROP TABLE event_search;
-- Rebuilt with the events' texts by the earlier version when it starts.
DELETE FROM case_search;
