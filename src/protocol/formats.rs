//! The two credential formats vouch issues, built with identity-kit's SD-JWT VC and
//! VCDM 1.1 JWT encoders (RFC 9901 disclosures and digests, JWS), never by hand.
//!
//! - `dc+sd-jwt`: `iss` (the issuer URL, whose `/.well-known/jwt-vc-issuer` names its
//!   keys), `vct`, `iat`, `exp`, `cnf.jwk` (the holder key), every credential field
//!   selectively disclosable, one to three decoy digests, `_sd_alg` sha-256.
//! - `jwt_vc_json`: a VCDM 1.1 JWT with the `vc` claim; `iss` is the environment's
//!   did:web (the header `kid` a DID URL of it), `sub` / `credentialSubject.id` the holder:
//!   its DID, or `urn:ietf:params:oauth:jwk-thumbprint:sha-256:<thumbprint>` for a bare key.

use chrono::{DateTime, Utc};
use identity_kit::jose::{Jwk, JwsHeader, Signer};
use identity_kit::sd_jwt_vc::SdJwtVcBuilder;
use identity_kit::vc::{Credential, Jwt, Subject};
use serde_json::{Map, Value};

/// What both formats need to issue one credential.
pub struct Issuance<'a> {
    /// The signing key.
    pub signer: &'a dyn Signer,
    /// For `dc+sd-jwt`: the issuer URL; for `jwt_vc_json`: the issuer DID.
    pub issuer: &'a str,
    /// Header `kid`: the key thumbprint (SD-JWT VC) or a DID URL (JWT VC).
    pub kid: &'a str,
    /// Field title → value.
    pub claims: &'a Map<String, Value>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The holder of a credential: the key its proof was made with and, when the proof named
/// a DID, that DID.
#[derive(Debug, Clone)]
pub struct Holder {
    pub jwk: Jwk,
    pub did: Option<String>,
}

impl Holder {
    /// The id that names the holder in a W3C credential.
    pub fn subject_id(&self) -> Result<String, String> {
        match &self.did {
            Some(did) => Ok(did.clone()),
            None => self
                .jwk
                .thumbprint_sha256()
                .map(|t| format!("urn:ietf:params:oauth:jwk-thumbprint:sha-256:{t}"))
                .map_err(|e| e.to_string()),
        }
    }
}

/// How many decoy digests to add: one to three, so the number of claims is not exact.
fn decoys() -> usize {
    let mut byte = [0u8; 1];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut byte);
    1 + (byte[0] % 3) as usize
}

pub async fn sd_jwt_vc(
    i: &Issuance<'_>,
    vct: &str,
    holder: &Holder,
    status: Option<Value>,
) -> Result<String, String> {
    let mut builder = SdJwtVcBuilder::new(vct)
        .with_issuer(i.issuer)
        .with_issued_at(i.issued_at)
        .with_holder_key(&holder.jwk.public())
        .with_kid(i.kid)
        .with_decoys(decoys());
    if let Some(exp) = i.expires_at {
        builder = builder.with_expires_at(exp);
    }
    if let Some(status) = status {
        builder = builder.with_claim("status", status);
    }
    for (name, value) in i.claims {
        builder = builder
            .with_claim(name.clone(), value.clone())
            .conceal([name.as_str()]);
    }
    builder
        .sign(i.signer)
        .await
        .map(|vc| vc.to_string())
        .map_err(|e| e.to_string())
}

pub async fn jwt_vc(
    i: &Issuance<'_>,
    types: &[String],
    holder: &Holder,
    credential_status: Option<Value>,
) -> Result<String, String> {
    let subject_id: identity_kit::did::Uri =
        holder.subject_id()?.parse().map_err(|e| format!("{e}"))?;
    let mut subject = Subject::new(subject_id);
    for (name, value) in i.claims {
        subject = subject.with_property(name.clone(), value.clone());
    }
    let issuer: identity_kit::did::Uri = i.issuer.parse().map_err(|e| format!("{e}"))?;
    let mut credential = Credential::new(issuer, i.issued_at, subject);
    // VCDM 1.1 §4.1: `@context` is an ordered set (a JSON array), even with one item.
    credential.context = identity_kit::did::Context::uris([Credential::CONTEXT]);
    for t in types.iter().filter(|t| *t != "VerifiableCredential") {
        credential = credential.with_type(t.clone());
    }
    if let Some(exp) = i.expires_at {
        credential = credential.with_expiration_date(exp);
    }
    if let Some(status) = credential_status {
        credential = credential.with_property("credentialStatus", status);
    }
    let mut claims = credential.to_jwt_claims().map_err(|e| e.to_string())?;
    claims.iat = Some(i.issued_at.timestamp());
    let header = JwsHeader::new(i.signer.alg())
        .with_typ("JWT")
        .with_kid(i.kid);
    Jwt::sign(&header, &claims, i.signer)
        .await
        .map(Jwt::into_string)
        .map_err(|e| e.to_string())
}
