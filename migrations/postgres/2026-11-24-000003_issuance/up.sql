-- OpenID4VCI issuance: credential offers, access tokens, used nonces, deferred requests,
-- the per-credential event trail, and the backend issuing API's correlation ids.

CREATE TABLE credential_offers (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_credential_id TEXT NOT NULL REFERENCES user_credentials (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    configuration_ids TEXT NOT NULL,
    tx_code_hash TEXT,
    tx_code_input_mode TEXT,
    tx_code_length INTEGER,
    tx_code_description TEXT,
    tx_code_failures INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    fetched_at TIMESTAMP,
    redeemed_at TIMESTAMP
);
CREATE INDEX credential_offers_credential ON credential_offers (user_credential_id);

-- Access tokens and refresh tokens (kind), bound to the offer they were redeemed for.
CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    offer_id TEXT NOT NULL REFERENCES credential_offers (id) ON DELETE CASCADE,
    user_credential_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at);

CREATE TABLE used_nonces (
    nonce_hash TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);

CREATE TABLE deferred_requests (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_credential_id TEXT NOT NULL REFERENCES user_credentials (id) ON DELETE CASCADE,
    transaction_hash TEXT NOT NULL UNIQUE,
    configuration_id TEXT NOT NULL,
    holder_keys TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    delivered_at TIMESTAMP
);
CREATE INDEX deferred_requests_credential ON deferred_requests (user_credential_id);

CREATE TABLE issuance_events (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_credential_id TEXT NOT NULL REFERENCES user_credentials (id) ON DELETE CASCADE,
    offer_id TEXT,
    event TEXT NOT NULL,
    detail TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX issuance_events_credential ON issuance_events (user_credential_id, id);

CREATE TABLE issue_requests (
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    correlation_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    user_credential_id TEXT NOT NULL REFERENCES user_credentials (id) ON DELETE CASCADE,
    revocation_uuid TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (environment_id, correlation_id)
);

ALTER TABLE provisioned_credentials ADD COLUMN notification_id TEXT;
CREATE INDEX provisioned_credentials_notification ON provisioned_credentials (notification_id);
