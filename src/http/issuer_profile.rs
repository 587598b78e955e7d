//! `/v1/environments/{environmentId}/credentialIssuerProfile`.

use actix_web::web::Data;
use actix_web::{HttpResponse, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json};
use super::resources::IssuerProfileResource;
use crate::domain::issuer_profile::IssuerProfileInput;
use crate::service::{Ctx, issuer_profile};

#[utoipa::path(
    tag = "credential issuer profile",
    params(("environmentId" = String, Path)),
    responses(
        (status = 200, body = IssuerProfileResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/credentialIssuerProfile")]
async fn get_profile(ctx: Data<Ctx>, admin: EnvAdmin) -> ApiResult<HttpResponse> {
    let row = issuer_profile::get(&ctx, &admin.environment_id).await?;
    Ok(HttpResponse::Ok().json(IssuerProfileResource::new(&ctx, row)))
}

/// PingOne's "create" call. vouch makes the profile with the environment, so this sets
/// it like `PUT` and answers 200; 201 only if the profile was missing.
#[utoipa::path(
    tag = "credential issuer profile",
    params(("environmentId" = String, Path)),
    request_body = IssuerProfileInput,
    responses(
        (status = 200, body = IssuerProfileResource, description = "The existing profile was set"),
        (status = 201, body = IssuerProfileResource, description = "The profile was created"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/credentialIssuerProfile")]
async fn create_profile(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<IssuerProfileInput>,
) -> ApiResult<HttpResponse> {
    let (row, created) = issuer_profile::put(&ctx, &admin.environment_id, body.0).await?;
    let resource = IssuerProfileResource::new(&ctx, row);
    Ok(if created {
        HttpResponse::Created().json(resource)
    } else {
        HttpResponse::Ok().json(resource)
    })
}

#[utoipa::path(
    tag = "credential issuer profile",
    params(("environmentId" = String, Path)),
    request_body = IssuerProfileInput,
    responses(
        (status = 200, body = IssuerProfileResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/credentialIssuerProfile")]
async fn replace_profile(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<IssuerProfileInput>,
) -> ApiResult<HttpResponse> {
    let (row, _) = issuer_profile::put(&ctx, &admin.environment_id, body.0).await?;
    Ok(HttpResponse::Ok().json(IssuerProfileResource::new(&ctx, row)))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(get_profile)
        .service(create_profile)
        .service(replace_profile);
}
