//! The JWS verifier vouch uses: ES256 through `ring`, everything else through
//! identity-kit's RustCrypto `DefaultVerifier`.
//!
//! Why not `DefaultVerifier` for ES256 too: every admin request and every credential
//! request checks an ES256 signature, and RustCrypto's P-256 verification cost about three
//! times ring's — an eighth of the server's CPU in `vouch bench issue`. ring is already in
//! the tree (rustls, our signers). The semantics match `DefaultVerifier`: the key's own
//! `alg`, `use` and `key_ops` are checked first, the signature is the raw 64-byte `r || s`,
//! and both `s` and `n - s` verify (RFC 7518 asks for no canonical form). EdDSA stays with
//! `DefaultVerifier`, whose strict check refuses small-order keys that ring accepts.

use identity_kit::jose::{DefaultVerifier, Jwk, JwsAlgorithm, JwsVerifier, VerificationError};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

#[derive(Debug, Clone, Copy, Default)]
pub struct Verifier;

fn check_key_restrictions(alg: JwsAlgorithm, key: &Jwk) -> Result<(), VerificationError> {
    if let Some(key_alg) = key.alg().filter(|key_alg| *key_alg != alg.as_str()) {
        return Err(VerificationError::AlgorithmMismatch {
            alg,
            key_alg: key_alg.to_owned(),
        });
    }
    if key.key_use().is_some_and(|key_use| key_use != "sig") {
        return Err(VerificationError::KeyUse("`use` is not `sig`"));
    }
    if key
        .key_ops()
        .is_some_and(|ops| !ops.iter().any(|op| op == "verify"))
    {
        return Err(VerificationError::KeyUse("`key_ops` lacks `verify`"));
    }
    Ok(())
}

impl JwsVerifier for Verifier {
    fn verify(
        &self,
        alg: JwsAlgorithm,
        signing_input: &[u8],
        signature: &[u8],
        key: &Jwk,
    ) -> Result<(), VerificationError> {
        if alg != JwsAlgorithm::ES256 {
            return DefaultVerifier.verify(alg, signing_input, signature, key);
        }
        check_key_restrictions(alg, key)?;
        if signature.len() != 64 {
            return Err(VerificationError::InvalidSignatureLength {
                expected: 64,
                actual: signature.len(),
            });
        }
        // SEC1 uncompressed point; ring checks that it lies on the curve.
        let point = key.p256_public_bytes()?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(signing_input, signature)
            .map_err(|_| VerificationError::InvalidSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KeyProvider, MasterKey, SoftwareKeyProvider};
    use identity_kit::jose::{CompactJws, JwsHeader, encode_compact};
    use std::sync::Arc;

    fn signed(alg: JwsAlgorithm) -> (CompactJws, Jwk) {
        let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
        let key = provider.generate(alg).unwrap();
        let signer = provider
            .open(&key.kid, key.alg, &key.public_jwk, &key.handle)
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let token = runtime
            .block_on(encode_compact(
                &JwsHeader::new(alg),
                br#"{"sub":"x"}"#,
                signer.as_ref(),
            ))
            .unwrap();
        (CompactJws::decode(&token).unwrap(), key.public_jwk.public())
    }

    fn check(jws: &CompactJws, key: &Jwk) -> Result<(), VerificationError> {
        Verifier.verify(jws.alg(), jws.signing_input(), jws.signature(), key)
    }

    #[test]
    fn es256_agrees_with_the_default_verifier() {
        let (jws, key) = signed(JwsAlgorithm::ES256);
        check(&jws, &key).unwrap();
        DefaultVerifier
            .verify(jws.alg(), jws.signing_input(), jws.signature(), &key)
            .unwrap();

        let mut tampered = jws.signing_input().to_vec();
        tampered.push(b'x');
        for verifier in [&Verifier as &dyn JwsVerifier, &DefaultVerifier] {
            assert!(matches!(
                verifier.verify(JwsAlgorithm::ES256, &tampered, jws.signature(), &key),
                Err(VerificationError::InvalidSignature)
            ));
        }
        let (_, other_key) = signed(JwsAlgorithm::ES256);
        assert!(matches!(
            check(&jws, &other_key),
            Err(VerificationError::InvalidSignature)
        ));
    }

    #[test]
    fn es256_accepts_the_high_s_twin_like_the_default_verifier() {
        // n - s: RFC 7518 does not make either form canonical.
        const N: [u8; 32] = [
            0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
            0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2,
            0xfc, 0x63, 0x25, 0x51,
        ];
        let (jws, key) = signed(JwsAlgorithm::ES256);
        let sig = jws.signature();
        let mut twin = sig[..32].to_vec();
        let mut borrow = 0i16;
        let mut s = [0u8; 32];
        for i in (0..32).rev() {
            let d = N[i] as i16 - sig[32 + i] as i16 - borrow;
            borrow = i16::from(d < 0);
            s[i] = d.rem_euclid(256) as u8;
        }
        twin.extend_from_slice(&s);
        Verifier
            .verify(JwsAlgorithm::ES256, jws.signing_input(), &twin, &key)
            .unwrap();
        DefaultVerifier
            .verify(JwsAlgorithm::ES256, jws.signing_input(), &twin, &key)
            .unwrap();
    }

    #[test]
    fn es256_refuses_what_the_key_forbids_and_bad_lengths() {
        let (jws, key) = signed(JwsAlgorithm::ES256);
        assert!(matches!(
            check(&jws, &key.clone().with_alg("ES384")),
            Err(VerificationError::AlgorithmMismatch { .. })
        ));
        assert!(matches!(
            check(&jws, &key.clone().with_key_use("enc")),
            Err(VerificationError::KeyUse(_))
        ));
        assert!(matches!(
            check(&jws, &key.clone().with_key_ops(["sign"])),
            Err(VerificationError::KeyUse(_))
        ));
        assert!(matches!(
            Verifier.verify(
                JwsAlgorithm::ES256,
                jws.signing_input(),
                &jws.signature()[..63],
                &key
            ),
            Err(VerificationError::InvalidSignatureLength { .. })
        ));
    }

    #[test]
    fn eddsa_goes_to_the_default_verifier() {
        let (jws, key) = signed(JwsAlgorithm::EdDSA);
        check(&jws, &key).unwrap();
        let mut sig = jws.signature().to_vec();
        sig[0] ^= 1;
        assert!(
            Verifier
                .verify(JwsAlgorithm::EdDSA, jws.signing_input(), &sig, &key)
                .is_err()
        );
    }
}
