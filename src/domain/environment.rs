//! Environments: the tenants. Each is one credential issuer and one verifier.

use serde::Deserialize;

use super::validate::{Checker, DESCRIPTION, FieldError, NAME};

pub const TYPES: &[&str] = &["SANDBOX", "PRODUCTION"];
pub const REGIONS: &[&str] = &["NA", "EU", "CA", "AP", "AU", "SG"];

/// Body of `POST /v1/environments` and `PUT /v1/environments/{env}`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentInput {
    /// Unique across the server, 1–256 characters.
    pub name: Option<String>,
    pub description: Option<String>,
    /// `SANDBOX` (default) or `PRODUCTION`.
    #[serde(rename = "type")]
    pub env_type: Option<String>,
    /// `NA` (default), `EU`, `CA`, `AP`, `AU` or `SG`; informational for a self-hosted server.
    pub region: Option<String>,
}

/// A validated environment definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvironmentSpec {
    pub name: String,
    pub description: Option<String>,
    pub env_type: String,
    pub region: String,
}

impl EnvironmentInput {
    pub fn validate(&self) -> Result<EnvironmentSpec, Vec<FieldError>> {
        let mut c = Checker::new();
        let name = c.string("name", self.name.as_deref(), NAME, true);
        let description = c.string(
            "description",
            self.description.as_deref(),
            DESCRIPTION,
            false,
        );
        let env_type = c.one_of("type", self.env_type.as_deref(), TYPES, Some("SANDBOX"));
        let region = c.one_of("region", self.region.as_deref(), REGIONS, Some("NA"));
        c.finish()?;
        Ok(EnvironmentSpec {
            name: name.expect("checked"),
            description,
            env_type: env_type.expect("checked"),
            region: region.expect("checked"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_type_and_region() {
        let spec = EnvironmentInput {
            name: Some("BX Insurance".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(spec.env_type, "SANDBOX");
        assert_eq!(spec.region, "NA");
    }

    #[test]
    fn bad_type_and_missing_name_are_both_reported() {
        let errors = EnvironmentInput {
            env_type: Some("DEV".into()),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let targets: Vec<_> = errors.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, vec!["name", "type"]);
    }
}
