//! The management model: what each resource may hold and how input is validated.
//! Pure: no I/O, no HTTP, no database. Validation reports every fault at once, each
//! with the JSON path (`target`) that caused it.

pub mod application;
pub mod card;
pub mod credential_type;
pub mod directory;
pub mod environment;
pub mod issuer_profile;
pub mod page;
pub mod presentation;
pub mod scim;
pub mod signing_key;
pub mod time;
pub mod user_credential;
pub mod validate;
