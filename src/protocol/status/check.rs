//! Reading a status from a list somebody else served (the verifier's side), pure: the
//! references a credential carries, and the checks on a fetched list once its signature
//! has been verified. Fetching, signatures and caching are in `service::status_check`.

use chrono::{DateTime, Utc};
use identity_kit::status_list::{StatusListRef, StatusListToken};
use identity_kit::vc::validation::TimeOptions;
use serde_json::Value;

use super::bitstring::{self, Bitstring};

/// Largest decompressed list accepted: 16 MiB (16 million 1-bit or 8 million 2-bit
/// entries), so a small compressed body cannot expand without bound.
pub const MAX_LIST_BYTES: usize = 1 << 24;

/// Where a credential says its status is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusReference {
    /// IETF Token Status List: `status.status_list {idx, uri}`.
    Token { uri: String, idx: u64 },
    /// W3C Bitstring Status List: a `BitstringStatusListEntry`.
    Bitstring {
        uri: String,
        idx: u64,
        purpose: String,
    },
}

impl StatusReference {
    pub fn uri(&self) -> &str {
        match self {
            Self::Token { uri, .. } | Self::Bitstring { uri, .. } => uri,
        }
    }
}

/// Why a status could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckError {
    #[error("the status reference is malformed: {0}")]
    Reference(String),
    #[error("the status list is not acceptable: {0}")]
    List(String),
}

fn index(value: &Value) -> Option<u64> {
    value
        .as_u64()
        .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
}

/// The status references in a credential's claims: an SD-JWT VC's `status.status_list`,
/// or the `credentialStatus` (object or array) of a W3C credential, at the top level
/// (VCDM 2.0) or inside `vc` (VCDM 1.1 JWT). Entries of other types are left out.
pub fn references(claims: &Value) -> Result<Vec<StatusReference>, CheckError> {
    let bad = |why: &str| CheckError::Reference(why.to_string());
    let mut found = Vec::new();
    if let Some(list) = claims.get("status").and_then(|s| s.get("status_list")) {
        let uri = list["uri"]
            .as_str()
            .ok_or_else(|| bad("status_list.uri is missing"))?;
        let idx = list["idx"]
            .as_u64()
            .ok_or_else(|| bad("status_list.idx is not a non-negative integer"))?;
        found.push(StatusReference::Token {
            uri: uri.to_string(),
            idx,
        });
    }
    let status = claims
        .get("credentialStatus")
        .or_else(|| claims.get("vc").and_then(|vc| vc.get("credentialStatus")));
    let entries = match status {
        Some(Value::Array(entries)) => entries.clone(),
        Some(entry @ Value::Object(_)) => vec![entry.clone()],
        Some(_) => return Err(bad("credentialStatus is neither an object nor an array")),
        None => Vec::new(),
    };
    for entry in entries {
        if entry["type"] != "BitstringStatusListEntry" {
            continue;
        }
        let uri = entry["statusListCredential"]
            .as_str()
            .ok_or_else(|| bad("statusListCredential is missing"))?;
        let idx = index(&entry["statusListIndex"])
            .ok_or_else(|| bad("statusListIndex is not a non-negative integer"))?;
        let purpose = entry["statusPurpose"]
            .as_str()
            .ok_or_else(|| bad("statusPurpose is missing"))?;
        found.push(StatusReference::Bitstring {
            uri: uri.to_string(),
            idx,
            purpose: purpose.to_string(),
        });
    }
    Ok(found)
}

/// The status at `idx` of a verified Token Status List token fetched from `uri`: `sub`
/// must be `uri`, the token issued and not expired at `now`, the index in range.
pub fn read_token(
    token: &StatusListToken,
    uri: &str,
    idx: u64,
    now: DateTime<Utc>,
) -> Result<u8, CheckError> {
    token
        .status_of(&StatusListRef::new(uri, idx), TimeOptions::at(now))
        .map(|status| status.0)
        .map_err(|e| CheckError::List(e.to_string()))
}

/// A verified `BitstringStatusListCredential`, decoded.
#[derive(Debug, Clone)]
pub struct BitstringList {
    pub purpose: String,
    pub bits: Bitstring,
    pub valid_until: Option<DateTime<Utc>>,
    /// `credentialSubject.ttl`, in milliseconds.
    pub ttl_ms: Option<u64>,
}

/// Reads the payload of a verified list credential fetched from `uri`.
pub fn parse_bitstring_credential(payload: &Value, uri: &str) -> Result<BitstringList, CheckError> {
    let bad = |why: String| CheckError::List(why);
    let types = payload["type"].as_array().cloned().unwrap_or_default();
    if !types.iter().any(|t| t == "BitstringStatusListCredential") {
        return Err(bad("its type is not BitstringStatusListCredential".into()));
    }
    if let Some(id) = payload["id"].as_str()
        && id != uri
    {
        return Err(bad(format!(
            "its id {id} is not the URI it was fetched from"
        )));
    }
    let subject = &payload["credentialSubject"];
    if subject["type"] != "BitstringStatusList" {
        return Err(bad("its subject is not a BitstringStatusList".into()));
    }
    let purpose = subject["statusPurpose"]
        .as_str()
        .ok_or_else(|| bad("statusPurpose is missing".into()))?;
    let encoded = subject["encodedList"]
        .as_str()
        .ok_or_else(|| bad("encodedList is missing".into()))?;
    let bits = bitstring::decode(encoded, MAX_LIST_BYTES).map_err(|e| bad(e.to_string()))?;
    let valid_until = match payload["validUntil"].as_str() {
        Some(text) => Some(
            DateTime::parse_from_rfc3339(text)
                .map_err(|_| bad("validUntil is not a date-time".into()))?
                .with_timezone(&Utc),
        ),
        None => None,
    };
    Ok(BitstringList {
        purpose: purpose.to_string(),
        bits,
        valid_until,
        ttl_ms: subject["ttl"].as_u64(),
    })
}

/// Whether the bit at `idx` is set, for a reference with `purpose`.
pub fn read_bitstring(
    list: &BitstringList,
    purpose: &str,
    idx: u64,
    now: DateTime<Utc>,
) -> Result<bool, CheckError> {
    if list.purpose != purpose {
        return Err(CheckError::List(format!(
            "it is a {} list, the credential asks about {purpose}",
            list.purpose
        )));
    }
    if list.valid_until.is_some_and(|until| until <= now) {
        return Err(CheckError::List("it has expired (validUntil)".into()));
    }
    list.bits.get(idx).ok_or_else(|| {
        CheckError::List(format!(
            "index {idx} is past the end of the list ({} entries)",
            list.bits.len()
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn references_come_from_both_credential_shapes() {
        let sd_jwt = json!({"status": {"status_list": {"idx": 7, "uri": "https://i/s/1"}}});
        assert_eq!(
            references(&sd_jwt).unwrap(),
            [StatusReference::Token {
                uri: "https://i/s/1".into(),
                idx: 7
            }]
        );
        let vc = json!({"vc": {"credentialStatus": [
            {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
             "statusListIndex": "94567", "statusListCredential": "https://i/s/2/revocation"},
            {"type": "SomethingElse"}
        ]}});
        assert_eq!(
            references(&vc).unwrap(),
            [StatusReference::Bitstring {
                uri: "https://i/s/2/revocation".into(),
                idx: 94567,
                purpose: "revocation".into()
            }]
        );
        let single = json!({"credentialStatus": {"type": "BitstringStatusListEntry",
            "statusPurpose": "suspension", "statusListIndex": "3", "statusListCredential": "u"}});
        assert_eq!(references(&single).unwrap().len(), 1);
        assert!(references(&json!({})).unwrap().is_empty());
        assert!(references(&json!({"status": {"status_list": {"idx": -1, "uri": "u"}}})).is_err());
        assert!(
            references(&json!({"credentialStatus": {"type": "BitstringStatusListEntry",
                "statusPurpose": "revocation", "statusListIndex": "x", "statusListCredential": "u"}}))
            .is_err()
        );
    }

    fn list_credential(purpose: &str, set: &[u64], until: DateTime<Utc>) -> Value {
        let mut bits = Bitstring::new(bitstring::MIN_ENTRIES).unwrap();
        for idx in set {
            bits.set(*idx, true).unwrap();
        }
        bitstring::list_credential(
            "https://i/s/2/revocation",
            "did:web:i",
            purpose,
            &bits.encode(),
            until - chrono::Duration::days(1),
            until,
            60_000,
        )
    }

    #[test]
    fn a_bitstring_credential_is_checked_before_its_bit_is_read() {
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        let uri = "https://i/s/2/revocation";
        let list =
            parse_bitstring_credential(&list_credential("revocation", &[5], later), uri).unwrap();
        assert_eq!(list.ttl_ms, Some(60_000));
        assert!(read_bitstring(&list, "revocation", 5, now).unwrap());
        assert!(!read_bitstring(&list, "revocation", 6, now).unwrap());
        assert!(read_bitstring(&list, "suspension", 5, now).is_err());
        assert!(read_bitstring(&list, "revocation", 1 << 40, now).is_err());
        assert!(
            read_bitstring(&list, "revocation", 5, later).is_err(),
            "expired"
        );
        assert!(
            parse_bitstring_credential(&list_credential("revocation", &[], later), "https://other")
                .is_err(),
            "served from another URI"
        );
        let mut untyped = list_credential("revocation", &[], later);
        untyped["type"] = json!(["VerifiableCredential"]);
        assert!(parse_bitstring_credential(&untyped, uri).is_err());
    }
}
