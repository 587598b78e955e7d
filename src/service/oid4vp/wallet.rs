//! The two endpoints a wallet talks to: the request object at the `request_uri`, and the
//! answer at the `response_uri`.

use serde_json::{Value, json};

use super::{
    Ctx, Error, SessionResult, SessionView, authorization_request, certificate, encryption_key,
    get, legacy, record, verify,
};
use crate::domain::presentation::{
    SessionEvent, SessionStatus, VerificationError, VerificationErrorCode,
};
use crate::domain::time;
use crate::protocol::oid4vci::configurations::Format;
use crate::protocol::oid4vp::request::{Query, REQUEST_OBJECT_TYPE};
use crate::protocol::oid4vp::response::{self, Posted, WalletAnswer};
use crate::service::keyring;
use crate::service::oid4vci::{ProtocolError, secrets};
use crate::store::presentations;

/// The media type of an ID1 (DIF JWT VC Presentation Profile) request object.
const DRAFT_REQUEST_OBJECT_TYPE: &str = "application/jwt";

/// A signed request object and its media type.
pub struct RequestObject {
    pub jwt: String,
    pub media_type: &'static str,
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

fn server(what: &str, e: impl std::fmt::Display) -> ProtocolError {
    ProtocolError::from(Error::Internal(anyhow::anyhow!("{what}: {e}")))
}

/// The signed request object (`request_uri`, GET or POST with `wallet_nonce`); the
/// session moves to WAITING.
pub async fn request_object(
    ctx: &Ctx,
    env: &str,
    id: &str,
    wallet_nonce: Option<String>,
    method: &str,
) -> std::result::Result<RequestObject, ProtocolError> {
    let session = open_session(ctx, env, id).await?;
    let client_id = session.row.client_id.clone();
    if client_id.starts_with("redirect_uri:") {
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
    let request = authorization_request(ctx, &session.row, &session.input)?;
    let now = chrono::Utc::now().timestamp();
    let exp = session.row.expires_at.and_utc().timestamp();
    let media_type = match request.query {
        Query::Dcql(_) => REQUEST_OBJECT_TYPE,
        Query::PresentationDefinition(_) => DRAFT_REQUEST_OBJECT_TYPE,
    };
    let typ = "oauth-authz-req+jwt";
    let jwt = if let Some(value) = client_id
        .strip_prefix("x509_san_dns:")
        .or_else(|| client_id.strip_prefix("x509_hash:"))
    {
        let certificate = certificate::client_certificate(ctx).await?;
        // The session was made under the certificate of its day: refuse to sign with
        // another, whose names the wallet would not find the client id in.
        let still = if client_id.starts_with("x509_hash:") {
            certificate.chain.x509_hash() == value
        } else {
            certificate
                .chain
                .dns_names()
                .is_ok_and(|n| n.iter().any(|n| n == value))
        };
        if !still {
            return Err(ProtocolError::new(
                500,
                "server_error",
                "the verifier certificate changed since this presentation request was made; \
                 start a new one",
            ));
        }
        let claims = request.request_object_claims(&client_id, now, exp, wallet_nonce.as_deref());
        let mut header =
            identity_kit::jose::JwsHeader::new(certificate.signer().alg()).with_typ(typ);
        header
            .additional
            .insert("x5c".into(), json!(certificate.chain.x5c()));
        identity_kit::jose::encode_compact(
            &header,
            claims.to_string().as_bytes(),
            certificate.signer(),
        )
        .await
        .map_err(|e| server("signing the request object", e))?
    } else {
        let (key, did, kid) = keyring::signing_identity(ctx, env, Format::JwtVc).await?;
        let claims = request.request_object_claims(&did, now, exp, wallet_nonce.as_deref());
        let header = identity_kit::jose::JwsHeader::new(key.signer.alg())
            .with_typ(typ)
            .with_kid(&kid);
        identity_kit::jose::encode_compact(
            &header,
            claims.to_string().as_bytes(),
            key.signer.as_ref(),
        )
        .await
        .map_err(|e| server("signing the request object", e))?
    };
    let (row, method, with_nonce) = (session.row, method.to_string(), wallet_nonce.is_some());
    ctx.store
        .write(move |conn| {
            debug_assert_eq!(
                SessionStatus::parse(&row.status)
                    .and_then(|s| s.next(SessionEvent::RequestFetched)),
                Some(SessionStatus::Waiting)
            );
            presentations::mark_fetched(conn, &row.id, time::now())?;
            record(
                conn,
                &row,
                "REQUEST_FETCHED",
                Some(json!({"method": method, "walletNonce": with_nonce})),
            )
        })
        .await?;
    Ok(RequestObject { jwt, media_type })
}

/// The answer's parameters: decrypted when the wallet encrypted them.
fn parameters(
    ctx: &Ctx,
    session: &SessionView,
    form: &[(String, String)],
) -> std::result::Result<serde_json::Map<String, Value>, ProtocolError> {
    let bad = |why: String| ProtocolError::bad("invalid_request", why);
    match response::posted(form).map_err(bad)? {
        Posted::Encrypted(jwe) => {
            let Some(key) = encryption_key(ctx, &session.row)? else {
                return Err(bad(
                    "this request asked for a direct_post answer; response (a JWE) is not expected"
                        .into(),
                ));
            };
            let plaintext = key.decrypt(&jwe).map_err(|e| bad(e.to_string()))?;
            response::decrypted(&plaintext).map_err(bad)
        }
        Posted::Plain(params) => {
            // An error carries nothing to protect; a presentation must come encrypted.
            if session.row.response_mode == "direct_post.jwt" && !params.contains_key("error") {
                return Err(bad(
                    "this request asked for an encrypted answer (direct_post.jwt): post \
                     response=<JWE> encrypted to the key in client_metadata.jwks"
                        .into(),
                ));
            }
            Ok(params)
        }
    }
}

/// The wallet's answer at the `response_uri`. Returns the body for the wallet: `{}` (or
/// a `redirect_uri` for same-device flows) once recorded; a presentation that failed
/// verification is recorded and answered with 400, so the wallet can tell its user.
pub async fn respond(
    ctx: &Ctx,
    env: &str,
    id: &str,
    form: &[(String, String)],
) -> std::result::Result<Value, ProtocolError> {
    let session = open_session(ctx, env, id).await?;
    let params = parameters(ctx, &session, form)?;
    let answer = response::parse(&params, session.is_id1())
        .map_err(|why| ProtocolError::bad("invalid_request", why))?;
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
    // A wallet's error answer is a well-formed message: it is taken (200), only the
    // session fails. A presentation that does not verify is refused with a 400.
    let wallet_error = matches!(answer, WalletAnswer::Error { .. });
    let (result, checks) = match answer {
        WalletAnswer::Error {
            error, description, ..
        } => {
            let message = format!(
                "the wallet answered {error}{}",
                description.map(|d| format!(": {d}")).unwrap_or_default()
            );
            (
                SessionResult {
                    credentials: Vec::new(),
                    errors: vec![VerificationError::new(
                        VerificationErrorCode::RequestedCredentialMissing,
                        None,
                        message,
                    )],
                },
                json!([{"check": "wallet", "ok": false, "error": error}]),
            )
        }
        WalletAnswer::Presentations {
            vp_token,
            presentation_submission,
            id_token,
            ..
        } => {
            let outcome = if session.is_id1() {
                legacy::verify(ctx, &session, vp_token, presentation_submission, id_token).await
            } else {
                verify::verify(ctx, &session, vp_token).await
            };
            (
                SessionResult {
                    credentials: outcome.credentials,
                    errors: outcome.errors,
                },
                json!(outcome.checks),
            )
        }
    };
    let verified = result.errors.is_empty();
    let status = SessionStatus::Waiting
        .next(SessionEvent::Answered { verified })
        .expect("an open session takes an answer");
    let response_code = session
        .input
        .redirect_uri
        .as_ref()
        .map(|_| secrets::token());
    let code_hash = response_code.as_deref().map(secrets::sha256_hex);
    let row = session.row.clone();
    let result_json = serde_json::to_string(&result).map_err(|e| server("the result", e))?;
    let first_error = result.errors.first().cloned();
    let answered = ctx
        .store
        .write(move |conn| {
            let answered = presentations::answer(
                conn,
                &row.id,
                status.as_str(),
                &result_json,
                code_hash.as_deref(),
                time::now(),
            )?;
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
    if let (Some(uri), Some(code)) = (&session.input.redirect_uri, response_code) {
        let separator = if uri.contains('#') { '&' } else { '#' };
        return Ok(json!({"redirect_uri": format!("{uri}{separator}response_code={code}")}));
    }
    match first_error.filter(|_| !wallet_error) {
        None => Ok(json!({})),
        Some(error) => Err(ProtocolError::bad(
            "invalid_request",
            format!(
                "the presentation did not verify: {} {}",
                error.code, error.message
            ),
        )),
    }
}

/// A reader's `code` (named `target` in its request), when given, must be the
/// response_code handed back with this session's same-device answer: a frontend that
/// forwards it proves the user came back from this very presentation.
pub fn require_response_code(
    session: &SessionView,
    code: Option<&str>,
    target: &str,
) -> crate::service::Result<()> {
    let Some(code) = code else {
        return Ok(());
    };
    let matches = session.row.response_code_hash.as_deref().is_some_and(|h| {
        subtle::ConstantTimeEq::ct_eq(h.as_bytes(), secrets::sha256_hex(code).as_bytes()).into()
    });
    if matches {
        return Ok(());
    }
    Err(crate::service::Error::BadRequest {
        message: format!("{target} does not match the code this session returned to the wallet"),
        details: vec![crate::domain::validate::FieldError::invalid(
            target,
            "not the response code of this session",
        )],
    })
}
