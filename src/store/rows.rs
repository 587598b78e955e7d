//! Row types: one struct per table, read and written as a whole.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::*;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = environments, treat_none_as_null = true)]
pub struct EnvironmentRow {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub env_type: String,
    pub region: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = applications, treat_none_as_null = true)]
pub struct ApplicationRow {
    pub id: String,
    pub environment_id: String,
    pub name: String,
    pub description: Option<String>,
    pub app_type: String,
    pub token_endpoint_auth_method: String,
    pub enabled: i32,
    /// JSON array of role names.
    pub roles: String,
    /// Argon2id PHC string of the client secret.
    pub secret_hash: String,
    /// The client secret sealed with the master key, so `GET …/secret` can show it.
    pub secret_sealed: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys)]
pub struct SigningKeyRow {
    pub id: String,
    pub environment_id: String,
    pub purpose: String,
    pub alg: String,
    pub public_jwk: String,
    pub private_sealed: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub retired_at: Option<NaiveDateTime>,
    pub publish_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = issuer_profiles, treat_none_as_null = true)]
pub struct IssuerProfileRow {
    pub id: String,
    pub environment_id: String,
    pub name: String,
    pub site_url: Option<String>,
    pub logo: Option<String>,
    pub application_instance_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = populations, treat_none_as_null = true)]
pub struct PopulationRow {
    pub id: String,
    pub environment_id: String,
    pub name: String,
    pub description: Option<String>,
    pub is_default: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_groups, treat_none_as_null = true)]
pub struct GroupRow {
    pub id: String,
    pub environment_id: String,
    pub name: String,
    pub description: Option<String>,
    pub population_id: Option<String>,
    /// JSON object, or NULL.
    pub custom_data: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
pub struct UserRow {
    pub id: String,
    pub environment_id: String,
    pub username: String,
    pub population_id: String,
    /// JSON object: every user attribute except id, username, population and timestamps.
    pub attributes: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = group_memberships)]
pub struct MembershipRow {
    pub group_id: String,
    pub user_id: String,
    pub environment_id: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = credential_types, treat_none_as_null = true)]
pub struct CredentialTypeRow {
    pub id: String,
    pub environment_id: String,
    pub title: String,
    pub management_mode: String,
    /// JSON: the validated `CredentialTypeDefinition`.
    pub definition: String,
    pub version_id: String,
    pub version_number: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = credential_type_versions)]
pub struct CredentialTypeVersionRow {
    pub id: String,
    pub credential_type_id: String,
    pub environment_id: String,
    pub version_number: i32,
    /// JSON: the whole credential type as it was (without `_links`).
    pub snapshot: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_credentials, treat_none_as_null = true)]
pub struct UserCredentialRow {
    pub id: String,
    pub environment_id: String,
    pub user_id: String,
    pub credential_type_id: String,
    pub type_version: i32,
    pub status: String,
    /// JSON object: field title → value, for every field of the type.
    pub data: String,
    pub expires_at: Option<NaiveDateTime>,
    pub notification: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub issued_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = provisioned_credentials, treat_none_as_null = true)]
pub struct ProvisionedCredentialRow {
    pub id: String,
    pub environment_id: String,
    pub user_credential_id: String,
    pub user_id: String,
    pub digital_wallet_id: Option<String>,
    pub status: String,
    pub format: String,
    pub credential_configuration_id: String,
    /// JSON: the holder's public key (JWK or DID URL).
    pub holder_key: Option<String>,
    pub claim_reference: Option<String>,
    pub status_list_uri: Option<String>,
    pub status_list_index: Option<i64>,
    /// JSON array of `{type, occurredAt}`.
    pub wallet_actions: String,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Shared by the credentials of one credential response.
    pub notification_id: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = credential_offers, treat_none_as_null = true)]
pub struct CredentialOfferRow {
    /// Random (v4): it is the last segment of the `credential_offer_uri`.
    pub id: String,
    pub environment_id: String,
    pub user_credential_id: String,
    /// SHA-256 of the pre-authorized code.
    pub code_hash: String,
    /// JSON array of credential configuration ids.
    pub configuration_ids: String,
    pub tx_code_hash: Option<String>,
    pub tx_code_input_mode: Option<String>,
    pub tx_code_length: Option<i32>,
    pub tx_code_description: Option<String>,
    pub tx_code_failures: i32,
    /// `ACTIVE`, `REDEEMED`, `DEAD` (too many wrong tx_codes) or `WITHDRAWN`.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
    pub redeemed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = access_tokens)]
pub struct AccessTokenRow {
    pub token_hash: String,
    /// `access` or `refresh`.
    pub kind: String,
    pub environment_id: String,
    pub offer_id: String,
    pub user_credential_id: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// Refresh tokens are single-use: set when exchanged.
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = deferred_requests, treat_none_as_null = true)]
pub struct DeferredRequestRow {
    pub id: String,
    pub environment_id: String,
    pub user_credential_id: String,
    pub transaction_hash: String,
    pub configuration_id: String,
    /// JSON array of the holder keys (JWKs) the proofs were made with.
    pub holder_keys: String,
    /// `PENDING`, `APPROVED`, `REJECTED` or `DELIVERED`.
    pub status: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = issuance_events)]
pub struct IssuanceEventRow {
    pub id: String,
    pub environment_id: String,
    pub user_credential_id: String,
    pub offer_id: Option<String>,
    pub event: String,
    pub detail: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = issue_requests)]
pub struct IssueRequestRow {
    pub environment_id: String,
    pub correlation_id: String,
    /// SHA-256 of the canonical request, to tell a retry from a conflicting reuse.
    pub request_hash: String,
    pub user_credential_id: String,
    pub revocation_uuid: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_lists)]
pub struct StatusListRow {
    /// Random (v4): it names the list in every credential that points at it.
    pub id: String,
    pub environment_id: String,
    /// `TOKEN_STATUS_LIST` or `BITSTRING_STATUS_LIST`.
    pub format: String,
    pub bits: i32,
    pub size: i64,
    /// Entries handed out; the next one gets the permutation of this counter.
    pub allocated: i64,
    pub is_full: i32,
    /// Changes with every status change of an entry.
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_entries)]
pub struct StatusEntryRow {
    pub list_id: String,
    pub idx: i64,
    pub provisioned_credential_id: Option<String>,
    /// 0 valid, 1 invalid (revoked or expired), 2 suspended.
    pub status: i32,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = job_leases)]
pub struct JobLeaseRow {
    pub name: String,
    pub holder: Option<String>,
    pub leased_until: Option<NaiveDateTime>,
    pub last_started_at: Option<NaiveDateTime>,
    pub last_finished_at: Option<NaiveDateTime>,
    pub last_result: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = presentation_sessions, treat_none_as_null = true)]
pub struct PresentationSessionRow {
    /// Random (v4): it names the session in the wallet's links.
    pub id: String,
    pub environment_id: String,
    /// `OPENID4VP` or `NATIVE`.
    pub protocol: String,
    /// `INITIAL`, `WAITING`, `VERIFICATION_SUCCESSFUL`, `VERIFICATION_FAILED`,
    /// `VERIFICATION_EXPIRED`.
    pub status: String,
    /// JSON: the create request.
    pub request: String,
    /// JSON: the DCQL query sent to the wallet.
    pub dcql_query: String,
    /// JSON: the Presentation Exchange definition of an ID1 session.
    pub presentation_definition: Option<String>,
    pub client_id: String,
    /// `direct_post` or `direct_post.jwt`.
    pub response_mode: String,
    pub nonce: String,
    pub state: String,
    /// direct_post.jwt: the session's ephemeral private key, sealed.
    pub encryption_key: Option<String>,
    /// SHA-256 (hex) of the response_code of a same-device answer.
    pub response_code_hash: Option<String>,
    /// The backend verify API's correlation id.
    pub correlation_id: Option<String>,
    /// JSON: `{credentials: [...], errors: [...]}` once answered.
    pub result: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub request_fetched_at: Option<NaiveDateTime>,
    pub responded_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = presentation_events)]
pub struct PresentationEventRow {
    pub id: String,
    pub environment_id: String,
    pub session_id: String,
    pub event: String,
    /// JSON.
    pub detail: Option<String>,
    pub created_at: NaiveDateTime,
}
