//! `/api/v2`: the backend issuing and verification API (Credenco style), authenticated
//! with the same admin Bearer tokens as the management API; the environment is the
//! token's.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, post};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{Admin, Json, Query};
use crate::service::Ctx;
use crate::service::backend_api::verify::{VerifyRequest, VerifyResponse, VerifyStatus};
use crate::service::backend_api::{self, IssueRequest, IssueResponse, IssueStatus};

/// 201 for a new request, 200 for a repeat, pointing at its status.
fn started(created: bool, status_uri: &str, body: &impl serde::Serialize) -> HttpResponse {
    let mut builder = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    builder
        .insert_header((header::LOCATION, status_uri.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Starts an issuance: a credential of a MANAGED type for a user (made for you when
/// `user_id` is absent), offered to a wallet. 201 the first time; a repeat with the same
/// `correlation_id` and body answers 200 with the same offer; a different body is 409.
#[utoipa::path(
    tag = "backend issuing API",
    request_body = IssueRequest,
    responses(
        (status = 201, body = IssueResponse), (status = 200, body = IssueResponse, description = "A repeated request"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The correlation_id was used for another request"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v2/credential/issue")]
async fn issue(ctx: Data<Ctx>, admin: Admin, body: Json<IssueRequest>) -> ApiResult<HttpResponse> {
    let (response, created) = backend_api::issue(&ctx, &admin.0.environment_id, body.0).await?;
    Ok(started(created, &response.status_uri, &response))
}

/// The status of an issuance.
#[utoipa::path(
    tag = "backend issuing API",
    params(("correlationId" = String, Path)),
    responses((status = 200, body = IssueStatus), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/api/v2/issue/{correlationId}")]
async fn status(ctx: Data<Ctx>, admin: Admin, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(backend_api::status(&ctx, &admin.0.environment_id, &path).await?))
}

/// Revokes the credential of an issuance (idempotent).
#[utoipa::path(
    tag = "backend issuing API",
    params(("revocationUuid" = String, Path)),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/api/v2/credential/revoke/{revocationUuid}")]
async fn revoke(ctx: Data<Ctx>, admin: Admin, path: Path<String>) -> ApiResult<HttpResponse> {
    backend_api::revoke(&ctx, &admin.0.environment_id, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts a verification: an OpenID4VP request for a credential type (every field, or
/// the `keys` named) or for a DCQL query. 201 the first time; a repeat with the same
/// `correlation_id` and body answers 200 with the same link; a different body is 409.
#[utoipa::path(
    tag = "backend issuing API",
    request_body = VerifyRequest,
    responses(
        (status = 201, body = VerifyResponse), (status = 200, body = VerifyResponse, description = "A repeated request"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The correlation_id was used for another request"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/api/v2/credential/verify")]
async fn verify(
    ctx: Data<Ctx>,
    admin: Admin,
    body: Json<VerifyRequest>,
) -> ApiResult<HttpResponse> {
    let (response, created) =
        backend_api::verify::verify(&ctx, &admin.0.environment_id, body.0).await?;
    Ok(started(created, &response.status_uri, &response))
}

/// The status of a verification and, once verified, the disclosed claims. With
/// `response_code` (same-device flows) it must be the code the wallet's redirect carried.
#[utoipa::path(
    tag = "backend issuing API",
    params(("correlationId" = String, Path), ("response_code" = Option<String>, Query)),
    responses(
        (status = 200, body = VerifyStatus), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/api/v2/verify/{correlationId}")]
async fn verify_status(
    ctx: Data<Ctx>,
    admin: Admin,
    path: Path<String>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let answer = backend_api::verify::status(
        &ctx,
        &admin.0.environment_id,
        &path,
        query.get("response_code"),
    )
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(answer))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(issue)
        .service(status)
        .service(revoke)
        .service(verify)
        .service(verify_status);
}
