//! Response bodies of the management API, in PingOne's shapes, with HAL `_links`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::domain::page::{Page, PageRequest};
use crate::domain::time::iso;
use crate::service::Ctx;
use crate::service::applications::roles_of;
use crate::store::rows::{
    ApplicationRow, EnvironmentRow, GroupRow, IssuerProfileRow, PopulationRow,
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub href: String,
}

/// `name → {href}`; always has `self`.
pub type Links = BTreeMap<String, Link>;

pub fn links(self_href: String) -> Links {
    let mut links = Links::new();
    links.insert("self".into(), Link { href: self_href });
    links
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdRef {
    pub id: String,
}

impl IdRef {
    pub fn new(id: &str) -> Self {
        Self { id: id.to_string() }
    }
}

/// A page of a collection: `_embedded.<key>`, `size` and `self`/`next` links.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collection<E> {
    #[serde(rename = "_links")]
    pub links: Links,
    #[serde(rename = "_embedded")]
    pub embedded: E,
    /// Items in this page.
    pub size: usize,
}

/// Builds a collection page; `extra` are query parameters kept in the links (a filter).
pub fn collection<T, E>(
    ctx: &Ctx,
    path: &str,
    page: &PageRequest,
    cursor: Option<&str>,
    extra: &[(&str, &str)],
    items: Page<T>,
    embed: impl FnOnce(Vec<T>) -> E,
) -> Collection<E> {
    let href = |cursor: Option<&str>| {
        let mut query: Vec<(&str, String)> =
            extra.iter().map(|(k, v)| (*k, v.to_string())).collect();
        query.push(("limit", page.limit.to_string()));
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
        format!("{}{path}?{encoded}", ctx.public_url)
    };
    let mut links = links(href(cursor));
    if let Some(next) = &items.next_cursor {
        links.insert(
            "next".into(),
            Link {
                href: href(Some(next)),
            },
        );
    }
    let size = items.items.len();
    Collection {
        links,
        embedded: embed(items.items),
        size,
    }
}

pub fn env_path(env: &str) -> String {
    format!("/v1/environments/{env}")
}

// ---- environments ------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentResource {
    pub id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `SANDBOX` or `PRODUCTION`.
    #[serde(rename = "type")]
    pub env_type: String,
    pub region: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl EnvironmentResource {
    pub fn new(ctx: &Ctx, row: EnvironmentRow) -> Self {
        let base = format!("{}{}", ctx.public_url, env_path(&row.id));
        let mut links = links(base.clone());
        for (name, suffix) in [
            ("applications", "/applications"),
            ("users", "/users"),
            ("groups", "/groups"),
            ("populations", "/populations"),
            ("credentialIssuerProfile", "/credentialIssuerProfile"),
        ] {
            links.insert(
                name.into(),
                Link {
                    href: format!("{base}{suffix}"),
                },
            );
        }
        links.insert(
            "token".into(),
            Link {
                href: format!("{}/{}/as/token", ctx.public_url, row.id),
            },
        );
        Self {
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            id: row.id,
            name: row.name,
            description: row.description,
            env_type: row.env_type,
            region: row.region,
            links,
        }
    }
}

/// Credentials of the worker an environment starts with; shown only in the response
/// that created the environment (vouch extension).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct InitialAdminApplication {
    pub id: String,
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub token_endpoint: String,
    pub token_endpoint_auth_method: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatedEnvironmentResource {
    #[serde(flatten)]
    pub environment: EnvironmentResource,
    pub admin_application: InitialAdminApplication,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnvironmentsEmbedded {
    pub environments: Vec<EnvironmentResource>,
}

// ---- applications ------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationResource {
    /// Also the OAuth `client_id`.
    pub id: String,
    pub environment: IdRef,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Always `WORKER`.
    #[serde(rename = "type")]
    pub app_type: String,
    /// Always `OPENID_CONNECT`.
    pub protocol: String,
    pub enabled: bool,
    pub token_endpoint_auth_method: String,
    pub grant_types: Vec<String>,
    /// `ENVIRONMENT_ADMIN`, and `ORGANIZATION_ADMIN` for workers that manage environments.
    pub roles: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl ApplicationResource {
    pub fn new(ctx: &Ctx, row: ApplicationRow) -> Self {
        let base = format!(
            "{}{}/applications/{}",
            ctx.public_url,
            env_path(&row.environment_id),
            row.id
        );
        let mut links = links(base.clone());
        links.insert(
            "secret".into(),
            Link {
                href: format!("{base}/secret"),
            },
        );
        Self {
            roles: roles_of(&row),
            environment: IdRef::new(&row.environment_id),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            id: row.id,
            name: row.name,
            description: row.description,
            app_type: row.app_type,
            protocol: "OPENID_CONNECT".into(),
            enabled: row.enabled != 0,
            token_endpoint_auth_method: row.token_endpoint_auth_method,
            grant_types: vec!["CLIENT_CREDENTIALS".into()],
            links,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationsEmbedded {
    pub applications: Vec<ApplicationResource>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationSecret {
    pub secret: String,
}

// ---- issuer profile ----------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuerProfileResource {
    pub id: String,
    pub environment: IdRef,
    pub application_instance: IdRef,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl IssuerProfileResource {
    pub fn new(ctx: &Ctx, row: IssuerProfileRow) -> Self {
        Self {
            links: links(format!(
                "{}{}/credentialIssuerProfile",
                ctx.public_url,
                env_path(&row.environment_id)
            )),
            environment: IdRef::new(&row.environment_id),
            application_instance: IdRef::new(&row.application_instance_id),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            id: row.id,
            name: row.name,
            site_url: row.site_url,
            logo: row.logo,
        }
    }
}

// ---- directory ---------------------------------------------------------------------

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PopulationResource {
    pub id: String,
    pub environment: IdRef,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub default: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl PopulationResource {
    pub fn new(ctx: &Ctx, row: PopulationRow) -> Self {
        Self {
            links: links(format!(
                "{}{}/populations/{}",
                ctx.public_url,
                env_path(&row.environment_id),
                row.id
            )),
            environment: IdRef::new(&row.environment_id),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            default: row.is_default != 0,
            id: row.id,
            name: row.name,
            description: row.description,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PopulationsEmbedded {
    pub populations: Vec<PopulationResource>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupResource {
    pub id: String,
    pub environment: IdRef,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub population: Option<IdRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub custom_data: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl GroupResource {
    pub fn new(ctx: &Ctx, row: GroupRow) -> Self {
        Self {
            links: links(format!(
                "{}{}/groups/{}",
                ctx.public_url,
                env_path(&row.environment_id),
                row.id
            )),
            environment: IdRef::new(&row.environment_id),
            population: row.population_id.as_deref().map(IdRef::new),
            custom_data: row
                .custom_data
                .as_deref()
                .and_then(|text| serde_json::from_str(text).ok()),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            id: row.id,
            name: row.name,
            description: row.description,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupsEmbedded {
    pub groups: Vec<GroupResource>,
}

/// A user's membership of one group.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GroupMembershipResource {
    /// The group id.
    pub id: String,
    pub name: String,
    /// Always `DIRECT`.
    #[serde(rename = "type")]
    pub membership_type: String,
    #[serde(rename = "_links")]
    pub links: Links,
}

impl GroupMembershipResource {
    pub fn new(ctx: &Ctx, env: &str, user: &str, group: (String, String)) -> Self {
        let mut links = links(format!(
            "{}{}/users/{user}/memberOfGroups/{}",
            ctx.public_url,
            env_path(env),
            group.0
        ));
        links.insert(
            "group".into(),
            Link {
                href: format!("{}{}/groups/{}", ctx.public_url, env_path(env), group.0),
            },
        );
        Self {
            id: group.0,
            name: group.1,
            membership_type: "DIRECT".into(),
            links,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupMembershipsEmbedded {
    pub group_memberships: Vec<GroupMembershipResource>,
}

/// A user's name parts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserName {
    pub given: Option<String>,
    pub family: Option<String>,
    pub middle: Option<String>,
    pub formatted: Option<String>,
    pub honorific_prefix: Option<String>,
    pub honorific_suffix: Option<String>,
}

/// A user. Every property not listed is a custom attribute and may hold any JSON value.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserResource {
    pub id: String,
    pub environment: IdRef,
    pub population: IdRef,
    pub username: String,
    pub email: Option<String>,
    pub name: Option<UserName>,
    pub enabled: bool,
    pub member_of_group_i_ds: Vec<String>,
    pub member_of_group_names: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(rename = "_links")]
    pub links: Links,
    /// Custom attributes, each any JSON value.
    #[serde(flatten)]
    pub custom_attributes: BTreeMap<String, Value>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsersEmbedded {
    #[schema(value_type = Vec<UserResource>)]
    pub users: Vec<Value>,
}
