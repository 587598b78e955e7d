//! X.509 for the verifier's client identifiers (OpenID4VP 1.0 §5.9.3, `x509_san_dns:` and
//! `x509_hash:`): the certificate chain a request object carries in its `x5c` header, the
//! key that signs it, and the development chain vouch makes when none is configured.
//!
//! The development chain is a root ("vouch development verifier CA") and a leaf issued
//! by it for the public URL's host, both ECDSA P-256. HAIP wants a leaf that is not
//! self-signed and an `x5c` without the trust anchor, so `x5c` carries the leaf alone and
//! the root is published for wallets to trust — in development only: a production
//! verifier configures a chain from a CA its wallets already trust.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// How long a development chain is valid.
const DEVELOPMENT_VALIDITY_DAYS: i64 = 2 * 365;

/// A certificate chain, DER, leaf first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChain {
    der: Vec<Vec<u8>>,
}

fn parse(der: &[u8]) -> anyhow::Result<X509Certificate<'_>> {
    let (rest, certificate) = X509Certificate::from_der(der)
        .map_err(|e| anyhow::anyhow!("not a DER X.509 certificate: {e}"))?;
    anyhow::ensure!(rest.is_empty(), "trailing bytes after the certificate");
    Ok(certificate)
}

fn is_self_signed(certificate: &X509Certificate<'_>) -> bool {
    certificate.subject() == certificate.issuer()
}

impl CertificateChain {
    /// A chain of DER certificates, leaf first; each must parse.
    pub fn from_der(der: Vec<Vec<u8>>) -> anyhow::Result<Self> {
        anyhow::ensure!(!der.is_empty(), "the certificate chain is empty");
        for certificate in &der {
            parse(certificate)?;
        }
        Ok(Self { der })
    }

    /// The `CERTIFICATE` blocks of a PEM text, in order (leaf first).
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        let mut der = Vec::new();
        for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
            let block = block.map_err(|e| anyhow::anyhow!("not PEM: {e}"))?;
            if block.label == "CERTIFICATE" {
                der.push(block.contents);
            }
        }
        Self::from_der(der)
    }

    pub fn to_pem(&self) -> String {
        self.der
            .iter()
            .map(|der| pem_block("CERTIFICATE", der))
            .collect()
    }

    pub fn leaf(&self) -> &[u8] {
        &self.der[0]
    }

    pub fn certificates(&self) -> &[Vec<u8>] {
        &self.der
    }

    /// The `x5c` header: standard base64 DER, leaf first, without a self-signed root
    /// (the trust anchor, which the wallet must already hold).
    pub fn x5c(&self) -> Vec<String> {
        self.der
            .iter()
            .enumerate()
            .filter(|(i, der)| *i == 0 || !parse(der).is_ok_and(|c| is_self_signed(&c)))
            .map(|(_, der)| STANDARD.encode(der))
            .collect()
    }

    /// `x509_hash:` value: base64url (no padding) of the SHA-256 of the leaf's DER.
    pub fn x509_hash(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, self.leaf()))
    }

    /// The leaf's subjectAltName dNSName entries.
    pub fn dns_names(&self) -> anyhow::Result<Vec<String>> {
        let leaf = parse(self.leaf())?;
        let Some(san) = leaf
            .subject_alternative_name()
            .map_err(|e| anyhow::anyhow!("bad subjectAltName: {e}"))?
        else {
            return Ok(Vec::new());
        };
        Ok(san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(dns.to_string()),
                _ => None,
            })
            .collect())
    }

    /// Whether the leaf is self-signed (HAIP refuses such a leaf).
    pub fn leaf_is_self_signed(&self) -> anyhow::Result<bool> {
        Ok(is_self_signed(&parse(self.leaf())?))
    }

    /// The leaf's subject public key bits (for P-256, the SEC1 point).
    pub fn leaf_public_key(&self) -> anyhow::Result<Vec<u8>> {
        Ok(parse(self.leaf())?
            .public_key()
            .subject_public_key
            .data
            .to_vec())
    }

    /// The leaf's validity, as Unix seconds.
    pub fn leaf_validity(&self) -> anyhow::Result<(i64, i64)> {
        let leaf = parse(self.leaf())?;
        Ok((
            leaf.validity().not_before.timestamp(),
            leaf.validity().not_after.timestamp(),
        ))
    }
}

fn pem_block(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The PKCS#8 DER of the first `PRIVATE KEY` block of a PEM text.
pub fn pkcs8_from_pem(pem: &str) -> anyhow::Result<Vec<u8>> {
    for block in x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes()) {
        let block = block.map_err(|e| anyhow::anyhow!("not PEM: {e}"))?;
        match block.label.as_str() {
            "PRIVATE KEY" => return Ok(block.contents),
            "EC PRIVATE KEY" => anyhow::bail!(
                "the key is SEC1 (BEGIN EC PRIVATE KEY); convert it to PKCS#8 with \
                 `openssl pkcs8 -topk8 -nocrypt`"
            ),
            _ => {}
        }
    }
    anyhow::bail!("no PRIVATE KEY block in the key file")
}

/// The PEM of a PKCS#8 private key.
pub fn pkcs8_to_pem(pkcs8: &[u8]) -> String {
    pem_block("PRIVATE KEY", pkcs8)
}

/// A development chain for `host`: a root and a leaf it issued, valid from a day before
/// `now` for two years. Returns the chain (leaf, root) and the leaf's PKCS#8 key.
pub fn development_chain(host: &str, now: i64) -> anyhow::Result<(CertificateChain, Vec<u8>)> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
    };
    let time = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .map_err(|e| anyhow::anyhow!("certificate time: {e}"))
    };
    let not_before = time(now - 24 * 3600)?;
    let not_after = time(now + DEVELOPMENT_VALIDITY_DAYS * 24 * 3600)?;
    let failed = |e: rcgen::Error| anyhow::anyhow!("making the development certificate: {e}");

    let root_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut root = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
    root.distinguished_name = rcgen::DistinguishedName::new();
    root.distinguished_name
        .push(DnType::CommonName, "vouch development verifier CA");
    root.distinguished_name
        .push(DnType::OrganizationName, "vouch (development only)");
    root.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root.not_before = not_before;
    root.not_after = not_after;
    let root_cert = root.self_signed(&root_key).map_err(failed)?;

    let leaf_key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let mut leaf = CertificateParams::new(vec![host.to_string()]).map_err(failed)?;
    leaf.distinguished_name = rcgen::DistinguishedName::new();
    leaf.distinguished_name.push(DnType::CommonName, host);
    leaf.distinguished_name
        .push(DnType::OrganizationName, "vouch (development only)");
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.use_authority_key_identifier_extension = true;
    leaf.not_before = not_before;
    leaf.not_after = not_after;
    let issuer = Issuer::new(root, root_key);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(failed)?;

    let chain =
        CertificateChain::from_der(vec![leaf_cert.der().to_vec(), root_cert.der().to_vec()])?;
    Ok((chain, leaf_key.serialize_der()))
}

/// Extended key usages are not what a credential issuer's certificate is judged by.
struct AnyUsage;

impl webpki::ExtendedKeyUsageValidator for AnyUsage {
    fn validate(&self, _: webpki::KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        Ok(())
    }
}

/// Trust anchors: CA certificates (DER) whose chains are accepted.
#[derive(Debug, Clone, Default)]
pub struct TrustAnchors {
    der: Vec<Vec<u8>>,
}

impl TrustAnchors {
    pub fn from_pem(pem: &str) -> anyhow::Result<Self> {
        Ok(Self {
            der: CertificateChain::from_pem(pem)?.der,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.der.is_empty()
    }

    /// Checks that `chain` (leaf first, intermediates after, the anchor itself optional)
    /// leads to one of these anchors, each certificate valid at `now` (Unix seconds) and
    /// signed with ECDSA P-256/P-384, Ed25519 or RSA (rustls-webpki's path building).
    pub fn verify(&self, chain: &CertificateChain, now: i64) -> anyhow::Result<()> {
        use rustls_pki_types::{CertificateDer, UnixTime};
        anyhow::ensure!(!self.is_empty(), "no trust anchors are configured");
        let anchors: Vec<_> = self
            .der
            .iter()
            .map(|der| {
                webpki::anchor_from_trusted_cert(&CertificateDer::from(der.as_slice()))
                    .map(|a| a.to_owned())
            })
            .collect::<Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("a trust anchor does not parse: {e}"))?;
        let leaf = CertificateDer::from(chain.leaf());
        let end_entity = webpki::EndEntityCert::try_from(&leaf)
            .map_err(|e| anyhow::anyhow!("the leaf certificate does not parse: {e}"))?;
        let intermediates: Vec<CertificateDer<'_>> = chain.der[1..]
            .iter()
            .map(|der| CertificateDer::from(der.as_slice()))
            .collect();
        let time = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            u64::try_from(now).unwrap_or_default(),
        ));
        end_entity
            .verify_for_usage(
                webpki::ALL_VERIFICATION_ALGS,
                &anchors,
                &intermediates,
                time,
                AnyUsage,
                None,
                None,
            )
            .map_err(|e| anyhow::anyhow!("the certificate chain is not trusted: {e}"))?;
        Ok(())
    }
}

impl CertificateChain {
    /// The leaf's subjectAltName URIs.
    pub fn uris(&self) -> anyhow::Result<Vec<String>> {
        let leaf = parse(self.leaf())?;
        let Some(san) = leaf
            .subject_alternative_name()
            .map_err(|e| anyhow::anyhow!("bad subjectAltName: {e}"))?
        else {
            return Ok(Vec::new());
        };
        Ok(san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => Some(uri.to_string()),
                _ => None,
            })
            .collect())
    }

    /// The leaf's public key as a JWK (P-256, P-384 or Ed25519).
    pub fn leaf_jwk(&self) -> anyhow::Result<identity_kit::jose::Jwk> {
        let leaf = parse(self.leaf())?;
        let spki = leaf.public_key();
        let key = spki.subject_public_key.data.as_ref();
        let algorithm = spki.algorithm.algorithm.to_id_string();
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string());
        match (algorithm.as_str(), curve.as_deref()) {
            ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => {
                Ok(identity_kit::jose::Jwk::from_p256_public(key)?)
            }
            ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => {
                anyhow::ensure!(
                    key.len() == 97 && key[0] == 4,
                    "not an uncompressed P-384 point"
                );
                let jwk = serde_json::json!({"kty": "EC", "crv": "P-384",
                    "x": URL_SAFE_NO_PAD.encode(&key[1..49]), "y": URL_SAFE_NO_PAD.encode(&key[49..])});
                Ok(serde_json::from_value(jwk)?)
            }
            ("1.3.101.112", _) => Ok(identity_kit::jose::Jwk::from_ed25519_public(key)?),
            (other, curve) => anyhow::bail!(
                "the leaf's key ({other}, {curve:?}) is not a P-256, P-384 or Ed25519 key"
            ),
        }
    }
}

/// The verifier's certificate chain and the leaf's private key, which signs request
/// objects of `x509_san_dns:` and `x509_hash:` clients.
pub struct ClientCertificate {
    pub chain: CertificateChain,
    key: super::SoftwareKey,
    /// Made by vouch (development chain), not configured.
    pub development: bool,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x509_hash", &self.chain.x509_hash())
            .field("development", &self.development)
            .finish_non_exhaustive()
    }
}

/// Associated data of the sealed development key.
const SEAL_LABEL: &[u8] = b"verifier-x509";

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    chain: String,
    key: String,
}

impl ClientCertificate {
    fn new(chain: CertificateChain, pkcs8: &[u8], development: bool) -> anyhow::Result<Self> {
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &ring::rand::SystemRandom::new(),
        )
        .map_err(|_| anyhow::anyhow!("the verifier key is not a PKCS#8 P-256 key"))?;
        use ring::signature::KeyPair as _;
        anyhow::ensure!(
            pair.public_key().as_ref() == chain.leaf_public_key()?.as_slice(),
            "the verifier key is not the key of the certificate chain's leaf"
        );
        let jwk = identity_kit::jose::Jwk::from_p256_public(pair.public_key().as_ref())?;
        let kid = chain.x509_hash();
        let key = super::SoftwareKey::from_pkcs8(
            &kid,
            identity_kit::jose::JwsAlgorithm::ES256,
            jwk,
            pkcs8,
        )?;
        Ok(Self {
            chain,
            key,
            development,
        })
    }

    /// A configured chain (PEM, leaf first) and its leaf's PKCS#8 PEM key.
    pub fn from_pem(chain: &str, key: &str) -> anyhow::Result<Self> {
        Self::new(
            CertificateChain::from_pem(chain)?,
            &pkcs8_from_pem(key)?,
            false,
        )
    }

    /// A fresh development chain for `host`, and its stored form (the key sealed).
    pub fn development(
        host: &str,
        now: i64,
        master: &super::MasterKey,
    ) -> anyhow::Result<(Self, String)> {
        let (chain, pkcs8) = development_chain(host, now)?;
        let stored = serde_json::to_string(&Stored {
            chain: chain.to_pem(),
            key: master.seal(SEAL_LABEL, &pkcs8)?,
        })?;
        Ok((Self::new(chain, &pkcs8, true)?, stored))
    }

    /// A development chain from its stored form.
    pub fn open(stored: &str, master: &super::MasterKey) -> anyhow::Result<Self> {
        let stored: Stored = serde_json::from_str(stored)?;
        let pkcs8 = master.open(SEAL_LABEL, &stored.key)?;
        Self::new(CertificateChain::from_pem(&stored.chain)?, &pkcs8, true)
    }

    pub fn signer(&self) -> &dyn identity_kit::jose::Signer {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_development_chain_names_the_host_and_leaves_the_root_out_of_x5c() {
        let now = chrono::Utc::now().timestamp();
        let (chain, pkcs8) = development_chain("verifier.example", now).unwrap();
        assert_eq!(chain.certificates().len(), 2);
        assert_eq!(chain.dns_names().unwrap(), ["verifier.example"]);
        assert!(!chain.leaf_is_self_signed().unwrap());
        let x5c = chain.x5c();
        assert_eq!(x5c.len(), 1, "the self-signed root is the trust anchor");
        assert_eq!(STANDARD.decode(&x5c[0]).unwrap(), chain.leaf());
        let (from, to) = chain.leaf_validity().unwrap();
        assert!(from < now && now < to);
        // The key is the leaf's, and ring (which signs request objects) reads it.
        let pair = ring::signature::EcdsaKeyPair::from_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &pkcs8,
            &ring::rand::SystemRandom::new(),
        )
        .unwrap();
        use ring::signature::KeyPair as _;
        assert_eq!(
            pair.public_key().as_ref(),
            chain.leaf_public_key().unwrap().as_slice()
        );
    }

    #[test]
    fn pem_round_trips_and_the_hash_is_of_the_leaf() {
        let (chain, pkcs8) = development_chain("localhost", 1_800_000_000).unwrap();
        let pem = chain.to_pem();
        assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert_eq!(CertificateChain::from_pem(&pem).unwrap(), chain);
        assert_eq!(
            pkcs8_from_pem(&pkcs8_to_pem(&pkcs8)).unwrap(),
            pkcs8.as_slice()
        );
        let expected =
            URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, chain.leaf()));
        assert_eq!(chain.x509_hash(), expected);
        assert_eq!(chain.x509_hash().len(), 43);
    }

    #[test]
    fn a_development_certificate_survives_storage_and_refuses_another_key() {
        let master = crate::keys::MasterKey::random();
        let (made, stored) =
            ClientCertificate::development("localhost", 1_800_000_000, &master).unwrap();
        assert!(!stored.contains("PRIVATE KEY"), "the key is sealed");
        let opened = ClientCertificate::open(&stored, &master).unwrap();
        assert_eq!(opened.chain, made.chain);
        assert!(ClientCertificate::open(&stored, &crate::keys::MasterKey::random()).is_err());
        let (_, other_key) = development_chain("localhost", 1_800_000_000).unwrap();
        let err = ClientCertificate::from_pem(&made.chain.to_pem(), &pkcs8_to_pem(&other_key))
            .unwrap_err();
        assert!(err.to_string().contains("not the key"), "{err}");
    }

    #[test]
    fn a_chain_verifies_against_its_root_and_not_against_another() {
        let now = chrono::Utc::now().timestamp();
        let (chain, _) = development_chain("issuer.example", now).unwrap();
        let root = CertificateChain::from_der(vec![chain.certificates()[1].clone()]).unwrap();
        let anchors = TrustAnchors::from_pem(&root.to_pem()).unwrap();
        anchors.verify(&chain, now).unwrap();
        // The leaf alone (x5c without the anchor) builds the same path.
        let leaf = CertificateChain::from_der(vec![chain.leaf().to_vec()]).unwrap();
        anchors.verify(&leaf, now).unwrap();
        // Not yet valid / expired.
        assert!(anchors.verify(&leaf, now - 7 * 24 * 3600).is_err());
        let (other, _) = development_chain("issuer.example", now).unwrap();
        let other_root = CertificateChain::from_der(vec![other.certificates()[1].clone()]).unwrap();
        let err = TrustAnchors::from_pem(&other_root.to_pem())
            .unwrap()
            .verify(&leaf, now)
            .unwrap_err();
        assert!(err.to_string().contains("not trusted"), "{err}");
        assert!(TrustAnchors::default().verify(&leaf, now).is_err());
        let jwk = leaf.leaf_jwk().unwrap();
        assert_eq!(
            jwk.p256_public_bytes().unwrap().to_vec(),
            leaf.leaf_public_key().unwrap()
        );
    }

    #[test]
    fn bad_input_is_refused_with_a_reason() {
        assert!(CertificateChain::from_pem("").is_err());
        assert!(CertificateChain::from_der(vec![b"nope".to_vec()]).is_err());
        let sec1 = "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n";
        assert!(
            pkcs8_from_pem(sec1)
                .unwrap_err()
                .to_string()
                .contains("PKCS#8")
        );
    }
}
