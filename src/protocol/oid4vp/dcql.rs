//! The DCQL query of a session: each requested credential type becomes one credential
//! query per format vouch issues it in, offered as alternatives in a credential set, so a
//! wallet holding either format can answer (OpenID4VP 1.0 §6).

use serde_json::{Value, json};

/// One requested credential type, resolved to what identifies it in each format.
#[derive(Debug, Clone, Default)]
pub struct RequestedType {
    /// `vct` values of its `dc+sd-jwt` credentials (one per environment that issues it).
    pub vct_values: Vec<String>,
    /// The W3C types of its `jwt_vc_json` credentials.
    pub w3c_types: Vec<String>,
    /// Claims asked for by name; empty asks for none in particular.
    pub keys: Vec<String>,
    /// Claims wanted when the credential has them (the whole card, for an OPENID4VP
    /// session, where PingOne shows every field): a credential that lacks some still
    /// answers, through a DCQL `claim_sets` fallback.
    pub optional_keys: Vec<String>,
}

/// `claims` (and `claim_sets` when some are optional) of one credential query, each
/// claim path made by `path`.
fn claims(r: &RequestedType, path: impl Fn(&str) -> Value) -> Option<(Value, Option<Value>)> {
    let optional: Vec<&String> = r
        .optional_keys
        .iter()
        .filter(|k| !r.keys.contains(k))
        .collect();
    if r.keys.is_empty() && optional.is_empty() {
        return None;
    }
    if optional.is_empty() {
        let claims = r.keys.iter().map(|k| json!({"path": path(k)})).collect();
        return Some((claims, None));
    }
    let all: Vec<&String> = r.keys.iter().chain(optional.iter().copied()).collect();
    let id = |n: usize| format!("k{n}");
    let claims = all
        .iter()
        .enumerate()
        .map(|(n, k)| json!({"id": id(n), "path": path(k)}))
        .collect();
    // The wallet takes the first set it can satisfy: everything, else what is required
    // (else, when nothing is, any one claim — DCQL has no empty option).
    let mut sets = vec![json!((0..all.len()).map(id).collect::<Vec<_>>())];
    if r.keys.is_empty() {
        sets.extend((0..all.len()).map(|n| json!([id(n)])));
    } else {
        sets.push(json!((0..r.keys.len()).map(id).collect::<Vec<_>>()));
    }
    Some((claims, Some(Value::Array(sets))))
}

fn set_claims(q: &mut Value, claims: Option<(Value, Option<Value>)>) {
    if let Some((claims, sets)) = claims {
        q["claims"] = claims;
        if let Some(sets) = sets {
            q["claim_sets"] = sets;
        }
    }
}

/// The id of the credential query for requested type `i` in `format`.
pub fn query_id(i: usize, format: &str) -> String {
    match format {
        "dc+sd-jwt" => format!("c{i}_sd_jwt"),
        _ => format!("c{i}_jwt_vc"),
    }
}

/// The DCQL query for `requested`; `with_claims` false leaves out the `claims` (what the
/// verifier checks the answer's structure with, judging missing claims itself).
pub fn query(requested: &[RequestedType], with_claims: bool) -> Value {
    let mut credentials = Vec::new();
    let mut sets = Vec::new();
    for (i, r) in requested.iter().enumerate() {
        let mut options = Vec::new();
        if !r.vct_values.is_empty() {
            let mut q = json!({
                "id": query_id(i, "dc+sd-jwt"),
                "format": "dc+sd-jwt",
                "meta": {"vct_values": r.vct_values},
            });
            if with_claims {
                set_claims(&mut q, claims(r, |k| json!([k])));
            }
            options.push(json!([q["id"]]));
            credentials.push(q);
        }
        if !r.w3c_types.is_empty() {
            let mut q = json!({
                "id": query_id(i, "jwt_vc_json"),
                "format": "jwt_vc_json",
                "meta": {"type_values": r.w3c_types.iter()
                    .map(|t| json!(["VerifiableCredential", t])).collect::<Vec<_>>()},
            });
            if with_claims {
                set_claims(&mut q, claims(r, |k| json!(["credentialSubject", k])));
            }
            options.push(json!([q["id"]]));
            credentials.push(q);
        }
        sets.push(json!({"options": options, "required": true}));
    }
    json!({"credentials": credentials, "credential_sets": sets})
}

/// The query without its `claims`, whatever its origin (a raw query given by the caller
/// included).
pub fn without_claims(query: &Value) -> Value {
    let mut query = query.clone();
    if let Some(credentials) = query["credentials"].as_array_mut() {
        for c in credentials {
            if let Some(c) = c.as_object_mut() {
                c.remove("claims");
                c.remove("claim_sets");
            }
        }
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_type_is_one_set_of_two_formats() {
        let q = query(
            &[RequestedType {
                vct_values: vec!["https://i/e/types/t".into()],
                w3c_types: vec!["PolicyCard".into()],
                keys: vec!["Policy ID".into()],
                optional_keys: vec![],
            }],
            true,
        );
        assert_eq!(q["credentials"][0]["id"], "c0_sd_jwt");
        assert_eq!(
            q["credentials"][0]["meta"]["vct_values"][0],
            "https://i/e/types/t"
        );
        assert_eq!(
            q["credentials"][0]["claims"][0]["path"],
            json!(["Policy ID"])
        );
        assert_eq!(q["credentials"][1]["format"], "jwt_vc_json");
        assert_eq!(
            q["credentials"][1]["meta"]["type_values"],
            json!([["VerifiableCredential", "PolicyCard"]])
        );
        assert_eq!(
            q["credentials"][1]["claims"][0]["path"],
            json!(["credentialSubject", "Policy ID"])
        );
        assert_eq!(
            q["credential_sets"],
            json!([{"options": [["c0_sd_jwt"], ["c0_jwt_vc"]], "required": true}])
        );
        // parses as a DCQL query of the oid4vp crate and is valid there
        let parsed: oid4vp::dcql::dcql_query::DcqlQuery =
            serde_json::from_value(q.clone()).unwrap();
        parsed.validate_all().unwrap();
        assert!(without_claims(&q)["credentials"][0].get("claims").is_none());
    }

    #[test]
    fn a_type_issued_in_one_format_has_one_option() {
        let q = query(
            &[RequestedType {
                vct_values: vec![],
                w3c_types: vec!["A".into()],
                keys: vec![],
                optional_keys: vec![],
            }],
            true,
        );
        assert_eq!(q["credentials"].as_array().unwrap().len(), 1);
        assert!(q["credentials"][0].get("claims").is_none());
        assert_eq!(q["credential_sets"][0]["options"], json!([["c0_jwt_vc"]]));
    }

    #[test]
    fn optional_claims_fall_back_through_claim_sets() {
        let r = RequestedType {
            vct_values: vec!["https://i/e/types/t".into()],
            w3c_types: vec![],
            keys: vec!["Policy ID".into()],
            optional_keys: vec!["Policy ID".into(), "Note".into()],
        };
        let q = query(std::slice::from_ref(&r), true);
        let c = &q["credentials"][0];
        assert_eq!(
            c["claims"],
            json!([{"id": "k0", "path": ["Policy ID"]}, {"id": "k1", "path": ["Note"]}])
        );
        assert_eq!(c["claim_sets"], json!([["k0", "k1"], ["k0"]]));
        let parsed: oid4vp::dcql::dcql_query::DcqlQuery =
            serde_json::from_value(q.clone()).unwrap();
        parsed.validate_all().unwrap();

        // Nothing required: all, else any one of them.
        let q = query(&[RequestedType { keys: vec![], ..r }], true);
        assert_eq!(
            q["credentials"][0]["claim_sets"],
            json!([["k0", "k1"], ["k0"], ["k1"]])
        );
        let parsed: oid4vp::dcql::dcql_query::DcqlQuery =
            serde_json::from_value(q.clone()).unwrap();
        parsed.validate_all().unwrap();
    }
}
