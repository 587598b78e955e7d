//! The wallet's answer at the `response_uri` (OpenID4VP 1.0 §8.2 and §8.3): a form with
//! a `vp_token` and the `state`, or the same parameters as a JSON object encrypted in a
//! `response` JWE (`direct_post.jwt`), or an OAuth `error`.
//!
//! In OpenID4VP 1.0 the `vp_token` is a JSON object keyed by credential query id, each
//! value an array of presentations. Draft wallets (Presentation Exchange, the ID1
//! profile) send one presentation or an array of them, a `presentation_submission` that
//! maps them to the definition's input descriptors, and, with SIOPv2, an `id_token`.

use serde_json::{Map, Value};

/// The largest `vp_token` accepted, in bytes.
pub const MAX_VP_TOKEN: usize = 512 * 1024;
/// The largest `id_token` or `presentation_submission` accepted, in bytes.
const MAX_PARAMETER: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum WalletAnswer {
    Presentations {
        /// 1.0: the object keyed by credential query id. Draft: a string or an array.
        vp_token: Value,
        state: Option<String>,
        /// Draft wallets' Presentation Exchange mapping.
        presentation_submission: Option<Value>,
        /// SIOPv2 self-issued ID Token (ID1 profile).
        id_token: Option<String>,
    },
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// The posted form: `response` alone is an encrypted answer (`direct_post.jwt`);
/// anything else is the answer's parameters in the clear.
pub enum Posted {
    Encrypted(String),
    Plain(Map<String, Value>),
}

/// Reads the form; each parameter at most once.
pub fn posted(form: &[(String, String)]) -> Result<Posted, String> {
    let mut params = Map::new();
    for (name, value) in form {
        if params
            .insert(name.clone(), Value::String(value.clone()))
            .is_some()
        {
            return Err(format!("{name} is given more than once"));
        }
    }
    if let Some(response) = params.get("response") {
        // An encrypted answer may only travel with nothing beside it but, from some
        // wallets, the `state` again.
        if params.keys().any(|k| k != "response" && k != "state") {
            return Err("response (an encrypted answer) comes alone".into());
        }
        let response = response
            .as_str()
            .expect("form values are strings")
            .to_string();
        return Ok(Posted::Encrypted(response));
    }
    Ok(Posted::Plain(params))
}

/// The parameters of a decrypted `response`: a JSON object.
pub fn decrypted(plaintext: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice(plaintext) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err("the decrypted response is not a JSON object".into()),
        Err(e) => Err(format!("the decrypted response is not JSON: {e}")),
    }
}

fn text(params: &Map<String, Value>, name: &str, max: usize) -> Result<Option<String>, String> {
    match params.get(name) {
        None => Ok(None),
        Some(Value::String(s)) if s.len() <= max => Ok(Some(s.clone())),
        Some(Value::String(_)) => Err(format!("{name} is larger than {max} bytes")),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// A parameter that is JSON: an object or array already (encrypted answers), or a
/// string holding one (forms). A string that is not JSON stays a string (a draft
/// `vp_token` of one presentation).
fn json_parameter(value: &Value, name: &str, max: usize) -> Result<Value, String> {
    match value {
        Value::String(s) if s.len() > max => Err(format!("{name} is larger than {max} bytes")),
        Value::String(s) if s.starts_with('{') || s.starts_with('[') => {
            serde_json::from_str(s).map_err(|e| format!("{name} is not JSON: {e}"))
        }
        other => Ok(other.clone()),
    }
}

fn is_presentation(value: &Value) -> bool {
    value.as_str().is_some_and(|s| !s.is_empty())
}

/// The answer in `params`; `draft` when the request used Presentation Exchange. `Err`
/// says what is wrong, for `invalid_request`.
pub fn parse(params: &Map<String, Value>, draft: bool) -> Result<WalletAnswer, String> {
    let state = text(params, "state", 1024)?;
    if let Some(error) = text(params, "error", 256)? {
        return Ok(WalletAnswer::Error {
            error,
            description: text(params, "error_description", 4096)?,
            state,
        });
    }
    let Some(token) = params.get("vp_token") else {
        return Err("vp_token is missing".into());
    };
    let vp_token = json_parameter(token, "vp_token", MAX_VP_TOKEN)?;
    let presentation_submission = params
        .get("presentation_submission")
        .map(|v| json_parameter(v, "presentation_submission", MAX_PARAMETER))
        .transpose()?;
    let id_token = text(params, "id_token", MAX_PARAMETER)?;
    if draft {
        let ok = is_presentation(&vp_token)
            || vp_token
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(is_presentation));
        if !ok {
            return Err("vp_token must be a presentation or a non-empty array of them".into());
        }
        if presentation_submission
            .as_ref()
            .is_some_and(|s| !s.is_object())
        {
            return Err("presentation_submission must be a JSON object".into());
        }
    } else {
        let Some(map) = vp_token.as_object() else {
            return Err("vp_token must be a JSON object keyed by credential query id".into());
        };
        for (id, presentations) in map {
            let ok = presentations
                .as_array()
                .is_some_and(|a| !a.is_empty() && a.iter().all(is_presentation));
            if !ok {
                return Err(format!(
                    "vp_token.{id} must be a non-empty array of presentations (strings)"
                ));
            }
        }
    }
    Ok(WalletAnswer::Presentations {
        vp_token,
        state,
        presentation_submission,
        id_token,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn plain(pairs: &[(&str, &str)]) -> Map<String, Value> {
        match posted(&form(pairs)).unwrap() {
            Posted::Plain(p) => p,
            Posted::Encrypted(_) => panic!("not encrypted"),
        }
    }

    #[test]
    fn presentations_and_errors_are_told_apart() {
        let answer = parse(
            &plain(&[("vp_token", r#"{"c0":["eyJ..."]}"#), ("state", "s")]),
            false,
        )
        .unwrap();
        assert!(
            matches!(answer, WalletAnswer::Presentations { state: Some(ref s), .. } if s == "s")
        );
        let answer = parse(&plain(&[("error", "access_denied"), ("state", "s")]), false).unwrap();
        assert!(
            matches!(answer, WalletAnswer::Error { ref error, .. } if error == "access_denied")
        );
    }

    #[test]
    fn an_encrypted_answer_comes_alone_and_decrypts_to_parameters() {
        assert!(matches!(
            posted(&form(&[("response", "a.b.c.d.e")])).unwrap(),
            Posted::Encrypted(ref r) if r == "a.b.c.d.e"
        ));
        assert!(posted(&form(&[("response", "x"), ("vp_token", "{}")])).is_err());
        let params = decrypted(br#"{"vp_token": {"c0": ["eyJ"]}, "state": "s"}"#).unwrap();
        assert!(matches!(
            parse(&params, false).unwrap(),
            WalletAnswer::Presentations { .. }
        ));
        assert!(decrypted(b"[1]").is_err());
    }

    #[test]
    fn draft_answers_carry_a_submission_and_an_id_token() {
        let answer = parse(
            &plain(&[
                ("vp_token", "eyJhbGciOi.x.y"),
                (
                    "presentation_submission",
                    r#"{"id": "s", "descriptor_map": []}"#,
                ),
                ("id_token", "eyJ.id.token"),
                ("state", "s"),
            ]),
            true,
        )
        .unwrap();
        let WalletAnswer::Presentations {
            vp_token,
            presentation_submission,
            id_token,
            ..
        } = answer
        else {
            panic!("presentations")
        };
        assert_eq!(vp_token, "eyJhbGciOi.x.y");
        assert_eq!(presentation_submission.unwrap()["id"], "s");
        assert_eq!(id_token.as_deref(), Some("eyJ.id.token"));
        assert!(parse(&plain(&[("vp_token", r#"{"c0": ["x"]}"#)]), true).is_err());
    }

    #[test]
    fn malformed_answers_say_why() {
        assert!(parse(&plain(&[]), false).unwrap_err().contains("missing"));
        assert!(
            parse(&plain(&[("vp_token", "[]")]), false)
                .unwrap_err()
                .contains("object")
        );
        assert!(
            parse(&plain(&[("vp_token", r#"{"c0":[]}"#)]), false)
                .unwrap_err()
                .contains("non-empty")
        );
        assert!(parse(&plain(&[("vp_token", r#"{"c0":[1]}"#)]), false).is_err());
        assert!(posted(&form(&[("state", "a"), ("state", "b"), ("vp_token", "{}")])).is_err());
        let big = "x".repeat(MAX_VP_TOKEN + 1);
        assert!(
            parse(&plain(&[("vp_token", &big)]), true)
                .unwrap_err()
                .contains("larger")
        );
    }
}
