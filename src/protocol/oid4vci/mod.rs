//! OpenID for Verifiable Credential Issuance 1.0.

pub mod configurations;
