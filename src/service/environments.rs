//! Environments: create (with everything an environment starts with), read, replace,
//! delete. Managing environments needs the organisation-admin role; a worker may also
//! read its own environment.

use identity_kit::jose::JwsAlgorithm;

use super::{Ctx, Error, Principal, Result, admin_auth, keyring, new_id};
use crate::domain::application::ROLE_ORGANIZATION_ADMIN;
use crate::domain::application::{ROLE_ENVIRONMENT_ADMIN, TokenEndpointAuthMethod};
use crate::domain::environment::{EnvironmentInput, EnvironmentSpec};
use crate::domain::page::{Page, PageRequest};
use crate::domain::time;
use crate::keys::KeyPurpose;
use crate::store::rows::{
    ApplicationRow, EnvironmentRow, IssuerProfileRow, PopulationRow, SigningKeyRow,
};
use crate::store::{
    AnyConnection, applications, directory, environments, is_unique_violation, issuer_profiles,
    signing_keys,
};

/// The worker application an environment starts with, and its secret (shown once).
#[derive(Debug, Clone)]
pub struct InitialApplication {
    pub application: ApplicationRow,
    pub secret: String,
}

#[derive(Debug, Clone)]
pub struct CreatedEnvironment {
    pub environment: EnvironmentRow,
    pub admin: InitialApplication,
}

/// Every row a new environment starts with, prepared outside the transaction (key
/// generation and secret hashing are slow) and inserted inside it.
pub(crate) struct Provision {
    environment: EnvironmentRow,
    population: PopulationRow,
    profile: IssuerProfileRow,
    keys: Vec<SigningKeyRow>,
    admin: InitialApplication,
}

/// What the initial worker application should look like.
pub(crate) struct AdminPlan {
    pub id: String,
    pub name: String,
    pub secret: Option<String>,
    pub roles: Vec<String>,
}

pub(crate) async fn prepare(
    ctx: &Ctx,
    id: String,
    spec: EnvironmentSpec,
    admin: AdminPlan,
) -> Result<Provision> {
    let now = time::now();
    let secret = match admin.secret {
        Some(secret) => secret,
        None => admin_auth::generate_secret(),
    };
    let secret_hash = admin_auth::hash_secret_blocking(secret.clone()).await?;
    let application = ApplicationRow {
        id: admin.id.clone(),
        environment_id: id.clone(),
        name: admin.name,
        description: Some(
            "Created with the environment; holds its first admin credentials.".into(),
        ),
        app_type: "WORKER".into(),
        token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic.as_str().into(),
        enabled: 1,
        roles: serde_json::to_string(&admin.roles).map_err(anyhow::Error::from)?,
        secret_hash,
        secret_sealed: ctx.master.seal(admin.id.as_bytes(), secret.as_bytes())?,
        created_at: now,
        updated_at: now,
    };
    Ok(Provision {
        population: PopulationRow {
            id: new_id(),
            environment_id: id.clone(),
            name: "Default".into(),
            description: Some("The population new users join unless another is named.".into()),
            is_default: 1,
            created_at: now,
            updated_at: now,
        },
        profile: IssuerProfileRow {
            id: new_id(),
            environment_id: id.clone(),
            name: spec.name.clone(),
            site_url: None,
            logo: None,
            application_instance_id: uuid::Uuid::new_v4().to_string(),
            created_at: now,
            updated_at: now,
        },
        keys: vec![
            keyring::new_key_row(ctx, &id, KeyPurpose::AdminToken, JwsAlgorithm::ES256)?,
            keyring::new_key_row(ctx, &id, KeyPurpose::Credential, JwsAlgorithm::ES256)?,
        ],
        environment: EnvironmentRow {
            id,
            name: spec.name,
            description: spec.description,
            env_type: spec.env_type,
            region: spec.region,
            created_at: now,
            updated_at: now,
        },
        admin: InitialApplication {
            application,
            secret,
        },
    })
}

fn name_taken(name: &str) -> Error {
    Error::not_unique(
        "name",
        format!("an environment named `{name}` already exists"),
    )
}

/// Inserts a prepared environment; all rows or none.
pub(crate) fn insert(conn: &mut AnyConnection, p: &Provision) -> Result<()> {
    environments::insert(conn, &p.environment).map_err(|e| {
        if is_unique_violation(&e) {
            name_taken(&p.environment.name)
        } else {
            e.into()
        }
    })?;
    directory::insert_population(conn, &p.population)?;
    issuer_profiles::insert(conn, &p.profile)?;
    for key in &p.keys {
        signing_keys::insert(conn, key)?;
    }
    applications::insert(conn, &p.admin.application)?;
    Ok(())
}

impl Provision {
    pub(crate) fn into_created(self) -> CreatedEnvironment {
        CreatedEnvironment {
            environment: self.environment,
            admin: self.admin,
        }
    }
}

fn require_org_admin(principal: &Principal) -> Result<()> {
    if principal.is_organization_admin() {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Managing environments needs a token of an application with the ORGANIZATION_ADMIN role.".into(),
        ))
    }
}

pub async fn create(
    ctx: &Ctx,
    principal: &Principal,
    input: EnvironmentInput,
) -> Result<CreatedEnvironment> {
    require_org_admin(principal)?;
    let spec = input.validate()?;
    let provision = prepare(
        ctx,
        new_id(),
        spec,
        AdminPlan {
            id: new_id(),
            name: "Environment admin".into(),
            secret: None,
            roles: vec![ROLE_ENVIRONMENT_ADMIN.into()],
        },
    )
    .await?;
    ctx.store
        .write(move |conn| {
            insert(conn, &provision)?;
            Ok(provision.into_created())
        })
        .await
}

pub async fn list(
    ctx: &Ctx,
    principal: &Principal,
    page: PageRequest,
) -> Result<Page<EnvironmentRow>> {
    require_org_admin(principal)?;
    ctx.store
        .read(move |conn| {
            let rows = environments::list(conn, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

pub async fn get(ctx: &Ctx, principal: &Principal, id: &str) -> Result<EnvironmentRow> {
    if !principal.is_organization_admin() && principal.environment_id != id {
        return Err(Error::Forbidden(
            "The token is for another environment.".into(),
        ));
    }
    let id = id.to_string();
    ctx.store
        .read(move |conn| environments::get(conn, &id).map_err(Error::from))
        .await?
        .ok_or_else(|| Error::not_found("Environment"))
}

pub async fn replace(
    ctx: &Ctx,
    principal: &Principal,
    id: &str,
    input: EnvironmentInput,
) -> Result<EnvironmentRow> {
    require_org_admin(principal)?;
    let spec = input.validate()?;
    let id = id.to_string();
    ctx.store
        .write(move |conn| {
            let mut row =
                environments::get(conn, &id)?.ok_or_else(|| Error::not_found("Environment"))?;
            let changed = row.name != spec.name
                || row.description != spec.description
                || row.env_type != spec.env_type
                || row.region != spec.region;
            if !changed {
                return Ok(row);
            }
            row.name = spec.name;
            row.description = spec.description;
            row.env_type = spec.env_type;
            row.region = spec.region;
            row.updated_at = time::now();
            environments::update(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    name_taken(&row.name)
                } else {
                    e.into()
                }
            })?;
            Ok(row)
        })
        .await
}

pub async fn delete(ctx: &Ctx, principal: &Principal, id: &str) -> Result<()> {
    require_org_admin(principal)?;
    let env = id.to_string();
    ctx.store
        .write(move |conn| {
            if !environments::exists(conn, &env)? {
                return Err(Error::not_found("Environment"));
            }
            let here = applications::count_with_role(conn, &env, ROLE_ORGANIZATION_ADMIN)?;
            if here > 0 {
                let everywhere = applications::count_all_with_role(conn, ROLE_ORGANIZATION_ADMIN)?;
                if everywhere == here {
                    return Err(Error::conflict(
                        "This environment holds the last application with the ORGANIZATION_ADMIN role; grant the role to an application in another environment first.",
                    ));
                }
            }
            environments::delete(conn, &env)?;
            Ok(())
        })
        .await?;
    ctx.keys.forget_environment(id);
    ctx.caches.forget_environment(id);
    Ok(())
}
