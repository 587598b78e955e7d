//! DIF Presentation Exchange 2.0, as draft OpenID4VP wallets speak it (the ID1 profile):
//! the `presentation_definition` a session asks with, and the wallet's
//! `presentation_submission` mapped back onto the 1.0 shape of a `vp_token` — an object
//! keyed by the DCQL credential query ids the same session would have used — so one
//! validator checks both.

use serde_json::{Value, json};

use super::dcql::{RequestedType, query_id};

/// The input descriptor id of requested type `i`.
pub fn descriptor_id(i: usize) -> String {
    format!("c{i}")
}

/// A JSONPath member selector that survives any field title (`$['Policy ID']`).
fn member(prefix: &str, name: &str) -> String {
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!("{prefix}['{escaped}']")
}

/// The filter a credential's type passes: a W3C `type` array containing one of the
/// types, or an SD-JWT VC `vct` string equal to one of the values. Without `anyOf`
/// (Sphereon's PEX refuses it): `contains` only judges arrays and `pattern` only strings,
/// so each branch leaves the other kind of value alone.
fn type_filter(r: &RequestedType) -> Value {
    let pattern = || {
        let alternatives: Vec<String> = r.vct_values.iter().map(|v| regex_escape(v)).collect();
        format!("^(?:{})$", alternatives.join("|"))
    };
    match (r.w3c_types.is_empty(), r.vct_values.is_empty()) {
        (false, true) => json!({"type": "array", "contains": {"enum": r.w3c_types}}),
        (true, false) => json!({"type": "string", "pattern": pattern()}),
        _ => json!({"contains": {"enum": r.w3c_types}, "pattern": pattern()}),
    }
}

/// `text` as a literal in an ECMA-262 regular expression (what JSON Schema's `pattern` is).
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The definition `id` for `requested`: one input descriptor per credential type, which a
/// JWT VC (by `type`) or an SD-JWT VC (by `vct`) satisfies, with each requested key as a
/// required field.
pub fn definition(id: &str, requested: &[RequestedType]) -> Value {
    let algs = json!(["ES256", "ES384", "EdDSA", "ES256K"]);
    let descriptors: Vec<Value> = requested
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut fields = vec![json!({
                "path": ["$.vc.type", "$.type", "$.vct"],
                "filter": type_filter(r),
            })];
            let optional = r.optional_keys.iter().filter(|k| !r.keys.contains(k));
            for (key, is_optional) in r
                .keys
                .iter()
                .map(|k| (k, false))
                .chain(optional.map(|k| (k, true)))
            {
                let mut field = json!({"path": [
                    member("$.vc.credentialSubject", key),
                    member("$.credentialSubject", key),
                    member("$", key),
                ]});
                if is_optional {
                    field["optional"] = json!(true);
                }
                fields.push(field);
            }
            let mut format = serde_json::Map::new();
            if !r.w3c_types.is_empty() {
                // The DIF profile's wallets name JWT VCs `jwt_vc` / `jwt_vp`; later drafts
                // `jwt_vc_json` / `jwt_vp_json`.
                for name in ["jwt_vc_json", "jwt_vp_json", "jwt_vc", "jwt_vp"] {
                    format.insert(name.into(), json!({"alg": algs}));
                }
            }
            if !r.vct_values.is_empty() {
                format.insert(
                    "vc+sd-jwt".into(),
                    json!({"sd-jwt_alg_values": algs, "kb-jwt_alg_values": algs}),
                );
            }
            let mut constraints = json!({"fields": fields});
            if !r.keys.is_empty() || !r.optional_keys.is_empty() {
                constraints["limit_disclosure"] = json!("preferred");
            }
            json!({
                "id": descriptor_id(i),
                "format": format,
                "constraints": constraints,
            })
        })
        .collect();
    json!({"id": id, "input_descriptors": descriptors})
}

/// The element of `vp_token` a descriptor's `path` names: `$` (the one presentation, or
/// the array) or `$[n]`.
fn at_path<'a>(vp_token: &'a Value, path: &str) -> Result<&'a Value, String> {
    if path == "$" {
        return Ok(vp_token);
    }
    let index = path
        .strip_prefix("$[")
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|n| n.parse::<usize>().ok())
        .ok_or_else(|| format!("descriptor path {path:?} is not $ or $[n]"))?;
    vp_token
        .as_array()
        .and_then(|a| a.get(index))
        .ok_or_else(|| format!("descriptor path {path} names no presentation"))
}

/// The `vp_token` of a draft answer in the 1.0 shape, keyed by the DCQL ids
/// (`query_id(i, format)`) of the `requested` count of types.
pub fn keyed_vp_token(
    definition_id: &str,
    requested: usize,
    submission: &Value,
    vp_token: &Value,
) -> Result<Value, String> {
    if submission["definition_id"] != definition_id {
        return Err(format!(
            "presentation_submission.definition_id is {}, not {definition_id}",
            submission["definition_id"]
        ));
    }
    let Some(descriptors) = submission["descriptor_map"].as_array() else {
        return Err("presentation_submission has no descriptor_map".into());
    };
    let mut keyed = serde_json::Map::new();
    for (n, d) in descriptors.iter().enumerate() {
        let id = d["id"].as_str().unwrap_or_default();
        let Some(i) = (0..requested).find(|i| descriptor_id(*i) == id) else {
            return Err(format!(
                "descriptor_map[{n}].id {id:?} is not an input descriptor"
            ));
        };
        let format = match d["format"].as_str().unwrap_or_default() {
            "jwt_vp_json" | "jwt_vp" | "jwt_vc_json" | "jwt_vc" => "jwt_vc_json",
            "vc+sd-jwt" | "dc+sd-jwt" => "dc+sd-jwt",
            other => {
                return Err(format!(
                    "descriptor_map[{n}].format {other:?} is not one vouch verifies"
                ));
            }
        };
        let presentation = at_path(vp_token, d["path"].as_str().unwrap_or_default())?;
        if !presentation.is_string() {
            return Err(format!(
                "descriptor_map[{n}].path names no single presentation"
            ));
        }
        let list = keyed
            .entry(query_id(i, format))
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list
            && !list.contains(presentation)
        {
            list.push(presentation.clone());
        }
    }
    Ok(Value::Object(keyed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requested() -> Vec<RequestedType> {
        vec![RequestedType {
            vct_values: vec!["https://i/e/types/t".into()],
            w3c_types: vec!["PolicyCard".into()],
            keys: vec!["Policy ID".into(), "it's".into()],
            optional_keys: vec!["Note".into()],
        }]
    }

    #[test]
    fn a_definition_asks_for_either_format_and_each_key() {
        let d = definition("pd-1", &requested());
        let descriptor = &d["input_descriptors"][0];
        assert_eq!(descriptor["id"], "c0");
        assert!(descriptor["format"]["jwt_vp_json"].is_object());
        assert!(descriptor["format"]["vc+sd-jwt"].is_object());
        let fields = descriptor["constraints"]["fields"].as_array().unwrap();
        assert_eq!(fields.len(), 4);
        assert_eq!(
            fields[0]["filter"],
            json!({"contains": {"enum": ["PolicyCard"]}, "pattern": "^(?:https://i/e/types/t)$"})
        );
        assert_eq!(fields[1]["path"][2], "$['Policy ID']");
        assert_eq!(fields[2]["path"][2], "$['it\\'s']");
        assert!(fields[2].get("optional").is_none());
        assert_eq!(fields[3]["path"][2], "$['Note']");
        assert_eq!(fields[3]["optional"], true);
    }

    #[test]
    fn the_type_filter_matches_a_vct_literally() {
        let r = RequestedType {
            vct_values: vec!["https://i.example/e/types/a.b?c=(1)".into()],
            ..RequestedType::default()
        };
        let filter = type_filter(&r);
        assert_eq!(filter["type"], "string");
        let pattern = regex::Regex::new(filter["pattern"].as_str().unwrap()).unwrap();
        assert!(pattern.is_match("https://i.example/e/types/a.b?c=(1)"));
        assert!(!pattern.is_match("https://i.example/e/types/aXb?c=(1)"));
        assert!(!pattern.is_match("https://i.example/e/types/a.b?c=(1)/more"));
        assert!(!pattern.is_match("xhttps://i.example/e/types/a.b?c=(1)"));
        let only_w3c = RequestedType {
            w3c_types: vec!["PolicyCard".into()],
            ..RequestedType::default()
        };
        assert_eq!(
            type_filter(&only_w3c),
            json!({"type": "array", "contains": {"enum": ["PolicyCard"]}})
        );
    }

    #[test]
    fn a_submission_maps_onto_the_dcql_ids() {
        let submission = json!({"id": "s", "definition_id": "pd-1", "descriptor_map": [
            {"id": "c0", "format": "jwt_vp_json", "path": "$",
             "path_nested": {"format": "jwt_vc_json", "path": "$.verifiableCredential[0]"}}
        ]});
        assert_eq!(
            keyed_vp_token("pd-1", 1, &submission, &json!("eyJ.vp.jwt")).unwrap(),
            json!({"c0_jwt_vc": ["eyJ.vp.jwt"]})
        );
        let submission = json!({"id": "s", "definition_id": "pd-1", "descriptor_map": [
            {"id": "c0", "format": "vc+sd-jwt", "path": "$[1]"}
        ]});
        assert_eq!(
            keyed_vp_token("pd-1", 1, &submission, &json!(["a", "b~c~"])).unwrap(),
            json!({"c0_sd_jwt": ["b~c~"]})
        );
    }

    #[test]
    fn a_submission_that_does_not_fit_says_why() {
        let map = |d: Value| json!({"definition_id": "pd-1", "descriptor_map": [d]});
        let token = json!("x");
        assert!(
            keyed_vp_token("pd-2", 1, &map(json!({})), &token)
                .unwrap_err()
                .contains("definition_id")
        );
        assert!(
            keyed_vp_token(
                "pd-1",
                1,
                &map(json!({"id": "c9", "format": "jwt_vp", "path": "$"})),
                &token
            )
            .unwrap_err()
            .contains("input descriptor")
        );
        assert!(
            keyed_vp_token(
                "pd-1",
                1,
                &map(json!({"id": "c0", "format": "ldp_vp", "path": "$"})),
                &token
            )
            .unwrap_err()
            .contains("format")
        );
        assert!(
            keyed_vp_token(
                "pd-1",
                1,
                &map(json!({"id": "c0", "format": "jwt_vp", "path": "$[3]"})),
                &token
            )
            .is_err()
        );
    }
}
