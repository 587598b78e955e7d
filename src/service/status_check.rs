//! The status of a credential somebody else issued (the verifier's side): fetch the list
//! its reference names, verify the list's signature, read the entry, and cache the list.
//!
//! The URI comes from the credential, so the fetch goes through an `HttpClient` with
//! identity-kit's protections (HTTPS only, no redirects, public addresses only, a body
//! limit and a timeout; see `DidResolver` for the loopback switch of tests). A list is
//! cached by its own word — the token's `ttl`, the credential's `credentialSubject.ttl` —
//! within [`MIN_TTL`]..[`MAX_TTL`], and never past its `exp` / `validUntil`; a list
//! without a `ttl` is kept [`DEFAULT_TTL`]. Only verified lists are cached.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use identity_kit::jose::CompactJws;
use identity_kit::methods::web::HttpClient;
use identity_kit::resolver::{KeyReference, KeyResolver, KeyRole};
use identity_kit::status_list::StatusListToken;
use identity_kit::vc::Jwt;
use url::Url;

use crate::keys::Verifier;
use crate::protocol::status::check::{
    self, BitstringList, CheckError, StatusReference, parse_bitstring_credential,
};

pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
pub const MIN_TTL: Duration = Duration::from_secs(5);
pub const MAX_TTL: Duration = Duration::from_secs(3600);
/// Largest list body fetched.
pub const MAX_BODY: usize = 8 << 20;
/// Lists cached at most; a full cache starts over.
const MAX_CACHED: usize = 1000;

/// What a status reference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    /// Revoked (Token Status List 1, a set revocation bit).
    Invalid,
    /// Suspended (Token Status List 2, a set suspension bit).
    Suspended,
    /// Another Token Status List value (3, or an application-specific one).
    Other(u8),
}

#[derive(Debug, thiserror::Error)]
pub enum StatusCheckError {
    #[error("the status list at {uri} could not be fetched: {reason}")]
    Unavailable { uri: String, reason: String },
    #[error("the status list at {uri} is not signed by its issuer: {reason}")]
    Signature { uri: String, reason: String },
    #[error(transparent)]
    Check(#[from] CheckError),
}

enum Fetched {
    Token(Box<StatusListToken>),
    Bitstring(BitstringList),
}

pub struct StatusChecker {
    client: Arc<dyn HttpClient>,
    keys: Arc<dyn KeyResolver>,
    cache: Mutex<HashMap<String, (Instant, Arc<Fetched>)>>,
    /// Lists under this prefix are never cached here (this server's own, which its
    /// client reads fresh from the database).
    uncached_prefix: Option<String>,
}

impl StatusChecker {
    /// A checker fetching with `client` and finding list signers' keys with `keys` (DID
    /// URLs for Bitstring Status Lists; DID URLs or JWT VC issuer metadata for tokens).
    pub fn new(client: Arc<dyn HttpClient>, keys: Arc<dyn KeyResolver>) -> Self {
        Self {
            client,
            keys,
            cache: Mutex::new(HashMap::new()),
            uncached_prefix: None,
        }
    }

    /// Does not cache the lists whose URI starts with `prefix`.
    #[must_use]
    pub fn with_uncached_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.uncached_prefix = Some(prefix.into());
        self
    }

    /// The status `reference` points at.
    pub async fn status(&self, reference: &StatusReference) -> Result<Status, StatusCheckError> {
        let list = self.list(reference).await?;
        let now = Utc::now();
        Ok(match (reference, list.as_ref()) {
            (StatusReference::Token { uri, idx }, Fetched::Token(token)) => {
                match check::read_token(token, uri, *idx, now)? {
                    0 => Status::Valid,
                    1 => Status::Invalid,
                    2 => Status::Suspended,
                    other => Status::Other(other),
                }
            }
            (StatusReference::Bitstring { idx, purpose, .. }, Fetched::Bitstring(list)) => match (
                check::read_bitstring(list, purpose, *idx, now)?,
                purpose.as_str(),
            ) {
                (false, _) => Status::Valid,
                (true, "suspension") => Status::Suspended,
                (true, _) => Status::Invalid,
            },
            _ => unreachable!("a list is fetched as the kind its reference names"),
        })
    }

    async fn list(&self, reference: &StatusReference) -> Result<Arc<Fetched>, StatusCheckError> {
        let uri = reference.uri();
        if let Some((until, list)) = self.cached().get(uri)
            && *until > Instant::now()
        {
            return Ok(list.clone());
        }
        let (list, ttl) = self.fetch(reference).await?;
        let list = Arc::new(list);
        if self
            .uncached_prefix
            .as_deref()
            .is_some_and(|prefix| uri.starts_with(prefix))
        {
            return Ok(list);
        }
        let mut cache = self.cached();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(uri.to_string(), (Instant::now() + ttl, list.clone()));
        Ok(list)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Instant, Arc<Fetched>)>> {
        self.cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn fetch(
        &self,
        reference: &StatusReference,
    ) -> Result<(Fetched, Duration), StatusCheckError> {
        let uri = reference.uri();
        let unavailable = |reason: String| StatusCheckError::Unavailable {
            uri: uri.to_string(),
            reason,
        };
        let url = Url::parse(uri).map_err(|e| unavailable(e.to_string()))?;
        let media_type = match reference {
            StatusReference::Token { .. } => StatusListToken::MEDIA_TYPE,
            StatusReference::Bitstring { .. } => "application/vc+jwt",
        };
        let response = self
            .client
            .get_accepting(&url, media_type)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if response.status != 200 {
            return Err(unavailable(format!("HTTP {}", response.status)));
        }
        if response.body.len() > MAX_BODY {
            return Err(unavailable(format!("the body is over {MAX_BODY} bytes")));
        }
        let text = String::from_utf8(response.body)
            .map_err(|_| unavailable("the body is not text".into()))?;
        let jws = CompactJws::decode(text.trim())
            .map_err(|e| CheckError::List(format!("it is not a JWS: {e}")))?;
        let payload: serde_json::Value = serde_json::from_slice(jws.payload())
            .map_err(|e| CheckError::List(format!("its payload is not JSON: {e}")))?;
        let issuer = payload["iss"].as_str();
        self.verify(&jws, issuer, uri).await?;
        let now = Utc::now();
        match reference {
            StatusReference::Token { .. } => {
                let jwt: Jwt = text
                    .trim()
                    .parse()
                    .map_err(|e| CheckError::List(format!("{e}")))?;
                let (_, token) =
                    StatusListToken::decode(&jwt).map_err(|e| CheckError::List(e.to_string()))?;
                let until = token.exp.map(|exp| exp - now.timestamp());
                let ttl = cache_time(token.ttl.map(Duration::from_secs), until);
                Ok((Fetched::Token(Box::new(token)), ttl))
            }
            StatusReference::Bitstring { .. } => {
                if jws.header().typ.as_deref() != Some("vc+jwt") {
                    return Err(CheckError::List("its typ is not vc+jwt".into()).into());
                }
                let list = parse_bitstring_credential(&payload, uri)?;
                let until = list
                    .valid_until
                    .or_else(|| {
                        payload["exp"]
                            .as_i64()
                            .and_then(|exp| chrono::DateTime::from_timestamp(exp, 0))
                    })
                    .map(|until| until.timestamp() - now.timestamp());
                let ttl = cache_time(list.ttl_ms.map(Duration::from_millis), until);
                Ok((Fetched::Bitstring(list), ttl))
            }
        }
    }

    /// Checks the list was signed by the key its header names, and that the key belongs
    /// to the list's `iss` when it has one.
    async fn verify(
        &self,
        jws: &CompactJws,
        issuer: Option<&str>,
        uri: &str,
    ) -> Result<(), StatusCheckError> {
        let refused = |reason: String| StatusCheckError::Signature {
            uri: uri.to_string(),
            reason,
        };
        let reference = KeyReference::from_jws(jws, issuer).map_err(|e| refused(e.to_string()))?;
        if matches!(reference, KeyReference::Jwk(_)) {
            return Err(refused(
                "a key given in the header could be anybody's".into(),
            ));
        }
        let key = self
            .keys
            .resolve_key(&reference, KeyRole::Issuer)
            .await
            .map_err(|e| refused(e.to_string()))?;
        if issuer.is_some() && !reference.binds_to(issuer, &key) {
            return Err(refused(
                "the key does not belong to the list's issuer".into(),
            ));
        }
        jws.verify(&Verifier, &key)
            .map_err(|e| refused(e.to_string()))
    }
}

/// How long to keep a list: what it asks, within bounds, and not past its expiry
/// (`until`: seconds left).
fn cache_time(asked: Option<Duration>, until: Option<i64>) -> Duration {
    let ttl = asked.unwrap_or(DEFAULT_TTL).clamp(MIN_TTL, MAX_TTL);
    match until {
        Some(left) if left <= 0 => Duration::ZERO,
        Some(left) => ttl.min(Duration::from_secs(left as u64)),
        None => ttl,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::Duration as Days;
    use identity_kit::jose::{Jwk, JwsAlgorithm, Signer};
    use identity_kit::methods::web::{HttpError, HttpResponse};
    use identity_kit::resolver::KeyResolutionError;

    use super::*;
    use crate::keys::{KeyProvider, MasterKey, SoftwareKeyProvider};
    use crate::protocol::status::bitstring::{self, Bitstring};
    use crate::protocol::status::{EntryStatus, token};

    /// Serves fixed bodies and counts requests.
    struct Served {
        bodies: Mutex<HashMap<String, String>>,
        fetches: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl HttpClient for Served {
        async fn get(&self, url: &Url) -> Result<HttpResponse, HttpError> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            Ok(match self.bodies.lock().unwrap().get(url.as_str()) {
                Some(body) => HttpResponse::new(200, body.clone()),
                None => HttpResponse::new(404, ""),
            })
        }
    }

    /// The issuer's key for its own references only.
    struct IssuerKey {
        issuer: String,
        did: String,
        key: Jwk,
    }

    #[async_trait::async_trait]
    impl KeyResolver for IssuerKey {
        async fn resolve_key(
            &self,
            key: &KeyReference,
            _: KeyRole,
        ) -> Result<Jwk, KeyResolutionError> {
            match key {
                KeyReference::Jwks { issuer, .. } if issuer.as_str() == self.issuer => {
                    Ok(self.key.clone())
                }
                KeyReference::DidUrl(url) if url.did().to_string() == self.did => {
                    Ok(self.key.clone())
                }
                other => Err(KeyResolutionError::unsupported(other)),
            }
        }
    }

    fn signer() -> (Arc<dyn Signer>, Jwk) {
        let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
        let key = provider.generate(JwsAlgorithm::ES256).unwrap();
        let signer = provider
            .open(&key.kid, key.alg, &key.public_jwk, &key.handle)
            .unwrap();
        (signer, key.public_jwk.public())
    }

    const ISSUER: &str = "https://issuer.example/env";
    const DID: &str = "did:web:issuer.example:env";
    const TOKEN_URI: &str = "https://issuer.example/env/status/1";
    const BITS_URI: &str = "https://issuer.example/env/status/2/suspension";

    async fn setup(ttl: u64) -> (StatusChecker, Arc<Served>, Arc<dyn Signer>) {
        let (signer, key) = signer();
        let served = Arc::new(Served {
            bodies: Mutex::new(HashMap::new()),
            fetches: AtomicUsize::new(0),
        });
        let keys = Arc::new(IssuerKey {
            issuer: ISSUER.into(),
            did: DID.into(),
            key,
        });
        publish(
            &served,
            signer.as_ref(),
            &[(3, EntryStatus::Invalid), (4, EntryStatus::Suspended)],
            ttl,
        )
        .await;
        (StatusChecker::new(served.clone(), keys), served, signer)
    }

    async fn publish(served: &Served, signer: &dyn Signer, set: &[(u64, EntryStatus)], ttl: u64) {
        let now = Utc::now();
        let list = token::build_list(2, 1024, set.iter().copied()).unwrap();
        let jwt = token::sign_token(
            signer,
            ISSUER,
            TOKEN_URI,
            list,
            now,
            now + Days::hours(1),
            ttl,
        )
        .await
        .unwrap();
        let mut bits = Bitstring::new(bitstring::MIN_ENTRIES).unwrap();
        for (idx, status) in set {
            bits.set(*idx, *status == EntryStatus::Suspended).unwrap();
        }
        let credential = bitstring::list_credential(
            BITS_URI,
            DID,
            "suspension",
            &bits.encode(),
            now,
            now + Days::hours(1),
            ttl * 1000,
        );
        let list_jwt = bitstring::sign_list_credential(signer, &format!("{DID}#k"), &credential)
            .await
            .unwrap();
        let mut bodies = served.bodies.lock().unwrap();
        bodies.insert(TOKEN_URI.into(), jwt);
        bodies.insert(BITS_URI.into(), list_jwt);
    }

    fn token_ref(idx: u64) -> StatusReference {
        StatusReference::Token {
            uri: TOKEN_URI.into(),
            idx,
        }
    }

    fn bits_ref(idx: u64, purpose: &str) -> StatusReference {
        StatusReference::Bitstring {
            uri: BITS_URI.into(),
            idx,
            purpose: purpose.into(),
        }
    }

    #[tokio::test]
    async fn reads_both_kinds_of_list_and_caches_them_by_their_ttl() {
        let (checker, served, _) = setup(60).await;
        assert_eq!(checker.status(&token_ref(0)).await.unwrap(), Status::Valid);
        assert_eq!(
            checker.status(&token_ref(3)).await.unwrap(),
            Status::Invalid
        );
        assert_eq!(
            checker.status(&token_ref(4)).await.unwrap(),
            Status::Suspended
        );
        assert_eq!(
            checker.status(&bits_ref(4, "suspension")).await.unwrap(),
            Status::Suspended
        );
        assert_eq!(
            checker.status(&bits_ref(3, "suspension")).await.unwrap(),
            Status::Valid
        );
        assert_eq!(
            served.fetches.load(Ordering::SeqCst),
            2,
            "one fetch per list"
        );
        assert!(
            checker.status(&token_ref(1 << 20)).await.is_err(),
            "past the end"
        );
        assert!(
            checker.status(&bits_ref(4, "revocation")).await.is_err(),
            "wrong purpose"
        );
    }

    #[tokio::test]
    async fn a_list_is_fetched_again_once_its_ttl_has_passed() {
        let (mut checker, served, signer) = setup(60).await;
        checker.status(&token_ref(0)).await.unwrap();
        // What a short ttl does, without waiting five seconds: the entry is due.
        checker
            .cache
            .get_mut()
            .unwrap()
            .values_mut()
            .for_each(|(until, _)| *until = Instant::now());
        publish(&served, signer.as_ref(), &[(0, EntryStatus::Invalid)], 60).await;
        assert_eq!(
            checker.status(&token_ref(0)).await.unwrap(),
            Status::Invalid
        );
        assert_eq!(served.fetches.load(Ordering::SeqCst), 2);
        assert_eq!(cache_time(Some(Duration::from_secs(1)), None), MIN_TTL);
        assert_eq!(cache_time(Some(Duration::from_secs(86_400)), None), MAX_TTL);
        assert_eq!(cache_time(None, Some(30)), Duration::from_secs(30));
        assert_eq!(cache_time(None, Some(-1)), Duration::ZERO);
    }

    #[tokio::test]
    async fn lists_signed_by_another_key_or_served_elsewhere_are_refused() {
        let (checker, served, _) = setup(60).await;
        let (stranger, _) = signer();
        publish(&served, stranger.as_ref(), &[], 60).await;
        assert!(matches!(
            checker.status(&token_ref(0)).await,
            Err(StatusCheckError::Signature { .. })
        ));
        assert!(matches!(
            checker.status(&bits_ref(0, "suspension")).await,
            Err(StatusCheckError::Signature { .. })
        ));
        // A genuine list fetched under another URI: `sub` does not match.
        let (checker, served, _) = setup(60).await;
        let genuine = served.bodies.lock().unwrap()[TOKEN_URI].clone();
        served
            .bodies
            .lock()
            .unwrap()
            .insert("https://issuer.example/env/status/9".into(), genuine);
        let elsewhere = StatusReference::Token {
            uri: "https://issuer.example/env/status/9".into(),
            idx: 0,
        };
        assert!(matches!(
            checker.status(&elsewhere).await,
            Err(StatusCheckError::Check(_))
        ));
        let missing = StatusReference::Token {
            uri: "https://issuer.example/env/status/404".into(),
            idx: 0,
        };
        assert!(matches!(
            checker.status(&missing).await,
            Err(StatusCheckError::Unavailable { .. })
        ));
    }
}
