DROP TABLE presentation_events;
DROP TABLE presentation_sessions;
