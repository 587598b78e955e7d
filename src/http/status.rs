//! Status list routes: the signed lists verifiers fetch. Public (a list names no one),
//! cacheable (`Cache-Control`, `ETag`, 304 on `If-None-Match`) and readable from any
//! origin (CORS), as the Token Status List draft recommends.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ApiResult, ErrorBody};
use crate::service::Ctx;
use crate::service::status::{self, Purpose, SignedList};

fn respond(req: &HttpRequest, list: Arc<SignedList>) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|tag| tag.trim().trim_start_matches("W/"))
                .any(|tag| tag == list.etag || tag == "*")
        });
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, list.etag.clone()))
        .insert_header((
            header::CACHE_CONTROL,
            format!("public, max-age={}", list.max_age),
        ))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((header::ACCESS_CONTROL_EXPOSE_HEADERS, "ETag"));
    if matches {
        return response.finish();
    }
    response
        .content_type(list.media_type)
        .body(list.body.clone())
}

/// An IETF Token Status List token (`application/statuslist+jwt`): the statuses of
/// `dc+sd-jwt` credentials, 2 bits each (0 VALID, 1 INVALID, 2 SUSPENDED).
#[utoipa::path(
    tag = "status lists",
    params(("environmentId" = String, Path), ("listId" = String, Path)),
    responses(
        (status = 200, content_type = "application/statuslist+jwt", body = String),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/{environmentId}/status/{listId}")]
async fn token_list(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let list = status::signed_list(&ctx, &path.0, &path.1, None)
        .await?
        .ok_or_else(|| ApiError::not_found("No such status list."))?;
    Ok(respond(&req, list))
}

/// A W3C `BitstringStatusListCredential` (`application/vc+jwt`) of `jwt_vc_json`
/// credentials: `revocation` or `suspension`.
#[utoipa::path(
    tag = "status lists",
    params(
        ("environmentId" = String, Path), ("listId" = String, Path),
        ("purpose" = String, Path, description = "`revocation` or `suspension`"),
    ),
    responses(
        (status = 200, content_type = "application/vc+jwt", body = String),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/{environmentId}/status/{listId}/{purpose}")]
async fn bitstring_list(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let not_found = || ApiError::not_found("No such status list.");
    let purpose = Purpose::parse(&path.2).ok_or_else(not_found)?;
    let list = status::signed_list(&ctx, &path.0, &path.1, Some(purpose))
        .await?
        .ok_or_else(not_found)?;
    Ok(respond(&req, list))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(token_list).service(bitstring_list);
}
