//! Admin access: client secrets, the client-credentials token endpoint, and checking the
//! Bearer tokens that guard the management API.
//!
//! Secrets are random (48 bytes) and stored as Argon2id hashes; verification runs on the
//! blocking pool and, for an unknown client, against a dummy hash so response time does
//! not reveal which client ids exist. Access tokens are ES256 JWTs (RFC 9068, `typ:
//! at+jwt`) signed with the environment's admin-token key.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::jose::{CompactJws, JwsAlgorithm, JwsHeader, encode_compact};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use super::applications::roles_of;
use super::{Ctx, Error, Principal, Result, keyring};
use crate::domain::application::TokenEndpointAuthMethod;
use crate::keys::{KeyPurpose, Verifier};
use crate::store::{applications, rows::ApplicationRow};

/// A new client secret: 48 random bytes, base64url (64 characters).
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 48];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Argon2id PHC string of `secret` (default parameters: 19 MiB, 2 passes).
pub fn hash_secret(secret: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|_| anyhow::anyhow!("no system randomness"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?
        .to_string())
}

static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_secret("not-a-real-secret").expect("hashing works"));

/// Compares `secret` with `hash` in constant time (inside the Argon2 verifier).
fn verify_secret(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(secret.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// How the client presented its credentials at the token endpoint.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
    pub method: TokenEndpointAuthMethod,
}

/// An OAuth 2.0 error from the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self {
            status: 401,
            error: "invalid_client",
            description: description.into(),
        }
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub fn unsupported_grant_type(description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error: "unsupported_grant_type",
            description: description.into(),
        }
    }

    pub fn server_error() -> Self {
        Self {
            status: 500,
            error: "server_error",
            description: "the server could not issue a token; try again".into(),
        }
    }
}

/// A successful token response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// Claims of an admin access token.
#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    iss: String,
    sub: String,
    aud: String,
    client_id: String,
    env: String,
    #[serde(default)]
    roles: Vec<String>,
    iat: i64,
    nbf: Option<i64>,
    exp: i64,
    jti: String,
}

/// `iss` of the tokens of `env`.
pub fn token_issuer(ctx: &Ctx, environment_id: &str) -> String {
    format!("{}/{environment_id}/as", ctx.public_url)
}

/// `aud` of every admin token: the management API base URL.
pub fn api_audience(ctx: &Ctx) -> String {
    format!("{}/v1", ctx.public_url)
}

/// The client-credentials grant: checks the client and issues an access token.
pub async fn issue_token(
    ctx: &Ctx,
    environment_id: &str,
    credentials: ClientCredentials,
) -> Result<TokenResponse, OAuthError> {
    let (env, client) = (environment_id.to_string(), credentials.client_id.clone());
    let app = if uuid::Uuid::parse_str(&client).is_ok() {
        ctx.store
            .read(move |conn| applications::get(conn, &env, &client).map_err(Error::from))
            .await
            .map_err(|err| {
                tracing::error!(error = %err, "token endpoint could not read the client");
                OAuthError::server_error()
            })?
    } else {
        None
    };
    let hash = app
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |a| a.secret_hash.clone());
    let secret = credentials.client_secret.clone();
    let secret_ok = tokio::task::spawn_blocking(move || verify_secret(&secret, &hash))
        .await
        .map_err(|_| OAuthError::server_error())?;
    let Some(app) = app.filter(|_| secret_ok) else {
        return Err(OAuthError::invalid_client(
            "client authentication failed: unknown client or wrong secret",
        ));
    };
    if app.enabled == 0 {
        return Err(OAuthError::invalid_client(
            "the client application is disabled",
        ));
    }
    if app.token_endpoint_auth_method != credentials.method.as_str() {
        return Err(OAuthError::invalid_client(format!(
            "this client authenticates with {}",
            app.token_endpoint_auth_method.to_ascii_lowercase()
        )));
    }
    sign_token(ctx, &app).await.map_err(|err| {
        tracing::error!(error = %err, "signing an admin token failed");
        OAuthError::server_error()
    })
}

async fn sign_token(ctx: &Ctx, app: &ApplicationRow) -> Result<TokenResponse> {
    let key = keyring::active_signer(ctx, &app.environment_id, KeyPurpose::AdminToken).await?;
    let now = chrono::Utc::now().timestamp();
    let ttl = ctx.config.admin_token_ttl_seconds;
    let claims = AccessClaims {
        iss: token_issuer(ctx, &app.environment_id),
        sub: app.id.clone(),
        aud: api_audience(ctx),
        client_id: app.id.clone(),
        env: app.environment_id.clone(),
        roles: roles_of(app),
        iat: now,
        nbf: Some(now),
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().to_string(),
    };
    let header = JwsHeader::new(JwsAlgorithm::ES256)
        .with_typ("at+jwt")
        .with_kid(key.kid.clone());
    let payload = serde_json::to_vec(&claims).map_err(anyhow::Error::from)?;
    let token = encode_compact(&header, &payload, key.signer.as_ref())
        .await
        .map_err(anyhow::Error::from)?;
    Ok(TokenResponse {
        access_token: token,
        token_type: "Bearer",
        expires_in: ttl,
    })
}

/// Largest bearer token looked at; anything longer is not one of ours.
const MAX_TOKEN_LEN: usize = 4096;
/// Tolerated clock difference for `iat`/`nbf`, in seconds.
const CLOCK_SKEW: i64 = 60;

/// Verifies an admin Bearer token and returns who presented it.
pub async fn authenticate(ctx: &Ctx, token: &str) -> Result<Principal> {
    let invalid = |why: &str| Error::Unauthorized(format!("The access token is invalid: {why}."));
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid("it is too long"));
    }
    let jws = CompactJws::decode(token).map_err(|_| invalid("it is not a signed JWT"))?;
    if jws.alg() != JwsAlgorithm::ES256 || jws.header().typ.as_deref() != Some("at+jwt") {
        return Err(invalid("wrong token type or algorithm"));
    }
    let kid = jws.kid().ok_or_else(|| invalid("no key id"))?.to_string();
    let claims: AccessClaims = jws.claims().map_err(|_| invalid("malformed claims"))?;
    if uuid::Uuid::parse_str(&claims.env).is_err() {
        return Err(invalid("malformed environment claim"));
    }
    let key = keyring::key_by_id(ctx, &claims.env, KeyPurpose::AdminToken, &kid)
        .await?
        .ok_or_else(|| invalid("unknown signing key"))?;
    let mut digest = [0u8; 32];
    digest.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, token.as_bytes()).as_ref());
    let verified = (claims.env.clone(), kid, digest);
    if ctx.caches.verified_tokens.get(&verified).is_none() {
        jws.verify(&Verifier, &key.public_jwk)
            .map_err(|_| invalid("bad signature"))?;
        ctx.caches.verified_tokens.insert(verified, ());
    }
    let now = chrono::Utc::now().timestamp();
    if claims.iss != token_issuer(ctx, &claims.env) || claims.aud != api_audience(ctx) {
        return Err(invalid("wrong issuer or audience"));
    }
    if claims.exp <= now {
        return Err(invalid("it has expired"));
    }
    if claims.iat > now + CLOCK_SKEW || claims.nbf.is_some_and(|nbf| nbf > now + CLOCK_SKEW) {
        return Err(invalid("it is not valid yet"));
    }
    // Deleting or disabling a worker ends its tokens at once, not after an hour.
    let (env, client) = (claims.env.clone(), claims.client_id.clone());
    let app = ctx
        .store
        .read(move |conn| applications::get(conn, &env, &client).map_err(Error::from))
        .await?;
    match app {
        Some(app) if app.enabled != 0 => Ok(Principal {
            environment_id: claims.env,
            application_id: claims.client_id,
            roles: roles_of(&app),
        }),
        _ => Err(invalid("its application no longer exists or is disabled")),
    }
}

/// A fresh random secret and its hash (hashed on the blocking pool).
pub async fn new_secret_hashed() -> Result<(String, String)> {
    let secret = generate_secret();
    let for_hash = secret.clone();
    let hash = tokio::task::spawn_blocking(move || hash_secret(&for_hash))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))??;
    Ok((secret, hash))
}

/// Hashes a caller-chosen secret on the blocking pool.
pub async fn hash_secret_blocking(secret: String) -> Result<String> {
    tokio::task::spawn_blocking(move || hash_secret(&secret))
        .await
        .map_err(|e| anyhow::anyhow!("hashing task failed: {e}"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_verify_only_against_their_own_hash() {
        let secret = generate_secret();
        assert_eq!(secret.len(), 64);
        let hash = hash_secret(&secret).unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(!hash.contains(&secret));
        assert!(verify_secret(&secret, &hash));
        assert!(!verify_secret("wrong", &hash));
        assert!(!verify_secret(&secret, "not a hash"));
    }
}
