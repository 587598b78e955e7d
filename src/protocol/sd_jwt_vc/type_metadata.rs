//! SD-JWT VC type metadata (§5 of the SD-JWT VC draft) for a credential type, served at
//! its `vct` URL. Display entries carry the locale `en`: credential types have one
//! language today.

use serde_json::{Value, json};

use crate::domain::credential_type::CredentialTypeDefinition;
use crate::protocol::oid4vci::configurations::display;

pub const LOCALE: &str = "en";

/// The type metadata document for `vct`.
pub fn type_metadata(vct: &str, def: &CredentialTypeDefinition) -> Value {
    let d = display(def);
    let mut simple = serde_json::Map::new();
    for (from, to) in [
        ("logo", "logo"),
        ("background_color", "background_color"),
        ("text_color", "text_color"),
        ("background_image", "background_image"),
    ] {
        if let Some(v) = d.get(from) {
            simple.insert(to.into(), v.clone());
        }
    }
    let mut entry = json!({"locale": LOCALE, "name": def.title()});
    if let Some(description) = &def.description {
        entry["description"] = json!(description);
    }
    if !simple.is_empty() {
        entry["rendering"] = json!({"simple": simple});
    }
    let mut doc = json!({
        "vct": vct,
        "name": def.title(),
        "display": [entry],
        "claims": def.fields().iter().map(|f| {
            let mut claim = json!({
                "path": [f.title()],
                "sd": "always",
                "mandatory": f.is_required(),
            });
            if f.is_visible.unwrap_or(true) {
                claim["display"] = json!([{"locale": LOCALE, "label": f.title()}]);
            }
            claim
        }).collect::<Vec<_>>(),
    });
    if let Some(description) = &def.description {
        doc["description"] = json!(description);
    }
    doc
}

#[cfg(test)]
mod tests {
    use identity_kit::sd_jwt_vc::TypeMetadata;

    use super::*;

    #[test]
    fn parses_as_type_metadata_with_every_field_disclosable() {
        let def: CredentialTypeDefinition = serde_json::from_value(json!({
            "title": "BX Insurance",
            "cardDesignTemplate": "<svg></svg>",
            "metadata": {"cardColor": "#ffffff", "fields": [
                {"id": "a", "type": "Alphanumeric Text", "title": "Policy ID", "isVisible": true, "required": true}
            ]}
        }))
        .unwrap();
        let doc = type_metadata("https://v.example/e/types/t", &def);
        // identity-kit's own model of §5 reads it back
        let parsed: TypeMetadata = serde_json::from_value(doc.clone()).unwrap();
        assert_eq!(parsed.vct, "https://v.example/e/types/t");
        assert_eq!(parsed.claims.len(), 1);
        assert_eq!(doc["claims"][0]["sd"], "always");
        assert_eq!(
            doc["display"][0]["rendering"]["simple"]["background_color"],
            "#ffffff"
        );
    }
}
