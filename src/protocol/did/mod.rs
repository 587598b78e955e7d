//! Decentralized identifiers: the environment's own `did:web` and `did:jwk`, and a
//! resolver for `did:key`, `did:jwk`, `did:web` and long-form `did:ion` used to check holder
//! keys.

pub mod ion;
pub mod resolver;
pub mod web;

pub use ion::long_form_did_ion;
pub use resolver::{DidResolver, ResolveError};
pub use web::{environment_did_web, jwk_did, web_document};
