//! OpenID for Verifiable Credential Issuance 1.0 (with the draft-13 shapes wallets still
//! send): configurations, offers, discovery documents, credential requests and proofs.

pub mod configurations;
pub mod metadata;
pub mod offer;
pub mod proof;
pub mod request;
