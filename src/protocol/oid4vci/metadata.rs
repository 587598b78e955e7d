//! Discovery documents: credential issuer metadata (OpenID4VCI 1.0 §12.2), OAuth
//! authorization server metadata (RFC 8414) and JWT VC issuer metadata (SD-JWT VC §5).

use serde_json::{Map, Value, json};

use super::offer::PRE_AUTHORIZED_GRANT;

/// Credentials per request a wallet may ask for with several proofs.
pub const BATCH_SIZE: usize = 10;

/// The endpoints of one issuer (`{public_url}/{env}`).
#[derive(Debug, Clone)]
pub struct IssuerEndpoints {
    pub issuer: String,
}

impl IssuerEndpoints {
    pub fn new(public_url: &str, env: &str) -> Self {
        Self {
            issuer: format!("{public_url}/{env}"),
        }
    }

    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/oid4vci/{name}", self.issuer)
    }

    pub fn offer_uri(&self, offer_id: &str) -> String {
        self.endpoint(&format!("offers/{offer_id}"))
    }
}

/// The issuer's own display (from its issuer profile).
#[derive(Debug, Clone)]
pub struct IssuerDisplay {
    pub name: String,
    pub logo: Option<String>,
    pub locale: String,
}

pub fn issuer_metadata(
    endpoints: &IssuerEndpoints,
    display: &IssuerDisplay,
    configurations: Map<String, Value>,
) -> Value {
    let mut issuer_display = json!({"name": display.name, "locale": display.locale});
    if let Some(logo) = &display.logo {
        issuer_display["logo"] = json!({"uri": logo, "alt_text": format!("{} logo", display.name)});
    }
    json!({
        "credential_issuer": endpoints.issuer,
        "credential_endpoint": endpoints.endpoint("credential"),
        "nonce_endpoint": endpoints.endpoint("nonce"),
        "deferred_credential_endpoint": endpoints.endpoint("deferred"),
        "notification_endpoint": endpoints.endpoint("notification"),
        "batch_credential_issuance": {"batch_size": BATCH_SIZE},
        "display": [issuer_display],
        "credential_configurations_supported": configurations,
    })
}

pub fn authorization_server_metadata(endpoints: &IssuerEndpoints) -> Value {
    json!({
        "issuer": endpoints.issuer,
        "token_endpoint": endpoints.endpoint("token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": true,
        "token_endpoint_auth_methods_supported": ["none"],
        "authorization_details_types_supported": ["openid_credential"],
        "response_types_supported": [],
    })
}

pub fn jwt_vc_issuer_metadata(
    endpoints: &IssuerEndpoints,
    keys: &[identity_kit::jose::Jwk],
) -> Value {
    json!({"issuer": endpoints.issuer, "jwks": {"keys": keys}})
}
