//! Decentralized identifiers: the environment's own `did:web` and `did:jwk`, and a
//! resolver for `did:key`, `did:jwk` and `did:web` used to check holder keys.

pub mod resolver;
pub mod web;

pub use resolver::{DidResolver, ResolveError};
pub use web::{environment_did_web, jwk_did, web_document};
