//! User credentials: one credential of a MANAGED type for one user, its data and its
//! lifecycle.
//!
//! ```text
//!  create ──► PENDING ──(delivered to a wallet)──► ISSUED ◄──reinstate── SUSPENDED
//!               │  ▲                                 │  ──suspend──────►    │
//!               │  └─────────── update ──────────────┤◄───── update ───────┤
//!               ├──► REVOKED ◄──────── revoke ───────┤◄───── revoke ───────┤
//!               └──► EXPIRED ◄──── expiresAt ────────┘◄──── expiresAt ─────┘
//! ```
//! REVOKED and EXPIRED are final: such a credential can be neither updated nor revoked
//! again (409). SUSPENDED (a vouch extension) is ISSUED put on hold: its status list
//! entries read SUSPENDED until it is reinstated.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::credential_type::{CredentialTypeDefinition, Field};
use super::directory::IdRef;
use super::validate::FieldError;

/// Longest text accepted for one data value.
pub const MAX_VALUE_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialStatus {
    Pending,
    Issued,
    Suspended,
    Revoked,
    Expired,
}

impl CredentialStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Issued => "ISSUED",
            Self::Suspended => "SUSPENDED",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Issued,
            Self::Suspended,
            Self::Revoked,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(self, Self::Revoked | Self::Expired)
    }

    /// Why `update` is refused in this status, if it is.
    pub fn refuse_update(self) -> Option<String> {
        self.is_final().then(|| {
            format!(
                "The user credential is {}; it cannot be updated. Create a new one.",
                self.as_str()
            )
        })
    }

    /// Why `revoke` is refused in this status, if it is.
    pub fn refuse_revoke(self) -> Option<String> {
        self.is_final()
            .then(|| format!("The user credential is already {}.", self.as_str()))
    }

    /// Why `suspend` is refused in this status, if it is: only an ISSUED credential has
    /// something in a wallet to put on hold.
    pub fn refuse_suspend(self) -> Option<String> {
        (self != Self::Issued).then(|| {
            format!(
                "The user credential is {}; only an ISSUED credential can be suspended.",
                self.as_str()
            )
        })
    }

    /// Why `reinstate` is refused in this status, if it is.
    pub fn refuse_reinstate(self) -> Option<String> {
        (self != Self::Suspended).then(|| {
            format!(
                "The user credential is {}; only a SUSPENDED credential can be reinstated.",
                self.as_str()
            )
        })
    }
}

/// Body of `POST …/users/{userId}/credentials` and of `PUT …/credentials/{id}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCredentialInput {
    /// The MANAGED credential type (create only; ignored on update).
    pub credential_type: Option<IdRef>,
    /// Values of the type's `Alphanumeric Text` fields, keyed by field title.
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    /// When the credential expires (ISO 8601, in the future); absent means never.
    pub expires_at: Option<String>,
    /// Notification template selection, kept for the notification service.
    #[schema(value_type = Option<Object>)]
    pub notification: Option<Value>,
}

/// The value of a directory attribute for a field: a plain path (`name.given`) or a
/// PEL expression that is only a path (`${user.name.given}`). Richer PEL is evaluated
/// by the issuance rules engine; here it yields nothing and the field's default applies.
pub fn directory_value(user: &Value, attribute: &str) -> Option<String> {
    let path = match attribute
        .strip_prefix("${")
        .and_then(|a| a.strip_suffix('}'))
    {
        Some(inner) => inner.strip_prefix("user.")?,
        None => attribute,
    };
    let mut current = user;
    for segment in path.split('.') {
        if segment.is_empty()
            || !segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return None;
        }
        current = current.get(segment)?;
    }
    match current {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(current.to_string()),
        other => Some(other.to_string()),
    }
}

fn field_value(field: &Field, given: Option<&Map<String, Value>>, user: &Value) -> Value {
    match field.kind() {
        "Alphanumeric Text" => given
            .and_then(|g| g.get(field.title()))
            .cloned()
            .or_else(|| field.value.clone().map(Value::String))
            .unwrap_or_else(|| json!("")),
        "Directory Attribute" => field
            .attribute
            .as_deref()
            .and_then(|a| directory_value(user, a))
            .or_else(|| field.default.clone())
            .map_or_else(|| json!(""), Value::String),
        // Filled with the issuance time when the credential is issued.
        _ => json!(""),
    }
}

/// Builds the full data of a credential of type `def` for `user` from the data the
/// client gave: every field of the type gets a value (given, default, or ""), so issued
/// credentials always carry the whole schema.
pub fn build_data(
    def: &CredentialTypeDefinition,
    given: Option<&Value>,
    user: &Value,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let given = match given {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(map),
        Some(_) => {
            return Err(vec![FieldError::invalid(
                "data",
                "data must be an object of field title → text",
            )]);
        }
    };
    if let Some(map) = given {
        for (key, value) in map {
            let target = format!("data.{key}");
            match def.fields().iter().find(|f| f.title() == key) {
                None => errors.push(
                    FieldError::invalid(
                        &target,
                        format!("`{key}` is not a field of this credential type"),
                    )
                    .with_inner(json!({
                        "allowedValues": def.fields().iter().map(Field::title).collect::<Vec<_>>()
                    })),
                ),
                Some(f) if f.kind() != "Alphanumeric Text" => errors.push(FieldError::invalid(
                    &target,
                    format!(
                        "`{key}` is a {} field; only Alphanumeric Text fields take data",
                        f.kind()
                    ),
                )),
                Some(_) => match value {
                    Value::String(s) if s.chars().count() > MAX_VALUE_LEN => errors.push(
                        FieldError::too_large(
                            &target,
                            format!("{target} must be at most {MAX_VALUE_LEN} characters"),
                        )
                        .with_inner(json!({"maximumValue": MAX_VALUE_LEN})),
                    ),
                    Value::String(_) => {}
                    _ => errors.push(FieldError::invalid(
                        &target,
                        format!("{target} must be a string"),
                    )),
                },
            }
        }
    }
    for field in def.fields() {
        // A value of the wrong type was reported above; only absence and "" are missing.
        let provided = given
            .and_then(|g| g.get(field.title()))
            .is_some_and(|v| v.as_str() != Some(""));
        if field.kind() == "Alphanumeric Text"
            && field.is_required()
            && field.value.is_none()
            && !provided
        {
            errors.push(FieldError::required(format!("data.{}", field.title())));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(def
        .fields()
        .iter()
        .map(|f| (f.title().to_string(), field_value(f, given, user)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bx() -> CredentialTypeDefinition {
        serde_json::from_value(json!({
            "title": "BX Insurance",
            "cardDesignTemplate": "<svg></svg>",
            "management": {"mode": "MANAGED"},
            "metadata": {"fields": [
                {"id": "a", "type": "Alphanumeric Text", "title": "Policy ID", "isVisible": true, "required": true},
                {"id": "b", "type": "Alphanumeric Text", "title": "Plan", "isVisible": true, "value": "Basic"},
                {"id": "c", "type": "Alphanumeric Text", "title": "Note", "isVisible": false},
                {"id": "d", "type": "Directory Attribute", "title": "Given", "attribute": "name.given", "isVisible": true},
                {"id": "e", "type": "Directory Attribute", "title": "Family", "attribute": "${user.name.family}", "isVisible": true, "default": "?"},
                {"id": "f", "type": "Issued Timestamp", "title": "Issued", "isVisible": true}
            ]}
        }))
        .unwrap()
    }

    #[test]
    fn keeps_the_full_schema() {
        let user = json!({"name": {"given": "John"}});
        let data = build_data(&bx(), Some(&json!({"Policy ID": "P-1"})), &user).unwrap();
        assert_eq!(
            Value::Object(data),
            json!({"Policy ID": "P-1", "Plan": "Basic", "Note": "", "Given": "John", "Family": "?", "Issued": ""})
        );
    }

    #[test]
    fn rejects_unknown_non_text_and_missing_required_fields() {
        let errors = build_data(
            &bx(),
            Some(&json!({"Nope": "x", "Given": "Jim", "Plan": 5})),
            &json!({}),
        )
        .unwrap_err();
        let targets: Vec<_> = errors.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(
            targets,
            vec!["data.Nope", "data.Given", "data.Plan", "data.Policy ID"]
        );
        assert_eq!(errors[3].code, "REQUIRED_VALUE");
    }

    #[test]
    fn only_final_states_refuse_changes() {
        assert!(CredentialStatus::Pending.refuse_update().is_none());
        assert!(CredentialStatus::Issued.refuse_revoke().is_none());
        assert!(CredentialStatus::Revoked.refuse_update().is_some());
        assert!(CredentialStatus::Expired.refuse_revoke().is_some());
    }
}
