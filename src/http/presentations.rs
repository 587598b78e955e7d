//! Presentation sessions (PingOne's credential verifications) for admins, and the two
//! OpenID4VP endpoints a wallet talks to: the request object and the response.

use actix_web::http::header;
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json, Query, media_type, read_body};
use super::resources::{IdRef, Link, Links, collection, env_path, links};
use crate::domain::presentation::{PresentationSessionInput, VerificationError};
use crate::domain::time::iso;
use crate::service::Ctx;
use crate::service::oid4vci::ProtocolError;
use crate::service::oid4vp::{self, SessionView};

fn session_path(env: &str, id: &str) -> String {
    format!("{}/presentationSessions/{id}", env_path(env))
}

/// A presentation session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresentationSessionResource {
    pub id: String,
    pub environment: IdRef,
    /// `INITIAL`, `WAITING`, `VERIFICATION_SUCCESSFUL`, `VERIFICATION_FAILED`,
    /// `VERIFICATION_EXPIRED`.
    pub status: String,
    /// The request as given (`protocol`, `message`, `requestedCredentials`,
    /// `issuerFilter`, …).
    #[serde(flatten)]
    pub request: PresentationSessionInput,
    /// The protocol in force (NATIVE when not given).
    #[serde(rename = "protocol")]
    pub protocol_in_force: String,
    /// The DCQL query sent to the wallet (vouch extension).
    #[schema(value_type = Object)]
    pub dcql: Value,
    /// The verifier's client identifier, with its prefix (vouch extension).
    pub client_id: String,
    /// Why a failed verification failed: `{code, target, message}`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<VerificationError>,
    pub expires_at: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl PresentationSessionResource {
    fn new(ctx: &Ctx, view: SessionView) -> Self {
        let env = view.row.environment_id.clone();
        let self_path = session_path(&env, &view.row.id);
        let mut l = links(format!("{}{self_path}", ctx.public_url));
        for (name, href) in [
            ("appOpenURL", view.links.app_open.clone()),
            ("qr", view.links.qr.clone()),
            ("requestUri", view.links.request_uri.clone()),
            (
                "credentialData",
                format!("{}{self_path}/credentialData", ctx.public_url),
            ),
            (
                "sessionData",
                format!("{}{self_path}/sessionData", ctx.public_url),
            ),
            ("events", format!("{}{self_path}/events", ctx.public_url)),
        ] {
            l.insert(name.into(), Link { href });
        }
        let mut request = view.input.clone();
        request.protocol = None;
        Self {
            id: view.row.id.clone(),
            environment: IdRef::new(&env),
            status: view.status.as_str().into(),
            request,
            protocol_in_force: view.row.protocol.clone(),
            dcql: serde_json::from_str(&view.row.dcql_query).unwrap_or_default(),
            client_id: view.row.client_id.clone(),
            errors: view.result.map(|r| r.errors).unwrap_or_default(),
            expires_at: iso(&view.row.expires_at),
            created_at: iso(&view.row.created_at),
            updated_at: iso(&view.row.updated_at),
            links: l,
        }
    }
}

/// One `{key, value}` of a presented credential.
fn data(claims: &serde_json::Map<String, Value>) -> Vec<Value> {
    claims
        .iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            json!({"key": k, "value": value})
        })
        .collect()
}

fn types_of(c: &oid4vp::VerifiedCredential) -> (String, Vec<String>) {
    (c.types.join(" "), c.types.clone())
}

/// Creates a session. PingOne's NATIVE and OPENID4VP variants both run over OpenID4VP;
/// the wallet opens `_links.appOpenURL.href` (or scans `_links.qr.href`).
#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path)),
    request_body = PresentationSessionInput,
    responses(
        (status = 201, body = PresentationSessionResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/presentationSessions")]
async fn create_session(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<PresentationSessionInput>,
) -> ApiResult<HttpResponse> {
    let view = oid4vp::create(&ctx, &admin.environment_id, body.0).await?;
    let resource = PresentationSessionResource::new(&ctx, view);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, resource.links["self"].href.clone()))
        .json(resource))
}

#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, body = PresentationSessionResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/presentationSessions/{sessionId}")]
async fn get_session(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let view = oid4vp::get(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(PresentationSessionResource::new(&ctx, view)))
}

#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/presentationSessions/{sessionId}")]
async fn delete_session(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    oid4vp::delete(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Loads a session for a reader; `?responseCode=` must match when given.
async fn read_session(ctx: &Ctx, env: &str, id: &str, query: &Query) -> ApiResult<SessionView> {
    let view = oid4vp::get(ctx, env, id).await?;
    oid4vp::require_response_code(&view, query.get("responseCode"), "responseCode")?;
    Ok(view)
}

/// The presented credentials' data: empty while INITIAL or WAITING.
#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/presentationSessions/{sessionId}/credentialData")]
async fn credential_data(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let view = read_session(&ctx, &admin.environment_id, &path.1, &query).await?;
    let result = view.result.clone().unwrap_or_default();
    let items: Vec<Value> = result
        .credentials
        .iter()
        .map(|c| {
            let (t, types) = types_of(c);
            json!({
                "type": t, "types": types,
                "issuerId": c.environment_id.clone().unwrap_or_else(|| c.issuer.clone()),
                "issuerName": c.issuer,
                "format": c.format,
                "data": data(&c.claims),
            })
        })
        .collect();
    let self_href = format!(
        "{}{}/credentialData",
        ctx.public_url,
        session_path(&admin.environment_id, &path.1)
    );
    Ok(HttpResponse::Ok().json(json!({
        "id": view.row.id,
        "status": view.status.as_str(),
        "credentialData": items,
        "errors": result.errors,
        "_links": {"self": {"href": self_href}},
    })))
}

/// The session and what it verified: `verifiedData` with each credential's metadata.
#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/presentationSessions/{sessionId}/sessionData")]
async fn session_data(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let view = read_session(&ctx, &admin.environment_id, &path.1, &query).await?;
    let result = view.result.clone().unwrap_or_default();
    let valid = view.status == crate::domain::presentation::SessionStatus::Successful;
    let items: Vec<Value> = result
        .credentials
        .iter()
        .map(|c| {
            let (t, types) = types_of(c);
            json!({
                "type": t, "types": types,
                "data": data(&c.claims),
                "metaData": {
                    "issuanceDate": c.issued_at,
                    "issuerId": c.environment_id.clone().unwrap_or_else(|| c.issuer.clone()),
                    "issuerName": c.issuer,
                    "verificationStatus": if valid { "VALID" } else { "INVALID" },
                },
            })
        })
        .collect();
    let self_path = session_path(&admin.environment_id, &path.1);
    Ok(HttpResponse::Ok().json(json!({
        "id": view.row.id,
        "status": view.status.as_str(),
        "verifiedData": items,
        "errors": result.errors,
        "_links": {
            "self": {"href": format!("{}{self_path}/sessionData", ctx.public_url)},
            "appOpenURL": {"href": view.links.app_open},
            "qr": {"href": view.links.qr},
        },
    })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresentationEventResource {
    pub id: String,
    /// SESSION_CREATED, REQUEST_FETCHED, RESPONSE_RECEIVED (with each check and its
    /// result), VERIFICATION_SUCCESSFUL, VERIFICATION_FAILED (with the errors).
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<Value>,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PresentationEventsEmbedded {
    pub events: Vec<PresentationEventResource>,
}

/// The session trail (vouch extension): each protocol step and each check.
#[utoipa::path(
    tag = "presentation sessions",
    params(("environmentId" = String, Path), ("sessionId" = String, Path),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, body = Object),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/presentationSessions/{sessionId}/events")]
async fn session_events(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = oid4vp::events(&ctx, &admin.environment_id, &path.1, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/events", session_path(&admin.environment_id, &path.1)),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| PresentationEventsEmbedded {
            events: rows
                .into_iter()
                .map(|r| PresentationEventResource {
                    detail: r
                        .detail
                        .as_deref()
                        .and_then(|d| serde_json::from_str(d).ok()),
                    created_at: iso(&r.created_at),
                    id: r.id,
                    event: r.event,
                })
                .collect(),
        },
    )))
}

// ---- the wallet's endpoints --------------------------------------------------------

async fn form(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<Vec<(String, String)>, ProtocolError> {
    if media_type(req).as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(ProtocolError::bad(
            "invalid_request",
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = read_body(req, payload, limit)
        .await
        .map_err(|_| ProtocolError::bad("invalid_request", "the body is too large"))?;
    serde_urlencoded::from_bytes(&body)
        .map_err(|_| ProtocolError::bad("invalid_request", "the body is not form-encoded"))
}

fn request_object_response(object: oid4vp::RequestObject) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(object.media_type)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(object.jwt)
}

/// The signed request object of a session (OpenID4VP 1.0 §5.7,
/// `application/oauth-authz-req+jwt`).
#[utoipa::path(
    tag = "openid4vp",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, content_type = "application/oauth-authz-req+jwt", body = String),
        (status = 400, body = Object, description = "OAuth error: the session has ended"),
        (status = 404, body = Object),
    )
)]
#[get("/{environmentId}/oid4vp/requests/{sessionId}")]
async fn get_request_object(
    ctx: Data<Ctx>,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ProtocolError> {
    let object = oid4vp::request_object(&ctx, &path.0, &path.1, None, "GET").await?;
    Ok(request_object_response(object))
}

/// The request object with `request_uri_method=post` (§5.10): the wallet may send a
/// `wallet_nonce`, which the signed object then carries.
#[utoipa::path(
    tag = "openid4vp",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, content_type = "application/oauth-authz-req+jwt", body = String),
        (status = 400, body = Object), (status = 404, body = Object),
    )
)]
#[post("/{environmentId}/oid4vp/requests/{sessionId}")]
async fn post_request_object(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<(String, String)>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    let form = form(&req, &mut payload, 64 * 1024).await?;
    let nonce = form
        .iter()
        .find(|(k, _)| k == "wallet_nonce")
        .map(|(_, v)| v.clone());
    let object = oid4vp::request_object(&ctx, &path.0, &path.1, nonce, "POST").await?;
    Ok(request_object_response(object))
}

/// The `response_uri` (`direct_post`, `direct_post.jwt`): the wallet's `vp_token` and
/// `state` (or `response`, their JWE), or an OAuth `error`. 200 with `{}` once recorded
/// (with a `redirect_uri` carrying a `response_code` for same-device sessions, whatever
/// the outcome); 400 `invalid_request` for a presentation that failed verification (the
/// session records why), a malformed answer, a wrong `state`, or a session already
/// answered or expired.
#[utoipa::path(
    tag = "openid4vp",
    params(("environmentId" = String, Path), ("sessionId" = String, Path)),
    responses(
        (status = 200, body = Object), (status = 400, body = Object), (status = 404, body = Object),
    )
)]
#[post("/{environmentId}/oid4vp/responses/{sessionId}")]
async fn response_endpoint(
    ctx: Data<Ctx>,
    req: HttpRequest,
    path: Path<(String, String)>,
    mut payload: Payload,
) -> Result<HttpResponse, ProtocolError> {
    let form = form(&req, &mut payload, 1024 * 1024).await?;
    let body = oid4vp::respond(&ctx, &path.0, &path.1, &form).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

/// The verifier's X.509 chain (PEM, leaf first): the certificate behind `x509_san_dns:`
/// and `x509_hash:` client identifiers, then its CA. The development chain's root is the
/// trust anchor a wallet under test needs; a configured chain shows what was configured.
#[utoipa::path(
    tag = "openid4vp",
    responses((status = 200, content_type = "application/x-pem-file", body = String))
)]
#[get("/oid4vp/x509/chain.pem")]
async fn certificate_chain(ctx: Data<Ctx>) -> ApiResult<HttpResponse> {
    let certificate = oid4vp::certificate::client_certificate(&ctx).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/x-pem-file")
        .insert_header((header::CACHE_CONTROL, "max-age=300"))
        .body(certificate.chain.to_pem()))
}

pub fn wallet_routes(cfg: &mut ServiceConfig) {
    cfg.service(get_request_object)
        .service(post_request_object)
        .service(response_endpoint)
        .service(certificate_chain);
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_session)
        .service(get_session)
        .service(delete_session)
        .service(credential_data)
        .service(session_data)
        .service(session_events);
}
