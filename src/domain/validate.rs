//! Field-level validation that collects every fault with its JSON path.

use serde::Serialize;
use serde_json::Value;

/// One fault in a request, in PingOne's `details[]` shape.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// `REQUIRED_VALUE`, `INVALID_VALUE`, `SIZE_LIMIT_EXCEEDED`, `OUT_OF_RANGE`,
    /// `UNIQUENESS_VIOLATION`, `INVALID_FILTER`, `REFERENCED_RESOURCE_NOT_FOUND`.
    pub code: String,
    /// JSON path (or query parameter) at fault, e.g. `name` or `population.id`.
    pub target: String,
    pub message: String,
    #[serde(rename = "innerError", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub inner: Option<Value>,
}

impl FieldError {
    pub fn new(code: &str, target: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            target: target.into(),
            message: message.into(),
            inner: None,
        }
    }

    pub fn required(target: impl Into<String>) -> Self {
        let target = target.into();
        let message = format!("{target} is required");
        Self::new("REQUIRED_VALUE", target, message)
    }

    pub fn invalid(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("INVALID_VALUE", target, message)
    }

    pub fn out_of_range(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("OUT_OF_RANGE", target, message)
    }

    pub fn too_large(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("SIZE_LIMIT_EXCEEDED", target, message)
    }

    pub fn not_unique(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("UNIQUENESS_VIOLATION", target, message)
    }

    pub fn missing_reference(target: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("REFERENCED_RESOURCE_NOT_FOUND", target, message)
    }

    pub fn with_inner(mut self, inner: Value) -> Self {
        self.inner = Some(inner);
        self
    }
}

/// Collects faults while a request is checked field by field.
#[derive(Debug, Default)]
pub struct Checker {
    errors: Vec<FieldError>,
}

/// Length limits for a string field, in characters.
#[derive(Debug, Clone, Copy)]
pub struct Len {
    pub min: usize,
    pub max: usize,
}

pub const NAME: Len = Len { min: 1, max: 256 };
pub const DESCRIPTION: Len = Len { min: 0, max: 1024 };

impl Checker {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, error: FieldError) {
        self.errors.push(error);
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.errors.extend(errors);
    }

    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok` when nothing was wrong, else every fault found.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// A string within `len`; blank strings count as missing when the field is required.
    pub fn string(
        &mut self,
        target: &str,
        value: Option<&str>,
        len: Len,
        required: bool,
    ) -> Option<String> {
        let Some(value) = value else {
            if required {
                self.push(FieldError::required(target));
            }
            return None;
        };
        let count = value.chars().count();
        if required && value.trim().is_empty() {
            self.push(FieldError::required(target).with_inner(serde_json::json!({
                "rangeMinimumValue": len.min.max(1)
            })));
            return None;
        }
        if count < len.min {
            self.push(
                FieldError::invalid(
                    target,
                    format!("{target} must be at least {} characters", len.min),
                )
                .with_inner(serde_json::json!({"rangeMinimumValue": len.min})),
            );
            return None;
        }
        if count > len.max {
            self.push(
                FieldError::too_large(
                    target,
                    format!("{target} must be at most {} characters", len.max),
                )
                .with_inner(serde_json::json!({"maximumValue": len.max})),
            );
            return None;
        }
        if value
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            self.push(FieldError::invalid(
                target,
                format!("{target} must not contain control characters"),
            ));
            return None;
        }
        Some(value.to_string())
    }

    /// One of `allowed` (exact match), or `default` when absent.
    pub fn one_of(
        &mut self,
        target: &str,
        value: Option<&str>,
        allowed: &[&str],
        default: Option<&str>,
    ) -> Option<String> {
        match value {
            None => {
                if default.is_none() {
                    self.push(FieldError::required(target).with_inner(serde_json::json!({
                        "allowedValues": allowed
                    })));
                }
                default.map(str::to_string)
            }
            Some(v) if allowed.contains(&v) => Some(v.to_string()),
            Some(v) => {
                self.push(
                    FieldError::invalid(
                        target,
                        format!("{target} must be one of {}, not `{v}`", allowed.join(", ")),
                    )
                    .with_inner(serde_json::json!({ "allowedValues": allowed })),
                );
                None
            }
        }
    }

    /// A UUID reference such as `population.id`.
    pub fn uuid(&mut self, target: &str, value: Option<&str>, required: bool) -> Option<String> {
        match value {
            None => {
                if required {
                    self.push(FieldError::required(target));
                }
                None
            }
            Some(v) => match uuid::Uuid::parse_str(v) {
                Ok(id) => Some(id.to_string()),
                Err(_) => {
                    self.push(FieldError::invalid(
                        target,
                        format!("{target} must be a UUID"),
                    ));
                    None
                }
            },
        }
    }

    /// An absolute URL with one of `schemes`, at most `max` characters.
    pub fn url(
        &mut self,
        target: &str,
        value: Option<&str>,
        schemes: &[&str],
        max: usize,
    ) -> Option<String> {
        let value = value?;
        if value.len() > max {
            self.push(
                FieldError::too_large(target, format!("{target} must be at most {max} characters"))
                    .with_inner(serde_json::json!({"maximumValue": max})),
            );
            return None;
        }
        if !is_absolute_url(value, schemes) {
            self.push(FieldError::invalid(
                target,
                format!(
                    "{target} must be an absolute URL with scheme {}",
                    schemes.join(" or ")
                ),
            ));
            return None;
        }
        Some(value.to_string())
    }
}

/// `scheme://host[...]` with a non-empty host and no whitespace.
pub fn is_absolute_url(value: &str, schemes: &[&str]) -> bool {
    let Some((scheme, rest)) = value.split_once("://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme))
        && !host.is_empty()
        && !host.starts_with(':')
        && !value.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_fault() {
        let mut c = Checker::new();
        c.string("name", None, NAME, true);
        c.string("description", Some(&"x".repeat(2000)), DESCRIPTION, false);
        c.one_of("type", Some("OTHER"), &["A", "B"], None);
        c.uuid("population.id", Some("nope"), false);
        let errors = c.finish().unwrap_err();
        let codes: Vec<_> = errors
            .iter()
            .map(|e| (e.code.as_str(), e.target.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                ("REQUIRED_VALUE", "name"),
                ("SIZE_LIMIT_EXCEEDED", "description"),
                ("INVALID_VALUE", "type"),
                ("INVALID_VALUE", "population.id"),
            ]
        );
        assert_eq!(
            errors[2].inner,
            Some(serde_json::json!({"allowedValues": ["A", "B"]}))
        );
    }

    #[test]
    fn blank_required_strings_are_missing() {
        let mut c = Checker::new();
        assert_eq!(c.string("name", Some("   "), NAME, true), None);
        assert_eq!(c.finish().unwrap_err()[0].code, "REQUIRED_VALUE");
    }

    #[test]
    fn urls_need_scheme_and_host() {
        assert!(is_absolute_url("https://bx.example/x", &["https"]));
        assert!(!is_absolute_url("http://bx.example", &["https"]));
        assert!(!is_absolute_url("https://", &["https"]));
        assert!(!is_absolute_url("https://a b", &["https"]));
        assert!(!is_absolute_url("bx.example", &["https"]));
    }
}
