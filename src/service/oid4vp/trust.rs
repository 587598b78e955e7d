//! How the verifier finds keys and statuses: this server's own environments are answered
//! from its database (no HTTP round trip to itself, and tests on plain-http localhost
//! work), everyone else through identity-kit's resolvers and protected HTTP client.

use std::sync::Arc;

use identity_kit::jose::Jwk;
use identity_kit::methods::web::{HttpClient, HttpError, HttpResponse, ReqwestClient};
use identity_kit::resolver::{
    CompositeKeyResolver, JwksResolver, KeyReference, KeyResolutionError, KeyResolver, KeyRole,
};
use identity_kit::vc::validation::{CredentialStatus, StatusCheck, StatusError, TimeOptions};
use url::Url;

use crate::keys::KeyPurpose;
use crate::protocol::did::environment_did_web;
use crate::protocol::oid4vci::metadata::IssuerEndpoints;
use crate::protocol::status::check::StatusReference;
use crate::service::status::{self, Purpose};
use crate::service::status_check::{Status, StatusCheckError, StatusChecker};
use crate::service::{Ctx, keyring};

/// The environment of this server a URL or DID names, if any: `{public_url}/{env}` or the
/// environment's did:web.
fn own_environment(ctx: &Ctx, issuer: &str) -> Option<String> {
    let env = issuer
        .strip_prefix(&*ctx.public_url)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(|rest| rest.split('/').next().unwrap_or_default().to_string())
        .or_else(|| {
            let last = issuer
                .strip_prefix("did:web:")?
                .rsplit(':')
                .next()?
                .to_string();
            let did = environment_did_web(&ctx.public_url, &last).ok()?;
            (did.to_string() == issuer).then_some(last)
        })?;
    uuid::Uuid::parse_str(&env).ok().map(|_| env)
}

/// Keys of this server's environments, by issuer URL + `kid` or by DID URL.
struct OwnKeys(Ctx);

#[async_trait::async_trait]
impl KeyResolver for OwnKeys {
    async fn resolve_key(&self, key: &KeyReference, _: KeyRole) -> Result<Jwk, KeyResolutionError> {
        let ctx = &self.0;
        let (env, kid) = match key {
            KeyReference::Jwks { issuer, kid } => {
                let env =
                    own_environment(ctx, issuer.as_str().trim_end_matches('/')).filter(|env| {
                        IssuerEndpoints::new(&ctx.public_url, env).issuer
                            == issuer.as_str().trim_end_matches('/')
                    });
                (env, kid.clone())
            }
            KeyReference::DidUrl(url) => (
                own_environment(ctx, url.did().as_str()),
                url.fragment().unwrap_or_default().to_string(),
            ),
            other => return Err(KeyResolutionError::unsupported(other)),
        };
        let Some(env) = env else {
            return Err(KeyResolutionError::unsupported(key));
        };
        match keyring::key_by_id(ctx, &env, KeyPurpose::Credential, &kid).await {
            Ok(Some(key)) => Ok(key.public_jwk.clone()),
            Ok(None) => Err(KeyResolutionError::msg(format!(
                "environment {env} publishes no credential key {kid}"
            ))),
            Err(e) => Err(KeyResolutionError::msg(e.to_string())),
        }
    }
}

/// The HTTP client of the verifier: identity-kit's (HTTPS only, public addresses, no
/// redirects, size and time limits; loopback only with `did_web_allow_loopback`).
pub fn http_client(ctx: &Ctx) -> anyhow::Result<ReqwestClient> {
    let client = if ctx.config.did_web_allow_loopback {
        ReqwestClient::builder().dangerous_allow_loopback().build()
    } else {
        ReqwestClient::new()
    };
    Ok(client
        .map_err(|e| anyhow::anyhow!("cannot build the verifier's HTTP client: {e}"))?
        .with_max_body(crate::service::status_check::MAX_BODY))
}

/// Fetches this server's own status lists from the service, others over HTTP.
struct OwnListsFirst {
    ctx: Ctx,
    http: ReqwestClient,
}

#[async_trait::async_trait]
impl HttpClient for OwnListsFirst {
    async fn get(&self, url: &Url) -> Result<HttpResponse, HttpError> {
        let own = url
            .as_str()
            .strip_prefix(&*self.ctx.public_url)
            .and_then(|path| {
                let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
                match parts.as_slice() {
                    [env, "status", list] => Some((env.to_string(), list.to_string(), None)),
                    [env, "status", list, purpose] => Purpose::parse(purpose)
                        .map(|p| (env.to_string(), list.to_string(), Some(p))),
                    _ => None,
                }
            });
        let Some((env, list, purpose)) = own else {
            return self.http.get(url).await;
        };
        match status::signed_list(&self.ctx, &env, &list, purpose).await {
            Ok(Some(signed)) => Ok(HttpResponse::new(200, signed.body.clone())),
            Ok(None) => Ok(HttpResponse::new(404, "")),
            Err(_) => Ok(HttpResponse::new(500, "")),
        }
    }
}

/// Everything the verifier trusts for keys: own environments, DIDs, JWT VC issuer
/// metadata.
pub fn key_resolver(ctx: &Ctx) -> anyhow::Result<Arc<dyn KeyResolver>> {
    Ok(Arc::new(
        CompositeKeyResolver::new()
            .with(OwnKeys(ctx.clone()))
            .with_shared(ctx.resolver.keys())
            .with(JwksResolver::new(http_client(ctx)?)),
    ))
}

/// What the verifier trusts: keys and statuses.
pub type Trust = (Arc<dyn KeyResolver>, Arc<VerifierStatusCheck>);

/// The status check the presentation validators call: Token Status List and Bitstring
/// Status List entries through [`StatusChecker`]; anything else is unsupported.
pub struct VerifierStatusCheck {
    checker: StatusChecker,
    /// `{public_url}/`: lists under it are this server's own.
    own_prefix: String,
}

impl VerifierStatusCheck {
    pub fn new(ctx: &Ctx, keys: Arc<dyn KeyResolver>) -> anyhow::Result<Self> {
        let client = OwnListsFirst {
            ctx: ctx.clone(),
            http: http_client(ctx)?,
        };
        // This server's own lists are read from the database, fresh: a revocation here
        // shows at once, not after a list's ttl.
        let own_prefix = format!("{}/", ctx.public_url);
        Ok(Self {
            checker: StatusChecker::new(Arc::new(client), keys)
                .with_uncached_prefix(own_prefix.clone()),
            own_prefix,
        })
    }

    /// The suspension entry beside a revocation entry of this server's bitstring pairs.
    fn own_suspension(&self, reference: &StatusReference) -> Option<StatusReference> {
        let StatusReference::Bitstring { uri, idx, purpose } = reference else {
            return None;
        };
        let (revocation, suspension) = (Purpose::Revocation.as_str(), Purpose::Suspension.as_str());
        let base = uri
            .strip_prefix(&self.own_prefix)?
            .strip_suffix(revocation)?;
        (purpose == revocation).then(|| StatusReference::Bitstring {
            uri: format!("{}{base}{suspension}", self.own_prefix),
            idx: *idx,
            purpose: suspension.into(),
        })
    }
}

fn reference(status: &CredentialStatus<'_>) -> Option<StatusReference> {
    let value = match status {
        CredentialStatus::Vcdm(entry) => serde_json::json!({"credentialStatus": entry}),
        CredentialStatus::StatusClaim(claim) => serde_json::json!({"status": claim}),
        _ => return None,
    };
    crate::protocol::status::check::references(&value)
        .ok()?
        .into_iter()
        .next()
}

#[async_trait::async_trait]
impl StatusCheck for VerifierStatusCheck {
    async fn check(&self, status: CredentialStatus<'_>, _: TimeOptions) -> Result<(), StatusError> {
        let Some(reference) = reference(&status) else {
            return Err(StatusError::Unsupported(status.mechanism()));
        };
        let uri = reference.uri().to_string();
        let mut found = self.checker.status(&reference).await;
        // A VCDM 1.1 credential of this server names only its revocation list; the
        // suspension list of the pair holds the same index, and is read too.
        if let (Ok(Status::Valid), Some(sibling)) = (&found, self.own_suspension(&reference)) {
            found = match self.checker.status(&sibling).await {
                Ok(Status::Valid) => Ok(Status::Valid),
                Ok(_) => Ok(Status::Suspended),
                Err(e) => Err(e),
            };
        }
        match found {
            Ok(Status::Valid) => Ok(()),
            Ok(Status::Invalid) => Err(StatusError::Invalid("revoked".into())),
            Ok(Status::Suspended) => Err(StatusError::Invalid("suspended".into())),
            Ok(Status::Other(v)) => Err(StatusError::Invalid(format!("in status {v}"))),
            Err(StatusCheckError::Unavailable { reason, .. }) => Err(StatusError::Unavailable {
                uri,
                reason,
                source: None,
            }),
            Err(e) => Err(StatusError::InvalidList {
                uri,
                reason: e.to_string(),
                source: None,
            }),
        }
    }
}
