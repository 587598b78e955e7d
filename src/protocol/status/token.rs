//! The IETF Token Status List (draft-ietf-oauth-status-list), which `dc+sd-jwt`
//! credentials reference from their `status` claim.
//!
//! identity-kit implements the list and the status list token, so this module only maps
//! vouch's entries onto them. Its `to_lst` (miniz_oxide at its highest level) reproduces
//! the draft's §4.1 examples byte for byte (see
//! `tests/vectors/status/token-status-list.json`), so vouch needs no ZLIB encoder of its
//! own. The long lists of the draft's Appendix C were compressed by Python's zlib, whose
//! output for them miniz_oxide does not match; they are checked by decoding, which is all
//! interoperability needs.

use chrono::{DateTime, Utc};
use identity_kit::jose::Signer;
use serde_json::{Value, json};

pub use identity_kit::status_list::{
    Status, StatusList, StatusListError, StatusListRef, StatusListToken, StatusType,
};

use super::EntryStatus;

/// A list of `size` statuses of `bits` bits, every entry `Valid` but those given.
///
/// # Errors
///
/// [`StatusListError::InvalidBits`] unless `bits` is 1, 2, 4 or 8,
/// [`StatusListError::IndexOutOfRange`] for an index of `size` or more (even one given as
/// `Valid`: it is a bug wherever it comes from) and
/// [`StatusListError::InvalidStatusValue`] for a status that does not fit in `bits`
/// (`Suspended` in a 1-bit list).
pub fn build_list(
    bits: u8,
    size: usize,
    entries: impl IntoIterator<Item = (u64, EntryStatus)>,
) -> Result<StatusList, StatusListError> {
    let mut list = StatusList::new(bits, size)?;
    for (idx, status) in entries {
        // The list is rounded up to whole bytes; the slots past `size` are not entries.
        if usize::try_from(idx).map_or(true, |idx| idx >= size) {
            return Err(StatusListError::IndexOutOfRange { idx, len: size });
        }
        if status != EntryStatus::Valid {
            list.set(idx, status.into())?;
        }
    }
    Ok(list)
}

/// The status list token (§5.1) for `list`, served at `uri`, as a compact JWT: header
/// `typ: statuslist+jwt` and the signer's `kid`; claims `sub` (= `uri`), `iat`, `exp`,
/// `ttl`, `status_list` and `iss`.
///
/// # Errors
///
/// [`StatusListError::Jws`] when signing fails.
pub async fn sign_token(
    signer: &dyn Signer,
    issuer: &str,
    uri: &str,
    list: StatusList,
    iat: DateTime<Utc>,
    exp: DateTime<Utc>,
    ttl_seconds: u64,
) -> Result<String, StatusListError> {
    let token = StatusListToken::new(uri, iat, list)
        .with_expires_at(exp)
        .with_ttl(ttl_seconds)
        .with_claim("iss", issuer);
    Ok(token.sign(signer).await?.into_string())
}

/// The `status` claim of a referenced token (§6.1) pointing at entry `idx` of the list at
/// `uri`.
pub fn status_claim(uri: &str, idx: u64) -> Value {
    json!({ "status_list": { "idx": idx, "uri": uri } })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::TimeZone;
    use identity_kit::jose::{CompactJws, DefaultVerifier, JwsAlgorithm};
    use identity_kit::vc::Jwt;
    use identity_kit::vc::validation::TimeOptions;
    use proptest::prelude::*;
    use serde::Deserialize;

    use super::*;
    use crate::keys::{KeyProvider, MasterKey, SoftwareKeyProvider};

    #[derive(Deserialize)]
    struct Vectors {
        vectors: Vec<Vector>,
    }

    /// One example of the draft: either `statuses` (every entry, in order) or `size` and
    /// `set` (the entries that are not 0).
    #[derive(Deserialize)]
    struct Vector {
        name: String,
        bits: u8,
        #[serde(default)]
        statuses: Vec<u8>,
        #[serde(default)]
        size: usize,
        #[serde(default)]
        set: Vec<(u64, u8)>,
        #[serde(default)]
        bytes: Option<String>,
        #[serde(default)]
        zlib: Option<String>,
        lst: String,
        reproduced: bool,
    }

    impl Vector {
        fn size(&self) -> usize {
            if self.statuses.is_empty() {
                self.size
            } else {
                self.statuses.len()
            }
        }

        fn entries(&self) -> Vec<(u64, u8)> {
            if self.statuses.is_empty() {
                self.set.clone()
            } else {
                (0u64..).zip(self.statuses.iter().copied()).collect()
            }
        }

        /// The list built from the vector: `build_list` for the statuses vouch uses, then
        /// identity-kit directly for the application-specific `3`s of the 2-bit examples.
        fn build(&self) -> StatusList {
            let entries = self.entries();
            let known = entries
                .iter()
                .filter_map(|&(idx, v)| EntryStatus::from_u8(v).map(|s| (idx, s)));
            let mut list = build_list(self.bits, self.size(), known).unwrap();
            for &(idx, v) in entries.iter().filter(|(_, v)| *v == 3) {
                list.set(idx, StatusType(v)).unwrap();
            }
            list
        }
    }

    fn vectors() -> Vec<Vector> {
        let text = include_str!("../../../tests/vectors/status/token-status-list.json");
        serde_json::from_str::<Vectors>(text).unwrap().vectors
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn zlib_hex(lst: &str) -> String {
        use base64::Engine;
        hex(&base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(lst)
            .unwrap())
    }

    #[test]
    fn the_drafts_examples_encode_byte_for_byte_and_decode() {
        let vectors = vectors();
        assert_eq!(vectors.len(), 4);
        for v in &vectors {
            let built = v.build();
            // Decoding the draft's `lst` gives the list we built, entry for entry.
            let decoded = StatusList::from_lst(v.bits, &v.lst, StatusList::MAX_BYTES).unwrap();
            assert_eq!(decoded.as_bytes(), built.as_bytes(), "{}", v.name);
            for (idx, value) in v.entries() {
                assert_eq!(decoded.get(idx), Some(StatusType(value)), "{}", v.name);
            }
            if let Some(bytes) = &v.bytes {
                assert_eq!(&hex(built.as_bytes()), bytes, "{}", v.name);
            }
            if let Some(zlib) = &v.zlib {
                assert_eq!(&zlib_hex(&v.lst), zlib, "{}", v.name);
            }
            // Encoding reproduces the draft's `lst` where the vector says it does.
            assert_eq!(built.to_lst() == v.lst, v.reproduced, "{}", v.name);
            if v.reproduced {
                assert_eq!(zlib_hex(&built.to_lst()), zlib_hex(&v.lst), "{}", v.name);
            }
        }
    }

    #[test]
    fn the_one_bit_example_through_build_list() {
        // draft-ietf-oauth-status-list-20 §4.1, first example.
        let statuses = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1];
        let list = build_list(
            1,
            16,
            (0u64..).zip(statuses.map(|v| EntryStatus::from_u8(v).unwrap())),
        )
        .unwrap();
        assert_eq!(list.as_bytes(), &[0xb9, 0xa3]);
        assert_eq!(zlib_hex(&list.to_lst()), "78dadbb918000217015d");
        assert_eq!(list.to_lst(), "eNrbuRgAAhcBXQ");
    }

    #[test]
    fn build_list_refuses_what_does_not_fit() {
        // Index past `size`, though inside the last byte.
        assert!(matches!(
            build_list(1, 10, [(10, EntryStatus::Invalid)]),
            Err(StatusListError::IndexOutOfRange { idx: 10, len: 10 })
        ));
        assert!(matches!(
            build_list(1, 10, [(u64::MAX, EntryStatus::Valid)]),
            Err(StatusListError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            build_list(1, 10, [(3, EntryStatus::Suspended)]),
            Err(StatusListError::InvalidStatusValue { value: 2, bits: 1 })
        ));
        assert!(matches!(
            build_list(3, 10, []),
            Err(StatusListError::InvalidBits(3))
        ));
        let list = build_list(2, 10, [(9, EntryStatus::Suspended)]).unwrap();
        assert_eq!(list.get(9), Some(StatusType::SUSPENDED));
    }

    #[test]
    fn status_claim_is_the_drafts_shape() {
        // §6.2's example.
        let claim = status_claim("https://example.com/statuslists/1", 0);
        assert_eq!(
            claim,
            json!({ "status_list": { "idx": 0, "uri": "https://example.com/statuslists/1" } })
        );
        let parsed: Status = serde_json::from_value(claim).unwrap();
        assert_eq!(
            parsed.status_list,
            Some(StatusListRef::new("https://example.com/statuslists/1", 0))
        );
    }

    #[tokio::test]
    async fn a_signed_token_verifies_and_reads_back() {
        let provider = SoftwareKeyProvider::new(Arc::new(MasterKey::random()));
        let key = provider.generate(JwsAlgorithm::ES256).unwrap();
        let signer = provider
            .open(&key.kid, key.alg, &key.public_jwk, &key.handle)
            .unwrap();
        let uri = "https://vouch.example/e1/status/token/0193";
        let list = build_list(
            2,
            1000,
            [
                (3, EntryStatus::Invalid),
                (500, EntryStatus::Suspended),
                (999, EntryStatus::Invalid),
                (7, EntryStatus::Valid),
            ],
        )
        .unwrap();
        let iat = Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap();
        let exp = iat + chrono::Duration::hours(24);
        let jwt = sign_token(
            signer.as_ref(),
            "https://vouch.example/e1",
            uri,
            list,
            iat,
            exp,
            300,
        )
        .await
        .unwrap();

        let jws = CompactJws::decode(&jwt).unwrap();
        jws.verify(&DefaultVerifier, &key.public_jwk).unwrap();
        assert_eq!(jws.header().typ.as_deref(), Some("statuslist+jwt"));
        assert_eq!(jws.kid(), Some(key.kid.as_str()));
        let claims: Value = jws.claims().unwrap();
        assert_eq!(claims["iss"], "https://vouch.example/e1");
        assert_eq!(claims["sub"], uri);
        assert_eq!(claims["iat"], iat.timestamp());
        assert_eq!(claims["exp"], exp.timestamp());
        assert_eq!(claims["ttl"], 300);
        assert_eq!(claims["status_list"]["bits"], 2);

        let (header, token) = StatusListToken::decode(&jwt.parse::<Jwt>().unwrap()).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        let now = TimeOptions::at(iat + chrono::Duration::minutes(1));
        let status = |idx| token.status_of(&StatusListRef::new(uri, idx), now);
        assert_eq!(status(3).unwrap(), StatusType::INVALID);
        assert_eq!(status(500).unwrap(), StatusType::SUSPENDED);
        assert_eq!(status(999).unwrap(), StatusType::INVALID);
        assert_eq!(status(0).unwrap(), StatusType::VALID);
        assert_eq!(status(7).unwrap(), StatusType::VALID);
        assert!(status(1000).is_err());
        // Past `exp` the token no longer answers.
        let later = TimeOptions::at(exp + chrono::Duration::hours(1));
        assert!(token.status_of(&StatusListRef::new(uri, 3), later).is_err());
    }

    proptest! {
        #[test]
        fn build_list_then_get_reads_every_entry(
            bits in prop::sample::select(vec![1u8, 2, 4, 8]),
            size in 1usize..2000,
            picks in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3), 0..64),
        ) {
            let max = if bits == 1 { 2 } else { 3 };
            let mut expected = std::collections::HashMap::new();
            for (idx, v) in &picks {
                expected.insert(idx.index(size) as u64, EntryStatus::from_u8(v % max).unwrap());
            }
            let list = build_list(bits, size, expected.iter().map(|(&i, &s)| (i, s))).unwrap();
            let round = StatusList::from_lst(bits, &list.to_lst(), StatusList::MAX_BYTES).unwrap();
            prop_assert_eq!(round.as_bytes(), list.as_bytes());
            for idx in 0..size as u64 {
                let want = expected.get(&idx).copied().unwrap_or(EntryStatus::Valid);
                prop_assert_eq!(round.get(idx), Some(StatusType::from(want)));
            }
        }
    }
}
