-- OpenID4VP presentation sessions (PingOne's credential verifications) and their trail.

CREATE TABLE presentation_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    protocol TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The create request as given (echoed in reads).
    request TEXT NOT NULL,
    dcql_query TEXT NOT NULL,
    client_id TEXT NOT NULL,
    response_mode TEXT NOT NULL,
    nonce TEXT NOT NULL,
    state TEXT NOT NULL,
    -- Verification outcome: verified credentials and errors (JSON), once answered.
    result TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    request_fetched_at TIMESTAMP,
    responded_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX presentation_sessions_environment ON presentation_sessions (environment_id, id);
CREATE INDEX presentation_sessions_expiry ON presentation_sessions (expires_at);

CREATE TABLE presentation_events (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES presentation_sessions (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX presentation_events_session ON presentation_events (session_id, id);
