//! Credential offers (OpenID4VCI 1.0 §4.1): the offer object and the links that carry it.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
pub const OFFER_SCHEME: &str = "openid-credential-offer://";

/// How a transaction code is entered; its presence in an offer means the wallet must ask
/// for it. The code itself travels out of band, never in the offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TxCode {
    /// `numeric` or `text`.
    pub input_mode: String,
    pub length: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The offer a wallet receives.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialOffer {
    pub credential_issuer: String,
    pub credential_configuration_ids: Vec<String>,
    pub pre_authorized_code: String,
    pub tx_code: Option<TxCode>,
}

impl CredentialOffer {
    pub fn to_json(&self) -> Value {
        let mut grant = json!({"pre-authorized_code": self.pre_authorized_code});
        if let Some(tx_code) = &self.tx_code {
            grant["tx_code"] = json!(tx_code);
        }
        json!({
            "credential_issuer": self.credential_issuer,
            "credential_configuration_ids": self.credential_configuration_ids,
            "grants": {PRE_AUTHORIZED_GRANT: grant},
        })
    }
}

fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// `openid-credential-offer://?credential_offer_uri=…` (or `{base}?credential_offer_uri=…`
/// for a wallet's own https endpoint).
pub fn link_by_reference(base: Option<&str>, offer_uri: &str) -> String {
    format!(
        "{}?credential_offer_uri={}",
        base.unwrap_or(OFFER_SCHEME),
        encode(offer_uri)
    )
}

/// `openid-credential-offer://?credential_offer=<the offer JSON>`.
pub fn link_by_value(base: Option<&str>, offer: &CredentialOffer) -> String {
    format!(
        "{}?credential_offer={}",
        base.unwrap_or(OFFER_SCHEME),
        encode(&offer.to_json().to_string())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(tx: bool) -> CredentialOffer {
        CredentialOffer {
            credential_issuer: "https://v.example/e".into(),
            credential_configuration_ids: vec!["t.sd_jwt".into()],
            pre_authorized_code: "code-123".into(),
            tx_code: tx.then(|| TxCode {
                input_mode: "numeric".into(),
                length: 6,
                description: Some("Sent by SMS".into()),
            }),
        }
    }

    #[test]
    fn offer_object_matches_section_4_1_1() {
        assert_eq!(
            offer(true).to_json(),
            json!({
                "credential_issuer": "https://v.example/e",
                "credential_configuration_ids": ["t.sd_jwt"],
                "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {
                    "pre-authorized_code": "code-123",
                    "tx_code": {"input_mode": "numeric", "length": 6, "description": "Sent by SMS"}
                }}
            })
        );
        assert!(
            offer(false).to_json()["grants"][PRE_AUTHORIZED_GRANT]
                .get("tx_code")
                .is_none()
        );
    }

    #[test]
    fn links_carry_one_parameter_url_encoded() {
        let by_ref = link_by_reference(None, "https://v.example/e/oid4vci/offers/1");
        assert_eq!(
            by_ref,
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fv.example%2Fe%2Foid4vci%2Foffers%2F1"
        );
        let by_value = link_by_value(Some("https://wallet.example/offer"), &offer(false));
        assert!(by_value.starts_with("https://wallet.example/offer?credential_offer=%7B"));
        assert!(!by_value.contains("credential_offer_uri"));
    }
}
