//! The W3C Bitstring Status List v1.0, which `jwt_vc_json` credentials reference from their
//! `credentialStatus`.
//!
//! Written by hand: the one Rust implementation comes with `ssi`, far too much to pull in
//! for a bit array, GZIP and base64url. Kept apart from [`super::token`] because the two
//! specifications agree on the idea and differ in every detail: GZIP rather than ZLIB,
//! index 0 in the most rather than the least significant bit, a multibase `u` prefix, one
//! bit per entry and one list per status purpose.
//!
//! [`Bitstring::encode`] reproduces the specification's all-zero example byte for byte: a
//! deterministic GZIP header (no name, `mtime` 0, `XFL` 0, OS 3) and zlib's DEFLATE at
//! level 8. That takes flate2's `zlib-rs` backend (a port of zlib): the default
//! miniz_oxide backend codes one distance code where zlib always codes two, so its output
//! decodes the same but differs by a byte (see
//! `tests/vectors/status/bitstring-status-list.json`).

use std::io::{Read, Write};

use base64::Engine;
use base64::alphabet::URL_SAFE;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use chrono::{DateTime, SecondsFormat, Utc};
use flate2::read::GzDecoder;
use flate2::{Compression, GzBuilder};
use identity_kit::jose::{JwsError, JwsHeader, Signer, encode_compact};
use serde_json::{Value, json};

/// The smallest list the specification allows (§2.2, §6.1): 131,072 entries, 16 KB.
pub const MIN_ENTRIES: usize = 131_072;

/// [`MIN_ENTRIES`] in bytes.
pub const MIN_BYTES: usize = MIN_ENTRIES / 8;

/// The `typ` of a credential secured with JOSE (VC-JOSE-COSE §3.1.1).
pub const TYP: &str = "vc+jwt";

/// The GZIP header's operating system: Unix, as in the specification's example.
const GZIP_OS_UNIX: u8 = 3;

/// base64url that decodes with or without padding.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

#[derive(Debug, thiserror::Error)]
pub enum BitstringError {
    /// A list of fewer entries than herd privacy needs was asked for.
    #[error("a bitstring status list has at least {MIN_ENTRIES} entries, not {0}")]
    TooFewEntries(usize),
    #[error("index {idx} is beyond the {len} entries of the list")]
    IndexOutOfRange { idx: u64, len: usize },
    #[error("`encodedList` does not start with the multibase base64url prefix `u`")]
    MissingMultibasePrefix,
    #[error("`encodedList` is not base64url: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("`encodedList` is not GZIP data: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("the list decompresses to more than {limit} bytes")]
    TooLarge { limit: usize },
    /// The specification's `STATUS_LIST_LENGTH_ERROR` (§3.2, §3.5).
    #[error(
        "STATUS_LIST_LENGTH_ERROR: the list has {entries} entries, fewer than the {MIN_ENTRIES} herd privacy needs"
    )]
    TooShort { entries: usize },
    /// What was to be signed is not a status list credential.
    #[error("not a credential: {0}")]
    NotACredential(String),
    #[error("signing failed: {0}")]
    Jws(#[from] JwsError),
}

/// The uncompressed list: one bit per entry, index 0 the most significant bit of byte 0
/// (§2.2 `encodedList`, §7.1).
#[derive(Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for Bitstring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set: u32 = self.bytes.iter().map(|b| b.count_ones()).sum();
        f.debug_struct("Bitstring")
            .field("len", &self.len())
            .field("set", &set)
            .finish()
    }
}

impl Bitstring {
    /// An all-zero list of `entries` entries, rounded up to whole bytes.
    ///
    /// # Errors
    ///
    /// [`BitstringError::TooFewEntries`] below [`MIN_ENTRIES`].
    pub fn new(entries: usize) -> Result<Self, BitstringError> {
        if entries < MIN_ENTRIES {
            return Err(BitstringError::TooFewEntries(entries));
        }
        Ok(Self {
            bytes: vec![0; entries.div_ceil(8)],
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Never true: a list has at least [`MIN_ENTRIES`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The uncompressed bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bit of entry `idx`, or `None` beyond the end of the list.
    pub fn get(&self, idx: u64) -> Option<bool> {
        let (byte, mask) = position(idx)?;
        self.bytes.get(byte).map(|b| b & mask != 0)
    }

    /// Sets or clears the bit of entry `idx`.
    ///
    /// # Errors
    ///
    /// [`BitstringError::IndexOutOfRange`] beyond the end of the list.
    pub fn set(&mut self, idx: u64, value: bool) -> Result<(), BitstringError> {
        let len = self.len();
        let byte = position(idx)
            .and_then(|(byte, mask)| Some((self.bytes.get_mut(byte)?, mask)))
            .ok_or(BitstringError::IndexOutOfRange { idx, len });
        let (byte, mask) = byte?;
        if value {
            *byte |= mask;
        } else {
            *byte &= !mask;
        }
        Ok(())
    }

    /// The `encodedList`: `u` (multibase base64url) and the base64url, unpadded, of the
    /// GZIP-compressed bytes (§3.3).
    ///
    /// # Panics
    ///
    /// Never: compressing into memory does not fail.
    pub fn encode(&self) -> String {
        let mut gzip = GzBuilder::new()
            .mtime(0)
            .operating_system(GZIP_OS_UNIX)
            .write(Vec::new(), Compression::new(8));
        gzip.write_all(&self.bytes).expect("writing to memory");
        let compressed = gzip.finish().expect("writing to memory");
        format!("u{}", URL_SAFE_NO_PAD.encode(compressed))
    }
}

/// The byte and the bit mask of entry `idx`.
fn position(idx: u64) -> Option<(usize, u8)> {
    let byte = usize::try_from(idx / 8).ok()?;
    Some((byte, 0x80 >> (idx % 8)))
}

/// Decodes an `encodedList` (§3.4), refusing one that decompresses to more than
/// `max_bytes` (decompression stops there) or holds fewer than [`MIN_ENTRIES`] entries.
///
/// # Errors
///
/// [`BitstringError::MissingMultibasePrefix`], [`BitstringError::Base64`],
/// [`BitstringError::Gzip`], [`BitstringError::TooLarge`] or [`BitstringError::TooShort`].
pub fn decode(encoded: &str, max_bytes: usize) -> Result<Bitstring, BitstringError> {
    let base64 = encoded
        .strip_prefix('u')
        .ok_or(BitstringError::MissingMultibasePrefix)?;
    let compressed = BASE64URL.decode(base64)?;
    let limit = u64::try_from(max_bytes)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    let mut bytes = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(BitstringError::Gzip)?;
    if bytes.len() > max_bytes {
        return Err(BitstringError::TooLarge { limit: max_bytes });
    }
    if bytes.len() < MIN_BYTES {
        return Err(BitstringError::TooShort {
            entries: bytes.len() * 8,
        });
    }
    Ok(Bitstring { bytes })
}

/// An unsecured `BitstringStatusListCredential` (§2.2) for the list at `id`, valid from
/// `valid_from` to `valid_until`, to be fetched again after `ttl_ms` milliseconds.
pub fn list_credential(
    id: &str,
    issuer: &str,
    purpose: &str,
    encoded_list: &str,
    valid_from: DateTime<Utc>,
    valid_until: DateTime<Utc>,
    ttl_ms: u64,
) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": id,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        "validUntil": valid_until.to_rfc3339_opts(SecondsFormat::Secs, true),
        "credentialSubject": {
            "id": format!("{id}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
            "ttl": ttl_ms,
        },
    })
}

/// `credential` secured as VC-JOSE-COSE §3.1.1 says: a compact JWS whose payload is the
/// credential, header `typ: vc+jwt` and `kid` (a DID URL of the issuer). For verifiers
/// that read only JWT claims, `iss` and `jti` repeat `issuer` and `id`, and the
/// signature's `iat` and `exp` (§3.1.3) are `validFrom` and `validUntil`: a list is signed
/// when it becomes valid and is replaced before it expires. `nbf` is left out, as §3.1.3
/// advises.
///
/// # Errors
///
/// [`BitstringError::NotACredential`] unless `credential` is an object with an `issuer`
/// (a string, or an object with an `id`) and, when present, `validFrom` and `validUntil`
/// in RFC 3339; [`BitstringError::Jws`] when signing fails.
pub async fn sign_list_credential(
    signer: &dyn Signer,
    kid: &str,
    credential: &Value,
) -> Result<String, BitstringError> {
    let not_a_credential = |why: &str| BitstringError::NotACredential(why.to_owned());
    let Value::Object(vc) = credential else {
        return Err(not_a_credential("not a JSON object"));
    };
    let issuer: &str = match vc.get("issuer") {
        Some(Value::String(issuer)) => issuer,
        Some(Value::Object(issuer)) => issuer
            .get("id")
            .and_then(Value::as_str)
            .ok_or_else(|| not_a_credential("`issuer` has no `id`"))?,
        _ => return Err(not_a_credential("no `issuer`")),
    };
    let numeric_date = |name: &str| match vc.get(name) {
        None => Ok(None),
        Some(value) => value
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|time| Some(time.timestamp()))
            .ok_or_else(|| not_a_credential(&format!("`{name}` is not an RFC 3339 date"))),
    };
    let (iat, exp) = (numeric_date("validFrom")?, numeric_date("validUntil")?);

    let mut claims = vc.clone();
    claims.insert("iss".into(), issuer.into());
    if let Some(id) = vc.get("id").and_then(Value::as_str) {
        claims.insert("jti".into(), id.into());
    }
    if let Some(iat) = iat {
        claims.insert("iat".into(), iat.into());
    }
    if let Some(exp) = exp {
        claims.insert("exp".into(), exp.into());
    }
    let payload = serde_json::to_vec(&claims).expect("a JSON object serializes");
    let header = JwsHeader::new(signer.alg()).with_typ(TYP).with_kid(kid);
    Ok(encode_compact(&header, &payload, signer).await?)
}

/// The `credentialStatus` of a credential whose status is entry `idx` of the list
/// credential at `list_credential_url` (§2.1).
pub fn entry(list_credential_url: &str, purpose: &str, idx: u64) -> Value {
    json!({
        "id": format!("{list_credential_url}#{idx}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": purpose,
        "statusListIndex": idx.to_string(),
        "statusListCredential": list_credential_url,
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::time::Instant;

    use chrono::TimeZone;
    use identity_kit::jose::{CompactJws, DefaultVerifier, JwsAlgorithm};
    use proptest::prelude::*;

    use super::*;
    use crate::keys::{KeyProvider, MasterKey, SoftwareKeyProvider};

    const MIB: usize = 1 << 20;

    fn vectors() -> Value {
        let text = include_str!("../../../tests/vectors/status/bitstring-status-list.json");
        serde_json::from_str(text).unwrap()
    }

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn gzip_bytes(encoded: &str) -> Vec<u8> {
        BASE64URL.decode(&encoded[1..]).unwrap()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut gz = GzBuilder::new().write(Vec::new(), Compression::best());
        gz.write_all(data).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn the_specs_all_zero_list_decodes_and_ours_is_byte_for_byte_the_same() {
        let v = &vectors()["allZeroList"];
        let spec = v["encodedList"].as_str().unwrap();
        let decoded = decode(spec, MIB).unwrap();
        assert_eq!(decoded.len(), MIN_ENTRIES);
        assert_eq!(decoded.len(), v["entries"].as_u64().unwrap() as usize);
        assert!(decoded.as_bytes().iter().all(|&b| b == 0));

        let ours = Bitstring::new(MIN_ENTRIES).unwrap().encode();
        assert_eq!(decode(&ours, MIB).unwrap(), decoded);
        let (ours_gz, spec_gz) = (gzip_bytes(&ours), gzip_bytes(spec));
        let header = unhex(v["gzipHeader"].as_str().unwrap());
        let trailer = unhex(v["gzipTrailer"].as_str().unwrap());
        assert_eq!(&spec_gz[..10], header.as_slice());
        assert_eq!(&ours_gz[..10], header.as_slice());
        assert_eq!(&spec_gz[spec_gz.len() - 8..], trailer.as_slice());
        assert_eq!(&ours_gz[ours_gz.len() - 8..], trailer.as_slice());
        assert_eq!(
            ours == spec,
            v["reproduced"].as_bool().unwrap(),
            "ours: {ours}"
        );
        if let Some(expected) = v["ours"].as_str() {
            assert_eq!(ours, expected);
        }
    }

    #[test]
    fn revoking_the_specs_index_sets_the_last_bit_of_its_byte() {
        let v = &vectors()["revokedIndex"];
        let idx = v["statusListIndex"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap();
        let byte = v["byte"].as_u64().unwrap() as usize;
        let mask = unhex(v["mask"].as_str().unwrap())[0];
        assert_eq!((idx, byte, mask), (94567, 11820, 0x01));

        let mut list = Bitstring::new(MIN_ENTRIES).unwrap();
        list.set(idx, true).unwrap();
        for (i, &b) in list.as_bytes().iter().enumerate() {
            assert_eq!(b, if i == byte { mask } else { 0 }, "byte {i}");
        }
        assert_eq!(list.get(idx), Some(true));
        assert_eq!(list.get(idx - 1), Some(false));
        assert_eq!(list.get(idx + 1), Some(false));

        let round = decode(&list.encode(), MIB).unwrap();
        assert_eq!(round, list);
        assert_eq!(round.get(idx), Some(true));

        // Index 0 is the most significant bit of byte 0, the last index the least of the
        // last byte.
        let mut list = Bitstring::new(MIN_ENTRIES).unwrap();
        list.set(0, true).unwrap();
        list.set(MIN_ENTRIES as u64 - 1, true).unwrap();
        assert_eq!(list.as_bytes()[0], 0x80);
        assert_eq!(list.as_bytes()[MIN_BYTES - 1], 0x01);
        list.set(0, false).unwrap();
        assert_eq!(list.as_bytes()[0], 0);
    }

    #[test]
    fn entry_is_the_specs_credential_status() {
        let v = &vectors()["entry"];
        let built = entry(
            v["statusListCredential"].as_str().unwrap(),
            v["statusPurpose"].as_str().unwrap(),
            94567,
        );
        assert_eq!(built, v["credentialStatus"]);
    }

    #[test]
    fn list_credential_has_the_specs_shape() {
        let from = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let until = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let encoded = Bitstring::new(MIN_ENTRIES).unwrap().encode();
        let id = "https://vouch.example/e1/status/w3c/0193";
        let vc = list_credential(
            id,
            "did:web:vouch.example:e1",
            "revocation",
            &encoded,
            from,
            until,
            300_000,
        );
        assert_eq!(
            vc,
            json!({
                "@context": ["https://www.w3.org/ns/credentials/v2"],
                "id": id,
                "type": ["VerifiableCredential", "BitstringStatusListCredential"],
                "issuer": "did:web:vouch.example:e1",
                "validFrom": "2026-11-24T12:00:00Z",
                "validUntil": "2026-11-25T12:00:00Z",
                "credentialSubject": {
                    "id": format!("{id}#list"),
                    "type": "BitstringStatusList",
                    "statusPurpose": "revocation",
                    "encodedList": encoded,
                    "ttl": 300_000,
                },
            })
        );
        // The members the specification's example has, with the same values.
        let spec = &vectors()["listCredential"]["credential"];
        for member in ["@context", "type"] {
            assert_eq!(vc[member], spec[member], "{member}");
        }
        assert_eq!(
            vc["credentialSubject"]["type"],
            spec["credentialSubject"]["type"]
        );
    }

    #[tokio::test]
    async fn a_signed_list_credential_verifies_and_carries_the_jwt_claims() {
        let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
        let key = provider.generate(JwsAlgorithm::ES256).unwrap();
        let signer = provider
            .open(&key.kid, key.alg, &key.public_jwk, &key.handle)
            .unwrap();
        let from = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let until = from + chrono::Duration::hours(24);
        let mut list = Bitstring::new(MIN_ENTRIES).unwrap();
        list.set(42, true).unwrap();
        let id = "https://vouch.example/e1/status/w3c/0193";
        let vc = list_credential(
            id,
            "did:web:vouch.example:e1",
            "revocation",
            &list.encode(),
            from,
            until,
            300_000,
        );
        let kid = format!("did:web:vouch.example:e1#{}", key.kid);
        let jwt = sign_list_credential(signer.as_ref(), &kid, &vc)
            .await
            .unwrap();

        let jws = CompactJws::decode(&jwt).unwrap();
        jws.verify(&DefaultVerifier, &key.public_jwk).unwrap();
        assert_eq!(jws.header().typ.as_deref(), Some("vc+jwt"));
        assert_eq!(jws.kid(), Some(kid.as_str()));
        assert_eq!(jws.alg(), JwsAlgorithm::ES256);
        let mut claims: Value = jws.claims().unwrap();
        let claims = claims.as_object_mut().unwrap();
        assert_eq!(claims.remove("iss").unwrap(), "did:web:vouch.example:e1");
        assert_eq!(claims.remove("jti").unwrap(), id);
        assert_eq!(claims.remove("iat").unwrap(), from.timestamp());
        assert_eq!(claims.remove("exp").unwrap(), until.timestamp());
        assert!(!claims.contains_key("nbf"));
        assert_eq!(&Value::Object(claims.clone()), &vc);
        let encoded = vc["credentialSubject"]["encodedList"].as_str().unwrap();
        assert_eq!(decode(encoded, MIB).unwrap().get(42), Some(true));

        // An issuer given as an object is read through its `id`.
        let mut with_object = vc.clone();
        with_object["issuer"] = json!({ "id": "did:web:vouch.example:e1", "name": "E1" });
        let jwt = sign_list_credential(signer.as_ref(), &kid, &with_object)
            .await
            .unwrap();
        let claims: Value = CompactJws::decode(&jwt).unwrap().claims().unwrap();
        assert_eq!(claims["iss"], "did:web:vouch.example:e1");

        for broken in [
            json!("a string"),
            json!({ "id": id }),
            json!({ "issuer": {} }),
            json!({ "issuer": "did:web:x", "validFrom": "yesterday" }),
            json!({ "issuer": "did:web:x", "validUntil": 12 }),
        ] {
            assert!(matches!(
                sign_list_credential(signer.as_ref(), &kid, &broken).await,
                Err(BitstringError::NotACredential(_))
            ));
        }
    }

    #[test]
    fn new_refuses_short_lists_and_rounds_up_to_bytes() {
        assert!(matches!(
            Bitstring::new(MIN_ENTRIES - 1),
            Err(BitstringError::TooFewEntries(131_071))
        ));
        let list = Bitstring::new(MIN_ENTRIES + 3).unwrap();
        assert_eq!(list.len(), MIN_ENTRIES + 8);
        assert!(!list.is_empty());
        assert_eq!(list.get(MIN_ENTRIES as u64 + 7), Some(false));
        assert_eq!(list.get(MIN_ENTRIES as u64 + 8), None);
        assert_eq!(list.get(u64::MAX), None);
        let mut list = list;
        assert!(matches!(
            list.set(MIN_ENTRIES as u64 + 8, true),
            Err(BitstringError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn decode_accepts_padding_and_refuses_what_is_not_a_list() {
        let spec = vectors()["allZeroList"]["encodedList"]
            .as_str()
            .unwrap()
            .to_owned();
        // A file name in the GZIP header makes the stream a length base64 pads.
        let named = (1..4)
            .map(|n| {
                let mut gz = GzBuilder::new()
                    .filename("x".repeat(n))
                    .write(Vec::new(), Compression::fast());
                gz.write_all(&[0; MIN_BYTES]).unwrap();
                gz.finish().unwrap()
            })
            .find(|gz| gz.len() % 3 != 0)
            .unwrap();
        let padded = format!(
            "u{}",
            base64::engine::general_purpose::URL_SAFE.encode(&named)
        );
        assert!(padded.ends_with('='));
        assert_eq!(decode(&padded, MIB).unwrap().len(), MIN_ENTRIES);
        let unpadded = format!("u{}", URL_SAFE_NO_PAD.encode(&named));
        assert_eq!(decode(&unpadded, MIB).unwrap().len(), MIN_ENTRIES);

        assert!(matches!(
            decode(&spec[1..], MIB),
            Err(BitstringError::MissingMultibasePrefix)
        ));
        assert!(matches!(
            decode(&format!("z{}", &spec[1..]), MIB),
            Err(BitstringError::MissingMultibasePrefix)
        ));
        assert!(matches!(
            decode("uH4sI+/AAA", MIB),
            Err(BitstringError::Base64(_))
        ));
        let zlib_not_gzip = format!("u{}", URL_SAFE_NO_PAD.encode(unhex("78dadbb918000217015d")));
        assert!(matches!(
            decode(&zlib_not_gzip, MIB),
            Err(BitstringError::Gzip(_))
        ));
        // A truncated stream.
        let gz = gzip(&[0; MIN_BYTES]);
        let truncated = format!("u{}", URL_SAFE_NO_PAD.encode(&gz[..gz.len() - 4]));
        assert!(matches!(
            decode(&truncated, MIB),
            Err(BitstringError::Gzip(_))
        ));
        // One byte short of 16 KB: STATUS_LIST_LENGTH_ERROR.
        let short = format!("u{}", URL_SAFE_NO_PAD.encode(gzip(&[0; MIN_BYTES - 1])));
        let err = decode(&short, MIB).unwrap_err();
        assert!(matches!(err, BitstringError::TooShort { entries: 131_064 }));
        assert!(err.to_string().starts_with("STATUS_LIST_LENGTH_ERROR"));
        // The limit is inclusive.
        let exact = format!("u{}", URL_SAFE_NO_PAD.encode(gzip(&[0; MIN_BYTES])));
        assert!(decode(&exact, MIN_BYTES).is_ok());
        assert!(matches!(
            decode(&exact, MIN_BYTES - 1),
            Err(BitstringError::TooLarge { .. })
        ));
    }

    #[test]
    fn a_gzip_bomb_is_refused_without_inflating_it() {
        let bomb = format!("u{}", URL_SAFE_NO_PAD.encode(gzip(&vec![0; 10 * MIB])));
        assert!(bomb.len() < 20_000, "{}", bomb.len());
        let started = Instant::now();
        assert!(matches!(
            decode(&bomb, MIB),
            Err(BitstringError::TooLarge { limit: MIB })
        ));
        // Inflating stops at the limit; all 10 MiB would take ten times as long.
        assert!(
            started.elapsed().as_millis() < 1000,
            "{:?}",
            started.elapsed()
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        #[test]
        fn set_and_get_agree_with_a_set_of_indexes(
            ops in prop::collection::vec((0u64..(MIN_ENTRIES as u64 + 64), any::<bool>()), 0..200),
        ) {
            let mut list = Bitstring::new(MIN_ENTRIES + 64).unwrap();
            let mut model = BTreeSet::new();
            for (idx, value) in ops {
                list.set(idx, value).unwrap();
                if value { model.insert(idx); } else { model.remove(&idx); }
            }
            for idx in 0..list.len() as u64 {
                prop_assert_eq!(list.get(idx), Some(model.contains(&idx)));
            }
            let round = decode(&list.encode(), MIB).unwrap();
            prop_assert_eq!(round, list);
        }
    }
}
