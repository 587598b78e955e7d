//! Use cases. Each module is one management resource or one protocol flow; it validates
//! input through `domain`, composes `store` repositories inside one transaction, and
//! uses `keys` for signing. Services know nothing of HTTP.

pub mod admin_auth;
pub mod applications;
pub mod backend_api;
pub mod bootstrap;
pub mod cache;
pub mod credential_types;
pub mod demo;
pub mod directory;
pub mod environments;
pub mod issuer_profile;
pub mod keyring;
pub mod oid4vci;
pub mod oid4vp;
pub mod status;
pub mod status_check;
pub mod user_credentials;

use std::sync::Arc;

use crate::config::Config;
use crate::domain::application::ROLE_ORGANIZATION_ADMIN;
use crate::domain::validate::FieldError;
use crate::keys::{KeyCache, KeyProvider, MasterKey, SoftwareKeyProvider};
use crate::protocol::did::DidResolver;
use crate::store::{Store, StoreError};

/// Everything a use case needs, cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub config: Arc<Config>,
    pub public_url: Arc<str>,
    pub store: Store,
    /// Seals secrets other than keys (client secrets).
    pub master: Arc<MasterKey>,
    pub key_provider: Arc<dyn KeyProvider>,
    pub keys: KeyCache,
    pub resolver: Arc<DidResolver>,
    pub caches: Arc<Caches>,
    /// Signed status lists, by list and status version.
    pub status_lists: Arc<status::ListCache>,
    /// Status list counters this instance has taken and not yet handed out.
    pub status_reservations: Arc<status::Reservations>,
    /// The verifier's key resolver and status check, made on first use (their caches
    /// live as long as the server).
    pub verifier_trust: Arc<std::sync::OnceLock<oid4vp::trust::Trust>>,
    /// The verifier certificate of x509 client identifiers, loaded on first use.
    pub verifier_certificate: Arc<tokio::sync::OnceCell<Arc<crate::keys::x509::ClientCertificate>>>,
}

/// What [`cache`] keeps for the hot paths.
#[derive(Default)]
pub struct Caches {
    /// (environment, purpose) → the active signing key row.
    pub active_keys: cache::TtlCache<(String, &'static str), crate::store::rows::SigningKeyRow>,
    /// (environment, key id) → the key row.
    pub key_rows: cache::TtlCache<(String, String), crate::store::rows::SigningKeyRow>,
    /// Environments known to exist.
    pub environments: cache::TtlCache<String, ()>,
    /// (environment, key id, SHA-256 of the token) of admin tokens whose signature
    /// verified: a client reuses its token for many calls, and checking the same bytes
    /// against the same key again proves nothing new. Everything else about the token
    /// (key still published, times, issuer, the application enabled) is checked each call.
    pub verified_tokens: cache::TtlCache<(String, String, [u8; 32]), ()>,
}

impl Caches {
    /// Forgets everything about `environment_id` (its keys changed or it was deleted).
    pub fn forget_environment(&self, environment_id: &str) {
        self.active_keys.forget(|(env, _)| env == environment_id);
        self.key_rows.forget(|(env, _)| env == environment_id);
        self.environments.forget(|env| env == environment_id);
        self.verified_tokens
            .forget(|(env, _, _)| env == environment_id);
    }
}

impl Ctx {
    pub fn new(config: Config, store: Store, master: MasterKey) -> anyhow::Result<Self> {
        let master = Arc::new(master);
        if config.did_web_allow_loopback {
            tracing::warn!(
                "did:web documents may be fetched from loopback over http (development setting)"
            );
        }
        Ok(Self {
            resolver: Arc::new(DidResolver::new(config.did_web_allow_loopback)?),
            public_url: config.public_url().into(),
            config: Arc::new(config),
            store,
            key_provider: Arc::new(SoftwareKeyProvider::new(master.clone())),
            master,
            keys: KeyCache::default(),
            caches: Arc::default(),
            status_lists: Arc::default(),
            status_reservations: Arc::default(),
            verifier_trust: Arc::default(),
            verifier_certificate: Arc::default(),
        })
    }
}

/// The caller of a management operation, from a verified admin token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The environment whose token endpoint issued the token.
    pub environment_id: String,
    /// The worker application (OAuth client) the token was issued to.
    pub application_id: String,
    pub roles: Vec<String>,
}

impl Principal {
    pub fn is_organization_admin(&self) -> bool {
        self.roles.iter().any(|r| r == ROLE_ORGANIZATION_ADMIN)
    }
}

/// Why a use case did not complete. Each maps to one HTTP status and PingOne error code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400 `INVALID_DATA`: the request was understood but some fields are wrong.
    #[error("One or more validation errors were in the request.")]
    Invalid(Vec<FieldError>),
    /// 400 `INVALID_REQUEST`: the request itself is malformed.
    #[error("{message}")]
    BadRequest {
        message: String,
        details: Vec<FieldError>,
    },
    /// 404 `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// 409: a uniqueness rule or the resource's state forbids the change.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: Vec<FieldError>,
    },
    /// 401 `ACCESS_FAILED`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `ACCESS_FAILED`.
    #[error("{0}")]
    Forbidden(String),
    /// 500 `UNEXPECTED_ERROR`; the cause is logged, never shown.
    #[error("unexpected error")]
    Internal(#[from] anyhow::Error),
}

impl Error {
    pub fn not_found(what: &str) -> Self {
        Error::NotFound(format!("{what} could not be found."))
    }

    pub fn not_unique(target: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Error::Conflict {
            code: "UNIQUENESS_VIOLATION",
            message: message.clone(),
            details: vec![FieldError::not_unique(target, message)],
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Error::Conflict {
            code: "CONFLICT",
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl From<Vec<FieldError>> for Error {
    fn from(errors: Vec<FieldError>) -> Self {
        Error::Invalid(errors)
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        Error::Internal(anyhow::Error::new(err).context("database query failed"))
    }
}

impl From<StoreError> for Error {
    fn from(err: StoreError) -> Self {
        Error::Internal(anyhow::Error::new(err))
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A new resource id: UUID v7, so ids sort by creation time and keyset paging by id
/// lists resources in the order they were made.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
