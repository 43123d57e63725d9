DROP TABLE event_search;
-- Rebuilt with the events' texts by the earlier version when it starts.
DELETE FROM case_search;
