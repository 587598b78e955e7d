//! The OpenID4VP verifier: presentation sessions (PingOne's credential verifications),
//! the request object a wallet fetches, and the answer it posts.
//!
//! A session is created by an admin (or the backend verify API) with the credential types
//! it asks for; vouch turns them into a DCQL query, a nonce and a state. The wallet opens
//! `openid4vp://?client_id=…&request_uri=…`, fetches the request object (signed under
//! the environment's DID; INITIAL → WAITING), and posts its `vp_token` to the
//! `response_uri`. The answer is verified (`verify`) and recorded by a conditional write
//! that only an open session within its lifetime accepts, so a second answer, or one
//! after the session expired, is refused.

pub mod trust;
mod verify;

use chrono::Duration;
use serde_json::{Value, json};

use super::oid4vci::{ProtocolError, secrets};
use super::{Ctx, Error, Result, keyring, new_id};
use crate::domain::page::{Page, PageRequest};
use crate::domain::presentation::{PresentationSessionInput, SessionStatus, ValidSession};
use crate::domain::time;
use crate::domain::validate::FieldError;
use crate::protocol::oid4vci::configurations::{Format, vct, w3c_type};
use crate::protocol::oid4vp::dcql::{self, RequestedType};
use crate::protocol::oid4vp::request::AuthorizationRequest;
use crate::protocol::oid4vp::response::{self, WalletAnswer};
use crate::store::rows::{PresentationEventRow, PresentationSessionRow};
use crate::store::{AnyConnection, credential_types, presentations};

pub use verify::VerifiedCredential;

/// A session as the management API shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub row: PresentationSessionRow,
    pub status: SessionStatus,
    pub input: PresentationSessionInput,
    pub links: SessionLinks,
    pub result: Option<SessionResult>,
}

/// What the verification found (stored as the session's `result`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionResult {
    pub credentials: Vec<VerifiedCredential>,
    pub errors: Vec<crate::domain::presentation::VerificationError>,
}

#[derive(Debug, Clone)]
pub struct SessionLinks {
    pub request_uri: String,
    pub response_uri: String,
    /// The `openid4vp://` link a wallet opens.
    pub app_open: String,
    pub qr: String,
}

fn request_uri(ctx: &Ctx, env: &str, id: &str) -> String {
    format!("{}/{env}/oid4vp/requests/{id}", ctx.public_url)
}

fn response_uri(ctx: &Ctx, env: &str, id: &str) -> String {
    format!("{}/{env}/oid4vp/responses/{id}", ctx.public_url)
}

fn stored_input(row: &PresentationSessionRow) -> Result<PresentationSessionInput> {
    serde_json::from_str(&row.request).map_err(|e| Error::Internal(e.into()))
}

fn authorization_request(
    row: &PresentationSessionRow,
    input: &PresentationSessionInput,
    response_uri: String,
) -> Result<AuthorizationRequest> {
    Ok(AuthorizationRequest {
        client_id: row.client_id.clone(),
        response_uri,
        response_mode: row.response_mode.clone(),
        nonce: row.nonce.clone(),
        state: row.state.clone(),
        dcql_query: serde_json::from_str(&row.dcql_query).map_err(|e| Error::Internal(e.into()))?,
        client_name: input.message.clone(),
    })
}

fn view(ctx: &Ctx, row: PresentationSessionRow) -> Result<SessionView> {
    let input = stored_input(&row)?;
    let env = row.environment_id.clone();
    let request = authorization_request(&row, &input, response_uri(ctx, &env, &row.id))?;
    let by_value = row.client_id.starts_with("redirect_uri:");
    let links = SessionLinks {
        request_uri: request_uri(ctx, &env, &row.id),
        response_uri: response_uri(ctx, &env, &row.id),
        app_open: if by_value {
            request.link_by_value()
        } else {
            request.link_by_reference(&request_uri(ctx, &env, &row.id), false)
        },
        qr: format!("{}/{env}/qr?session={}", ctx.public_url, row.id),
    };
    let status = SessionStatus::parse(&row.status)
        .unwrap_or(SessionStatus::Initial)
        .at(time::now(), row.expires_at);
    let result = row
        .result
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| Error::Internal(e.into()))?;
    Ok(SessionView {
        row,
        status,
        input,
        links,
        result,
    })
}

fn record(
    conn: &mut AnyConnection,
    row: &PresentationSessionRow,
    event: &str,
    detail: Option<Value>,
) -> Result<()> {
    presentations::insert_event(
        conn,
        &PresentationEventRow {
            id: new_id(),
            environment_id: row.environment_id.clone(),
            session_id: row.id.clone(),
            event: event.to_string(),
            detail: detail.map(|d| d.to_string()),
            created_at: time::now(),
        },
    )?;
    Ok(())
}

/// The requested credential types, resolved in the session's environment and the
/// environments of its issuer filter.
fn resolve_types(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    env: &str,
    valid: &ValidSession,
) -> Result<Vec<RequestedType>> {
    let mut environments = vec![env.to_string()];
    for e in &valid.environment_filter {
        if !environments.contains(e) {
            environments.push(e.clone());
        }
    }
    let mut errors = Vec::new();
    let mut requested = Vec::new();
    for (i, (title, keys)) in valid.requested.iter().enumerate() {
        let mut r = RequestedType {
            keys: keys.clone(),
            ..RequestedType::default()
        };
        let mut fields: Vec<String> = Vec::new();
        for e in &environments {
            let Some(row) = credential_types::by_title(conn, e, title)? else {
                continue;
            };
            let def: crate::domain::credential_type::CredentialTypeDefinition =
                serde_json::from_str(&row.definition).map_err(|err| Error::Internal(err.into()))?;
            let formats = def.formats();
            if formats.iter().any(|f| f == Format::SdJwt.name()) {
                r.vct_values.push(vct(&ctx.public_url, e, &row.id));
            }
            let t = w3c_type(&def);
            if formats.iter().any(|f| f == Format::JwtVc.name()) && !r.w3c_types.contains(&t) {
                r.w3c_types.push(t);
            }
            fields.extend(def.fields().iter().map(|f| f.title().to_string()));
        }
        if r.vct_values.is_empty() && r.w3c_types.is_empty() {
            errors.push(FieldError::invalid(
                format!("requestedCredentials[{i}].type"),
                format!("no credential type titled {title:?} is issued here"),
            ));
            continue;
        }
        for (k, key) in keys.iter().enumerate() {
            if !fields.contains(key) {
                errors.push(FieldError::invalid(
                    format!("requestedCredentials[{i}].keys[{k}]"),
                    format!("{title:?} has no field {key:?}"),
                ));
            }
        }
        requested.push(r);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(requested)
}

/// Creates a session: validates the request, builds its DCQL query, nonce and state.
pub async fn create(ctx: &Ctx, env: &str, input: PresentationSessionInput) -> Result<SessionView> {
    let valid = input.validate().map_err(Error::Invalid)?;
    // The client identifier is the environment's DID (the key that signs the request
    // object), or the response URI for unsigned requests.
    let (_, did, _) = keyring::signing_identity(ctx, env, Format::JwtVc).await?;
    let (ctx2, env2) = (ctx.clone(), env.to_string());
    let row = ctx
        .store
        .write(move |conn| {
            crate::store::environments::get(conn, &env2)?
                .ok_or_else(|| Error::not_found("Environment"))?;
            let dcql_query = match &valid.dcql_query {
                Some(raw) => {
                    let parsed: oid4vp::dcql::dcql_query::DcqlQuery =
                        serde_json::from_value(raw.clone()).map_err(|e| {
                            Error::Invalid(vec![FieldError::invalid(
                                "dcqlQuery",
                                format!("not a DCQL query: {e}"),
                            )])
                        })?;
                    parsed.validate_all().map_err(|e| {
                        Error::Invalid(vec![FieldError::invalid(
                            "dcqlQuery",
                            format!("not a valid DCQL query: {e}"),
                        )])
                    })?;
                    raw.clone()
                }
                None => dcql::query(&resolve_types(&ctx2, conn, &env2, &valid)?, true),
            };
            let id = uuid::Uuid::new_v4().to_string();
            let client_id = match valid.client_id_prefix {
                "redirect_uri" => format!("redirect_uri:{}", response_uri(&ctx2, &env2, &id)),
                _ => format!("decentralized_identifier:{did}"),
            };
            let now = time::now();
            let row = PresentationSessionRow {
                id,
                environment_id: env2.clone(),
                protocol: valid.protocol.to_string(),
                status: SessionStatus::Initial.as_str().into(),
                request: serde_json::to_string(&input).map_err(anyhow::Error::from)?,
                dcql_query: dcql_query.to_string(),
                client_id,
                response_mode: valid.response_mode.to_string(),
                nonce: secrets::token(),
                state: secrets::token(),
                result: None,
                created_at: now,
                expires_at: now + Duration::seconds(ctx2.config.presentation_ttl_seconds),
                request_fetched_at: None,
                responded_at: None,
                updated_at: now,
            };
            presentations::insert(conn, &row)?;
            record(
                conn,
                &row,
                "SESSION_CREATED",
                Some(json!({"protocol": row.protocol, "clientId": row.client_id})),
            )?;
            Ok::<_, Error>(row)
        })
        .await?;
    view(ctx, row)
}

pub async fn get(ctx: &Ctx, env: &str, id: &str) -> Result<SessionView> {
    let (env, id) = (env.to_string(), id.to_string());
    let row = ctx
        .store
        .read(move |conn| {
            presentations::get(conn, &env, &id)?
                .ok_or_else(|| Error::not_found("Presentation session"))
        })
        .await?;
    view(ctx, row)
}

pub async fn delete(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| match presentations::delete(conn, &env, &id)? {
            0 => Err(Error::not_found("Presentation session")),
            _ => Ok(()),
        })
        .await
}

pub async fn events(
    ctx: &Ctx,
    env: &str,
    id: &str,
    page: PageRequest,
) -> Result<Page<PresentationEventRow>> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .read(move |conn| {
            presentations::get(conn, &env, &id)?
                .ok_or_else(|| Error::not_found("Presentation session"))?;
            let rows = presentations::events(conn, &id, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

/// The session `id` of `env` for a wallet: 404 when unknown; `invalid_request` when it
/// has ended.
async fn open_session(
    ctx: &Ctx,
    env: &str,
    id: &str,
) -> std::result::Result<SessionView, ProtocolError> {
    let session = get(ctx, env, id).await.map_err(|e| match e {
        Error::NotFound(_) => {
            ProtocolError::new(404, "invalid_request", "no such presentation request")
        }
        other => ProtocolError::from(other),
    })?;
    match session.status {
        SessionStatus::Expired => Err(ProtocolError::bad(
            "invalid_request",
            "the presentation request has expired",
        )),
        s if s.is_final() => Err(ProtocolError::bad(
            "invalid_request",
            "the presentation request was already answered",
        )),
        _ => Ok(session),
    }
}

/// The signed request object (`request_uri`, GET or POST with `wallet_nonce`); the
/// session moves to WAITING.
pub async fn request_object(
    ctx: &Ctx,
    env: &str,
    id: &str,
    wallet_nonce: Option<String>,
    method: &str,
) -> std::result::Result<String, ProtocolError> {
    let session = open_session(ctx, env, id).await?;
    if session.row.client_id.starts_with("redirect_uri:") {
        return Err(ProtocolError::bad(
            "invalid_request",
            "this request is passed by value in its link; there is no request object",
        ));
    }
    if wallet_nonce
        .as_ref()
        .is_some_and(|n| n.is_empty() || n.len() > 256)
    {
        return Err(ProtocolError::bad(
            "invalid_request",
            "wallet_nonce must be 1 to 256 characters",
        ));
    }
    let (key, did, kid) = keyring::signing_identity(ctx, env, Format::JwtVc).await?;
    let request = authorization_request(
        &session.row,
        &session.input,
        session.links.response_uri.clone(),
    )?;
    let now = chrono::Utc::now().timestamp();
    let claims = request.request_object_claims(
        &did,
        now,
        session.row.expires_at.and_utc().timestamp(),
        wallet_nonce.as_deref(),
    );
    let header = identity_kit::jose::JwsHeader::new(key.signer.alg())
        .with_typ("oauth-authz-req+jwt")
        .with_kid(&kid);
    let jwt = identity_kit::jose::encode_compact(
        &header,
        claims.to_string().as_bytes(),
        key.signer.as_ref(),
    )
    .await
    .map_err(|e| {
        ProtocolError::from(Error::Internal(anyhow::anyhow!(
            "signing the request object: {e}"
        )))
    })?;
    let (row, method, with_nonce) = (session.row, method.to_string(), wallet_nonce.is_some());
    ctx.store
        .write(move |conn| {
            presentations::mark_fetched(conn, &row.id, time::now())?;
            record(
                conn,
                &row,
                "REQUEST_FETCHED",
                Some(json!({"method": method, "walletNonce": with_nonce})),
            )
        })
        .await?;
    Ok(jwt)
}

/// The wallet's answer at the `response_uri`. Returns the body for the wallet.
pub async fn respond(
    ctx: &Ctx,
    env: &str,
    id: &str,
    form: &[(String, String)],
) -> std::result::Result<Value, ProtocolError> {
    let session = open_session(ctx, env, id).await?;
    let answer = response::parse(form).map_err(|why| ProtocolError::bad("invalid_request", why))?;
    let state = match &answer {
        WalletAnswer::Presentations { state, .. } | WalletAnswer::Error { state, .. } => {
            state.clone()
        }
    };
    // A wrong or missing state is somebody else's answer: refuse it, the session stays open.
    let state_ok = state.as_deref().is_some_and(|s| {
        subtle::ConstantTimeEq::ct_eq(s.as_bytes(), session.row.state.as_bytes()).into()
    });
    if !state_ok {
        return Err(ProtocolError::bad(
            "invalid_request",
            "state does not match the presentation request",
        ));
    }
    let (status, result, checks) = match answer {
        WalletAnswer::Error {
            error, description, ..
        } => {
            let message = format!(
                "the wallet answered {error}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            );
            let errors = vec![crate::domain::presentation::VerificationError::new(
                crate::domain::presentation::VerificationErrorCode::RequestedCredentialMissing,
                None,
                message,
            )];
            (
                SessionStatus::Failed,
                SessionResult {
                    credentials: Vec::new(),
                    errors,
                },
                json!([{"check": "wallet", "ok": false, "error": error}]),
            )
        }
        WalletAnswer::Presentations { vp_token, .. } => {
            let outcome = verify::verify(ctx, &session, vp_token).await;
            let status = if outcome.errors.is_empty() {
                SessionStatus::Successful
            } else {
                SessionStatus::Failed
            };
            (
                status,
                SessionResult {
                    credentials: outcome.credentials,
                    errors: outcome.errors,
                },
                json!(outcome.checks),
            )
        }
    };
    let row = session.row.clone();
    let result_json = serde_json::to_string(&result)
        .map_err(|e| ProtocolError::from(Error::Internal(e.into())))?;
    let answered = ctx
        .store
        .write(move |conn| {
            let answered =
                presentations::answer(conn, &row.id, status.as_str(), &result_json, time::now())?;
            if answered {
                record(
                    conn,
                    &row,
                    "RESPONSE_RECEIVED",
                    Some(json!({"checks": checks})),
                )?;
                record(
                    conn,
                    &row,
                    status.as_str(),
                    Some(json!({"errors": result.errors})),
                )?;
            }
            Ok::<_, Error>(answered)
        })
        .await?;
    if !answered {
        return Err(ProtocolError::bad(
            "invalid_request",
            "the presentation request was already answered or has expired",
        ));
    }
    Ok(match &session.input.redirect_uri {
        Some(uri) => json!({"redirect_uri": format!("{uri}#response_code={}", secrets::token())}),
        None => json!({}),
    })
}

/// Marks open sessions past their lifetime expired (the jobs runner calls this).
pub async fn expire(ctx: &Ctx) -> Result<usize> {
    ctx.store
        .write(|conn| presentations::expire(conn, time::now()).map_err(Error::from))
        .await
}
