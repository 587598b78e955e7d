//! OpenID4VCI endpoints of an environment, and its discovery documents.
//!
//! Errors here are OAuth errors (`{"error", "error_description"}`), never the PingOne
//! body; every response carries `Cache-Control: no-store` except the discovery documents.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, ResponseError, get, post};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ApiResult, ErrorBody, OAuthErrorBody};
use super::extract::{Query, media_type, read_body};
use crate::domain::card::xml_escape;
use crate::service::Ctx;
use crate::service::oid4vci::{ProtocolError, credential, metadata, offers, token};

/// Largest protocol request body read (a batch of proofs fits easily).
const MAX_PROTOCOL_BODY: usize = 256 * 1024;

impl ResponseError for ProtocolError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == 401 {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                format!(
                    "Bearer error=\"{}\", error_description=\"{}\"",
                    self.error,
                    self.description.replace('"', "'")
                ),
            ));
        }
        response.json(self.body())
    }
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

fn document(body: Value) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .insert_header((
            header::CONTENT_LANGUAGE,
            crate::protocol::sd_jwt_vc::type_metadata::LOCALE,
        ))
        .insert_header((header::VARY, "Accept-Language"))
        .json(body)
}

/// The access token of a protocol request: only from the `Authorization` header.
fn bearer(req: &HttpRequest) -> Result<Option<String>, ProtocolError> {
    if req
        .query_string()
        .split('&')
        .any(|p| p.starts_with("access_token="))
    {
        return Err(ProtocolError::bad(
            "invalid_request",
            "access tokens are accepted only in the Authorization header, never in the URL",
        ));
    }
    let Some(value) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Some(token.trim().to_string()))
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("dpop") => {
            Err(ProtocolError::invalid_token(
                "this issuer issues bearer tokens; DPoP-bound tokens are not supported yet",
            ))
        }
        _ => Err(ProtocolError::invalid_token(
            "the Authorization header must be `Bearer <access token>`",
        )),
    }
}

async fn json_body(
    req: &HttpRequest,
    payload: &mut Payload,
    error: &'static str,
) -> Result<Value, ProtocolError> {
    if media_type(req).as_deref() != Some("application/json") {
        return Err(ProtocolError::bad(
            error,
            "the request body must be application/json",
        ));
    }
    let body = read_body(req, payload, MAX_PROTOCOL_BODY)
        .await
        .map_err(|_| {
            ProtocolError::bad(
                error,
                format!("the request body must be at most {MAX_PROTOCOL_BODY} bytes"),
            )
        })?;
    serde_json::from_slice(&body)
        .map_err(|e| ProtocolError::bad(error, format!("the request body is not JSON: {e}")))
}

// ---- discovery ---------------------------------------------------------------------

/// Credential issuer metadata (OpenID4VCI 1.0 §12.2), at the path-insertion location.
/// Display is in English (`Content-Language: en`) whatever `Accept-Language` asks.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/.well-known/openid-credential-issuer/{environmentId}")]
async fn issuer_metadata(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(document(metadata::credential_issuer(&ctx, &path).await?))
}

/// The same document at draft 13's appended location.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/{environmentId}/.well-known/openid-credential-issuer")]
async fn issuer_metadata_appended(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(document(metadata::credential_issuer(&ctx, &path).await?))
}

/// OAuth 2.0 authorization server metadata (RFC 8414) of the issuer.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/.well-known/oauth-authorization-server/{environmentId}")]
async fn as_metadata(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(document(metadata::authorization_server(&ctx, &path).await?))
}

/// The same document appended to the issuer URL, for wallets that look there.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/{environmentId}/.well-known/oauth-authorization-server")]
async fn as_metadata_appended(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(document(metadata::authorization_server(&ctx, &path).await?))
}

/// JWT VC issuer metadata: the keys that sign the issuer's SD-JWT VCs.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/.well-known/jwt-vc-issuer/{environmentId}")]
async fn jwt_vc_issuer(ctx: Data<Ctx>, path: Path<String>) -> ApiResult<HttpResponse> {
    Ok(document(metadata::jwt_vc_issuer(&ctx, &path).await?))
}

// ---- offers ------------------------------------------------------------------------

/// A credential offer by reference (`credential_offer_uri`): JSON, fetchable until the
/// offer is redeemed.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path), ("offerId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = OAuthErrorBody))
)]
#[get("/{environmentId}/oid4vci/offers/{offerId}")]
async fn offer(
    ctx: Data<Ctx>,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ProtocolError> {
    let body = offers::fetch(&ctx, &path.0, &path.1).await?;
    Ok(no_store(
        HttpResponse::Ok()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .json(body),
    ))
}

/// An https page for an offer: its QR code, and a button that opens the wallet on the
/// same device.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path), ("credential_offer_uri" = String, Query)),
    responses((status = 200, content_type = "text/html", body = String), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody))
)]
#[get("/{environmentId}/oid4vci/credential-offer")]
async fn offer_page(ctx: Data<Ctx>, path: Path<String>, query: Query) -> ApiResult<HttpResponse> {
    let env = path.into_inner();
    let prefix = format!("{}/{env}/oid4vci/offers/", ctx.public_url);
    let offer_id = query
        .get("credential_offer_uri")
        .and_then(|uri| uri.strip_prefix(&prefix))
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "credential_offer_uri must be an offer of this issuer",
                Vec::new(),
            )
        })?
        .to_string();
    let (env2, id) = (env.clone(), offer_id);
    let row = ctx
        .store
        .read(move |conn| {
            crate::store::issuance::offer(conn, &env2, &id).map_err(crate::service::Error::from)
        })
        .await?
        .ok_or_else(|| ApiError::not_found("No such credential offer."))?;
    let links = offers::links(&ctx, &row, None);
    let qr = crate::protocol::qr::svg(&links.deep_link, 320).unwrap_or_default();
    let qr = qr
        .split_once("?>")
        .map_or(qr.as_str(), |(_, svg)| svg)
        .to_string();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>Credential offer</title></head><body style=\"font-family:sans-serif;text-align:center\">\
         <h1>Add your credential to a wallet</h1><p>Scan with your wallet app:</p>{qr}\
         <p><a href=\"{href}\">Open in a wallet on this device</a></p></body></html>",
        href = xml_escape(&links.deep_link)
    );
    Ok(no_store(
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ))
            .body(html),
    ))
}

// ---- token, nonce, credential ------------------------------------------------------

/// The token endpoint: `urn:ietf:params:oauth:grant-type:pre-authorized_code` (with
/// `tx_code` when the offer has one) and `refresh_token`.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    request_body(content_type = "application/x-www-form-urlencoded", description = "grant_type, pre-authorized_code, tx_code | refresh_token"),
    responses(
        (status = 200, content_type = "application/json", body = Object),
        (status = 400, body = OAuthErrorBody, description = "invalid_request, invalid_grant, unsupported_grant_type"),
    )
)]
#[post("/{environmentId}/oid4vci/token")]
async fn token_endpoint(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<String>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    if media_type(&req).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(ProtocolError::bad(
            "invalid_request",
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let body = read_body(&req, &mut payload, 16 * 1024)
        .await
        .map_err(|_| ProtocolError::bad("invalid_request", "the token request is too large"))?;
    let form: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| ProtocolError::bad("invalid_request", "the body is not form-encoded"))?;
    let response = token::token(&ctx, &path, form).await?;
    Ok(no_store(
        HttpResponse::Ok()
            .insert_header((header::PRAGMA, "no-cache"))
            .json(response),
    ))
}

/// The nonce endpoint: a fresh `c_nonce` for key proofs, single use, five minutes.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    responses((status = 200, content_type = "application/json", body = Object), (status = 404, body = OAuthErrorBody))
)]
#[post("/{environmentId}/oid4vci/nonce")]
async fn nonce_endpoint(ctx: Data<Ctx>, path: Path<String>) -> Result<HttpResponse, ProtocolError> {
    Ok(no_store(
        HttpResponse::Ok().json(credential::nonce(&ctx, &path).await?),
    ))
}

/// The credential endpoint: 1.0 requests (`credential_configuration_id` or
/// `credential_identifier`, `proofs.jwt`) and draft-13 ones (`format`, `proof`). 202 with
/// a `transaction_id` when the type needs an admin's approval.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    request_body(content_type = "application/json", content = Object),
    responses(
        (status = 200, content_type = "application/json", body = Object),
        (status = 202, content_type = "application/json", body = Object, description = "Deferred: transaction_id and interval"),
        (status = 400, body = OAuthErrorBody, description = "invalid_credential_request, invalid_proof, invalid_nonce, unknown_credential_configuration, unknown_credential_identifier, credential_request_denied, invalid_encryption_parameters"),
        (status = 401, body = OAuthErrorBody, description = "invalid_token"),
    )
)]
#[post("/{environmentId}/oid4vci/credential")]
async fn credential_endpoint(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<String>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    let token = bearer(&req)?;
    let body = json_body(&req, &mut payload, "invalid_credential_request").await?;
    let response = credential::issue(&ctx, &path, token.as_deref(), &body).await?;
    Ok(no_store(
        HttpResponse::build(StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK))
            .json(response.body),
    ))
}

/// The deferred credential endpoint.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    request_body(content_type = "application/json", content = Object),
    responses(
        (status = 200, content_type = "application/json", body = Object),
        (status = 202, content_type = "application/json", body = Object, description = "Not decided yet"),
        (status = 400, body = OAuthErrorBody, description = "invalid_transaction_id, credential_request_denied"),
        (status = 401, body = OAuthErrorBody),
    )
)]
#[post("/{environmentId}/oid4vci/deferred")]
async fn deferred_endpoint(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<String>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    let token = bearer(&req)?;
    let body = json_body(&req, &mut payload, "invalid_request").await?;
    let response = credential::deferred(&ctx, &path, token.as_deref(), &body).await?;
    Ok(no_store(
        HttpResponse::build(StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK))
            .json(response.body),
    ))
}

/// The notification endpoint: `credential_accepted`, `credential_failure` or
/// `credential_deleted`, recorded as the provisioned credentials' `walletActions`.
#[utoipa::path(
    tag = "openid4vci",
    params(("environmentId" = String, Path)),
    request_body(content_type = "application/json", content = Object),
    responses(
        (status = 204),
        (status = 400, body = OAuthErrorBody, description = "invalid_notification_id, invalid_notification_request"),
        (status = 401, body = OAuthErrorBody),
    )
)]
#[post("/{environmentId}/oid4vci/notification")]
async fn notification_endpoint(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<String>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    let token = bearer(&req)?;
    let body = json_body(&req, &mut payload, "invalid_notification_request").await?;
    credential::notify(&ctx, &path, token.as_deref(), &body).await?;
    Ok(no_store(HttpResponse::NoContent().finish()))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(issuer_metadata)
        .service(issuer_metadata_appended)
        .service(as_metadata)
        .service(as_metadata_appended)
        .service(jwt_vc_issuer)
        .service(offer)
        .service(offer_page)
        .service(token_endpoint)
        .service(nonce_endpoint)
        .service(credential_endpoint)
        .service(deferred_endpoint)
        .service(notification_endpoint);
}
