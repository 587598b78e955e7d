//! `/v1/environments/{environmentId}/signingKeys`: the environment's keys and rotation
//! (vouch extension; PingOne manages issuer keys itself).

use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{HttpResponse, get, post};
use identity_kit::jose::Jwk;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json};
use super::resources::{Collection, IdRef, Links, env_path, links};
use crate::domain::signing_key::KeyRotationInput;
use crate::domain::time::iso;
use crate::keys::KeyPurpose;
use crate::protocol::did::{environment_did_web, jwk_did};
use crate::service::{Ctx, Error, keyring};
use crate::store::rows::SigningKeyRow;

/// One signing key; the private half never leaves the key provider.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeyResource {
    /// The key id: the RFC 7638 thumbprint of the public key.
    pub id: String,
    pub environment: IdRef,
    /// `CREDENTIAL_SIGNING` or `ADMIN_TOKEN`.
    pub purpose: String,
    pub algorithm: String,
    /// `ACTIVE` (signs now) or `RETIRED` (still published until `publishUntil`).
    pub status: String,
    #[schema(value_type = Object)]
    pub public_jwk: Jwk,
    /// For credential keys: the verification method in the environment's `did:web`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_url: Option<String>,
    /// For credential keys: the key as a `did:jwk`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub did_jwk: Option<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_until: Option<String>,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl SigningKeyResource {
    fn new(ctx: &Ctx, row: SigningKeyRow) -> Result<Self, Error> {
        let purpose = KeyPurpose::parse(&row.purpose).ok_or_else(|| {
            Error::Internal(anyhow::anyhow!(
                "key {} has purpose {}",
                row.id,
                row.purpose
            ))
        })?;
        let jwk: Jwk =
            serde_json::from_str(&row.public_jwk).map_err(|e| Error::Internal(e.into()))?;
        let (did_url, did_jwk) = if purpose == KeyPurpose::Credential {
            (
                environment_did_web(&ctx.public_url, &row.environment_id)
                    .ok()
                    .map(|did| format!("{did}#{}", row.id)),
                jwk_did(&jwk).ok().map(|did| did.to_string()),
            )
        } else {
            (None, None)
        };
        Ok(Self {
            links: links(format!(
                "{}{}/signingKeys",
                ctx.public_url,
                env_path(&row.environment_id)
            )),
            environment: IdRef::new(&row.environment_id),
            purpose: purpose.api_name().to_string(),
            algorithm: row.alg,
            status: row.status,
            public_jwk: jwk,
            did_url,
            did_jwk,
            created_at: iso(&row.created_at),
            retired_at: row.retired_at.as_ref().map(iso),
            publish_until: row.publish_until.as_ref().map(iso),
            id: row.id,
        })
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SigningKeysEmbedded {
    pub signing_keys: Vec<SigningKeyResource>,
}

/// Every key of the environment, newest first, active and retired.
#[utoipa::path(
    tag = "signing keys",
    params(("environmentId" = String, Path)),
    responses(
        (status = 200, body = Collection<SigningKeysEmbedded>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/signingKeys")]
async fn list_keys(ctx: Data<Ctx>, admin: EnvAdmin) -> ApiResult<HttpResponse> {
    let rows = keyring::list(&ctx, &admin.environment_id).await?;
    let keys = rows
        .into_iter()
        .map(|row| SigningKeyResource::new(&ctx, row))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Collection {
        links: links(format!(
            "{}{}/signingKeys",
            ctx.public_url,
            env_path(&admin.environment_id)
        )),
        size: keys.len(),
        embedded: SigningKeysEmbedded { signing_keys: keys },
    }))
}

/// Rotates a key: a new key becomes active for the purpose, and the key it replaces stays
/// published for `key_retirement_grace_seconds` so what it signed keeps verifying.
#[utoipa::path(
    tag = "signing keys",
    params(("environmentId" = String, Path)),
    request_body = KeyRotationInput,
    responses(
        (status = 201, body = SigningKeyResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/signingKeys")]
async fn rotate_key(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<KeyRotationInput>,
) -> ApiResult<HttpResponse> {
    let rotation = body.0.validate().map_err(Error::Invalid)?;
    let purpose = KeyPurpose::parse(&rotation.purpose).expect("validated purpose");
    let alg = rotation.algorithm.parse().expect("validated algorithm");
    let row = keyring::rotate(&ctx, &admin.environment_id, purpose, alg).await?;
    let resource = SigningKeyResource::new(&ctx, row)?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, resource.links["self"].href.clone()))
        .json(resource))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list_keys).service(rotate_key);
}
