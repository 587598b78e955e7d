//! The backend verification API, the issuing API's mirror: a template id (or a DCQL
//! query) in, an `openid4vp://` link, a QR code and a status URL out; the status answers
//! with the disclosed claims once the wallet has presented. Each request is an ordinary
//! presentation session under the caller's `correlation_id`, so the admin API, the
//! session trail and the expiry job see it like any other.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{check_request_uri_base, correlation_id, qr_data_uri, qr_size, template};
use crate::domain::presentation::{PresentationSessionInput, RequestedCredential, SessionStatus};
use crate::domain::validate::FieldError;
use crate::service::oid4vp::{self, SessionView, VerifiedCredential};
use crate::service::{Ctx, Error, Result};

/// Body of `POST /api/v2/credential/verify`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct VerifyRequest {
    /// Your id for this verification (1–128 of `A-Z a-z 0-9 . _ -`); generated when
    /// absent. Repeating a request with the same id and body returns the same link.
    pub correlation_id: Option<String>,
    /// The credential type to ask for: its id or its `cardType`. Either this or
    /// `dcql_query`.
    pub template_id: Option<String>,
    /// Field titles to ask for; absent, every field of the type is asked for.
    pub keys: Option<Vec<String>>,
    /// A DCQL query of your own instead of `template_id`.
    #[schema(value_type = Option<Object>)]
    pub dcql_query: Option<Value>,
    /// Shown to the user by the wallet.
    pub message: Option<String>,
    /// `direct_post` (default) or `direct_post.jwt`.
    pub response_mode: Option<String>,
    /// `decentralized_identifier` (default), `x509_san_dns`, `x509_hash` or `redirect_uri`.
    pub client_id_prefix: Option<String>,
    /// Where the wallet sends the user after a same-device flow, with a `response_code`
    /// to pass to `GET /api/v2/verify/{correlation_id}?response_code=…`.
    pub redirect_uri: Option<String>,
    /// A wallet's own https endpoint to put in front of `?client_id=…&request_uri=…`
    /// instead of `openid4vp://`.
    pub request_uri_base: Option<String>,
    /// Ask for a QR code of the link: `{"size": <pixels>}`.
    #[schema(value_type = Option<Object>)]
    pub qr_code: Option<Value>,
}

/// What `POST /api/v2/credential/verify` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyResponse {
    pub correlation_id: String,
    /// The authorization request link for the wallet (`openid4vp://…`).
    pub request_uri: String,
    /// `GET` it for the status and, once verified, the disclosed claims.
    pub status_uri: String,
    /// The presentation session behind it (`/v1/environments/{env}/presentationSessions/{id}`).
    pub session_id: String,
    /// `data:image/png;base64,…` of `request_uri`, when `qr_code` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_uri: Option<String>,
}

/// One verified credential in a status answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifiedClaims {
    pub format: String,
    pub issuer: String,
    pub types: Vec<String>,
    /// The disclosed claims.
    #[schema(value_type = Object)]
    pub claims: serde_json::Map<String, Value>,
}

/// What `GET /api/v2/verify/{correlation_id}` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyStatus {
    /// `verification_request_created` → `request_retrieved` → `verified`, or `failed`,
    /// `expired`.
    pub status: String,
    pub correlation_id: String,
    pub session_id: String,
    /// What the wallet presented, once `verified`.
    pub credentials: Vec<VerifiedClaims>,
    /// Why it `failed`: the session's errors (`code`, `target`, `message`).
    #[schema(value_type = Vec<Object>)]
    pub errors: Vec<crate::domain::presentation::VerificationError>,
}

struct Checked {
    correlation_id: String,
    template_id: Option<String>,
    request_uri_base: Option<String>,
    qr_size: Option<u32>,
}

fn check(input: &VerifyRequest) -> Result<Checked> {
    let mut errors = Vec::new();
    let correlation_id = correlation_id(input.correlation_id.clone(), &mut errors);
    let template_id = input
        .template_id
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    match (&template_id, &input.dcql_query) {
        (None, None) => errors.push(FieldError::required("template_id")),
        (Some(_), Some(_)) => errors.push(FieldError::invalid(
            "dcql_query",
            "give template_id or dcql_query, not both",
        )),
        _ => {}
    }
    if input.keys.is_some() && template_id.is_none() {
        errors.push(FieldError::invalid(
            "keys",
            "keys go with template_id; a DCQL query names its own claims",
        ));
    }
    check_request_uri_base(input.request_uri_base.as_deref(), &mut errors);
    let qr_size = qr_size(input.qr_code.as_ref(), &mut errors);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Checked {
        correlation_id,
        template_id,
        request_uri_base: input.request_uri_base.clone(),
        qr_size,
    })
}

/// The presentation session a verify request stands for. With keys the session is
/// NATIVE (they are its selective disclosure); without, OPENID4VP (the whole card).
fn session_input(input: &VerifyRequest, title: Option<String>) -> PresentationSessionInput {
    let protocol = match (&title, &input.keys) {
        (Some(_), Some(_)) => "NATIVE",
        _ => "OPENID4VP",
    };
    PresentationSessionInput {
        protocol: Some(protocol.into()),
        message: input.message.clone(),
        requested_credentials: title.map(|t| {
            vec![RequestedCredential {
                credential_type: Some(t),
                keys: input.keys.clone(),
            }]
        }),
        dcql_query: input.dcql_query.clone(),
        client_id_prefix: input.client_id_prefix.clone(),
        response_mode: input.response_mode.clone(),
        redirect_uri: input.redirect_uri.clone(),
        ..PresentationSessionInput::default()
    }
}

/// Field errors of the session, renamed to this API's field names.
fn renamed(error: Error) -> Error {
    match error {
        Error::Invalid(details) => Error::Invalid(
            details
                .into_iter()
                .map(|mut d| {
                    d.target = d
                        .target
                        .replace("requestedCredentials[0].keys", "keys")
                        .replace("requestedCredentials[0].type", "template_id")
                        .replace("dcqlQuery", "dcql_query")
                        .replace("clientIdPrefix", "client_id_prefix")
                        .replace("responseMode", "response_mode")
                        .replace("redirectUri", "redirect_uri");
                    d
                })
                .collect(),
        ),
        other => other,
    }
}

fn link(view: &SessionView, base: Option<&str>) -> String {
    match (base, view.links.app_open.split_once('?')) {
        (Some(base), Some((_, query))) => format!("{}?{query}", base.trim_end_matches('?')),
        _ => view.links.app_open.clone(),
    }
}

fn status_uri(ctx: &Ctx, correlation_id: &str) -> String {
    format!("{}/api/v2/verify/{correlation_id}", ctx.public_url)
}

/// Starts (or repeats) a verification. Returns the answer and whether it is new.
pub async fn verify(ctx: &Ctx, env: &str, input: VerifyRequest) -> Result<(VerifyResponse, bool)> {
    let checked = check(&input)?;
    let (env_id, template_id) = (env.to_string(), checked.template_id.clone());
    let title = ctx
        .store
        .read(move |conn| {
            let Some(template_id) = template_id else {
                return Ok(None);
            };
            let (_, def) = template(conn, &env_id, &template_id)?;
            Ok::<_, Error>(Some(def.title().to_string()))
        })
        .await?;
    let session = session_input(&input, title);
    let answer = |view: &SessionView| -> Result<VerifyResponse> {
        let request_uri = link(view, checked.request_uri_base.as_deref());
        Ok(VerifyResponse {
            correlation_id: checked.correlation_id.clone(),
            qr_uri: checked
                .qr_size
                .map(|size| qr_data_uri(&request_uri, size))
                .transpose()?,
            request_uri,
            status_uri: status_uri(ctx, &checked.correlation_id),
            session_id: view.row.id.clone(),
        })
    };
    match oid4vp::by_correlation(ctx, env, &checked.correlation_id).await {
        Ok(existing) => {
            let same = serde_json::to_value(&session).ok()
                == serde_json::from_str::<Value>(&existing.row.request).ok();
            if !same {
                return Err(Error::not_unique(
                    "correlation_id",
                    "this correlation_id was used for a different request",
                ));
            }
            return Ok((answer(&existing)?, false));
        }
        Err(Error::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    let view = oid4vp::create_with(ctx, env, session, Some(checked.correlation_id.clone()))
        .await
        .map_err(renamed)?;
    Ok((answer(&view)?, true))
}

fn claims_of(c: &VerifiedCredential) -> VerifiedClaims {
    VerifiedClaims {
        format: c.format.clone(),
        issuer: c.issuer.clone(),
        types: c.types.clone(),
        claims: c.claims.clone(),
    }
}

/// The status of a verification. `response_code`, when given, must be the one the
/// wallet's redirect carried (same-device flows).
pub async fn status(
    ctx: &Ctx,
    env: &str,
    correlation_id: &str,
    response_code: Option<&str>,
) -> Result<VerifyStatus> {
    let view = oid4vp::by_correlation(ctx, env, correlation_id).await?;
    oid4vp::require_response_code(&view, response_code, "response_code")?;
    let result = view.result.clone().unwrap_or_default();
    let status = match view.status {
        SessionStatus::Initial => "verification_request_created",
        SessionStatus::Waiting => "request_retrieved",
        SessionStatus::Successful => "verified",
        SessionStatus::Failed => "failed",
        SessionStatus::Expired => "expired",
    };
    let verified = view.status == SessionStatus::Successful;
    Ok(VerifyStatus {
        status: status.into(),
        correlation_id: correlation_id.to_string(),
        session_id: view.row.id.clone(),
        credentials: if verified {
            result.credentials.iter().map(claims_of).collect()
        } else {
            Vec::new()
        },
        errors: result.errors,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn keys_make_a_native_session_and_none_the_whole_card() {
        let with = VerifyRequest {
            template_id: Some("t".into()),
            keys: Some(vec!["A".into()]),
            ..VerifyRequest::default()
        };
        let s = session_input(&with, Some("Card".into()));
        assert_eq!(s.protocol.as_deref(), Some("NATIVE"));
        let s = session_input(&VerifyRequest { keys: None, ..with }, Some("Card".into()));
        assert_eq!(s.protocol.as_deref(), Some("OPENID4VP"));
        assert_eq!(
            serde_json::to_value(&s).unwrap()["requestedCredentials"],
            json!([{"type": "Card"}])
        );
    }

    #[test]
    fn template_or_query_but_one_of_them() {
        let err = |r: VerifyRequest| match check(&r) {
            Err(Error::Invalid(d)) => d.into_iter().map(|d| d.target).collect::<Vec<_>>(),
            _ => panic!("accepted"),
        };
        assert_eq!(err(VerifyRequest::default()), ["template_id"]);
        assert_eq!(
            err(VerifyRequest {
                template_id: Some("t".into()),
                dcql_query: Some(json!({})),
                ..VerifyRequest::default()
            }),
            ["dcql_query"]
        );
        assert_eq!(
            err(VerifyRequest {
                dcql_query: Some(json!({})),
                keys: Some(vec![]),
                request_uri_base: Some("http://w".into()),
                ..VerifyRequest::default()
            }),
            ["keys", "request_uri_base"]
        );
    }
}
