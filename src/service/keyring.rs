//! The environment's signing keys: creation, rotation, the active signer, and the keys
//! published for verifiers.

use std::sync::Arc;

use chrono::Duration;
use identity_kit::jose::{Jwk, JwsAlgorithm};

use super::{Ctx, Error, Result};
use crate::domain::time;
use crate::keys::{KeyPurpose, OpenedKey};
use crate::protocol::did::{environment_did_web, jwk_did};
use crate::protocol::oid4vci::configurations::Format;
use crate::protocol::oid4vci::metadata::IssuerEndpoints;
use crate::store::{AnyConnection, rows::SigningKeyRow, signing_keys};

/// Generates a key for `env` through the key provider; the caller inserts the row in
/// its transaction.
pub fn new_key_row(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
    alg: JwsAlgorithm,
) -> Result<SigningKeyRow> {
    let key = ctx.key_provider.generate(alg)?;
    Ok(SigningKeyRow {
        id: key.kid.clone(),
        environment_id: environment_id.to_string(),
        purpose: purpose.as_str().to_string(),
        alg: alg.as_str().to_string(),
        public_jwk: serde_json::to_string(&key.public_jwk).map_err(anyhow::Error::from)?,
        private_sealed: key.handle,
        status: "ACTIVE".into(),
        created_at: time::now(),
        retired_at: None,
        publish_until: None,
    })
}

fn public_jwk(row: &SigningKeyRow) -> Result<Jwk> {
    serde_json::from_str(&row.public_jwk).map_err(|e| Error::Internal(e.into()))
}

fn open_row(ctx: &Ctx, row: &SigningKeyRow) -> Result<Arc<OpenedKey>> {
    if let Some(key) = ctx.keys.get(&row.id) {
        return Ok(key);
    }
    let alg: JwsAlgorithm = row
        .alg
        .parse()
        .map_err(|_| anyhow::anyhow!("stored key {} has unknown alg {}", row.id, row.alg))?;
    let jwk = public_jwk(row)?;
    let signer = ctx
        .key_provider
        .open(&row.id, alg, &jwk, &row.private_sealed)?;
    Ok(ctx.keys.insert(OpenedKey {
        environment_id: row.environment_id.clone(),
        purpose: row.purpose.clone(),
        kid: row.id.clone(),
        alg,
        public_jwk: jwk,
        signer,
    }))
}

/// The key that signs for `purpose` in `env` now.
pub async fn active_signer(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
) -> Result<Arc<OpenedKey>> {
    let cache_key = (environment_id.to_string(), purpose.as_str());
    if let Some(row) = ctx.caches.active_keys.get(&cache_key) {
        return open_row(ctx, &row);
    }
    let env = environment_id.to_string();
    let row = ctx
        .store
        .read(move |conn| signing_keys::active(conn, &env, purpose.as_str()).map_err(Error::from))
        .await?
        .ok_or_else(|| anyhow::anyhow!("environment {environment_id} has no active signing key"))?;
    ctx.caches.active_keys.insert(cache_key, row.clone());
    open_row(ctx, &row)
}

/// The key `kid` of `env` for `purpose` while it is published; from memory when opened.
pub async fn key_by_id(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
    kid: &str,
) -> Result<Option<Arc<OpenedKey>>> {
    let cache_key = (environment_id.to_string(), kid.to_string());
    let row = match ctx.caches.key_rows.get(&cache_key) {
        Some(row) => Some(row),
        None => {
            let (env, id) = cache_key.clone();
            let row = ctx
                .store
                .read(move |conn| signing_keys::get(conn, &env, &id).map_err(Error::from))
                .await?;
            if let Some(row) = &row {
                ctx.caches.key_rows.insert(cache_key, row.clone());
            }
            row
        }
    };
    // Publication is judged at each use: a cached row still stops verifying when its
    // grace period ends.
    match row {
        Some(row) if row.purpose == purpose.as_str() && is_published(&row) => {
            open_row(ctx, &row).map(Some)
        }
        _ => Ok(None),
    }
}

fn is_published(row: &SigningKeyRow) -> bool {
    row.status == "ACTIVE" || row.publish_until.is_some_and(|until| until > time::now())
}

/// Public keys of `env` for `purpose` that verifiers should accept now, newest first.
pub fn published_keys(
    conn: &mut AnyConnection,
    environment_id: &str,
    purpose: KeyPurpose,
) -> Result<Vec<Jwk>> {
    signing_keys::published(conn, environment_id, purpose.as_str(), time::now())?
        .iter()
        .map(public_jwk)
        .collect()
}

/// Every key of `env` (for the management API), newest first.
pub async fn list(ctx: &Ctx, environment_id: &str) -> Result<Vec<SigningKeyRow>> {
    let env = environment_id.to_string();
    ctx.store
        .read(move |conn| signing_keys::all(conn, &env).map_err(Error::from))
        .await
}

/// Makes a new key active for `purpose`; the key it replaces stays published for the
/// configured grace period, so what it signed keeps verifying.
pub async fn rotate(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
    alg: JwsAlgorithm,
) -> Result<SigningKeyRow> {
    let row = new_key_row(ctx, environment_id, purpose, alg)?;
    let grace = Duration::seconds(ctx.config.key_retirement_grace_seconds);
    let inserted = row.clone();
    ctx.store
        .write(move |conn| {
            let now = time::now();
            signing_keys::retire_active(
                conn,
                &inserted.environment_id,
                purpose.as_str(),
                now,
                now + grace,
            )?;
            signing_keys::insert(conn, &inserted)?;
            Ok::<_, Error>(())
        })
        .await?;
    ctx.caches.forget_environment(environment_id);
    Ok(row)
}

/// The environment's `did:web` document: every published credential key.
pub async fn did_document(
    ctx: &Ctx,
    environment_id: &str,
) -> Result<identity_kit::did::DidDocument> {
    let did = crate::protocol::did::environment_did_web(&ctx.public_url, environment_id)
        .map_err(|reason| Error::NotFound(format!("This server has no did:web: {reason}.")))?;
    let keys = credential_keys(ctx, environment_id).await?;
    crate::protocol::did::web_document(&did, &keys)
        .await
        .map_err(|e| Error::Internal(anyhow::anyhow!("building the DID document: {e}")))
}

/// Published credential keys of an existing environment (404 otherwise).
pub async fn credential_keys(ctx: &Ctx, environment_id: &str) -> Result<Vec<Jwk>> {
    let env = environment_id.to_string();
    ctx.store
        .read(move |conn| {
            if !crate::store::environments::exists(conn, &env)? {
                return Err(Error::not_found("Environment"));
            }
            published_keys(conn, &env, KeyPurpose::Credential)
        })
        .await
}

/// The key and issuer identifiers a credential of `format` (and the status list that
/// serves it) is signed under: for SD-JWT VCs the issuer URL, with the key thumbprint as
/// `kid` (found through `/.well-known/jwt-vc-issuer`); for W3C credentials the
/// environment's did:web and a DID URL of the key (did:jwk when the public URL names an
/// IP address, which did:web cannot).
///
/// JWT VC issuer metadata is only ever fetched over HTTPS (SD-JWT VC §3.5), so on a plain
/// `http://` public URL (development) SD-JWT VCs name the environment's DID as `iss`
/// too, which verifiers resolve without it.
pub async fn signing_identity(
    ctx: &Ctx,
    env: &str,
    format: Format,
) -> Result<(Arc<OpenedKey>, String, String)> {
    let key = active_signer(ctx, env, KeyPurpose::Credential).await?;
    let by_metadata = format == Format::SdJwt && ctx.public_url.starts_with("https://");
    Ok(match format {
        Format::SdJwt if by_metadata => {
            let kid = key.kid.clone();
            (key, IssuerEndpoints::new(&ctx.public_url, env).issuer, kid)
        }
        Format::SdJwt | Format::JwtVc => {
            let (did, kid) = match environment_did_web(&ctx.public_url, env) {
                Ok(did) => (did.to_string(), format!("{did}#{}", key.kid)),
                Err(_) => {
                    let did = jwk_did(&key.public_jwk).map_err(|e| anyhow::anyhow!(e))?;
                    (did.to_string(), format!("{did}#0"))
                }
            };
            (key, did, kid)
        }
    })
}
