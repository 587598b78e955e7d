//! Integration tests against a real server on a loopback port, each on SQLite and on
//! PostgreSQL (see `common`).

mod common;

mod applications;
mod backend_api;
mod credential_types;
mod did;
mod directory;
mod environments;
mod errors;
mod golden;
mod isolation;
mod issuer_profile;
mod oid4vci;
mod oid4vci_flows;
mod oid4vp;
mod oid4vp_modes;
mod openapi;
mod ops;
mod process;
mod scim;
mod secrets;
mod status;
mod token;
mod user_credentials;
mod wallet;
