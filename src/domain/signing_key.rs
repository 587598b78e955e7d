//! Signing key rotation requests (vouch extension to the management API).

use serde::Deserialize;

use super::validate::{Checker, FieldError};

pub const PURPOSES: &[&str] = &["CREDENTIAL_SIGNING", "ADMIN_TOKEN"];
pub const ALGORITHMS: &[&str] = &["ES256", "EdDSA"];

/// Body of `POST …/signingKeys`: makes a new key active for a purpose.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct KeyRotationInput {
    /// `CREDENTIAL_SIGNING` (default) or `ADMIN_TOKEN`.
    pub purpose: Option<String>,
    /// `ES256` (default) or `EdDSA`. Admin tokens are always ES256.
    pub algorithm: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRotation {
    pub purpose: String,
    pub algorithm: String,
}

impl KeyRotationInput {
    pub fn validate(&self) -> Result<KeyRotation, Vec<FieldError>> {
        let mut c = Checker::new();
        let purpose = c.one_of(
            "purpose",
            self.purpose.as_deref(),
            PURPOSES,
            Some("CREDENTIAL_SIGNING"),
        );
        let algorithm = c.one_of(
            "algorithm",
            self.algorithm.as_deref(),
            ALGORITHMS,
            Some("ES256"),
        );
        if purpose.as_deref() == Some("ADMIN_TOKEN") && algorithm.as_deref() == Some("EdDSA") {
            c.push(
                FieldError::invalid("algorithm", "admin access tokens are signed with ES256")
                    .with_inner(serde_json::json!({"allowedValues": ["ES256"]})),
            );
        }
        c.finish()?;
        Ok(KeyRotation {
            purpose: purpose.expect("checked"),
            algorithm: algorithm.expect("checked"),
        })
    }
}
