//! The bearer values of issuance and how they are kept: only hashes are stored.
//!
//! - A pre-authorized code is derived from its offer id with the master key, so the offer
//!   JSON can be served again (wallets fetch it twice) while the database holds only the
//!   code's SHA-256.
//! - A `c_nonce` is self-contained: random bytes, an expiry and a MAC over both and the
//!   environment. Minting one writes nothing; using one records its hash, once.
//! - Transaction codes are short, so their stored form is a MAC, not a bare hash that a
//!   stolen database could be searched against.
//! - Access and refresh tokens are 256-bit random values stored as SHA-256.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::NaiveDateTime;
use ring::rand::{SecureRandom, SystemRandom};
use subtle::ConstantTimeEq;

use crate::keys::MasterKey;

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    bytes
}

/// Hex SHA-256, the stored form of high-entropy bearer values.
pub fn sha256_hex(value: &str) -> String {
    ring::digest::digest(&ring::digest::SHA256, value.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A random offer id: v4, since it is a bearer secret inside the `credential_offer_uri`.
pub fn offer_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The pre-authorized code of offer `offer_id`.
pub fn pre_authorized_code(master: &MasterKey, offer_id: &str) -> String {
    URL_SAFE_NO_PAD.encode(master.mac("pre-authorized-code", offer_id.as_bytes()))
}

/// A 256-bit random token (access, refresh, deferred transaction id).
pub fn token() -> String {
    URL_SAFE_NO_PAD.encode(random::<32>())
}

/// A transaction code: `length` digits, or `length` letters and digits for `text`.
pub fn tx_code(input_mode: &str, length: u32) -> String {
    const TEXT: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..length)
        .map(|_| {
            // Rejection sampling keeps every symbol equally likely.
            let alphabet: &[u8] = if input_mode == "text" {
                TEXT
            } else {
                b"0123456789"
            };
            let bound = 256 - (256 % alphabet.len());
            loop {
                let byte = random::<1>()[0] as usize;
                if byte < bound {
                    break alphabet[byte % alphabet.len()] as char;
                }
            }
        })
        .collect()
}

/// Stored form of a transaction code of an offer.
pub fn tx_code_hash(master: &MasterKey, offer_id: &str, code: &str) -> String {
    URL_SAFE_NO_PAD.encode(master.mac("tx-code", format!("{offer_id}\0{code}").as_bytes()))
}

/// Compares a presented transaction code with the stored form, in constant time.
pub fn tx_code_matches(master: &MasterKey, offer_id: &str, presented: &str, stored: &str) -> bool {
    tx_code_hash(master, offer_id, presented)
        .as_bytes()
        .ct_eq(stored.as_bytes())
        .into()
}

const NONCE_RANDOM: usize = 16;
const NONCE_TAG: usize = 16;

/// A fresh `c_nonce` for environment `env`, valid until `expires_at`.
pub fn mint_nonce(master: &MasterKey, env: &str, expires_at: NaiveDateTime) -> String {
    let mut body = random::<NONCE_RANDOM>().to_vec();
    body.extend_from_slice(&expires_at.and_utc().timestamp().to_be_bytes());
    let tag = master.mac("c_nonce", &[env.as_bytes(), &[0], &body].concat());
    body.extend_from_slice(&tag[..NONCE_TAG]);
    URL_SAFE_NO_PAD.encode(body)
}

/// Why a nonce is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceProblem {
    /// Not one this server issued for this environment.
    Unknown,
    Expired,
}

/// Checks a nonce's MAC and expiry (not whether it was used); returns its expiry.
pub fn check_nonce(
    master: &MasterKey,
    env: &str,
    nonce: &str,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, NonceProblem> {
    let bytes = URL_SAFE_NO_PAD
        .decode(nonce)
        .map_err(|_| NonceProblem::Unknown)?;
    if bytes.len() != NONCE_RANDOM + 8 + NONCE_TAG {
        return Err(NonceProblem::Unknown);
    }
    let (body, tag) = bytes.split_at(NONCE_RANDOM + 8);
    let expected = master.mac("c_nonce", &[env.as_bytes(), &[0], body].concat());
    if !bool::from(expected[..NONCE_TAG].ct_eq(tag)) {
        return Err(NonceProblem::Unknown);
    }
    let seconds = i64::from_be_bytes(body[NONCE_RANDOM..].try_into().expect("8 bytes"));
    let expires = chrono::DateTime::from_timestamp(seconds, 0)
        .ok_or(NonceProblem::Unknown)?
        .naive_utc();
    if expires <= now {
        return Err(NonceProblem::Expired);
    }
    Ok(expires)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::time;

    #[test]
    fn nonces_verify_only_for_their_environment_until_they_expire() {
        let master = MasterKey::random();
        let now = time::now();
        let nonce = mint_nonce(&master, "env-a", now + Duration::seconds(300));
        assert!(check_nonce(&master, "env-a", &nonce, now).is_ok());
        assert_eq!(
            check_nonce(&master, "env-b", &nonce, now),
            Err(NonceProblem::Unknown)
        );
        assert_eq!(
            check_nonce(&MasterKey::random(), "env-a", &nonce, now),
            Err(NonceProblem::Unknown)
        );
        assert_eq!(
            check_nonce(&master, "env-a", &nonce, now + Duration::seconds(301)),
            Err(NonceProblem::Expired)
        );
        let mut forged = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        forged[20] ^= 1; // push the expiry
        assert_eq!(
            check_nonce(&master, "env-a", &URL_SAFE_NO_PAD.encode(forged), now),
            Err(NonceProblem::Unknown)
        );
        assert_ne!(
            mint_nonce(&master, "env-a", now),
            mint_nonce(&master, "env-a", now)
        );
    }

    #[test]
    fn codes_are_derived_and_tx_codes_compared_by_mac() {
        let master = MasterKey::random();
        assert_eq!(
            pre_authorized_code(&master, "o1"),
            pre_authorized_code(&master, "o1")
        );
        assert_ne!(
            pre_authorized_code(&master, "o1"),
            pre_authorized_code(&master, "o2")
        );
        let code = tx_code("numeric", 6);
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
        assert!(
            tx_code("text", 8)
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
        let stored = tx_code_hash(&master, "o1", &code);
        assert!(tx_code_matches(&master, "o1", &code, &stored));
        assert!(!tx_code_matches(&master, "o2", &code, &stored));
        assert!(!tx_code_matches(&master, "o1", "000000x", &stored));
    }
}
