//! Public documents of an environment as issuer: its `did:web` document and the JWKS of
//! its credential-signing keys.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::token::JwkSet;
use crate::service::{Ctx, keyring};

/// The environment's `did:web` document (`did:web:{host}:{environmentId}`), listing every
/// published credential-signing key as a `JsonWebKey2020` verification method.
#[utoipa::path(
    tag = "issuer documents",
    params(("environmentId" = String, Path)),
    responses(
        (status = 200, content_type = "application/did+json", body = Object),
        (status = 404, body = ErrorBody, description = "No such environment, or the public URL names an IP address"),
    )
)]
#[get("/{environmentId}/did.json")]
async fn did_document(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    let document = keyring::did_document(&ctx, &path).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/did+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(document))
}

/// Public keys that sign the environment's credentials, status lists and requests.
#[utoipa::path(
    tag = "issuer documents",
    params(("environmentId" = String, Path)),
    responses(
        (status = 200, content_type = "application/jwk-set+json", body = JwkSet),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/{environmentId}/jwks")]
async fn jwks(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    let keys = keyring::credential_keys(&ctx, &path).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(JwkSet { keys }))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(did_document).service(jwks);
}
