-- Status lists (IETF Token Status List for dc+sd-jwt, W3C Bitstring Status List for
-- jwt_vc_json), their entries, and the leases of the jobs runner.

-- One list. `allocated` counts the entries handed out; the index of the n-th entry is a
-- keyed permutation of n, so indexes look random but never repeat. `version` changes
-- with every status change (the served token's ETag follows it).
CREATE TABLE status_lists (
    id TEXT PRIMARY KEY NOT NULL,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    format TEXT NOT NULL,
    bits INTEGER NOT NULL,
    size BIGINT NOT NULL,
    allocated BIGINT NOT NULL,
    is_full INTEGER NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX status_lists_open ON status_lists (environment_id, format, is_full, created_at);

-- One allocated index. The primary key is what makes an index impossible to hand out
-- twice, whatever the instances do. An entry outlives the credential it was given to
-- (deleting a credential first sets its bit), so the credential id is not a foreign key.
CREATE TABLE status_entries (
    list_id TEXT NOT NULL REFERENCES status_lists (id) ON DELETE CASCADE,
    idx BIGINT NOT NULL,
    provisioned_credential_id TEXT,
    status INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (list_id, idx)
);
CREATE INDEX status_entries_credential ON status_entries (provisioned_credential_id);
CREATE INDEX status_entries_set ON status_entries (list_id, status);

-- One row per periodic job; an instance runs a job only while it holds the lease.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    holder TEXT,
    leased_until TIMESTAMP,
    last_started_at TIMESTAMP,
    last_finished_at TIMESTAMP,
    last_result TEXT
);

CREATE INDEX user_credentials_expiry ON user_credentials (expires_at);
