//! The wallet's answer at the `response_uri` (`direct_post`, OpenID4VP 1.0 §8.2): either
//! a `vp_token` (a JSON object keyed by credential query id, each value an array of
//! presentations) with the `state`, or an OAuth `error`.

use serde_json::Value;

/// The largest `vp_token` accepted, in bytes.
pub const MAX_VP_TOKEN: usize = 512 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum WalletAnswer {
    Presentations {
        vp_token: Value,
        state: Option<String>,
    },
    Error {
        error: String,
        description: Option<String>,
        state: Option<String>,
    },
}

/// Reads the form the wallet posted; `Err` says what is wrong, for `invalid_request`.
pub fn parse(form: &[(String, String)]) -> Result<WalletAnswer, String> {
    let one = |name: &str| -> Result<Option<String>, String> {
        let mut values = form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone());
        let first = values.next();
        if values.next().is_some() {
            return Err(format!("{name} is given more than once"));
        }
        Ok(first)
    };
    let state = one("state")?;
    if let Some(error) = one("error")? {
        return Ok(WalletAnswer::Error {
            error,
            description: one("error_description")?,
            state,
        });
    }
    let Some(token) = one("vp_token")? else {
        return Err("vp_token is missing".into());
    };
    if token.len() > MAX_VP_TOKEN {
        return Err(format!("vp_token is larger than {MAX_VP_TOKEN} bytes"));
    }
    let vp_token: Value =
        serde_json::from_str(&token).map_err(|e| format!("vp_token is not JSON: {e}"))?;
    let Some(map) = vp_token.as_object() else {
        return Err("vp_token must be a JSON object keyed by credential query id".into());
    };
    for (id, presentations) in map {
        let ok = presentations
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_string));
        if !ok {
            return Err(format!(
                "vp_token.{id} must be a non-empty array of presentations (strings)"
            ));
        }
    }
    Ok(WalletAnswer::Presentations { vp_token, state })
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

    #[test]
    fn presentations_and_errors_are_told_apart() {
        let answer = parse(&form(&[
            ("vp_token", r#"{"c0":["eyJ..."]}"#),
            ("state", "s"),
        ]))
        .unwrap();
        assert!(
            matches!(answer, WalletAnswer::Presentations { state: Some(ref s), .. } if s == "s")
        );
        let answer = parse(&form(&[("error", "access_denied"), ("state", "s")])).unwrap();
        assert!(
            matches!(answer, WalletAnswer::Error { ref error, .. } if error == "access_denied")
        );
    }

    #[test]
    fn malformed_answers_say_why() {
        assert!(parse(&form(&[])).unwrap_err().contains("missing"));
        assert!(
            parse(&form(&[("vp_token", "[]")]))
                .unwrap_err()
                .contains("object")
        );
        assert!(
            parse(&form(&[("vp_token", r#"{"c0":[]}"#)]))
                .unwrap_err()
                .contains("non-empty")
        );
        assert!(parse(&form(&[("vp_token", r#"{"c0":[1]}"#)])).is_err());
        assert!(parse(&form(&[("state", "a"), ("state", "b"), ("vp_token", "{}")])).is_err());
    }
}
