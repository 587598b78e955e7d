//! Verifying a wallet's `vp_token` against its session, check by check, each failure
//! with the seed's error code and a reason:
//!
//! 1. the presentations (oid4vp's `VpTokenValidator` over identity-kit): structure
//!    against the DCQL query, issuer signatures, disclosures against their digests, the
//!    holder's key binding (`nonce`, `aud` = our client_id, `sd_hash`, `iat`), validity
//!    dates and status lists — holder-side failures are `INVALID_TOKEN`, credential-side
//!    ones `INVALID_CREDENTIAL`, missing credentials `REQUESTED_CREDENTIAL_MISSING`;
//! 2. the issuer filter (`INVALID_CREDENTIAL`);
//! 3. the requested fields (`REQUESTED_FIELD_MISSING`, one error per field).
//!
//! The validator is given the query without its `claims`, so step 1 judges what was
//! presented and step 3 can name each missing field.

use std::sync::Arc;

use identity_kit::resolver::KeyResolver;
use identity_kit::sd_jwt_vc::{SdJwt, SdJwtValidationError};
use identity_kit::vc::validation::ValidationError;
use oid4vp::VpToken;
use oid4vp::dcql::dcql_query::DcqlQuery;
use oid4vp::token::vp_token_validator::{VpTokenValidationError, VpTokenValidator};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::SessionView;
use super::trust::{VerifierStatusCheck, key_resolver};
use crate::domain::presentation::{VerificationError, VerificationErrorCode as Code};
use crate::keys::Verifier;
use crate::protocol::did::environment_did_web;
use crate::protocol::oid4vci::metadata::IssuerEndpoints;
use crate::protocol::oid4vp::dcql;
use crate::service::Ctx;

/// A credential that passed, as the session's `credentialData` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCredential {
    /// The DCQL credential query it answered.
    pub query_id: String,
    pub format: String,
    /// `iss`: an issuer URL (SD-JWT VC) or DID (JWT VC).
    pub issuer: String,
    /// The environment of this server that issued it, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_id: Option<String>,
    pub types: Vec<String>,
    /// The disclosed claims.
    pub claims: Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
}

pub struct Outcome {
    pub credentials: Vec<VerifiedCredential>,
    pub errors: Vec<VerificationError>,
    /// Each check and its result, for the session trail.
    pub checks: Vec<Value>,
}

/// Registered JWT / SD-JWT VC claims, not credential data.
const RESERVED: [&str; 13] = [
    "iss",
    "sub",
    "iat",
    "nbf",
    "exp",
    "jti",
    "vct",
    "vct#integrity",
    "cnf",
    "status",
    "_sd",
    "_sd_alg",
    "aud",
];

fn failed(errors: Vec<VerificationError>, checks: Vec<Value>) -> Outcome {
    Outcome {
        credentials: Vec::new(),
        errors,
        checks,
    }
}

pub async fn verify(ctx: &Ctx, session: &SessionView, vp_token: Value) -> Outcome {
    let mut checks = Vec::new();
    let unexpected = |what: String| vec![VerificationError::new(Code::UnexpectedError, None, what)];
    let parsed = serde_json::from_value::<VpToken>(vp_token.clone());
    let Ok(token) = parsed else {
        checks.push(json!({"check": "vp_token", "ok": false}));
        return failed(
            vec![VerificationError::new(
                Code::InvalidToken,
                Some("vp_token"),
                "vp_token is not a map of credential query ids to presentations",
            )],
            checks,
        );
    };
    let full: Value = match serde_json::from_str(&session.row.dcql_query) {
        Ok(q) => q,
        Err(e) => return failed(unexpected(format!("stored DCQL query: {e}")), checks),
    };
    let structural: DcqlQuery = match serde_json::from_value(dcql::without_claims(&full)) {
        Ok(q) => q,
        Err(e) => return failed(unexpected(format!("stored DCQL query: {e}")), checks),
    };
    let (keys, status) = match trust(ctx) {
        Ok(t) => t,
        Err(e) => return failed(unexpected(e.to_string()), checks),
    };
    let validator = VpTokenValidator::with_verifier(keys.clone(), Verifier, status.clone());
    let client_id = session.row.client_id.as_str();
    let nonce = session.row.nonce.as_str();
    let decoded = match validator
        .validate_vp_token(&structural, &token, client_id, nonce)
        .await
    {
        Ok(decoded) => decoded,
        Err(e) => {
            let error = classify(&validator, &token, e).await;
            checks.push(json!({"check": "presentations", "ok": false, "code": error.code, "reason": error.message}));
            return failed(vec![error], checks);
        }
    };
    checks.push(json!({"check": "presentations", "ok": true}));
    // The validator checks nonce and audience; freshness is ours to judge.
    if let Some(error) = stale_presentation(&token) {
        checks.push(json!({"check": "freshness", "ok": false, "reason": error.message}));
        return failed(vec![error], checks);
    }
    checks.push(json!({"check": "freshness", "ok": true}));

    let mut credentials = Vec::new();
    for (query_id, presentations) in decoded.decoded_presentations() {
        let format = structural
            .credentials
            .iter()
            .find(|q| q.id == *query_id)
            .map(|q| {
                serde_json::to_value(&q.format)
                    .ok()
                    .and_then(|f| f.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .unwrap_or_default();
        for credential in presentations.iter() {
            credentials.push(describe(ctx, query_id.to_string(), &format, credential));
        }
    }
    credentials.sort_by(|a, b| a.query_id.cmp(&b.query_id));

    let mut errors = Vec::new();
    let type_errors = wrong_types(&full, &credentials);
    checks.push(json!({"check": "credentialTypes", "ok": type_errors.is_empty()}));
    if !type_errors.is_empty() {
        return failed(type_errors, checks);
    }
    let filter_errors = issuer_filter(session, &credentials);
    checks.push(json!({"check": "issuerFilter", "ok": filter_errors.is_empty()}));
    errors.extend(filter_errors);

    let missing = missing_fields(&full, &credentials);
    checks.push(json!({"check": "requestedFields", "ok": missing.is_empty()}));
    errors.extend(missing);

    Outcome {
        credentials,
        errors,
        checks,
    }
}

/// The verifier's key resolver and status check, built once per server.
fn trust(ctx: &Ctx) -> anyhow::Result<(Arc<dyn KeyResolver>, Arc<VerifierStatusCheck>)> {
    if let Some(t) = ctx.verifier_trust.get() {
        return Ok(t.clone());
    }
    let keys = key_resolver(ctx)?;
    let status = Arc::new(VerifierStatusCheck::new(ctx, keys.clone())?);
    Ok(ctx.verifier_trust.get_or_init(|| (keys, status)).clone())
}

fn describe(
    ctx: &Ctx,
    query_id: String,
    format: &str,
    credential: &Map<String, Value>,
) -> VerifiedCredential {
    let (issuer, types, claims, issued_at) = if credential.contains_key("vct") {
        let claims = credential
            .iter()
            .filter(|(k, _)| !RESERVED.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        (
            credential["iss"].as_str().unwrap_or_default().to_string(),
            vec![credential["vct"].as_str().unwrap_or_default().to_string()],
            claims,
            credential
                .get("iat")
                .and_then(Value::as_i64)
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        )
    } else {
        let issuer = match &credential["issuer"] {
            Value::String(s) => s.clone(),
            other => other["id"].as_str().unwrap_or_default().to_string(),
        };
        let mut claims = credential["credentialSubject"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        claims.remove("id");
        let types = credential["type"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let issued_at = credential
            .get("issuanceDate")
            .or_else(|| credential.get("validFrom"))
            .and_then(Value::as_str)
            .map(str::to_string);
        (issuer, types, claims, issued_at)
    };
    let environment_id = own_environment(ctx, &issuer);
    VerifiedCredential {
        query_id,
        format: format.to_string(),
        issuer,
        environment_id,
        types,
        claims,
        issued_at,
    }
}

/// The environment of this server that `issuer` (an issuer URL or DID) is, if any.
fn own_environment(ctx: &Ctx, issuer: &str) -> Option<String> {
    let env = issuer
        .strip_prefix(&*ctx.public_url)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_string)
        .or_else(|| issuer.rsplit(':').next().map(str::to_string))?;
    let is_own = IssuerEndpoints::new(&ctx.public_url, &env).issuer == issuer
        || environment_did_web(&ctx.public_url, &env).is_ok_and(|did| did.to_string() == issuer);
    (is_own && uuid::Uuid::parse_str(&env).is_ok()).then_some(env)
}

fn issuer_filter(
    session: &SessionView,
    credentials: &[VerifiedCredential],
) -> Vec<VerificationError> {
    let filter = session.input.issuer_filter.clone().unwrap_or_default();
    let environments = filter.environment_ids.unwrap_or_default();
    let dids = if session.row.protocol == "OPENID4VP" {
        filter.dids.unwrap_or_default()
    } else {
        Vec::new()
    };
    if environments.is_empty() && dids.is_empty() {
        return Vec::new();
    }
    credentials
        .iter()
        .filter(|c| {
            let by_env = c
                .environment_id
                .as_ref()
                .is_some_and(|e| environments.contains(e));
            let by_did = dids.contains(&c.issuer);
            !(by_env || by_did)
        })
        .map(|c| {
            VerificationError::new(
                Code::InvalidCredential,
                Some(&c.query_id),
                format!(
                    "the issuer {} is not one the session accepts (issuerFilter)",
                    c.issuer
                ),
            )
        })
        .collect()
}

/// A DCQL claim path as it reads in a verified credential's claims: JWT VC claims were
/// read out of `credentialSubject` already.
fn within_claims(path: &[Value]) -> &[Value] {
    match path.first().and_then(Value::as_str) {
        Some("credentialSubject") => &path[1..],
        _ => path,
    }
}

/// The value at a DCQL claim `path` in a verified credential's claims.
fn claim_at<'a>(claims: &'a serde_json::Map<String, Value>, path: &[Value]) -> Option<&'a Value> {
    let (first, rest) = within_claims(path).split_first()?;
    let mut value = claims.get(first.as_str()?)?;
    for step in rest {
        value = match step {
            Value::String(name) => value.get(name)?,
            Value::Number(n) => value.get(n.as_u64()? as usize)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The credential query `id` of a DCQL query.
fn credential_query<'a>(query: &'a Value, id: &str) -> Option<&'a Value> {
    query["credentials"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["id"] == id))
}

/// Claims the DCQL query asks for (by path) that an answering credential lacks. With
/// `claim_sets`, the credential is complete when it satisfies any one set; when it
/// satisfies none, what the last (the least demanding) set misses is reported.
fn missing_fields(query: &Value, credentials: &[VerifiedCredential]) -> Vec<VerificationError> {
    let mut errors = Vec::new();
    for credential in credentials {
        let Some(q) = credential_query(query, &credential.query_id) else {
            continue;
        };
        // The claims (id, path) the credential lacks.
        let missing: Vec<(&Value, &[Value])> = q["claims"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| Some((&c["id"], c["path"].as_array()?.as_slice())))
            .filter(|(_, path)| claim_at(&credential.claims, path).is_none())
            .collect();
        let reported: Vec<&[Value]> = match q["claim_sets"].as_array() {
            Some(sets) if !sets.is_empty() => {
                let misses = |set: &Value| -> Vec<&[Value]> {
                    let ids = set.as_array().map(Vec::as_slice).unwrap_or_default();
                    missing
                        .iter()
                        .filter(|(id, _)| ids.contains(id))
                        .map(|(_, path)| *path)
                        .collect()
                };
                if sets.iter().any(|set| misses(set).is_empty()) {
                    Vec::new()
                } else {
                    misses(sets.last().expect("not empty"))
                }
            }
            _ => missing.iter().map(|(_, path)| *path).collect(),
        };
        for path in reported {
            let name = within_claims(path)
                .iter()
                .map(|p| {
                    p.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| p.to_string())
                })
                .collect::<Vec<_>>()
                .join(".");
            errors.push(VerificationError::new(
                Code::RequestedFieldMissing,
                Some(&name),
                format!("the presented credential does not disclose {name}"),
            ));
        }
    }
    errors
}

/// How old a key binding JWT or presentation JWT may be, and how far ahead of our clock.
const MAX_AGE_SECONDS: i64 = 300;
const CLOCK_SKEW_SECONDS: i64 = 60;

/// A presentation (SD-JWT key binding JWT, or presentation JWT) issued too long ago or in
/// the future.
fn stale_presentation(token: &VpToken) -> Option<VerificationError> {
    use base64::Engine as _;
    let now = chrono::Utc::now().timestamp();
    for (query_id, presentations) in token.presentations() {
        for p in presentations.iter() {
            let text = p.as_str()?;
            // The last `~`-separated part of an SD-JWT+KB is the key binding JWT.
            let jwt = text.rsplit('~').next().unwrap_or(text);
            let payload = jwt.split('.').nth(1)?;
            let claims: Value = serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(payload)
                    .ok()?,
            )
            .ok()?;
            let Some(iat) = claims["iat"].as_i64() else {
                return Some(VerificationError::new(
                    Code::InvalidToken,
                    Some(query_id.as_ref()),
                    "the presentation has no iat",
                ));
            };
            if iat < now - MAX_AGE_SECONDS || iat > now + CLOCK_SKEW_SECONDS {
                return Some(VerificationError::new(
                    Code::InvalidToken,
                    Some(query_id.as_ref()),
                    format!(
                        "the presentation was made at {iat}, {} s from now; it must be made within the last {MAX_AGE_SECONDS} s",
                        iat - now
                    ),
                ));
            }
        }
    }
    None
}

/// Credentials whose type is not one their credential query asks for (`vct_values`,
/// `type_values`).
fn wrong_types(query: &Value, credentials: &[VerifiedCredential]) -> Vec<VerificationError> {
    let mut errors = Vec::new();
    for credential in credentials {
        let Some(q) = credential_query(query, &credential.query_id) else {
            continue;
        };
        let meta = &q["meta"];
        let fits = if let Some(vcts) = meta["vct_values"].as_array() {
            vcts.iter().any(|v| credential.types.iter().any(|t| v == t))
        } else if let Some(options) = meta["type_values"].as_array() {
            options.iter().any(|option| {
                option.as_array().is_some_and(|wanted| {
                    wanted
                        .iter()
                        .all(|w| credential.types.iter().any(|t| w == t))
                })
            })
        } else {
            true
        };
        if !fits {
            errors.push(VerificationError::new(
                Code::RequestedCredentialMissing,
                Some(&credential.query_id),
                format!(
                    "a credential of type {} is not one the request asks for",
                    credential.types.join(" ")
                ),
            ));
        }
    }
    errors
}

fn holder_side(error: &ValidationError) -> bool {
    matches!(
        error,
        ValidationError::AudienceMismatch { .. }
            | ValidationError::NonceMismatch { .. }
            | ValidationError::HolderMismatch { .. }
            | ValidationError::SubjectHolderMismatch { .. }
    )
}

fn credential_error(error: &ValidationError) -> VerificationError {
    let message = match error {
        ValidationError::Status(status) => format!("the credential's status list says: {status}"),
        other => format!("the credential is not valid: {other}"),
    };
    VerificationError::new(Code::InvalidCredential, None, message)
}

/// The error code and reason of a failed validation.
async fn classify(
    validator: &VpTokenValidator<Arc<dyn KeyResolver>, Verifier>,
    token: &VpToken,
    error: VpTokenValidationError,
) -> VerificationError {
    use VpTokenValidationError as E;
    let token_error = |message: String| VerificationError::new(Code::InvalidToken, None, message);
    match error {
        E::PresentationSubmissionValidation(_)
        | E::CredentialQueryNotFound(_)
        | E::EmptyDecodedCredentials
        | E::DcqlEvaluationFailed
        | E::CredentialFormatMismatch
        | E::UnsupportedFormat => VerificationError::new(
            Code::RequestedCredentialMissing,
            None,
            format!("the presentation does not answer the request: {error}"),
        ),
        E::InvalidPresentationFormat
        | E::InvalidJwt(_)
        | E::SerializationError(_)
        | E::SdJwtParsingError(_) => {
            token_error(format!("the presentation cannot be read: {error}"))
        }
        E::PresentationValidation(p) => match (&p.presentation, p.credentials.values().next()) {
            (Some(e), _) => token_error(format!("the presentation is not valid: {e}")),
            (None, Some(e)) if holder_side(e) => {
                token_error(format!("the presentation is not valid: {e}"))
            }
            (None, Some(e)) => credential_error(e),
            (None, None) => token_error(format!("the presentation is not valid: {p}")),
        },
        E::CredentialValidation(e) => credential_error(&e),
        E::SdJwtValidation(e) => match e {
            SdJwtValidationError::KeyBindingRequired
            | SdJwtValidationError::NoHolderKey(_)
            | SdJwtValidationError::KeyBindingTooOld { .. }
            | SdJwtValidationError::SdHashMismatch { .. } => {
                token_error(format!("the key binding is not valid: {e}"))
            }
            SdJwtValidationError::Validation(ref v) if holder_side(v) => {
                token_error(format!("the key binding is not valid: {v}"))
            }
            SdJwtValidationError::Validation(ValidationError::Status(ref s)) => {
                VerificationError::new(
                    Code::InvalidCredential,
                    None,
                    format!("the credential's status list says: {s}"),
                )
            }
            SdJwtValidationError::Validation(ref v) => {
                // The issuer's JWT and the key binding JWT fail the same ways (signature,
                // dates); the credential checked alone tells which one it was.
                if sd_jwts_valid_without_binding(validator, token).await {
                    token_error(format!("the key binding is not valid: {v}"))
                } else {
                    credential_error(v)
                }
            }
            other => VerificationError::new(
                Code::InvalidCredential,
                None,
                format!("the credential is not valid: {other}"),
            ),
        },
        other => VerificationError::new(Code::UnexpectedError, None, other.to_string()),
    }
}

/// Whether every SD-JWT presentation of `token` is a valid credential when its key
/// binding is not required.
async fn sd_jwts_valid_without_binding(
    validator: &VpTokenValidator<Arc<dyn KeyResolver>, Verifier>,
    token: &VpToken,
) -> bool {
    for presentations in token.presentations().values() {
        for p in presentations.iter() {
            let Some(text) = p.as_str() else { return false };
            let Ok(sd_jwt) = SdJwt::parse(text) else {
                continue;
            };
            if validator
                .validate_sd_jwt_vc(&sd_jwt, "", "", false)
                .await
                .is_err()
            {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn credential(claims: Value) -> VerifiedCredential {
        VerifiedCredential {
            query_id: "c0_jwt_vc".into(),
            format: "jwt_vc_json".into(),
            issuer: "did:example:i".into(),
            environment_id: None,
            types: vec![],
            claims: claims.as_object().cloned().unwrap(),
            issued_at: None,
        }
    }

    fn targets(errors: &[VerificationError]) -> Vec<String> {
        errors
            .iter()
            .map(|e| e.target.clone().unwrap_or_default())
            .collect()
    }

    #[test]
    fn every_claim_is_needed_without_claim_sets() {
        let query = json!({"credentials": [{"id": "c0_jwt_vc", "claims": [
            {"path": ["credentialSubject", "A"]}, {"path": ["credentialSubject", "B", 0]}]}]});
        assert!(missing_fields(&query, &[credential(json!({"A": 1, "B": [2]}))]).is_empty());
        let errors = missing_fields(&query, &[credential(json!({"B": []}))]);
        assert_eq!(targets(&errors), ["A", "B.0"]);
    }

    #[test]
    fn any_claim_set_is_enough() {
        let query = json!({"credentials": [{"id": "c0_jwt_vc",
            "claims": [{"id": "k0", "path": ["credentialSubject", "A"]},
                       {"id": "k1", "path": ["credentialSubject", "B"]}],
            "claim_sets": [["k0", "k1"], ["k0"]]}]});
        assert!(missing_fields(&query, &[credential(json!({"A": 1}))]).is_empty());
        let errors = missing_fields(&query, &[credential(json!({"B": 1}))]);
        assert_eq!(
            targets(&errors),
            ["A"],
            "the least demanding set is reported"
        );
    }
}
