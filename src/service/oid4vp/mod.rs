//! The OpenID4VP verifier: presentation sessions (PingOne's credential verifications),
//! the request object a wallet fetches, and the answer it posts.
//!
//! A session is created by an admin (or the backend verify API) with the credential types
//! it asks for; vouch turns them into a DCQL query (or, for ID1 sessions, a Presentation
//! Exchange definition), a nonce and a state, and names itself by one of four client
//! identifier prefixes. The wallet opens the `openid4vp://` link, fetches the signed
//! request object (INITIAL → WAITING), and posts its answer to the `response_uri`, in the
//! clear or encrypted to the session's own key. The answer is verified (`verify`,
//! `legacy`) and recorded by a conditional write that only an open session within its
//! lifetime accepts, so a second answer, or one after the session expired, is refused
//! (`domain::presentation::SessionStatus::next` is the state machine; the store's
//! conditional updates are its enforcement).

pub mod certificate;
mod legacy;
pub mod session;
pub mod trust;
mod verify;
mod wallet;

use serde_json::Value;

use super::{Ctx, Error, Result};
use crate::domain::presentation::{PresentationSessionInput, SessionStatus, VerificationError};
use crate::domain::time;
use crate::protocol::oid4vp::jwe::EncryptionKey;
use crate::protocol::oid4vp::request::{AuthorizationRequest, Query};
use crate::store::rows::PresentationSessionRow;

pub use session::{by_correlation, create_with};
pub use session::{create, delete, events, expire, get};
pub use verify::VerifiedCredential;
pub use wallet::{RequestObject, request_object, require_response_code, respond};

/// A session as the management API shows it.
#[derive(Debug, Clone)]
pub struct SessionView {
    pub row: PresentationSessionRow,
    pub status: SessionStatus,
    pub input: PresentationSessionInput,
    pub links: SessionLinks,
    pub result: Option<SessionResult>,
}

impl SessionView {
    /// An ID1 session (Presentation Exchange and a SIOPv2 ID Token).
    pub fn is_id1(&self) -> bool {
        self.row.presentation_definition.is_some()
    }
}

/// What the verification found (stored as the session's `result`).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct SessionResult {
    pub credentials: Vec<VerifiedCredential>,
    pub errors: Vec<VerificationError>,
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

fn internal(e: impl Into<anyhow::Error>) -> Error {
    Error::Internal(e.into())
}

fn stored_input(row: &PresentationSessionRow) -> Result<PresentationSessionInput> {
    serde_json::from_str(&row.request).map_err(internal)
}

/// The session's ephemeral direct_post.jwt key, opened.
fn encryption_key(ctx: &Ctx, row: &PresentationSessionRow) -> Result<Option<EncryptionKey>> {
    let Some(sealed) = &row.encryption_key else {
        return Ok(None);
    };
    let secret = ctx.master.open(row.id.as_bytes(), sealed)?;
    EncryptionKey::from_secret_bytes(&secret)
        .map(Some)
        .map_err(internal)
}

fn authorization_request(
    ctx: &Ctx,
    row: &PresentationSessionRow,
    input: &PresentationSessionInput,
) -> Result<AuthorizationRequest> {
    let query = match &row.presentation_definition {
        Some(definition) => {
            Query::PresentationDefinition(serde_json::from_str(definition).map_err(internal)?)
        }
        None => Query::Dcql(serde_json::from_str(&row.dcql_query).map_err(internal)?),
    };
    Ok(AuthorizationRequest {
        client_id: row.client_id.clone(),
        response_uri: response_uri(ctx, &row.environment_id, &row.id),
        response_mode: row.response_mode.clone(),
        nonce: row.nonce.clone(),
        state: row.state.clone(),
        query,
        client_name: input.message.clone(),
        encryption_jwk: encryption_key(ctx, row)?.map(|k| k.public_jwk()),
    })
}

fn view(ctx: &Ctx, row: PresentationSessionRow) -> Result<SessionView> {
    let input = stored_input(&row)?;
    let env = row.environment_id.clone();
    let request = authorization_request(ctx, &row, &input)?;
    let by_value = row.client_id.starts_with("redirect_uri:");
    let post = input.request_uri_method.as_deref() == Some("post");
    let links = SessionLinks {
        request_uri: request_uri(ctx, &env, &row.id),
        response_uri: request.response_uri.clone(),
        app_open: if by_value {
            request.link_by_value()
        } else {
            request.link_by_reference(&request_uri(ctx, &env, &row.id), post)
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
        .map_err(internal)?;
    Ok(SessionView {
        row,
        status,
        input,
        links,
        result,
    })
}

/// Records one step of a session's trail.
fn record(
    conn: &mut crate::store::AnyConnection,
    row: &PresentationSessionRow,
    event: &str,
    detail: Option<Value>,
) -> Result<()> {
    crate::store::presentations::insert_event(
        conn,
        &crate::store::rows::PresentationEventRow {
            id: super::new_id(),
            environment_id: row.environment_id.clone(),
            session_id: row.id.clone(),
            event: event.to_string(),
            detail: detail.map(|d| d.to_string()),
            created_at: time::now(),
        },
    )?;
    Ok(())
}
