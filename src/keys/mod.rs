//! Signing keys per environment, behind a [`KeyProvider`].
//!
//! The provider generates a key and hands back its public JWK plus an opaque handle that
//! is stored with the key's row; later it opens the handle into a [`Signer`]. The software
//! provider's handle is the private key sealed with the master key; a KMS or HSM provider
//! would store the key's reference there instead, and nothing else would change. Nothing
//! outside this module sees private key bytes, and none of its types print them.

mod master;
mod software;
mod verifier;
pub mod x509;

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use identity_kit::jose::{Jwk, JwsAlgorithm, Signer};

pub use master::MasterKey;
pub use software::{SoftwareKey, SoftwareKeyProvider};
pub use verifier::Verifier;

/// What a key signs. Each purpose has its own active key and is rotated on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyPurpose {
    /// Admin access tokens of the environment's authorization server.
    AdminToken,
    /// Credentials, status lists and request objects the environment signs as issuer
    /// and verifier; published in its DID document and JWKS.
    Credential,
}

impl KeyPurpose {
    pub const ALL: [KeyPurpose; 2] = [KeyPurpose::AdminToken, KeyPurpose::Credential];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::AdminToken => "admin_token",
            KeyPurpose::Credential => "credential",
        }
    }

    /// The name used in the management API.
    pub fn api_name(self) -> &'static str {
        match self {
            KeyPurpose::AdminToken => "ADMIN_TOKEN",
            KeyPurpose::Credential => "CREDENTIAL_SIGNING",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == text || p.api_name() == text)
    }
}

/// A key just generated: what to publish and what to store.
pub struct NewKey {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    pub alg: JwsAlgorithm,
    /// Carries `kid`, `alg` and `use: sig`.
    pub public_jwk: Jwk,
    /// Opaque to everything but the provider that made it.
    pub handle: String,
}

impl std::fmt::Debug for NewKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Where private keys live.
pub trait KeyProvider: Send + Sync {
    /// Generates a key for `alg` (ES256 or EdDSA).
    fn generate(&self, alg: JwsAlgorithm) -> anyhow::Result<NewKey>;

    /// Opens a stored key for signing.
    fn open(
        &self,
        kid: &str,
        alg: JwsAlgorithm,
        public_jwk: &Jwk,
        handle: &str,
    ) -> anyhow::Result<Arc<dyn Signer>>;
}

/// A key ready to sign, with what a verifier needs to know about it.
#[derive(Clone)]
pub struct OpenedKey {
    pub environment_id: String,
    pub purpose: String,
    pub kid: String,
    pub alg: JwsAlgorithm,
    pub public_jwk: Jwk,
    pub signer: Arc<dyn Signer>,
}

impl std::fmt::Debug for OpenedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("environment_id", &self.environment_id)
            .finish_non_exhaustive()
    }
}

/// Opened keys by key id, so a key is opened once per process, not per signature.
#[derive(Clone, Default)]
pub struct KeyCache {
    keys: Arc<RwLock<HashMap<String, Arc<OpenedKey>>>>,
}

impl KeyCache {
    pub fn get(&self, kid: &str) -> Option<Arc<OpenedKey>> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(kid)
            .cloned()
    }

    pub fn insert(&self, key: OpenedKey) -> Arc<OpenedKey> {
        let key = Arc::new(key);
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.kid.clone(), key.clone());
        key
    }

    /// Forgets every key of an environment (after it is deleted).
    pub fn forget_environment(&self, environment_id: &str) {
        self.keys
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, key| key.environment_id != environment_id);
    }
}

/// A signer that names itself by another `kid` (a DID URL of the same key, say), for
/// encoders that put the signer's own `kid` in the header.
pub struct NamedSigner<'a> {
    inner: &'a dyn Signer,
    kid: &'a str,
}

impl<'a> NamedSigner<'a> {
    pub fn new(inner: &'a dyn Signer, kid: &'a str) -> Self {
        Self { inner, kid }
    }
}

#[async_trait::async_trait]
impl Signer for NamedSigner<'_> {
    fn alg(&self) -> identity_kit::jose::JwsAlgorithm {
        self.inner.alg()
    }

    fn kid(&self) -> Option<&str> {
        Some(self.kid)
    }

    async fn sign(&self, input: &[u8]) -> Result<Vec<u8>, identity_kit::jose::SignError> {
        self.inner.sign(input).await
    }
}
