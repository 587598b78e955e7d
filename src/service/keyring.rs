//! The environment's signing keys: creation, the active signer, and published keys.

use std::sync::Arc;

use identity_kit::jose::{Jwk, JwsAlgorithm};

use super::{Ctx, Error, Result};
use crate::domain::time;
use crate::keys::{GeneratedKey, KeyOwner, KeyPurpose, SoftwareKey};
use crate::store::{AnyConnection, rows::SigningKeyRow, signing_keys};

/// Generates and seals a key for `env`; the caller inserts the row in its transaction.
pub fn new_key_row(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
    alg: JwsAlgorithm,
) -> Result<SigningKeyRow> {
    let generated = GeneratedKey::generate(alg)?;
    Ok(SigningKeyRow {
        id: generated.kid.clone(),
        environment_id: environment_id.to_string(),
        purpose: purpose.as_str().to_string(),
        alg: alg.as_str().to_string(),
        public_jwk: serde_json::to_string(&generated.public_jwk).map_err(anyhow::Error::from)?,
        private_sealed: generated.seal(&ctx.master)?,
        status: "ACTIVE".into(),
        created_at: time::now(),
        retired_at: None,
        publish_until: None,
    })
}

fn open_row(ctx: &Ctx, row: &SigningKeyRow) -> Result<Arc<SoftwareKey>> {
    if let Some((_, key)) = ctx.keys.get(&row.id) {
        return Ok(key);
    }
    let alg: JwsAlgorithm = row
        .alg
        .parse()
        .map_err(|_| anyhow::anyhow!("stored key {} has unknown alg {}", row.id, row.alg))?;
    let jwk: Jwk = serde_json::from_str(&row.public_jwk).map_err(anyhow::Error::from)?;
    let key = SoftwareKey::open(&ctx.master, &row.id, alg, jwk, &row.private_sealed)?;
    Ok(ctx.keys.insert(
        KeyOwner {
            environment_id: row.environment_id.clone(),
            purpose: row.purpose.clone(),
        },
        key,
    ))
}

/// The key that signs for `purpose` in `env` now.
pub async fn active_signer(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
) -> Result<Arc<SoftwareKey>> {
    let env = environment_id.to_string();
    let row = ctx
        .store
        .read(move |conn| signing_keys::active(conn, &env, purpose.as_str()).map_err(Error::from))
        .await?
        .ok_or_else(|| anyhow::anyhow!("environment {environment_id} has no active signing key"))?;
    open_row(ctx, &row)
}

/// The key `kid` of `env` for `purpose`, if it exists; from memory when already opened.
pub async fn key_by_id(
    ctx: &Ctx,
    environment_id: &str,
    purpose: KeyPurpose,
    kid: &str,
) -> Result<Option<Arc<SoftwareKey>>> {
    if let Some((owner, key)) = ctx.keys.get(kid) {
        let matches = owner.environment_id == environment_id && owner.purpose == purpose.as_str();
        return Ok(matches.then_some(key));
    }
    let (env, id) = (environment_id.to_string(), kid.to_string());
    let row = ctx
        .store
        .read(move |conn| signing_keys::get(conn, &env, &id).map_err(Error::from))
        .await?;
    match row {
        Some(row) if row.purpose == purpose.as_str() => open_row(ctx, &row).map(Some),
        _ => Ok(None),
    }
}

/// Public keys of `env` for `purpose` that verifiers should accept now.
pub fn published_keys(
    conn: &mut AnyConnection,
    environment_id: &str,
    purpose: KeyPurpose,
) -> Result<Vec<Jwk>> {
    signing_keys::published(conn, environment_id, purpose.as_str(), time::now())?
        .iter()
        .map(|row| {
            serde_json::from_str::<Jwk>(&row.public_jwk)
                .map_err(|e| Error::Internal(anyhow::Error::from(e)))
        })
        .collect()
}
