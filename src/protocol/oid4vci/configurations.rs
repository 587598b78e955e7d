//! How a credential type is offered: its OpenID4VCI `credential_configurations_supported`
//! entries, one per format vouch issues.
//!
//! - `{typeId}.sd_jwt`: `dc+sd-jwt` with `vct` = `{issuer}/types/{typeId}` (the SD-JWT VC
//!   type metadata is served there), bound to a `jwk`.
//! - `{typeId}.jwt_vc`: `jwt_vc_json` (W3C VCDM 1.1) with `credential_definition.type`
//!   `["VerifiableCredential", <cardType or the title in PascalCase>]`, bound to a DID or
//!   a `jwk`.
//!
//! Each carries `credential_metadata.display` (name, description, logo, colours,
//! background image from `metadata`) and one claim per field, named by the field title.
//! The id doubles as the OAuth `scope`, which HAIP asks of every configuration.

use serde_json::{Map, Value, json};

use crate::domain::credential_type::CredentialTypeDefinition;

/// Algorithms accepted in holder proofs (`proof_types_supported.jwt`). Never `none` or
/// a MAC.
pub const PROOF_ALGORITHMS: &[&str] = &["ES256", "EdDSA", "ES256K"];

/// The two formats of one type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    SdJwt,
    JwtVc,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::SdJwt, Format::JwtVc];

    /// The OpenID4VCI `format` value.
    pub fn name(self) -> &'static str {
        match self {
            Format::SdJwt => "dc+sd-jwt",
            Format::JwtVc => "jwt_vc_json",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Format::SdJwt => "sd_jwt",
            Format::JwtVc => "jwt_vc",
        }
    }

    /// The configuration id of credential type `type_id` in this format.
    pub fn configuration_id(self, type_id: &str) -> String {
        format!("{type_id}.{}", self.suffix())
    }

    /// The credential type id and format a configuration id names.
    pub fn parse_configuration_id(id: &str) -> Option<(&str, Format)> {
        let (type_id, suffix) = id.rsplit_once('.')?;
        Format::ALL
            .into_iter()
            .find(|f| f.suffix() == suffix)
            .map(|f| (type_id, f))
    }
}

/// `vct` of a credential type: `{public_url}/{env}/types/{type_id}`.
pub fn vct(public_url: &str, env: &str, type_id: &str) -> String {
    format!("{public_url}/{env}/types/{type_id}")
}

/// The W3C `type` of a credential type: its `cardType`, or its title in PascalCase.
pub fn w3c_type(def: &CredentialTypeDefinition) -> String {
    if let Some(card_type) = def.card_type.as_deref().filter(|t| !t.trim().is_empty()) {
        return card_type.to_string();
    }
    def.title()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The credential-level `display` entry.
pub fn display(def: &CredentialTypeDefinition) -> Value {
    let m = def.metadata();
    let mut display = Map::new();
    display.insert("name".into(), json!(def.title()));
    if let Some(description) = &def.description {
        display.insert("description".into(), json!(description));
    }
    if let Some(logo) = &m.logo_image {
        display.insert(
            "logo".into(),
            json!({"uri": logo, "alt_text": format!("{} logo", def.title())}),
        );
    }
    if let Some(color) = &m.card_color {
        display.insert("background_color".into(), json!(color));
    }
    if let Some(color) = &m.text_color {
        display.insert("text_color".into(), json!(color));
    }
    if let Some(image) = &m.background_image {
        display.insert("background_image".into(), json!({"uri": image}));
    }
    Value::Object(display)
}

fn claims(def: &CredentialTypeDefinition, prefix: &[&str]) -> Value {
    Value::Array(
        def.fields()
            .iter()
            .map(|f| {
                let mut path: Vec<Value> = prefix.iter().map(|p| json!(p)).collect();
                path.push(json!(f.title()));
                let mut claim = json!({"path": path, "mandatory": f.is_required()});
                if f.is_visible.unwrap_or(true) {
                    claim["display"] = json!([{"name": f.title()}]);
                }
                claim
            })
            .collect(),
    )
}

/// Both configurations of one credential type, keyed by configuration id.
/// `signing_algs` are the algorithms of the environment's published credential keys.
pub fn credential_configurations(
    public_url: &str,
    env: &str,
    type_id: &str,
    def: &CredentialTypeDefinition,
    signing_algs: &[&str],
) -> Map<String, Value> {
    let proof_types = json!({"jwt": {"proof_signing_alg_values_supported": PROOF_ALGORITHMS}});
    let metadata =
        |prefix: &[&str]| json!({"display": [display(def)], "claims": claims(def, prefix)});
    let mut out = Map::new();
    let sd_jwt = Format::SdJwt.configuration_id(type_id);
    out.insert(
        sd_jwt.clone(),
        json!({
            "format": Format::SdJwt.name(),
            "scope": sd_jwt,
            "vct": vct(public_url, env, type_id),
            "cryptographic_binding_methods_supported": ["jwk"],
            "credential_signing_alg_values_supported": signing_algs,
            "proof_types_supported": proof_types,
            "credential_metadata": metadata(&[]),
        }),
    );
    let jwt_vc = Format::JwtVc.configuration_id(type_id);
    out.insert(
        jwt_vc.clone(),
        json!({
            "format": Format::JwtVc.name(),
            "scope": jwt_vc,
            "credential_definition": {"type": ["VerifiableCredential", w3c_type(def)]},
            "cryptographic_binding_methods_supported": ["did:key", "did:jwk", "did:web", "jwk"],
            "credential_signing_alg_values_supported": signing_algs,
            "proof_types_supported": proof_types,
            "credential_metadata": metadata(&["credentialSubject"]),
        }),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx() -> CredentialTypeDefinition {
        serde_json::from_value(json!({
            "title": "BX Insurance policy",
            "description": "Car insurance",
            "cardDesignTemplate": "<svg></svg>",
            "metadata": {
                "cardColor": "#002b5c", "textColor": "#ffffff", "logoImage": "https://bx.example/logo.png",
                "fields": [
                    {"id": "a", "type": "Alphanumeric Text", "title": "Policy ID", "isVisible": true, "required": true},
                    {"id": "b", "type": "Alphanumeric Text", "title": "Internal", "isVisible": false}
                ]
            }
        }))
        .unwrap()
    }

    #[test]
    fn both_formats_with_display_and_claims() {
        let c = credential_configurations("https://v.example", "e1", "t1", &bx(), &["ES256"]);
        let sd = &c["t1.sd_jwt"];
        assert_eq!(sd["format"], "dc+sd-jwt");
        assert_eq!(sd["vct"], "https://v.example/e1/types/t1");
        assert_eq!(sd["scope"], "t1.sd_jwt");
        assert_eq!(
            sd["credential_signing_alg_values_supported"],
            json!(["ES256"])
        );
        let display = &sd["credential_metadata"]["display"][0];
        assert_eq!(display["name"], "BX Insurance policy");
        assert_eq!(display["background_color"], "#002b5c");
        assert_eq!(display["text_color"], "#ffffff");
        assert_eq!(display["logo"]["uri"], "https://bx.example/logo.png");
        assert_eq!(
            sd["credential_metadata"]["claims"],
            json!([
                {"path": ["Policy ID"], "mandatory": true, "display": [{"name": "Policy ID"}]},
                {"path": ["Internal"], "mandatory": false}
            ])
        );
        let vc = &c["t1.jwt_vc"];
        assert_eq!(vc["format"], "jwt_vc_json");
        assert_eq!(
            vc["credential_definition"]["type"],
            json!(["VerifiableCredential", "BXInsurancePolicy"])
        );
        assert_eq!(
            vc["credential_metadata"]["claims"][0]["path"],
            json!(["credentialSubject", "Policy ID"])
        );
        assert!(
            !vc["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|a| a == "none" || a.as_str().unwrap().starts_with("HS"))
        );
    }

    #[test]
    fn configuration_ids_parse_back() {
        assert_eq!(
            Format::parse_configuration_id("t1.sd_jwt"),
            Some(("t1", Format::SdJwt))
        );
        assert_eq!(
            Format::parse_configuration_id("t1.jwt_vc"),
            Some(("t1", Format::JwtVc))
        );
        assert_eq!(Format::parse_configuration_id("t1.mdoc"), None);
    }

    #[test]
    fn card_type_names_the_w3c_type() {
        let mut def = bx();
        def.card_type = Some("ProofOfInsurance".into());
        assert_eq!(w3c_type(&def), "ProofOfInsurance");
    }
}
