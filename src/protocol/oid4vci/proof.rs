//! Key proofs (OpenID4VCI 1.0 §8.2.1, appendix F.1): everything about an
//! `openid4vci-proof+jwt` that can be checked without I/O. The caller resolves a `kid`
//! (a DID URL), verifies the signature with the key, and checks the nonce.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use identity_kit::jose::{CompactJws, Jwk, JwsAlgorithm, KeyType};
use serde_json::Value;

pub const PROOF_TYP: &str = "openid4vci-proof+jwt";
/// Algorithms a proof may use: asymmetric only, never `none` or a MAC.
pub const ALLOWED_ALGORITHMS: &[JwsAlgorithm] = &[
    JwsAlgorithm::ES256,
    JwsAlgorithm::EdDSA,
    JwsAlgorithm::ES256K,
];
/// A proof older than this (by `iat`) is stale.
pub const MAX_AGE_SECONDS: i64 = 300;
/// Tolerated clock difference for an `iat` in the future.
pub const CLOCK_SKEW_SECONDS: i64 = 60;
/// Longest proof looked at.
pub const MAX_PROOF_LEN: usize = 16 * 1024;

/// Where the holder key of a proof is.
#[derive(Debug, Clone, PartialEq)]
pub enum ProofKey {
    /// `jwk` header (or the leaf of `x5c`): the key itself.
    Jwk(Box<Jwk>),
    /// `kid` header: a DID URL to resolve.
    DidUrl(String),
}

/// A proof whose header and claims passed; its signature is still to be checked.
#[derive(Debug, Clone)]
pub struct InspectedProof {
    pub jws: CompactJws,
    pub key: ProofKey,
    pub nonce: Option<String>,
}

/// Why a proof is refused; the text goes to the wallet developer as `error_description`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProofError(pub String);

fn fail<T>(message: impl Into<String>) -> Result<T, ProofError> {
    Err(ProofError(message.into()))
}

/// Checks the header and the claims of a proof for `audience` (the credential issuer
/// identifier) at `now` (seconds since the epoch).
pub fn inspect(token: &str, audience: &str, now: i64) -> Result<InspectedProof, ProofError> {
    if token.len() > MAX_PROOF_LEN {
        return fail(format!("the proof is longer than {MAX_PROOF_LEN} bytes"));
    }
    let jws = CompactJws::decode(token)
        .map_err(|e| ProofError(format!("the proof is not a compact JWS: {e}")))?;
    let header = jws.header();
    if header.typ.as_deref() != Some(PROOF_TYP) {
        return fail(format!(
            "the proof header must have typ \"{PROOF_TYP}\", not {:?}",
            header.typ.as_deref().unwrap_or("(none)")
        ));
    }
    if !ALLOWED_ALGORITHMS.contains(&jws.alg()) {
        return fail(format!(
            "proof alg {} is not accepted; use ES256, EdDSA or ES256K",
            jws.alg()
        ));
    }
    let x5c = header.additional.get("x5c");
    let given = [header.kid.is_some(), header.jwk.is_some(), x5c.is_some()];
    if given.iter().filter(|g| **g).count() != 1 {
        return fail("the proof header must name its key with exactly one of kid, jwk or x5c");
    }
    let key = if let Some(jwk) = &header.jwk {
        if jwk.is_private() {
            return fail("the proof's jwk header holds a private key; send only the public key");
        }
        ProofKey::Jwk(Box::new(jwk.clone()))
    } else if let Some(kid) = &header.kid {
        if !kid.starts_with("did:") {
            return fail("a proof kid must be a DID URL (did:key, did:jwk or did:web)");
        }
        ProofKey::DidUrl(kid.clone())
    } else {
        ProofKey::Jwk(Box::new(leaf_key(x5c.expect("checked"), jws.alg())?))
    };
    let claims: Value = jws
        .claims()
        .map_err(|_| ProofError("the proof payload is not a JSON object".into()))?;
    let aud_ok = match &claims["aud"] {
        Value::String(aud) => aud == audience,
        Value::Array(auds) => auds.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return fail(format!(
            "the proof aud must be the credential issuer {audience}"
        ));
    }
    let Some(iat) = claims["iat"].as_i64() else {
        return fail("the proof has no numeric iat");
    };
    if iat > now + CLOCK_SKEW_SECONDS {
        return fail("the proof iat is in the future");
    }
    if iat < now - MAX_AGE_SECONDS {
        return fail(format!(
            "the proof was made more than {MAX_AGE_SECONDS} s ago (iat); make a fresh one"
        ));
    }
    if claims
        .get("exp")
        .and_then(Value::as_i64)
        .is_some_and(|exp| exp <= now)
    {
        return fail("the proof has expired (exp)");
    }
    let nonce = match claims.get("nonce") {
        None | Some(Value::Null) => None,
        Some(Value::String(n)) => Some(n.clone()),
        Some(_) => return fail("the proof nonce must be a string"),
    };
    Ok(InspectedProof { jws, key, nonce })
}

/// The public key of the leaf certificate of an `x5c` header.
fn leaf_key(x5c: &Value, alg: JwsAlgorithm) -> Result<Jwk, ProofError> {
    let leaf = x5c
        .as_array()
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .ok_or_else(|| ProofError("x5c must be an array of base64 certificates".into()))?;
    let der = STANDARD
        .decode(leaf)
        .map_err(|_| ProofError("the x5c leaf certificate is not base64".into()))?;
    let spki = spki_of_certificate(&der)
        .ok_or_else(|| ProofError("the x5c leaf is not an X.509 certificate".into()))?;
    let hint = match alg {
        JwsAlgorithm::ES256 => KeyType::P256,
        JwsAlgorithm::ES256K => KeyType::Secp256k1,
        _ => KeyType::Ed25519,
    };
    Jwk::from_spki_der(hint, spki)
        .map_err(|e| ProofError(format!("the x5c leaf key does not fit alg {alg}: {e}")))
}

/// One DER element: (tag, whole encoding, content, rest).
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 3 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *input.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    if end > input.len() {
        return None;
    }
    Some((tag, &input[..end], &input[header..end], &input[end..]))
}

/// The SubjectPublicKeyInfo of a DER certificate (RFC 5280 §4.1): the seventh element of
/// the TBSCertificate when it has a version, the sixth otherwise.
///
/// Hand-written because this is the only X.509 parsing vouch needs; it reads structure
/// only and trusts nothing in it — the key is then checked against the proof signature.
pub fn spki_of_certificate(der: &[u8]) -> Option<&[u8]> {
    let (0x30, _, certificate, _) = tlv(der)? else {
        return None;
    };
    let (0x30, _, tbs, _) = tlv(certificate)? else {
        return None;
    };
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.3;
    }
    // serialNumber, signature, issuer, validity, subject
    for expected in [0x02, 0x30, 0x30, 0x30, 0x30] {
        let (tag, _, _, next) = tlv(rest)?;
        if tag != expected {
            return None;
        }
        rest = next;
    }
    let (0x30, whole, _, _) = tlv(rest)? else {
        return None;
    };
    Some(whole)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token(header: Value, claims: Value) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode([0u8; 64])
        )
    }

    fn jwk() -> Value {
        serde_json::json!({"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})
    }

    fn check(header: Value, claims: Value) -> Result<InspectedProof, ProofError> {
        inspect(&token(header, claims), "https://v.example/e", 1_000_000)
    }

    fn ok_claims() -> Value {
        serde_json::json!({"aud": "https://v.example/e", "iat": 1_000_000, "nonce": "n"})
    }

    #[test]
    fn a_well_formed_proof_passes() {
        let p = check(
            serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "jwk": jwk()}),
            ok_claims(),
        )
        .unwrap();
        assert_eq!(p.nonce.as_deref(), Some("n"));
        assert!(matches!(p.key, ProofKey::Jwk(_)));
    }

    #[test]
    fn every_header_rule() {
        let cases = [
            (
                serde_json::json!({"alg": "ES256", "typ": "JWT", "jwk": jwk()}),
                "typ",
            ),
            (serde_json::json!({"alg": "ES256", "jwk": jwk()}), "typ"),
            (
                serde_json::json!({"alg": "none", "typ": PROOF_TYP, "jwk": jwk()}),
                "compact JWS",
            ),
            (
                serde_json::json!({"alg": "HS256", "typ": PROOF_TYP, "jwk": jwk()}),
                "compact JWS",
            ),
            (
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP}),
                "exactly one",
            ),
            (
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "jwk": jwk(), "kid": "did:key:z"}),
                "exactly one",
            ),
            (
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "kid": "key-1"}),
                "DID URL",
            ),
            (
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "x5c": ["!!"]}),
                "base64",
            ),
            (
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "x5c": ["AAAA"]}),
                "X.509",
            ),
        ];
        for (header, expected) in cases {
            let err = check(header.clone(), ok_claims()).unwrap_err();
            assert!(err.0.contains(expected), "{header}: {err}");
        }
        let mut private = jwk();
        private["d"] = serde_json::json!("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI");
        assert!(
            check(
                serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "jwk": private}),
                ok_claims()
            )
            .unwrap_err()
            .0
            .contains("private")
        );
    }

    #[test]
    fn every_claim_rule() {
        let header = serde_json::json!({"alg": "ES256", "typ": PROOF_TYP, "jwk": jwk()});
        let cases = [
            (
                serde_json::json!({"aud": "https://other.example", "iat": 1_000_000}),
                "aud",
            ),
            (serde_json::json!({"iat": 1_000_000}), "aud"),
            (serde_json::json!({"aud": "https://v.example/e"}), "iat"),
            (
                serde_json::json!({"aud": "https://v.example/e", "iat": 1_000_000 + 120}),
                "future",
            ),
            (
                serde_json::json!({"aud": "https://v.example/e", "iat": 1_000_000 - 301}),
                "ago",
            ),
            (
                serde_json::json!({"aud": "https://v.example/e", "iat": 1_000_000, "exp": 1_000_000}),
                "expired",
            ),
            (
                serde_json::json!({"aud": "https://v.example/e", "iat": 1_000_000, "nonce": 5}),
                "nonce",
            ),
        ];
        for (claims, expected) in cases {
            let err = check(header.clone(), claims.clone()).unwrap_err();
            assert!(err.0.contains(expected), "{claims}: {err}");
        }
        let array_aud = serde_json::json!({"aud": ["x", "https://v.example/e"], "iat": 1_000_000});
        assert!(check(header, array_aud).is_ok());
    }

    #[test]
    fn spki_is_found_in_a_certificate() {
        // A minimal certificate skeleton: version, serial, sigAlg, issuer, validity, subject, SPKI.
        let spki = [0x30, 0x03, 0x02, 0x01, 0x07];
        let mut tbs = vec![0xa0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x01, 0x01];
        for _ in 0..4 {
            tbs.extend_from_slice(&[0x30, 0x00]);
        }
        tbs.extend_from_slice(&spki);
        let mut cert_body = vec![0x30, tbs.len() as u8];
        cert_body.extend_from_slice(&tbs);
        let mut cert = vec![0x30, cert_body.len() as u8];
        cert.extend_from_slice(&cert_body);
        assert_eq!(spki_of_certificate(&cert), Some(&spki[..]));
        assert_eq!(spki_of_certificate(&cert[..cert.len() - 1]), None);
    }
}
