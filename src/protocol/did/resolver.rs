//! The DID resolver vouch uses to find holder and issuer keys.
//!
//! `did:key` (Ed25519, P-256, secp256k1), `did:jwk` and long-form `did:ion` ([`super::ion`],
//! its create operation checked against its suffix) resolve offline; a short-form `did:ion`
//! is refused, since only an ION node could resolve it. `did:web` is
//! fetched with identity-kit's hardened client: HTTPS only, no redirects, no proxy, host
//! names resolved by the client itself with loopback, private and link-local addresses
//! refused, a 1 MiB body limit and a 10 s timeout. Development and tests may allow
//! loopback over plain http (`did_web_allow_loopback`); nothing else loosens the rules.
//! Documents are cached for five minutes; a key missing from a cached document is
//! looked up once more without the cache, so a freshly rotated key is found.

use std::time::Duration;

use identity_kit::did::{DEFAULT_MAX_LEN, Did, DidDocument, DidUrl, VerificationRelationship};
use identity_kit::jose::Jwk;
use identity_kit::methods::jwk::DidJwk;
use identity_kit::methods::key::DidKey;
use identity_kit::methods::web::{DidWeb, ReqwestClient};
use identity_kit::resolver::Resolver;

use super::ion::{self, DidIon};

/// How long a resolved document is reused.
const CACHE_TTL: Duration = Duration::from_secs(300);

/// Why a DID or DID URL did not resolve to a usable key or document.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("`{0}` is not a DID or DID URL")]
    Malformed(String),
    #[error(
        "the DID method of `{0}` is not supported (did:key, did:jwk, did:web and long-form \
         did:ion are)"
    )]
    UnsupportedMethod(String),
    #[error("`{did}` did not resolve: {reason}")]
    Resolution { did: String, reason: String },
    #[error("`{url}` names no usable key: {reason}")]
    NoKey { url: String, reason: String },
}

/// The purpose a key is looked up for, which decides the DID document relationship the
/// key must be listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// A holder proving possession (proofs, key binding, presentations): `authentication`.
    Holder,
    /// An issuer signing credentials or status lists: `assertionMethod`.
    Issuer,
}

impl KeyUse {
    fn relationship(self) -> VerificationRelationship {
        match self {
            KeyUse::Holder => VerificationRelationship::Authentication,
            KeyUse::Issuer => VerificationRelationship::AssertionMethod,
        }
    }
}

pub struct DidResolver {
    inner: std::sync::Arc<Resolver>,
}

impl std::fmt::Debug for DidResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DidResolver")
            .field("methods", &self.inner.methods())
            .finish()
    }
}

impl DidResolver {
    /// A resolver for `did:key`, `did:jwk`, `did:web` and long-form `did:ion`.
    /// `allow_loopback` lets `did:web`
    /// reach 127.0.0.1/::1 over http (development and tests only).
    pub fn new(allow_loopback: bool) -> anyhow::Result<Self> {
        let client = if allow_loopback {
            ReqwestClient::builder().dangerous_allow_loopback().build()
        } else {
            ReqwestClient::new()
        }
        .map_err(|e| anyhow::anyhow!("cannot build the did:web client: {e}"))?;
        Ok(Self {
            inner: std::sync::Arc::new(
                Resolver::builder()
                    .with(DidKey::new())
                    .with(DidJwk)
                    .with(DidWeb::new(client))
                    .with(DidIon)
                    .cache(CACHE_TTL)
                    .build(),
            ),
        })
    }

    /// Long-form `did:ion`s carry their whole create operation, so they get a larger length
    /// limit than identity-kit's default of 2048 bytes; other methods keep the default.
    fn max_len(did_or_url: &str, default: usize, ion: usize) -> usize {
        if did_or_url.starts_with("did:ion:") {
            ion
        } else {
            default
        }
    }

    fn parse_did(did: &str) -> Result<Did, ResolveError> {
        let max_len = Self::max_len(did, DEFAULT_MAX_LEN, ion::MAX_DID_LEN);
        let did = Did::parse_with_max_len(did, max_len)
            .map_err(|_| ResolveError::Malformed(did.to_string()))?;
        if !matches!(did.method(), "key" | "jwk" | "web" | "ion") {
            return Err(ResolveError::UnsupportedMethod(did.to_string()));
        }
        Ok(did)
    }

    /// The same resolver as an identity-kit `KeyResolver` of DID URLs (for status lists
    /// and presentations signed under a DID).
    pub fn keys(&self) -> std::sync::Arc<Resolver> {
        self.inner.clone()
    }

    /// The DID document of `did`.
    pub async fn resolve(&self, did: &str) -> Result<DidDocument, ResolveError> {
        let did = Self::parse_did(did)?;
        self.inner
            .resolve_document(&did)
            .await
            .map_err(|e| ResolveError::Resolution {
                did: did.to_string(),
                reason: e.to_string(),
            })
    }

    /// The public key a DID URL names (`did:…#fragment`), usable for `key_use`. A DID
    /// without a fragment names its key only when its document lists exactly one for that
    /// use (as `did:key` and `did:jwk` documents do).
    pub async fn resolve_key(&self, url: &str, key_use: KeyUse) -> Result<Jwk, ResolveError> {
        let no_key = |reason: String| ResolveError::NoKey {
            url: url.to_string(),
            reason,
        };
        let did_url = match url.split_once('#') {
            Some(_) => {
                let max_len = Self::max_len(url, DEFAULT_MAX_LEN, ion::MAX_DID_URL_LEN);
                let parsed = DidUrl::parse_with_max_len(url, max_len)
                    .map_err(|_| ResolveError::Malformed(url.to_string()))?;
                Self::parse_did(parsed.did().as_str())?;
                parsed
            }
            None => {
                let document = self.resolve(url).await?;
                let mut methods = document.methods(Some(key_use.relationship()));
                let first = methods
                    .next()
                    .ok_or_else(|| no_key(format!("no key is listed for {key_use:?} use")))?;
                if methods.next().is_some() {
                    return Err(no_key(
                        "the document lists several keys; name one with a #fragment".into(),
                    ));
                }
                return first
                    .public_key_jwk()
                    .cloned()
                    .or_else(|| {
                        first
                            .public_key_multibase()
                            .and_then(|m| Jwk::from_multikey(m).ok())
                    })
                    .map(|jwk| jwk.public())
                    .ok_or_else(|| no_key("the verification method has no usable key".into()));
            }
        };
        let first = self
            .inner
            .resolve_public_key(&did_url, Some(key_use.relationship()))
            .await;
        let result = match first {
            Ok(jwk) => Ok(jwk),
            // A cached document may predate a key rotation: look once more, uncached.
            Err(_)
                if self
                    .inner
                    .cache()
                    .is_some_and(|c| c.remove(did_url.did()).is_some()) =>
            {
                self.inner
                    .resolve_public_key(&did_url, Some(key_use.relationship()))
                    .await
            }
            Err(e) => Err(e),
        };
        result
            .map(|jwk| jwk.public())
            .map_err(|e| no_key(e.to_string()))
    }
}
