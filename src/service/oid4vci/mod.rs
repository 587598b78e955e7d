//! OpenID4VCI issuance: offers, the token endpoint (pre-authorized code and refresh
//! tokens), nonces, the credential, deferred and notification endpoints, discovery
//! documents, and the event trail of each user credential.

pub mod credential;
pub mod events;
pub mod metadata;
pub mod offers;
pub mod secrets;
pub mod token;

use serde_json::{Value, json};

/// An error of a protocol endpoint, in the OAuth shape the specification names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
    /// A fresh nonce for `invalid_nonce`, which draft-13 wallets read from the error.
    pub c_nonce: Option<String>,
}

impl ProtocolError {
    pub fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            c_nonce: None,
        }
    }

    pub fn bad(error: &'static str, description: impl Into<String>) -> Self {
        Self::new(400, error, description)
    }

    pub fn invalid_token(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_token", description)
    }

    pub fn server() -> Self {
        Self::new(
            500,
            "server_error",
            "the issuer could not complete the request; try again",
        )
    }

    pub fn body(&self) -> Value {
        let mut body = json!({"error": self.error, "error_description": self.description});
        if let Some(nonce) = &self.c_nonce {
            body["c_nonce"] = json!(nonce);
        }
        body
    }
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl From<super::Error> for ProtocolError {
    fn from(err: super::Error) -> Self {
        match err {
            super::Error::NotFound(message) => Self::new(404, "not_found", message),
            other => {
                tracing::error!(error = %other, cause = ?other, "issuance request failed");
                Self::server()
            }
        }
    }
}
