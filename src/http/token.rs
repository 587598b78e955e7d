//! The environment's admin authorization server: client-credentials tokens and JWKS.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, OAuthErrorBody};
use super::extract::{media_type, read_body};
use crate::domain::application::TokenEndpointAuthMethod;
use crate::keys::KeyPurpose;
use crate::service::admin_auth::{self, ClientCredentials, OAuthError, TokenResponse};
use crate::service::{Ctx, Error, keyring};

/// Largest token request body read.
const MAX_FORM: usize = 8 * 1024;

fn form_value(pairs: &[(String, String)], name: &str) -> Result<Option<String>, OAuthError> {
    let mut found = pairs.iter().filter(|(k, _)| k == name);
    let first = found.next().map(|(_, v)| v.clone());
    if found.next().is_some() {
        return Err(OAuthError::invalid_request(format!(
            "the parameter {name} appears more than once"
        )));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// Percent-decoding of the Basic credentials (RFC 6749 §2.3.1 form-encodes them).
fn form_decode(text: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={text}"))
        .ok()
        .and_then(|mut v| v.pop())
        .map(|(_, v)| v)
}

fn credentials(
    req: &HttpRequest,
    pairs: &[(String, String)],
) -> Result<ClientCredentials, OAuthError> {
    let basic = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .map(|(_, value)| value.trim().to_string());
    let form_id = form_value(pairs, "client_id")?;
    let form_secret = form_value(pairs, "client_secret")?;
    match (basic, form_secret) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "use one client authentication method, not both Basic and client_secret",
        )),
        (Some(encoded), None) => {
            let decoded = STANDARD
                .decode(encoded)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    OAuthError::invalid_client("the Basic credentials are not base64")
                })?;
            let (id, secret) = decoded
                .split_once(':')
                .ok_or_else(|| OAuthError::invalid_client("the Basic credentials lack a `:`"))?;
            let (id, secret) = (
                form_decode(id)
                    .ok_or_else(|| OAuthError::invalid_client("bad client id encoding"))?,
                form_decode(secret)
                    .ok_or_else(|| OAuthError::invalid_client("bad secret encoding"))?,
            );
            if form_id.as_ref().is_some_and(|f| *f != id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the body differs from the Basic credentials",
                ));
            }
            Ok(ClientCredentials {
                client_id: id,
                client_secret: secret,
                method: TokenEndpointAuthMethod::ClientSecretBasic,
            })
        }
        (None, Some(secret)) => Ok(ClientCredentials {
            client_id: form_id.ok_or_else(|| {
                OAuthError::invalid_request("client_secret was sent without client_id")
            })?,
            client_secret: secret,
            method: TokenEndpointAuthMethod::ClientSecretPost,
        }),
        (None, None) => Err(OAuthError::invalid_client(
            "client authentication is required (client_secret_basic or client_secret_post)",
        )),
    }
}

/// Client-credentials grant for worker applications (RFC 6749 §4.4): an ES256 access
/// token (`typ: at+jwt`) for the management API of this environment, valid 1 hour.
#[utoipa::path(
    tag = "admin tokens",
    params(("environmentId" = String, Path, description = "Environment id")),
    request_body(
        content_type = "application/x-www-form-urlencoded",
        description = "`grant_type=client_credentials`, plus `client_id` and `client_secret` for client_secret_post"
    ),
    responses(
        (status = 200, body = TokenResponse),
        (status = 400, body = OAuthErrorBody, description = "invalid_request or unsupported_grant_type"),
        (status = 401, body = OAuthErrorBody, description = "invalid_client"),
    )
)]
#[post("/{environmentId}/as/token")]
async fn token(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<String>,
    mut payload: actix_web::web::Payload,
) -> Result<HttpResponse, OAuthError> {
    if media_type(&req).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let body = read_body(&req, &mut payload, MAX_FORM).await.map_err(|_| {
        OAuthError::invalid_request(format!("the request body exceeds {MAX_FORM} bytes"))
    })?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| OAuthError::invalid_request("the request body is not form-encoded"))?;
    match form_value(&pairs, "grant_type")?.as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::unsupported_grant_type(format!(
                "this endpoint issues only client_credentials tokens, not {other}"
            )));
        }
        None => return Err(OAuthError::invalid_request("grant_type is required")),
    }
    let credentials = credentials(&req, &pairs)?;
    let response = admin_auth::issue_token(&ctx, &path.into_inner(), credentials).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::PRAGMA, "no-cache"))
        .json(response))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JwkSet {
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<identity_kit::jose::Jwk>,
}

/// Public keys that sign this environment's admin access tokens.
#[utoipa::path(
    tag = "admin tokens",
    params(("environmentId" = String, Path, description = "Environment id")),
    responses(
        (status = 200, body = JwkSet, content_type = "application/jwk-set+json"),
        (status = 404, body = super::error::ErrorBody)
    )
)]
#[get("/{environmentId}/as/jwks")]
async fn jwks(ctx: Data<Ctx>, path: Path<String>) -> Result<HttpResponse, ApiError> {
    let env = path.into_inner();
    let keys = ctx
        .store
        .read(move |conn| {
            if !crate::store::environments::exists(conn, &env)? {
                return Err(Error::not_found("Environment"));
            }
            keyring::published_keys(conn, &env, KeyPurpose::AdminToken)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/jwk-set+json")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(JwkSet { keys }))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(token).service(jwks);
}
