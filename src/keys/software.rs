//! The software key provider: keys generated with ring, private halves sealed with the
//! master key (AES-256-GCM, the key id as associated data so a sealed key cannot be moved
//! to another row) and kept in the database, opened into memory to sign.

use std::sync::Arc;

use identity_kit::jose::{Jwk, JwsAlgorithm, SignError, Signer};
use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _,
};

use super::{KeyProvider, MasterKey, NewKey};

/// A freshly generated key pair: the public JWK and the PKCS#8 private key.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: JwsAlgorithm,
    pub public_jwk: Jwk,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl GeneratedKey {
    /// Generates a key for `alg` (ES256 or EdDSA). The key id is the RFC 7638 thumbprint.
    pub fn generate(alg: JwsAlgorithm) -> anyhow::Result<Self> {
        let rng = SystemRandom::new();
        let (pkcs8, public) = match alg {
            JwsAlgorithm::ES256 => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?;
                let pair =
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng)
                        .map_err(|_| anyhow::anyhow!("generated P-256 key does not parse"))?;
                let jwk = Jwk::from_p256_public(pair.public_key().as_ref())?;
                (doc.as_ref().to_vec(), jwk)
            }
            JwsAlgorithm::EdDSA => {
                let doc = Ed25519KeyPair::generate_pkcs8(&rng)
                    .map_err(|_| anyhow::anyhow!("Ed25519 key generation failed"))?;
                let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref())
                    .map_err(|_| anyhow::anyhow!("generated Ed25519 key does not parse"))?;
                let jwk = Jwk::from_ed25519_public(pair.public_key().as_ref())?;
                (doc.as_ref().to_vec(), jwk)
            }
            other => anyhow::bail!("vouch does not generate {other} keys"),
        };
        let kid = public.thumbprint_sha256()?;
        let public_jwk = public
            .with_kid(kid.clone())
            .with_alg(alg.as_str())
            .with_key_use("sig");
        Ok(Self {
            kid,
            alg,
            public_jwk,
            pkcs8,
        })
    }

    /// The private key sealed for storage in the row named `kid`.
    pub fn seal(&self, master: &MasterKey) -> anyhow::Result<String> {
        master.seal(self.kid.as_bytes(), &self.pkcs8)
    }
}

enum KeyPair {
    Es256(EcdsaKeyPair),
    EdDsa(Ed25519KeyPair),
}

/// A private key held in memory, signing for one `kid` and one algorithm.
pub struct SoftwareKey {
    kid: String,
    alg: JwsAlgorithm,
    public_jwk: Jwk,
    pair: KeyPair,
}

impl std::fmt::Debug for SoftwareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SoftwareKey {
    /// Opens a sealed private key.
    pub fn open(
        master: &MasterKey,
        kid: &str,
        alg: JwsAlgorithm,
        public_jwk: Jwk,
        sealed: &str,
    ) -> anyhow::Result<Self> {
        let pkcs8 = master.open(kid.as_bytes(), sealed)?;
        Self::from_pkcs8(kid, alg, public_jwk, &pkcs8)
    }

    /// A key from its PKCS#8 DER (a configured key file, or one this module made).
    pub(crate) fn from_pkcs8(
        kid: &str,
        alg: JwsAlgorithm,
        public_jwk: Jwk,
        pkcs8: &[u8],
    ) -> anyhow::Result<Self> {
        let pair = match alg {
            JwsAlgorithm::ES256 => KeyPair::Es256(
                EcdsaKeyPair::from_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    pkcs8,
                    &SystemRandom::new(),
                )
                .map_err(|_| anyhow::anyhow!("stored P-256 key {kid} does not parse"))?,
            ),
            JwsAlgorithm::EdDSA => KeyPair::EdDsa(
                Ed25519KeyPair::from_pkcs8(pkcs8)
                    .map_err(|_| anyhow::anyhow!("stored Ed25519 key {kid} does not parse"))?,
            ),
            other => anyhow::bail!("unsupported stored key algorithm {other}"),
        };
        Ok(Self {
            kid: kid.to_string(),
            alg,
            public_jwk,
            pair,
        })
    }

    pub fn public_jwk(&self) -> &Jwk {
        &self.public_jwk
    }

    /// Signs synchronously; the signature is in JWS form (`r || s` for ES256).
    pub fn sign_now(&self, data: &[u8]) -> Result<Vec<u8>, SignError> {
        match &self.pair {
            KeyPair::Es256(pair) => pair
                .sign(&SystemRandom::new(), data)
                .map(|sig| sig.as_ref().to_vec())
                .map_err(|_| SignError::msg("ECDSA signing failed")),
            KeyPair::EdDsa(pair) => Ok(pair.sign(data).as_ref().to_vec()),
        }
    }
}

#[async_trait::async_trait]
impl Signer for SoftwareKey {
    fn alg(&self) -> JwsAlgorithm {
        self.alg
    }

    fn kid(&self) -> Option<&str> {
        Some(&self.kid)
    }

    async fn sign(&self, signing_input: &[u8]) -> Result<Vec<u8>, SignError> {
        self.sign_now(signing_input)
    }
}

/// Generates and opens software keys under one master key.
pub struct SoftwareKeyProvider {
    master: Arc<MasterKey>,
}

impl SoftwareKeyProvider {
    pub fn new(master: Arc<MasterKey>) -> Self {
        Self { master }
    }
}

impl KeyProvider for SoftwareKeyProvider {
    fn generate(&self, alg: JwsAlgorithm) -> anyhow::Result<NewKey> {
        let generated = GeneratedKey::generate(alg)?;
        Ok(NewKey {
            handle: generated.seal(&self.master)?,
            kid: generated.kid,
            alg,
            public_jwk: generated.public_jwk,
        })
    }

    fn open(
        &self,
        kid: &str,
        alg: JwsAlgorithm,
        public_jwk: &Jwk,
        handle: &str,
    ) -> anyhow::Result<Arc<dyn Signer>> {
        Ok(Arc::new(SoftwareKey::open(
            &self.master,
            kid,
            alg,
            public_jwk.clone(),
            handle,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use identity_kit::jose::{CompactJws, DefaultVerifier, JwsHeader, encode_compact};

    use super::*;
    use crate::keys::MasterKey;

    async fn round_trip(alg: JwsAlgorithm) {
        let master = MasterKey::random();
        let generated = GeneratedKey::generate(alg).unwrap();
        assert!(!generated.public_jwk.is_private());
        let sealed = generated.seal(&master).unwrap();
        let key = SoftwareKey::open(
            &master,
            &generated.kid,
            alg,
            generated.public_jwk.clone(),
            &sealed,
        )
        .unwrap();
        let header = JwsHeader::new(alg).with_kid(generated.kid.clone());
        let token = encode_compact(&header, br#"{"a":1}"#, &key).await.unwrap();
        let jws = CompactJws::decode(&token).unwrap();
        jws.verify(&DefaultVerifier, &generated.public_jwk).unwrap();
    }

    #[tokio::test]
    async fn es256_keys_sign_verifiable_jws_after_sealing() {
        round_trip(JwsAlgorithm::ES256).await;
    }

    #[tokio::test]
    async fn eddsa_keys_sign_verifiable_jws_after_sealing() {
        round_trip(JwsAlgorithm::EdDSA).await;
    }

    #[test]
    fn a_sealed_key_does_not_open_under_another_kid() {
        let master = MasterKey::random();
        let generated = GeneratedKey::generate(JwsAlgorithm::ES256).unwrap();
        let sealed = generated.seal(&master).unwrap();
        assert!(
            SoftwareKey::open(
                &master,
                "another-kid",
                JwsAlgorithm::ES256,
                generated.public_jwk.clone(),
                &sealed
            )
            .is_err()
        );
    }

    #[test]
    fn debug_output_never_contains_private_material() {
        let generated = GeneratedKey::generate(JwsAlgorithm::ES256).unwrap();
        let printed = format!("{generated:?}");
        assert!(!printed.contains("pkcs8"));
        assert!(printed.contains(&generated.kid));
    }
}
