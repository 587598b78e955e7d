//! Worker applications: OAuth clients that get admin tokens for one environment.

use serde::Deserialize;

use super::validate::{Checker, DESCRIPTION, FieldError, NAME};

/// May create and manage environments (the `/v1/environments` collection and records).
pub const ROLE_ORGANIZATION_ADMIN: &str = "ORGANIZATION_ADMIN";
/// May manage everything inside its own environment. Every worker holds it.
pub const ROLE_ENVIRONMENT_ADMIN: &str = "ENVIRONMENT_ADMIN";
pub const ROLES: &[&str] = &[ROLE_ENVIRONMENT_ADMIN, ROLE_ORGANIZATION_ADMIN];

pub const AUTH_METHODS: &[&str] = &["CLIENT_SECRET_BASIC", "CLIENT_SECRET_POST"];

/// How a worker authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpointAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

impl TokenEndpointAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "CLIENT_SECRET_BASIC",
            Self::ClientSecretPost => "CLIENT_SECRET_POST",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "CLIENT_SECRET_BASIC" => Some(Self::ClientSecretBasic),
            "CLIENT_SECRET_POST" => Some(Self::ClientSecretPost),
            _ => None,
        }
    }
}

/// Body of `POST` and `PUT …/applications[/{id}]`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Must be `WORKER`.
    #[serde(rename = "type")]
    pub app_type: Option<String>,
    /// Optional; must be `OPENID_CONNECT` when given.
    pub protocol: Option<String>,
    /// `CLIENT_SECRET_BASIC` (default) or `CLIENT_SECRET_POST`.
    pub token_endpoint_auth_method: Option<String>,
    /// Defaults to true; a disabled worker gets no tokens and its tokens stop working.
    pub enabled: Option<bool>,
    /// Optional; must be `["CLIENT_CREDENTIALS"]` when given.
    pub grant_types: Option<Vec<String>>,
    /// Roles beyond `ENVIRONMENT_ADMIN`; only an organisation admin may grant
    /// `ORGANIZATION_ADMIN` (vouch extension).
    pub roles: Option<Vec<String>>,
}

/// A validated application definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationSpec {
    pub name: String,
    pub description: Option<String>,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    pub enabled: bool,
    /// `None` when the request did not mention roles.
    pub roles: Option<Vec<String>>,
}

impl ApplicationInput {
    pub fn validate(&self) -> Result<ApplicationSpec, Vec<FieldError>> {
        let mut c = Checker::new();
        let name = c.string("name", self.name.as_deref(), NAME, true);
        let description = c.string(
            "description",
            self.description.as_deref(),
            DESCRIPTION,
            false,
        );
        c.one_of("type", self.app_type.as_deref(), &["WORKER"], None);
        c.one_of(
            "protocol",
            self.protocol.as_deref(),
            &["OPENID_CONNECT"],
            Some("OPENID_CONNECT"),
        );
        let method = c.one_of(
            "tokenEndpointAuthMethod",
            self.token_endpoint_auth_method.as_deref(),
            AUTH_METHODS,
            Some("CLIENT_SECRET_BASIC"),
        );
        if let Some(grants) = &self.grant_types
            && grants.as_slice() != ["CLIENT_CREDENTIALS"]
        {
            c.push(
                FieldError::invalid(
                    "grantTypes",
                    "a worker application uses exactly the CLIENT_CREDENTIALS grant",
                )
                .with_inner(serde_json::json!({"allowedValues": ["CLIENT_CREDENTIALS"]})),
            );
        }
        let mut roles = None;
        if let Some(given) = &self.roles {
            let mut list = vec![ROLE_ENVIRONMENT_ADMIN.to_string()];
            for (i, role) in given.iter().enumerate() {
                if !ROLES.contains(&role.as_str()) {
                    c.push(
                        FieldError::invalid(
                            format!("roles[{i}]"),
                            format!("unknown role `{role}`"),
                        )
                        .with_inner(serde_json::json!({"allowedValues": ROLES})),
                    );
                } else if !list.contains(role) {
                    list.push(role.clone());
                }
            }
            roles = Some(list);
        }
        c.finish()?;
        Ok(ApplicationSpec {
            name: name.expect("checked"),
            description,
            token_endpoint_auth_method: TokenEndpointAuthMethod::parse(&method.expect("checked"))
                .expect("allowed value"),
            enabled: self.enabled.unwrap_or(true),
            roles,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_with_defaults() {
        let spec = ApplicationInput {
            name: Some("backend".into()),
            app_type: Some("WORKER".into()),
            ..Default::default()
        }
        .validate()
        .unwrap();
        assert_eq!(
            spec.token_endpoint_auth_method,
            TokenEndpointAuthMethod::ClientSecretBasic
        );
        assert!(spec.enabled);
        assert_eq!(spec.roles, None);
    }

    #[test]
    fn non_worker_types_and_unknown_roles_are_refused() {
        let errors = ApplicationInput {
            name: Some("spa".into()),
            app_type: Some("SINGLE_PAGE_APP".into()),
            roles: Some(vec!["ROOT".into()]),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let targets: Vec<_> = errors.iter().map(|e| e.target.as_str()).collect();
        assert_eq!(targets, vec!["type", "roles[0]"]);
    }
}
