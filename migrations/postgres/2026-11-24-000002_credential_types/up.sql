-- Credential types with versions, user credentials, provisioned credentials.

CREATE TABLE credential_types (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    management_mode TEXT NOT NULL,
    definition TEXT NOT NULL,
    version_id TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
-- Titles name credentials to verifiers: unique among the types still in use.
CREATE UNIQUE INDEX credential_types_title ON credential_types (environment_id, title) WHERE deleted_at IS NULL;
CREATE INDEX credential_types_environment ON credential_types (environment_id, id);

CREATE TABLE credential_type_versions (
    id TEXT PRIMARY KEY NOT NULL,
    credential_type_id TEXT NOT NULL REFERENCES credential_types (id) ON DELETE CASCADE,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    version_number INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX credential_type_versions_number ON credential_type_versions (credential_type_id, version_number);

CREATE TABLE user_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_type_id TEXT NOT NULL REFERENCES credential_types (id),
    type_version INTEGER NOT NULL,
    status TEXT NOT NULL,
    data TEXT NOT NULL,
    expires_at TIMESTAMP,
    notification TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    issued_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX user_credentials_user ON user_credentials (environment_id, user_id, id);
CREATE INDEX user_credentials_type ON user_credentials (credential_type_id);

CREATE TABLE provisioned_credentials (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    user_credential_id TEXT NOT NULL REFERENCES user_credentials (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    digital_wallet_id TEXT,
    status TEXT NOT NULL,
    format TEXT NOT NULL,
    credential_configuration_id TEXT NOT NULL,
    holder_key TEXT,
    claim_reference TEXT,
    status_list_uri TEXT,
    status_list_index BIGINT,
    wallet_actions TEXT NOT NULL,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX provisioned_credentials_credential ON provisioned_credentials (user_credential_id, id);
