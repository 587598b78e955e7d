//! The encrypted responses of `direct_post.jwt` (OpenID4VP 1.0 §8.3): a compact JWE
//! (RFC 7516) with ECDH-ES direct key agreement on P-256 (RFC 7518 §4.6) and A128GCM or
//! A256GCM content encryption, made by the wallet for the ephemeral key of one request.
//!
//! Written here over RustCrypto's P-256 and ring's AES-GCM rather than with josekit, which
//! would bring OpenSSL into the build for these hundred lines; the interop suite checks
//! it against the `jose` npm package's encryption.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use serde_json::{Value, json};

/// The content encryptions a request offers (`encrypted_response_enc_values_supported`);
/// HAIP asks for both.
pub const ENC_VALUES: [&str; 2] = ["A128GCM", "A256GCM"];
/// The key agreement of the request's encryption key.
pub const ALG: &str = "ECDH-ES";
/// The largest JWE accepted, in bytes.
pub const MAX_JWE: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JweError {
    #[error("the response is not a compact JWE: {0}")]
    Malformed(String),
    #[error("the JWE header is not acceptable: {0}")]
    Header(String),
    #[error("the JWE does not decrypt with this request's key")]
    Decrypt,
}

/// The ephemeral key pair of one request: its private half stays with the session.
pub struct EncryptionKey {
    secret: p256::SecretKey,
    kid: String,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str, what: &str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| JweError::Malformed(format!("{what} is not base64url")))
}

fn public_jwk(public: &p256::PublicKey) -> (String, String) {
    let point = public.to_encoded_point(false);
    (
        b64(point.x().expect("an uncompressed point has x")),
        b64(point.y().expect("an uncompressed point has y")),
    )
}

fn public_from_jwk(jwk: &Value) -> Result<p256::PublicKey, JweError> {
    if jwk["kty"] != "EC" || jwk["crv"] != "P-256" {
        return Err(JweError::Header("epk must be an EC P-256 key".into()));
    }
    let coordinate = |name: &str| -> Result<p256::FieldBytes, JweError> {
        let bytes = jwk[name]
            .as_str()
            .ok_or_else(|| JweError::Header(format!("epk has no {name}")))
            .and_then(|v| unb64(v, "an epk coordinate"))?;
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| JweError::Header(format!("epk {name} is not 32 bytes")))?;
        Ok(p256::FieldBytes::from(bytes))
    };
    let point =
        p256::EncodedPoint::from_affine_coordinates(&coordinate("x")?, &coordinate("y")?, false);
    Option::from(p256::PublicKey::from_encoded_point(&point))
        .ok_or_else(|| JweError::Header("epk is not a point on P-256".into()))
}

/// RFC 7518 §4.6.2: Concat KDF with SHA-256 over the shared secret, for a key of
/// `key_len` bytes (at most 32: one round).
fn concat_kdf(z: &[u8], enc: &str, apu: &[u8], apv: &[u8], key_len: usize) -> Vec<u8> {
    let mut input = Vec::with_capacity(4 + z.len() + 64);
    input.extend_from_slice(&1u32.to_be_bytes());
    input.extend_from_slice(z);
    for part in [enc.as_bytes(), apu, apv] {
        input.extend_from_slice(&(part.len() as u32).to_be_bytes());
        input.extend_from_slice(part);
    }
    input.extend_from_slice(&((key_len * 8) as u32).to_be_bytes());
    ring::digest::digest(&ring::digest::SHA256, &input).as_ref()[..key_len].to_vec()
}

fn cipher(enc: &str) -> Result<(&'static ring::aead::Algorithm, usize), JweError> {
    match enc {
        "A128GCM" => Ok((&AES_128_GCM, 16)),
        "A256GCM" => Ok((&AES_256_GCM, 32)),
        other => Err(JweError::Header(format!(
            "enc {other} is not offered (A128GCM, A256GCM are)"
        ))),
    }
}

fn aead_key(
    secret: &p256::SecretKey,
    epk: &p256::PublicKey,
    enc: &str,
    apu: &[u8],
    apv: &[u8],
) -> Result<LessSafeKey, JweError> {
    let (algorithm, len) = cipher(enc)?;
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), epk.as_affine());
    let key = concat_kdf(shared.raw_secret_bytes(), enc, apu, apv, len);
    Ok(LessSafeKey::new(
        UnboundKey::new(algorithm, &key).map_err(|_| JweError::Decrypt)?,
    ))
}

/// A random P-256 private key (ring's system random; a value out of range is drawn again).
fn random_secret() -> p256::SecretKey {
    use ring::rand::SecureRandom as _;
    let rng = ring::rand::SystemRandom::new();
    loop {
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes)
            .expect("the system random source works");
        if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
            return secret;
        }
    }
}

impl EncryptionKey {
    pub fn generate() -> Self {
        let secret = random_secret();
        let (x, _) = public_jwk(&secret.public_key());
        // A short kid is enough: it only has to tell this key from none other.
        Self {
            secret,
            kid: format!("enc-{}", &x[..16]),
        }
    }

    /// The private scalar, for storage (sealed by the caller).
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.secret.to_bytes().to_vec()
    }

    pub fn from_secret_bytes(bytes: &[u8]) -> Result<Self, JweError> {
        let secret =
            p256::SecretKey::from_slice(bytes).map_err(|_| JweError::Header("bad key".into()))?;
        let (x, _) = public_jwk(&secret.public_key());
        Ok(Self {
            secret,
            kid: format!("enc-{}", &x[..16]),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as `client_metadata.jwks` lists it.
    pub fn public_jwk(&self) -> Value {
        let (x, y) = public_jwk(&self.secret.public_key());
        json!({"kty": "EC", "crv": "P-256", "x": x, "y": y, "kid": self.kid, "use": "enc", "alg": ALG})
    }

    /// Decrypts `compact`; the header must name this key's agreement and, when it has a
    /// `kid`, this key.
    pub fn decrypt(&self, compact: &str) -> Result<Vec<u8>, JweError> {
        if compact.len() > MAX_JWE {
            return Err(JweError::Malformed(format!("larger than {MAX_JWE} bytes")));
        }
        let parts: Vec<&str> = compact.split('.').collect();
        let [header_b64, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
            return Err(JweError::Malformed("a compact JWE has five parts".into()));
        };
        let header: Value = serde_json::from_slice(&unb64(header_b64, "the header")?)
            .map_err(|_| JweError::Malformed("the header is not JSON".into()))?;
        if !header.is_object() {
            return Err(JweError::Malformed(
                "the header is not a JSON object".into(),
            ));
        }
        if header["alg"] != ALG {
            return Err(JweError::Header(format!(
                "alg {} is not {ALG}",
                header["alg"]
            )));
        }
        let enc = header["enc"]
            .as_str()
            .ok_or_else(|| JweError::Header("enc is missing".into()))?;
        for refused in ["zip", "crit"] {
            if header.get(refused).is_some() {
                return Err(JweError::Header(format!("{refused} is not supported")));
            }
        }
        if let Some(kid) = header.get("kid")
            && kid != self.kid.as_str()
        {
            return Err(JweError::Header(format!(
                "kid {kid} is not this request's key"
            )));
        }
        if !encrypted_key.is_empty() {
            return Err(JweError::Malformed(
                "ECDH-ES (direct agreement) has an empty encrypted key".into(),
            ));
        }
        let epk = public_from_jwk(&header["epk"])?;
        let party = |name: &str| -> Result<Vec<u8>, JweError> {
            match header.get(name).and_then(Value::as_str) {
                Some(v) => unb64(v, name),
                None => Ok(Vec::new()),
            }
        };
        let key = aead_key(&self.secret, &epk, enc, &party("apu")?, &party("apv")?)?;
        let iv: [u8; 12] = unb64(iv, "the iv")?
            .try_into()
            .map_err(|_| JweError::Malformed("the iv is not 96 bits".into()))?;
        let mut sealed = unb64(ciphertext, "the ciphertext")?;
        let tag = unb64(tag, "the tag")?;
        if tag.len() != 16 {
            return Err(JweError::Malformed("the tag is not 128 bits".into()));
        }
        sealed.extend_from_slice(&tag);
        let plaintext = key
            .open_in_place(
                Nonce::assume_unique_for_key(iv),
                Aad::from(header_b64.as_bytes()),
                &mut sealed,
            )
            .map_err(|_| JweError::Decrypt)?;
        Ok(plaintext.to_vec())
    }
}

/// Encrypts `plaintext` to `recipient` (a P-256 JWK with a `kid`) as a wallet does: a
/// fresh ephemeral key, ECDH-ES, `enc`. For vouch's own test wallet and benchmark.
pub fn encrypt(plaintext: &[u8], recipient: &Value, enc: &str) -> Result<String, JweError> {
    use ring::rand::SecureRandom as _;
    let public = public_from_jwk(recipient)?;
    let ephemeral = random_secret();
    let (x, y) = public_jwk(&ephemeral.public_key());
    let mut header =
        json!({"alg": ALG, "enc": enc, "epk": {"kty": "EC", "crv": "P-256", "x": x, "y": y}});
    if let Some(kid) = recipient.get("kid") {
        header["kid"] = kid.clone();
    }
    let header_b64 = b64(header.to_string().as_bytes());
    let (algorithm, len) = cipher(enc)?;
    let shared = p256::ecdh::diffie_hellman(ephemeral.to_nonzero_scalar(), public.as_affine());
    let key = LessSafeKey::new(
        UnboundKey::new(
            algorithm,
            &concat_kdf(shared.raw_secret_bytes(), enc, b"", b"", len),
        )
        .map_err(|_| JweError::Decrypt)?,
    );
    let mut iv = [0u8; 12];
    ring::rand::SystemRandom::new()
        .fill(&mut iv)
        .map_err(|_| JweError::Decrypt)?;
    let mut data = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header_b64.as_bytes()),
            &mut data,
        )
        .map_err(|_| JweError::Decrypt)?;
    Ok(format!(
        "{header_b64}..{}.{}.{}",
        b64(&iv),
        b64(&data),
        b64(tag.as_ref())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_round_trips_with_both_encryptions() {
        let key = EncryptionKey::generate();
        for enc in ENC_VALUES {
            let jwe = encrypt(br#"{"vp_token":{}}"#, &key.public_jwk(), enc).unwrap();
            assert_eq!(key.decrypt(&jwe).unwrap(), br#"{"vp_token":{}}"#);
        }
        let stored = EncryptionKey::from_secret_bytes(&key.secret_bytes()).unwrap();
        assert_eq!(stored.public_jwk(), key.public_jwk());
    }

    /// RFC 7518 Appendix C: the ECDH-ES key agreement example (A128GCM, apu "Alice",
    /// apv "Bob") derives `VqqN6vgjbSBcIijNcacQGg`.
    #[test]
    fn concat_kdf_matches_rfc_7518_appendix_c() {
        let bob_d = unb64("VEmDZpDXXK8p8N0Cndsxs924q6nS1RXFASRl6BfUqdw", "d").unwrap();
        let bob = p256::SecretKey::from_slice(&bob_d).unwrap();
        let alice_epk = json!({"kty": "EC", "crv": "P-256",
            "x": "gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0",
            "y": "SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps"});
        let epk = public_from_jwk(&alice_epk).unwrap();
        let shared = p256::ecdh::diffie_hellman(bob.to_nonzero_scalar(), epk.as_affine());
        let derived = concat_kdf(shared.raw_secret_bytes(), "A128GCM", b"Alice", b"Bob", 16);
        assert_eq!(b64(&derived), "VqqN6vgjbSBcIijNcacQGg");
    }

    #[test]
    fn tampering_and_wrong_keys_are_refused() {
        let key = EncryptionKey::generate();
        let jwe = encrypt(b"secret", &key.public_jwk(), "A256GCM").unwrap();
        let other = EncryptionKey::generate();
        // Another key's kid is refused before decrypting; without a kid it fails to open.
        assert!(matches!(other.decrypt(&jwe), Err(JweError::Header(_))));
        let mut no_kid = key.public_jwk();
        no_kid.as_object_mut().unwrap().remove("kid");
        let anonymous = encrypt(b"secret", &no_kid, "A256GCM").unwrap();
        assert_eq!(other.decrypt(&anonymous), Err(JweError::Decrypt));
        let mut parts: Vec<String> = jwe.split('.').map(str::to_string).collect();
        let mut ciphertext = unb64(&parts[3], "c").unwrap();
        ciphertext[0] ^= 1;
        parts[3] = b64(&ciphertext);
        assert_eq!(key.decrypt(&parts.join(".")), Err(JweError::Decrypt));
        assert!(matches!(
            encrypt(b"x", &key.public_jwk(), "A192GCM"),
            Err(JweError::Header(_))
        ));
        assert!(matches!(key.decrypt("a.b.c"), Err(JweError::Malformed(_))));
        let header = b64(br#"{"alg":"RSA-OAEP","enc":"A128GCM"}"#);
        assert!(matches!(
            key.decrypt(&format!("{header}..AAAA.AAAA.AAAA")),
            Err(JweError::Header(_))
        ));
    }
}
