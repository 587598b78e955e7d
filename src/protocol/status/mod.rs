//! Status lists: how a verifier learns that a credential vouch issued was revoked or
//! suspended without vouch learning who asked about which credential.
//!
//! Each credential format has its own list, because each has its own standard and its
//! verifiers only read that one: `dc+sd-jwt` credentials point into an IETF Token Status
//! List ([`token`]), `jwt_vc_json` credentials into a W3C Bitstring Status List
//! ([`bitstring`]). The two are kept apart on purpose: they differ in compression (ZLIB
//! against GZIP), bit order (least against most significant bit first) and encoding
//! (multibase `u` prefix), and sharing code would blur exactly those details. Herd privacy
//! only holds if an index says nothing about when a credential was issued, so indexes come
//! from a keyed permutation of a counter ([`index`]).
//!
//! Everything here is pure: the service layer loads the entries, builds and signs a list
//! here, and serves it.

pub mod bitstring;
pub mod check;
pub mod index;
pub mod token;

pub use bitstring::{
    Bitstring, BitstringError, MIN_ENTRIES, list_credential, sign_list_credential,
};
pub use index::IndexPermutation;
pub use token::{build_list, sign_token, status_claim};

/// The status of one entry, as stored and as both list formats carry it. The values are
/// the Token Status List status types (draft-ietf-oauth-status-list §7.1); a Bitstring
/// Status List has one list per purpose, so there `Invalid` sets a bit in the
/// `revocation` list and `Suspended` one in the `suspension` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum EntryStatus {
    Valid = 0,
    Invalid = 1,
    Suspended = 2,
}

impl EntryStatus {
    pub const fn as_u8(self) -> u8 {
        self as u8
    }

    /// The status with value `value`, or `None` for a value vouch does not use.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0 => Some(Self::Valid),
            1 => Some(Self::Invalid),
            2 => Some(Self::Suspended),
            _ => None,
        }
    }
}

impl From<EntryStatus> for identity_kit::status_list::StatusType {
    fn from(status: EntryStatus) -> Self {
        Self(status.as_u8())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_status_round_trips_through_its_value() {
        for status in [
            EntryStatus::Valid,
            EntryStatus::Invalid,
            EntryStatus::Suspended,
        ] {
            assert_eq!(EntryStatus::from_u8(status.as_u8()), Some(status));
        }
        assert_eq!(EntryStatus::Suspended.as_u8(), 2);
        assert_eq!(EntryStatus::from_u8(3), None);
        assert_eq!(
            identity_kit::status_list::StatusType::from(EntryStatus::Invalid),
            identity_kit::status_list::StatusType::INVALID
        );
    }
}
