//! vouch: a verifiable-credential issuer and verifier server.
//!
//! Layers, from the edge inwards (dependencies point downwards only):
//! `http` (actix-web handlers) → `service` (use cases, transactions) →
//! `protocol` and `domain` (pure standards and management code) → `store`
//! (diesel over SQLite and PostgreSQL) and `keys` (signing keys, encrypted at rest).
//! `app` is the one place where these parts are wired together.

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod protocol;
pub mod service;
pub mod store;
pub mod telemetry;
