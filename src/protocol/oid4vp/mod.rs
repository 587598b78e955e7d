//! OpenID4VP 1.0, the verifier's side: the DCQL query a session asks with, the
//! authorization request (by `request_uri`, signed, or by value) and the wallet's
//! `direct_post` answer. Pure: the services sign, store and verify.

pub mod dcql;
pub mod request;
pub mod response;
