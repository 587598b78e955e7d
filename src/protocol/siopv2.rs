//! SIOPv2 (draft 13, and the Implementer's Draft the DIF JWT VC Presentation Profile
//! pins): the self-issued ID Token a legacy wallet sends next to its `vp_token`. This
//! module judges its claims; the service resolves the subject's key and checks the
//! signature with it.
//!
//! The subject is a DID (did:jwk, did:key, long-form did:ion, …), whose document holds the
//! signing key, or the JWK thumbprint of the `sub_jwk` claim (SIOPv2 §11).

use identity_kit::jose::Jwk;
use serde_json::Value;

/// The `iss` of an ID Token under the DIF JWT VC Presentation Profile.
pub const DIF_PROFILE_ISSUER: &str = "https://self-issued.me/v2/openid-vc";
/// The SIOPv2 self-issued issuer of earlier drafts.
pub const SELF_ISSUED_ISSUER: &str = "https://self-issued.me/v2";
/// The URN prefix of a JWK thumbprint subject (RFC 9278).
const THUMBPRINT_URN: &str = "urn:ietf:params:oauth:jwk-thumbprint:sha-256:";

/// Whose key must have signed the ID Token.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    Did(String),
    Jwk(Box<Jwk>),
}

/// What the ID Token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
    /// How old `iat` may be, in seconds.
    pub max_age: i64,
    /// How far ahead of our clock `iat` may be, and how long after `exp` it still counts.
    pub leeway: i64,
}

/// Checks the claims of an ID Token; `Err` says which is wrong.
pub fn check_claims(claims: &Value, expected: Expected<'_>) -> Result<Subject, String> {
    let text = |name: &str| -> Result<&str, String> {
        claims[name]
            .as_str()
            .ok_or_else(|| format!("the ID Token has no {name}"))
    };
    let iss = text("iss")?;
    let sub = text("sub")?;
    if iss != sub && iss != DIF_PROFILE_ISSUER && iss != SELF_ISSUED_ISSUER {
        return Err(format!(
            "the ID Token's iss {iss} is neither its sub nor {DIF_PROFILE_ISSUER}: it is not self-issued"
        ));
    }
    let aud_ok = match &claims["aud"] {
        Value::String(aud) => aud == expected.client_id,
        Value::Array(auds) => auds.iter().any(|a| a == expected.client_id),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "the ID Token's aud {} is not {}",
            claims["aud"], expected.client_id
        ));
    }
    let nonce_ok = claims["nonce"].as_str().is_some_and(|n| {
        subtle::ConstantTimeEq::ct_eq(n.as_bytes(), expected.nonce.as_bytes()).into()
    });
    if !nonce_ok {
        return Err("the ID Token's nonce is not the request's".into());
    }
    let Some(exp) = claims["exp"].as_i64() else {
        return Err("the ID Token has no exp".into());
    };
    if exp + expected.leeway <= expected.now {
        return Err(format!("the ID Token expired at {exp}"));
    }
    let Some(iat) = claims["iat"].as_i64() else {
        return Err("the ID Token has no iat".into());
    };
    if iat < expected.now - expected.max_age || iat > expected.now + expected.leeway {
        return Err(format!(
            "the ID Token was issued at {iat}, {} s from now; it must be issued within the last {} s",
            iat - expected.now,
            expected.max_age
        ));
    }
    if sub.starts_with("did:") {
        return Ok(Subject::Did(sub.to_string()));
    }
    let jwk: Jwk = serde_json::from_value(claims["sub_jwk"].clone())
        .map_err(|_| "the ID Token's sub is not a DID and it has no sub_jwk".to_string())?;
    if jwk.is_private() {
        return Err("the ID Token's sub_jwk holds a private key".into());
    }
    let thumbprint = jwk
        .thumbprint_sha256()
        .map_err(|e| format!("sub_jwk has no thumbprint: {e}"))?;
    if sub.strip_prefix(THUMBPRINT_URN).unwrap_or(sub) != thumbprint {
        return Err("the ID Token's sub is not the thumbprint of its sub_jwk".into());
    }
    Ok(Subject::Jwk(Box::new(jwk)))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn expected() -> Expected<'static> {
        Expected {
            client_id: "did:web:v.example:e",
            nonce: "n-1",
            now: NOW,
            max_age: 300,
            leeway: 60,
        }
    }

    fn claims() -> Value {
        json!({"iss": DIF_PROFILE_ISSUER, "sub": "did:jwk:abc", "aud": "did:web:v.example:e",
               "nonce": "n-1", "iat": NOW - 5, "exp": NOW + 300})
    }

    #[test]
    fn a_did_subject_is_returned_for_its_key() {
        assert_eq!(
            check_claims(&claims(), expected()).unwrap(),
            Subject::Did("did:jwk:abc".into())
        );
        let mut same = claims();
        same["iss"] = json!("did:jwk:abc");
        assert!(check_claims(&same, expected()).is_ok());
    }

    #[test]
    fn a_thumbprint_subject_must_be_its_sub_jwk() {
        let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"});
        let mut c = claims();
        // RFC 8037 Appendix A.3.
        c["sub"] = json!("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
        c["sub_jwk"] = jwk;
        assert!(matches!(
            check_claims(&c, expected()).unwrap(),
            Subject::Jwk(_)
        ));
        c["sub"] = json!("somebody-else");
        assert!(
            check_claims(&c, expected())
                .unwrap_err()
                .contains("thumbprint")
        );
    }

    #[test]
    fn each_wrong_claim_is_named() {
        let wrong = |name: &str, value: Value, says: &str| {
            let mut c = claims();
            c[name] = value;
            let err = check_claims(&c, expected()).unwrap_err();
            assert!(err.contains(says), "{name}: {err}");
        };
        wrong("iss", json!("https://op.example"), "self-issued");
        wrong("aud", json!("did:web:other"), "aud");
        wrong("nonce", json!("n-2"), "nonce");
        wrong("exp", json!(NOW - 120), "expired");
        wrong("iat", json!(NOW - 600), "issued at");
        wrong("iat", json!(NOW + 600), "issued at");
        wrong("sub", json!(null), "no sub");
    }
}
