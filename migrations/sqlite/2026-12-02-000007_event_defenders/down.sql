DROP TABLE event_defenders;
