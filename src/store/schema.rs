//! Table definitions, kept by hand in step with `migrations/{sqlite,postgres}`.

diesel::table! {
    instance_meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    environments (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        env_type -> Text,
        region -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    applications (id) {
        id -> Text,
        environment_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        app_type -> Text,
        token_endpoint_auth_method -> Text,
        enabled -> Integer,
        roles -> Text,
        secret_hash -> Text,
        secret_sealed -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    signing_keys (id) {
        id -> Text,
        environment_id -> Text,
        purpose -> Text,
        alg -> Text,
        public_jwk -> Text,
        private_sealed -> Text,
        status -> Text,
        created_at -> Timestamp,
        retired_at -> Nullable<Timestamp>,
        publish_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    issuer_profiles (id) {
        id -> Text,
        environment_id -> Text,
        name -> Text,
        site_url -> Nullable<Text>,
        logo -> Nullable<Text>,
        application_instance_id -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    populations (id) {
        id -> Text,
        environment_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        is_default -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_groups (id) {
        id -> Text,
        environment_id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        population_id -> Nullable<Text>,
        custom_data -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        environment_id -> Text,
        username -> Text,
        population_id -> Text,
        attributes -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_memberships (group_id, user_id) {
        group_id -> Text,
        user_id -> Text,
        environment_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(applications -> environments (environment_id));
diesel::joinable!(group_memberships -> user_groups (group_id));
diesel::joinable!(group_memberships -> users (user_id));
diesel::joinable!(user_credentials -> credential_types (credential_type_id));

diesel::allow_tables_to_appear_in_same_query!(
    instance_meta,
    environments,
    applications,
    signing_keys,
    issuer_profiles,
    populations,
    user_groups,
    users,
    group_memberships,
    credential_types,
    credential_type_versions,
    user_credentials,
    provisioned_credentials,
    credential_offers,
    access_tokens,
    used_nonces,
    deferred_requests,
    issuance_events,
    issue_requests,
    status_lists,
    status_entries,
    job_leases,
    presentation_sessions,
    presentation_events,
);

diesel::table! {
    credential_types (id) {
        id -> Text,
        environment_id -> Text,
        title -> Text,
        management_mode -> Text,
        definition -> Text,
        version_id -> Text,
        version_number -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credential_type_versions (id) {
        id -> Text,
        credential_type_id -> Text,
        environment_id -> Text,
        version_number -> Integer,
        snapshot -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_credentials (id) {
        id -> Text,
        environment_id -> Text,
        user_id -> Text,
        credential_type_id -> Text,
        type_version -> Integer,
        status -> Text,
        data -> Text,
        expires_at -> Nullable<Timestamp>,
        notification -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        issued_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    provisioned_credentials (id) {
        id -> Text,
        environment_id -> Text,
        user_credential_id -> Text,
        user_id -> Text,
        digital_wallet_id -> Nullable<Text>,
        status -> Text,
        format -> Text,
        credential_configuration_id -> Text,
        holder_key -> Nullable<Text>,
        claim_reference -> Nullable<Text>,
        status_list_uri -> Nullable<Text>,
        status_list_index -> Nullable<BigInt>,
        wallet_actions -> Text,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        notification_id -> Nullable<Text>,
    }
}

diesel::table! {
    credential_offers (id) {
        id -> Text,
        environment_id -> Text,
        user_credential_id -> Text,
        code_hash -> Text,
        configuration_ids -> Text,
        tx_code_hash -> Nullable<Text>,
        tx_code_input_mode -> Nullable<Text>,
        tx_code_length -> Nullable<Integer>,
        tx_code_description -> Nullable<Text>,
        tx_code_failures -> Integer,
        status -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        fetched_at -> Nullable<Timestamp>,
        redeemed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Text,
        kind -> Text,
        environment_id -> Text,
        offer_id -> Text,
        user_credential_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    used_nonces (nonce_hash) {
        nonce_hash -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    deferred_requests (id) {
        id -> Text,
        environment_id -> Text,
        user_credential_id -> Text,
        transaction_hash -> Text,
        configuration_id -> Text,
        holder_keys -> Text,
        status -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    issuance_events (id) {
        id -> Text,
        environment_id -> Text,
        user_credential_id -> Text,
        offer_id -> Nullable<Text>,
        event -> Text,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    issue_requests (environment_id, correlation_id) {
        environment_id -> Text,
        correlation_id -> Text,
        request_hash -> Text,
        user_credential_id -> Text,
        revocation_uuid -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    status_lists (id) {
        id -> Text,
        environment_id -> Text,
        format -> Text,
        bits -> Integer,
        size -> BigInt,
        allocated -> BigInt,
        is_full -> Integer,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    status_entries (list_id, idx) {
        list_id -> Text,
        idx -> BigInt,
        provisioned_credential_id -> Nullable<Text>,
        status -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Nullable<Text>,
        leased_until -> Nullable<Timestamp>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
        last_result -> Nullable<Text>,
    }
}

diesel::table! {
    presentation_sessions (id) {
        id -> Text,
        environment_id -> Text,
        protocol -> Text,
        status -> Text,
        request -> Text,
        dcql_query -> Text,
        presentation_definition -> Nullable<Text>,
        client_id -> Text,
        response_mode -> Text,
        nonce -> Text,
        state -> Text,
        encryption_key -> Nullable<Text>,
        response_code_hash -> Nullable<Text>,
        correlation_id -> Nullable<Text>,
        result -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        request_fetched_at -> Nullable<Timestamp>,
        responded_at -> Nullable<Timestamp>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    presentation_events (id) {
        id -> Text,
        environment_id -> Text,
        session_id -> Text,
        event -> Text,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
    }
}
