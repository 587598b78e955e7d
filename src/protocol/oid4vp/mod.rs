//! OpenID4VP 1.0, the verifier's side: the DCQL query a session asks with, the
//! authorization request (by `request_uri`, signed, or by value), the wallet's
//! `direct_post` answer and the JWE of a `direct_post.jwt` one; for draft wallets,
//! Presentation Exchange. Pure: the services sign, store and verify.

pub mod dcql;
pub mod jwe;
pub mod presentation_exchange;
pub mod request;
pub mod response;
