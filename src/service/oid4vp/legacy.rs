//! Answers of ID1 sessions (the DIF JWT VC Presentation Profile's SIOPv2 + OpenID4VP ID1
//! with Presentation Exchange), kept apart from the 1.0 path: the self-issued ID Token is
//! checked (claims, then the signature with the subject's key: a DID's or `sub_jwk`),
//! the `presentation_submission` maps the presentations onto the session's DCQL ids, the
//! 1.0 verification runs on them, and the ID Token's subject must be their holder.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use identity_kit::jose::{CompactJws, Jwk};
use serde_json::{Value, json};

use super::verify::{self, Outcome};
use super::{Ctx, SessionView};
use crate::domain::presentation::{VerificationError, VerificationErrorCode as Code};
use crate::protocol::did::ion;
use crate::protocol::did::resolver::KeyUse;
use crate::protocol::oid4vp::presentation_exchange;
use crate::protocol::siopv2::{self, Subject};

/// How old an ID Token may be, and how far ahead of our clock.
const MAX_AGE_SECONDS: i64 = 300;
const LEEWAY_SECONDS: i64 = 60;

fn token_failure(mut checks: Vec<Value>, check: &str, message: String) -> Outcome {
    checks.push(json!({"check": check, "ok": false, "code": "INVALID_TOKEN", "reason": message}));
    Outcome {
        credentials: Vec::new(),
        errors: vec![VerificationError::new(
            Code::InvalidToken,
            Some(check),
            message,
        )],
        checks,
    }
}

/// The ID Token's subject and the key that signed it, or why not.
async fn id_token(
    ctx: &Ctx,
    session: &SessionView,
    token: &str,
) -> Result<(Value, Subject, Jwk), String> {
    let jws = CompactJws::decode(token).map_err(|e| format!("the ID Token is not a JWS: {e}"))?;
    let claims: Value = jws
        .claims()
        .map_err(|e| format!("the ID Token's claims are not JSON: {e}"))?;
    let subject = siopv2::check_claims(
        &claims,
        siopv2::Expected {
            client_id: &session.row.client_id,
            nonce: &session.row.nonce,
            now: chrono::Utc::now().timestamp(),
            max_age: MAX_AGE_SECONDS,
            leeway: LEEWAY_SECONDS,
        },
    )?;
    let key = match &subject {
        Subject::Did(did) => {
            let url = match jws.kid() {
                Some(kid) if kid.starts_with('#') => format!("{did}{kid}"),
                Some(kid) if kid.split('#').next() == Some(did.as_str()) => kid.to_string(),
                // A long-form did:ion wallet may name its key under its short form; the key
                // is still looked up in the (self-certifying) long-form document.
                Some(kid)
                    if kid
                        .split_once('#')
                        .is_some_and(|(short, _)| ion::is_short_form_of(short, did)) =>
                {
                    let (_, fragment) = kid.split_once('#').unwrap_or_default();
                    format!("{did}#{fragment}")
                }
                Some(kid) => {
                    return Err(format!(
                        "the ID Token's kid {kid} is not a key of its subject {did}"
                    ));
                }
                None => did.clone(),
            };
            ctx.resolver
                .resolve_key(&url, KeyUse::Holder)
                .await
                .map_err(|e| format!("the ID Token's subject key: {e}"))?
        }
        Subject::Jwk(jwk) => (**jwk).clone(),
    };
    jws.verify(&crate::keys::Verifier, &key)
        .map_err(|e| format!("the ID Token's signature does not verify: {e}"))?;
    Ok((claims, subject, key))
}

fn payload(jwt: &str) -> Option<Value> {
    let part = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}

/// Whether the holder of `presentation` (in query `query_id`) is the ID Token's subject.
fn held_by(query_id: &str, presentation: &str, subject: &Subject, key: &Jwk) -> bool {
    let thumbprint = |jwk: &Jwk| jwk.thumbprint_sha256().ok();
    if query_id.ends_with("_sd_jwt") {
        let issuer_jwt = presentation.split('~').next().unwrap_or_default();
        let cnf: Option<Jwk> =
            payload(issuer_jwt).and_then(|p| serde_json::from_value(p["cnf"]["jwk"].clone()).ok());
        return cnf
            .is_some_and(|cnf| thumbprint(&cnf).is_some() && thumbprint(&cnf) == thumbprint(key));
    }
    let Some(vp) = payload(presentation) else {
        return false;
    };
    let holder = vp["iss"].as_str().or_else(|| vp["vp"]["holder"].as_str());
    match subject {
        Subject::Did(did) => holder == Some(did.as_str()),
        Subject::Jwk(_) => false,
    }
}

pub async fn verify(
    ctx: &Ctx,
    session: &SessionView,
    vp_token: Value,
    submission: Option<Value>,
    id_token_text: Option<String>,
) -> Outcome {
    let mut checks = Vec::new();
    let Some(token) = id_token_text else {
        return token_failure(
            checks,
            "id_token",
            "an answer to an ID1 (SIOPv2) request carries an id_token".into(),
        );
    };
    let (claims, subject, key) = match id_token(ctx, session, &token).await {
        Ok(found) => found,
        Err(why) => return token_failure(checks, "id_token", why),
    };
    checks.push(json!({"check": "id_token", "ok": true}));
    // The DIF profile carries the submission inside the ID Token; later drafts beside it.
    let Some(submission) = submission.or_else(|| {
        claims["_vp_token"]["presentation_submission"]
            .as_object()
            .map(|o| Value::Object(o.clone()))
    }) else {
        return token_failure(
            checks,
            "presentation_submission",
            "the answer has no presentation_submission (as a parameter or in the ID Token's _vp_token)".into(),
        );
    };
    let definition: Value = session
        .row
        .presentation_definition
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let descriptors = definition["input_descriptors"]
        .as_array()
        .map_or(0, Vec::len);
    let keyed = match presentation_exchange::keyed_vp_token(
        definition["id"].as_str().unwrap_or_default(),
        descriptors,
        &submission,
        &vp_token,
    ) {
        Ok(keyed) => keyed,
        Err(why) => return token_failure(checks, "presentation_submission", why),
    };
    checks.push(json!({"check": "presentation_submission", "ok": true}));
    let mut outcome = verify::verify(ctx, session, keyed.clone()).await;
    let mut all = checks;
    all.append(&mut outcome.checks);
    outcome.checks = all;
    if !outcome.errors.is_empty() {
        return outcome;
    }
    for (query_id, presentations) in keyed.as_object().into_iter().flatten() {
        for p in presentations.as_array().into_iter().flatten() {
            if !held_by(query_id, p.as_str().unwrap_or_default(), &subject, &key) {
                let sub = claims["sub"].as_str().unwrap_or_default();
                return token_failure(
                    outcome.checks,
                    "holder",
                    format!(
                        "the ID Token's subject {sub} is not the holder of the presentation for {query_id}"
                    ),
                );
            }
        }
    }
    outcome.checks.push(json!({"check": "holder", "ok": true}));
    outcome
}
