//! The directory: users, groups and populations, as PingOne shapes them.
//!
//! A user is a JSON document: the standard attributes are type-checked here, and every
//! other top-level property is a custom attribute (a string, number, boolean, object or
//! array), which SCIM filters and later credential fields can read.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::validate::{Checker, DESCRIPTION, FieldError, Len, NAME, is_absolute_url};

/// Read-only properties a client may send back (for example after a GET); ignored.
pub const READ_ONLY_USER_FIELDS: &[&str] = &[
    "id",
    "environment",
    "createdAt",
    "updatedAt",
    "_links",
    "_embedded",
    "memberOfGroupIDs",
    "memberOfGroupNames",
    "lifecycle",
    "identityProvider",
    "verifyStatus",
];

const USERNAME: Len = Len { min: 1, max: 128 };
const ATTRIBUTE: Len = Len { min: 0, max: 256 };
const STRING_FIELDS: &[&str] = &[
    "nickname",
    "title",
    "preferredLanguage",
    "locale",
    "timezone",
    "externalId",
    "type",
    "mobilePhone",
    "primaryPhone",
    "accountId",
];
const NAME_FIELDS: &[&str] = &[
    "given",
    "family",
    "middle",
    "formatted",
    "honorificPrefix",
    "honorificSuffix",
];
const ADDRESS_FIELDS: &[&str] = &[
    "streetAddress",
    "locality",
    "region",
    "postalCode",
    "countryCode",
];
const MAX_CUSTOM_DEPTH: usize = 8;

/// A validated user: what is stored in columns, and the rest as a JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSpec {
    pub username: String,
    /// `None` means "the environment's default population" on create, "unchanged" on update.
    pub population_id: Option<String>,
    /// Every attribute except id, username, population and timestamps.
    pub attributes: Map<String, Value>,
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn valid_custom_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.len() <= 128
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks a string-valued sub-object such as `name` or `address`.
fn string_object(c: &mut Checker, target: &str, value: &Value, fields: &[&str]) -> Option<Value> {
    let Value::Object(map) = value else {
        c.push(FieldError::invalid(
            target,
            format!("{target} must be an object"),
        ));
        return None;
    };
    let mut out = Map::new();
    for (key, v) in map {
        let path = format!("{target}.{key}");
        if !fields.contains(&key.as_str()) {
            c.push(
                FieldError::invalid(&path, format!("{path} is not a known attribute"))
                    .with_inner(serde_json::json!({ "allowedValues": fields })),
            );
            continue;
        }
        match v {
            Value::Null => {}
            Value::String(s) => {
                if let Some(s) = c.string(&path, Some(s), ATTRIBUTE, false) {
                    out.insert(key.clone(), Value::String(s));
                }
            }
            _ => c.push(FieldError::invalid(
                &path,
                format!("{path} must be a string"),
            )),
        }
    }
    Some(Value::Object(out))
}

/// Validates a full user document (create, replace, or the result of a patch).
pub fn validate_user(input: &Value) -> Result<UserSpec, Vec<FieldError>> {
    let mut c = Checker::new();
    let Value::Object(object) = input else {
        return Err(vec![FieldError::invalid(
            "",
            "the body must be a JSON object",
        )]);
    };
    let mut username = None;
    let mut population_id = None;
    let mut attributes = Map::new();
    for (key, value) in object {
        let key_str = key.as_str();
        if READ_ONLY_USER_FIELDS.contains(&key_str) {
            continue;
        }
        match (key_str, value) {
            ("username", Value::String(s)) => {
                username = c.string("username", Some(s), USERNAME, true);
                if username.as_deref().is_some_and(|u| u.trim() != u) {
                    c.push(FieldError::invalid(
                        "username",
                        "username must not start or end with whitespace",
                    ));
                }
            }
            ("username", _) => c.push(FieldError::invalid("username", "username must be a string")),
            ("email", Value::Null) => {}
            ("email", Value::String(s)) => {
                if let Some(email) = c.string("email", Some(s), Len { min: 3, max: 254 }, false) {
                    if valid_email(&email) {
                        attributes.insert("email".into(), Value::String(email));
                    } else {
                        c.push(FieldError::invalid(
                            "email",
                            "email is not an email address",
                        ));
                    }
                }
            }
            ("email", _) => c.push(FieldError::invalid("email", "email must be a string")),
            ("name", Value::Null) | ("address", Value::Null) | ("photo", Value::Null) => {}
            ("name", v) => {
                if let Some(v) = string_object(&mut c, "name", v, NAME_FIELDS) {
                    attributes.insert("name".into(), v);
                }
            }
            ("address", v) => {
                if let Some(v) = string_object(&mut c, "address", v, ADDRESS_FIELDS) {
                    attributes.insert("address".into(), v);
                }
            }
            ("photo", v) => {
                let href = v.get("href").and_then(Value::as_str);
                match href {
                    Some(h) if is_absolute_url(h, &["https"]) && h.len() <= 2048 => {
                        attributes.insert("photo".into(), serde_json::json!({ "href": h }));
                    }
                    _ => c.push(FieldError::invalid(
                        "photo.href",
                        "photo must be {\"href\": <https URL>}",
                    )),
                }
            }
            ("enabled" | "mfaEnabled", Value::Bool(b)) => {
                attributes.insert(key.clone(), Value::Bool(*b));
            }
            ("enabled" | "mfaEnabled", _) => c.push(FieldError::invalid(
                key_str,
                format!("{key} must be a boolean"),
            )),
            ("population", Value::Object(p)) => {
                population_id = c.uuid("population.id", p.get("id").and_then(Value::as_str), true);
                if p.get("id").is_some_and(|v| !v.is_string()) {
                    c.push(FieldError::invalid(
                        "population.id",
                        "population.id must be a UUID",
                    ));
                }
            }
            ("population", Value::Null) => {}
            ("population", _) => c.push(FieldError::invalid(
                "population",
                "population must be {\"id\": <population id>}",
            )),
            (k, Value::Null) if STRING_FIELDS.contains(&k) => {}
            (k, Value::String(s)) if STRING_FIELDS.contains(&k) => {
                if let Some(s) = c.string(k, Some(s), ATTRIBUTE, false) {
                    attributes.insert(key.clone(), Value::String(s));
                }
            }
            (k, _) if STRING_FIELDS.contains(&k) => {
                c.push(FieldError::invalid(k, format!("{k} must be a string")))
            }
            (k, v) => {
                if !valid_custom_name(k) {
                    c.push(FieldError::invalid(
                        k,
                        "custom attribute names start with a letter and hold letters, digits and _ (at most 128)",
                    ));
                } else if depth(v) > MAX_CUSTOM_DEPTH {
                    c.push(FieldError::invalid(
                        k,
                        format!(
                            "custom attribute {k} is nested deeper than {MAX_CUSTOM_DEPTH} levels"
                        ),
                    ));
                } else if !v.is_null() {
                    attributes.insert(key.clone(), v.clone());
                }
            }
        }
    }
    if !object.contains_key("username") {
        c.push(FieldError::required("username"));
    }
    attributes.entry("enabled").or_insert(Value::Bool(true));
    c.finish()?;
    Ok(UserSpec {
        username: username.expect("checked"),
        population_id,
        attributes,
    })
}

/// Applies a JSON merge patch (RFC 7396) to `target`: members of `patch` replace those of
/// `target`, `null` removes, nested objects merge.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(target), Value::Object(patch)) => {
            for (key, value) in patch {
                if value.is_null() {
                    target.remove(key);
                } else {
                    merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
                }
            }
        }
        (target, patch) => *target = patch.clone(),
    }
}

/// Body of `POST`/`PUT …/populations[/{id}]`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PopulationInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Makes this the population new users join when none is named.
    pub default: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationSpec {
    pub name: String,
    pub description: Option<String>,
    pub default: Option<bool>,
}

impl PopulationInput {
    pub fn validate(&self) -> Result<PopulationSpec, Vec<FieldError>> {
        let mut c = Checker::new();
        let name = c.string("name", self.name.as_deref(), NAME, true);
        let description = c.string(
            "description",
            self.description.as_deref(),
            DESCRIPTION,
            false,
        );
        c.finish()?;
        Ok(PopulationSpec {
            name: name.expect("checked"),
            description,
            default: self.default,
        })
    }
}

/// A `{"id": …}` reference.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct IdRef {
    pub id: Option<String>,
}

/// Body of `POST`/`PUT …/groups[/{id}]`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Restricts the group to one population.
    pub population: Option<IdRef>,
    /// Any JSON object the caller wants kept with the group (at most 16 KB).
    #[schema(value_type = Option<Object>)]
    pub custom_data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupSpec {
    pub name: String,
    pub description: Option<String>,
    pub population_id: Option<String>,
    pub custom_data: Option<Map<String, Value>>,
}

impl GroupInput {
    pub fn validate(&self) -> Result<GroupSpec, Vec<FieldError>> {
        let mut c = Checker::new();
        let name = c.string("name", self.name.as_deref(), NAME, true);
        let description = c.string(
            "description",
            self.description.as_deref(),
            DESCRIPTION,
            false,
        );
        let population_id = match &self.population {
            Some(p) => c.uuid("population.id", p.id.as_deref(), true),
            None => None,
        };
        let custom_data = match &self.custom_data {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => {
                if serde_json::to_string(map).map(|s| s.len()).unwrap_or(0) > 16 * 1024 {
                    c.push(FieldError::too_large(
                        "customData",
                        "customData must be at most 16 KB",
                    ));
                    None
                } else {
                    Some(map.clone())
                }
            }
            Some(_) => {
                c.push(FieldError::invalid(
                    "customData",
                    "customData must be a JSON object",
                ));
                None
            }
        };
        c.finish()?;
        Ok(GroupSpec {
            name: name.expect("checked"),
            description,
            population_id,
            custom_data,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn standard_and_custom_attributes() {
        let spec = validate_user(&json!({
            "username": "john.smith",
            "email": "john@bx.example",
            "name": {"given": "John", "family": "Smith"},
            "policyId": "P-123",
            "licenses": [{"number": "L1"}],
            "id": "ignored"
        }))
        .unwrap();
        assert_eq!(spec.username, "john.smith");
        assert_eq!(spec.attributes["policyId"], "P-123");
        assert_eq!(spec.attributes["licenses"][0]["number"], "L1");
        assert_eq!(spec.attributes["enabled"], true);
        assert!(!spec.attributes.contains_key("id"));
    }

    #[test]
    fn every_fault_is_reported_with_its_path() {
        let errors = validate_user(&json!({
            "email": "not-an-email",
            "name": {"given": 5, "nick": "x"},
            "enabled": "yes",
            "population": {"id": "nope"},
            "9bad": 1
        }))
        .unwrap_err();
        let mut targets: Vec<_> = errors.iter().map(|e| e.target.clone()).collect();
        targets.sort();
        assert_eq!(
            targets,
            vec![
                "9bad",
                "email",
                "enabled",
                "name.given",
                "name.nick",
                "population.id",
                "username"
            ]
        );
    }

    #[test]
    fn merge_patch_replaces_merges_and_removes() {
        let mut doc = json!({"username": "a", "name": {"given": "A", "family": "B"}, "x": 1});
        merge_patch(
            &mut doc,
            &json!({"name": {"family": "C"}, "x": null, "y": [1]}),
        );
        assert_eq!(
            doc,
            json!({"username": "a", "name": {"given": "A", "family": "C"}, "y": [1]})
        );
    }

    #[test]
    fn groups_check_population_and_custom_data() {
        let errors = GroupInput {
            name: Some("Drivers".into()),
            population: Some(IdRef { id: None }),
            custom_data: Some(json!([1])),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let targets: Vec<_> = errors.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, vec!["population.id", "customData"]);
    }
}
