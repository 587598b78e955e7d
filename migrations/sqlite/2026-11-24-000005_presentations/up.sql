-- OpenID4VP presentation sessions (PingOne's credential verifications) and their trail.

CREATE TABLE presentation_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    protocol TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The create request as given (echoed in reads).
    request TEXT NOT NULL,
    dcql_query TEXT NOT NULL,
    -- ID1 sessions: the Presentation Exchange definition the request carries instead.
    presentation_definition TEXT,
    client_id TEXT NOT NULL,
    response_mode TEXT NOT NULL,
    nonce TEXT NOT NULL,
    state TEXT NOT NULL,
    -- direct_post.jwt: the private half of this session's ephemeral ECDH-ES key, sealed
    -- with the master key (the session id as associated data).
    encryption_key TEXT,
    -- Same-device flows: SHA-256 (hex) of the response_code handed back with the
    -- redirect_uri.
    response_code_hash TEXT,
    -- The backend verify API's correlation id (unique per environment).
    correlation_id TEXT,
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
CREATE UNIQUE INDEX presentation_sessions_correlation
    ON presentation_sessions (environment_id, correlation_id);

CREATE TABLE presentation_events (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES presentation_sessions (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX presentation_events_session ON presentation_events (session_id, id);
