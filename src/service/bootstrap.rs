//! First start: the master-key check and, on an empty database, the default environment
//! with an admin worker that also holds the organisation-admin role.

use super::environments::{AdminPlan, prepare};
use super::{Ctx, Error, new_id};
use crate::domain::application::{ROLE_ENVIRONMENT_ADMIN, ROLE_ORGANIZATION_ADMIN};
use crate::domain::environment::EnvironmentInput;
use crate::store::{is_unique_violation, meta};

const CHECK_KEY: &str = "master_key_check";
const CHECK_AAD: &[u8] = b"vouch-master-key-check";
const BOOTSTRAP_KEY: &str = "bootstrap";
const DEFAULT_ENVIRONMENT_KEY: &str = "default_environment";

/// The environment made on first start, if it still exists.
pub async fn default_environment(ctx: &Ctx) -> anyhow::Result<Option<String>> {
    let id = ctx
        .store
        .read(|conn| {
            let id = meta::get(conn, DEFAULT_ENVIRONMENT_KEY)?;
            Ok::<_, Error>(match id {
                Some(id) if crate::store::environments::exists(conn, &id)? => Some(id),
                _ => None,
            })
        })
        .await?;
    Ok(id)
}

/// Refuses to start with a master key other than the one the database was set up with:
/// nothing sealed before could be opened.
pub async fn check_master_key(ctx: &Ctx) -> anyhow::Result<()> {
    let sealed = ctx.master.seal(CHECK_AAD, b"vouch")?;
    let stored = ctx
        .store
        .write(move |conn| {
            if let Some(existing) = meta::get(conn, CHECK_KEY)? {
                return Ok::<_, Error>(existing);
            }
            meta::insert(conn, CHECK_KEY, &sealed)?;
            Ok(sealed)
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot record the master key check: {e}"))?;
    ctx.master.open(CHECK_AAD, &stored).map_err(|_| {
        anyhow::anyhow!(
            "the master key in {} is not the one this database was set up with; \
             start with the original key file",
            ctx.config.master_key_path().display()
        )
    })?;
    Ok(())
}

/// What the bootstrap created, to be shown once to whoever started the server.
#[derive(Debug, Clone)]
pub struct BootstrapReport {
    pub environment_id: String,
    pub client_id: String,
    /// `None` when the secret came from configuration (it is not echoed back).
    pub client_secret: Option<String>,
}

fn configured_uuid(name: &str, value: Option<&String>) -> anyhow::Result<Option<String>> {
    value
        .map(|v| {
            uuid::Uuid::parse_str(v)
                .map(|u| u.to_string())
                .map_err(|_| anyhow::anyhow!("{name} must be a UUID, got `{v}`"))
        })
        .transpose()
}

/// Creates the default environment and the admin worker if the database has never been
/// bootstrapped. Safe when several instances start at once: one wins, the others skip.
pub async fn bootstrap(ctx: &Ctx) -> anyhow::Result<Option<BootstrapReport>> {
    let done = ctx
        .store
        .read(|conn| meta::get(conn, BOOTSTRAP_KEY).map_err(Error::from))
        .await?;
    if done.is_some() {
        return Ok(None);
    }
    let config = &ctx.config;
    let environment_id = configured_uuid(
        "bootstrap_environment_id",
        config.bootstrap_environment_id.as_ref(),
    )?
    .unwrap_or_else(new_id);
    let client_id = configured_uuid("bootstrap_client_id", config.bootstrap_client_id.as_ref())?
        .unwrap_or_else(new_id);
    if let Some(secret) = &config.bootstrap_client_secret {
        anyhow::ensure!(
            secret.chars().count() >= 16,
            "bootstrap_client_secret must be at least 16 characters"
        );
    }
    let spec = EnvironmentInput {
        name: Some("Default".into()),
        description: Some("Created on first start.".into()),
        ..EnvironmentInput::default()
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("bootstrap environment: {e:?}"))?;
    let provision = prepare(
        ctx,
        environment_id.clone(),
        spec,
        AdminPlan {
            id: client_id.clone(),
            name: "vouch admin".into(),
            secret: config.bootstrap_client_secret.clone(),
            roles: vec![
                ROLE_ENVIRONMENT_ADMIN.to_string(),
                ROLE_ORGANIZATION_ADMIN.to_string(),
            ],
        },
    )
    .await?;
    let created = ctx
        .store
        .write(move |conn| {
            match meta::insert(
                conn,
                BOOTSTRAP_KEY,
                &crate::domain::time::iso(&crate::domain::time::now()),
            ) {
                Ok(()) => {}
                Err(e) if is_unique_violation(&e) => {
                    return Err(Error::conflict("already bootstrapped"));
                }
                Err(e) => return Err(Error::from(e)),
            }
            super::environments::insert(conn, &provision)?;
            let created = provision.into_created();
            meta::insert(conn, DEFAULT_ENVIRONMENT_KEY, &created.environment.id)?;
            Ok(Some(created))
        })
        .await;
    let created = match created {
        Ok(created) => created,
        // Another instance bootstrapped between our check and our insert.
        Err(Error::Conflict { .. }) => None,
        Err(e) => return Err(anyhow::anyhow!("bootstrap failed: {e}")),
    };
    Ok(created.map(|c| BootstrapReport {
        environment_id: c.environment.id,
        client_id: c.admin.application.id,
        client_secret: config
            .bootstrap_client_secret
            .is_none()
            .then_some(c.admin.secret),
    }))
}
