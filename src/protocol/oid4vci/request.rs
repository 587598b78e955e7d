//! Credential requests: the 1.0 shape (`credential_configuration_id` or
//! `credential_identifier`, `proofs.jwt[]`) and the draft-13 shape (`format` with `vct`
//! or `credential_definition`, one `proof`).

use serde_json::Value;

/// Which credential a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    ConfigurationId(String),
    Identifier(String),
    /// Draft 13: a format plus its type (`vct`, or `credential_definition.type`).
    Format {
        format: String,
        vct: Option<String>,
        types: Option<Vec<String>>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialRequest {
    pub selector: Selector,
    /// `jwt` proofs, in order.
    pub proofs: Vec<String>,
    /// Whether the request used the draft-13 shape (the response follows it).
    pub draft13: bool,
}

/// An OAuth-style error for the credential endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestError {
    pub error: &'static str,
    pub description: String,
}

fn err<T>(error: &'static str, description: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError {
        error,
        description: description.into(),
    })
}

/// Reads a credential request; `batch_size` bounds the number of proofs.
pub fn parse(body: &Value, batch_size: usize) -> Result<CredentialRequest, RequestError> {
    let Some(object) = body.as_object() else {
        return err(
            "invalid_credential_request",
            "the credential request must be a JSON object",
        );
    };
    if object.contains_key("credential_response_encryption") {
        return err(
            "invalid_encryption_parameters",
            "this issuer does not encrypt credential responses (its metadata offers no credential_response_encryption)",
        );
    }
    let config = object.get("credential_configuration_id").map(Value::as_str);
    let identifier = object.get("credential_identifier").map(Value::as_str);
    let format = object.get("format").map(Value::as_str);
    let draft13 = format.is_some();
    let selector = match (config, identifier, format) {
        (Some(Some(id)), None, None) => Selector::ConfigurationId(id.to_string()),
        (None, Some(Some(id)), None) => Selector::Identifier(id.to_string()),
        (None, None, Some(Some(format))) => {
            let vct = object
                .get("vct")
                .and_then(Value::as_str)
                .map(str::to_string);
            let types = object
                .get("credential_definition")
                .and_then(|d| d.get("type"))
                .and_then(Value::as_array)
                .map(|t| {
                    t.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                });
            Selector::Format {
                format: format.to_string(),
                vct,
                types,
            }
        }
        (None, None, None) => {
            return err(
                "invalid_credential_request",
                "name the credential with credential_configuration_id or credential_identifier",
            );
        }
        _ => {
            return err(
                "invalid_credential_request",
                "use exactly one of credential_configuration_id, credential_identifier or (draft 13) format, each a string",
            );
        }
    };
    let proofs = match (object.get("proofs"), object.get("proof")) {
        (Some(_), Some(_)) => {
            return err(
                "invalid_credential_request",
                "send proofs or proof, not both",
            );
        }
        (Some(Value::Object(proofs)), None) => {
            if proofs.len() != 1 {
                return err(
                    "invalid_credential_request",
                    "proofs must have exactly one proof type",
                );
            }
            match proofs.get("jwt") {
                Some(Value::Array(list)) if !list.is_empty() => list
                    .iter()
                    .map(|p| p.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| RequestError {
                        error: "invalid_proof",
                        description: "each jwt proof must be a string".into(),
                    })?,
                Some(_) => {
                    return err(
                        "invalid_proof",
                        "proofs.jwt must be a non-empty array of JWTs",
                    );
                }
                None => return err("invalid_proof", "only jwt proofs are supported"),
            }
        }
        (Some(_), None) => {
            return err(
                "invalid_credential_request",
                "proofs must be an object such as {\"jwt\": [\"…\"]}",
            );
        }
        (None, Some(Value::Object(proof))) => {
            match (
                proof.get("proof_type").and_then(Value::as_str),
                proof.get("jwt").and_then(Value::as_str),
            ) {
                (Some("jwt"), Some(jwt)) => vec![jwt.to_string()],
                (Some("jwt"), None) => return err("invalid_proof", "proof.jwt is missing"),
                _ => return err("invalid_proof", "only proof_type jwt is supported"),
            }
        }
        (None, Some(_)) => {
            return err(
                "invalid_proof",
                "proof must be an object with proof_type and jwt",
            );
        }
        (None, None) => {
            return err(
                "invalid_proof",
                "the request carries no proof of possession; get a c_nonce from the nonce endpoint and send proofs.jwt",
            );
        }
    };
    if proofs.len() > batch_size {
        return err(
            "invalid_credential_request",
            format!(
                "at most {batch_size} proofs per request (batch_credential_issuance.batch_size)"
            ),
        );
    }
    Ok(CredentialRequest {
        selector,
        proofs,
        draft13,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn both_shapes_parse() {
        let v1 = parse(
            &json!({"credential_configuration_id": "t.sd_jwt", "proofs": {"jwt": ["a", "b"]}}),
            10,
        )
        .unwrap();
        assert_eq!(v1.selector, Selector::ConfigurationId("t.sd_jwt".into()));
        assert_eq!(v1.proofs.len(), 2);
        assert!(!v1.draft13);
        let d13 = parse(&json!({"format": "vc+sd-jwt", "vct": "https://x/types/t", "proof": {"proof_type": "jwt", "jwt": "a"}}), 10).unwrap();
        assert!(d13.draft13);
        assert!(
            matches!(d13.selector, Selector::Format { ref vct, .. } if vct.as_deref() == Some("https://x/types/t"))
        );
        let ident = parse(
            &json!({"credential_identifier": "c1", "proofs": {"jwt": ["a"]}}),
            10,
        )
        .unwrap();
        assert_eq!(ident.selector, Selector::Identifier("c1".into()));
    }

    #[test]
    fn errors_use_the_spec_codes() {
        let cases = [
            (json!([]), "invalid_credential_request"),
            (
                json!({"proofs": {"jwt": ["a"]}}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "a", "credential_identifier": "b", "proofs": {"jwt": ["a"]}}),
                "invalid_credential_request",
            ),
            (json!({"credential_configuration_id": "a"}), "invalid_proof"),
            (
                json!({"credential_configuration_id": "a", "proofs": {"di_vp": ["a"]}}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "a", "proofs": {"jwt": []}}),
                "invalid_proof",
            ),
            (
                json!({"credential_configuration_id": "a", "proofs": {"jwt": ["a"], "attestation": ["b"]}}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "a", "proofs": {"jwt": ["a"]}, "proof": {"proof_type": "jwt", "jwt": "a"}}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "a", "proofs": {"jwt": ["a", "b", "c"]}}),
                "invalid_credential_request",
            ),
            (
                json!({"credential_configuration_id": "a", "proofs": {"jwt": ["a"]}, "credential_response_encryption": {}}),
                "invalid_encryption_parameters",
            ),
        ];
        for (body, code) in cases {
            assert_eq!(parse(&body, 2).unwrap_err().error, code, "{body}");
        }
    }
}
