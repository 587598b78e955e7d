//! Worker applications of an environment and their client secrets.

use super::{Ctx, Error, Principal, Result, admin_auth, new_id};
use crate::domain::application::{
    ApplicationInput, ApplicationSpec, ROLE_ENVIRONMENT_ADMIN, ROLE_ORGANIZATION_ADMIN,
};
use crate::domain::page::{Page, PageRequest};
use crate::domain::time;
use crate::store::rows::ApplicationRow;
use crate::store::{AnyConnection, applications};

/// The roles an application holds.
pub fn roles_of(row: &ApplicationRow) -> Vec<String> {
    serde_json::from_str(&row.roles).unwrap_or_default()
}

fn check_role_grant(principal: &Principal, roles: &Option<Vec<String>>) -> Result<()> {
    let grants_org = roles
        .as_ref()
        .is_some_and(|r| r.iter().any(|r| r == ROLE_ORGANIZATION_ADMIN));
    if grants_org && !principal.is_organization_admin() {
        return Err(Error::Forbidden(
            "Only an application with the ORGANIZATION_ADMIN role may grant it.".into(),
        ));
    }
    Ok(())
}

/// Refuses a change that would leave no application with the organisation-admin role.
fn keep_an_org_admin(conn: &mut AnyConnection, losing: &ApplicationRow) -> Result<()> {
    if roles_of(losing)
        .iter()
        .any(|r| r == ROLE_ORGANIZATION_ADMIN)
        && applications::count_all_with_role(conn, ROLE_ORGANIZATION_ADMIN)? <= 1
    {
        return Err(Error::conflict(
            "This is the last application with the ORGANIZATION_ADMIN role; grant the role to another application first.",
        ));
    }
    Ok(())
}

/// A new application and its secret.
pub struct CreatedApplication {
    pub application: ApplicationRow,
    pub secret: String,
}

pub async fn create(
    ctx: &Ctx,
    principal: &Principal,
    env: &str,
    input: ApplicationInput,
) -> Result<CreatedApplication> {
    let spec = input.validate()?;
    check_role_grant(principal, &spec.roles)?;
    let (secret, secret_hash) = admin_auth::new_secret_hashed().await?;
    let id = new_id();
    let now = time::now();
    let row = ApplicationRow {
        secret_sealed: ctx.master.seal(id.as_bytes(), secret.as_bytes())?,
        id,
        environment_id: env.to_string(),
        name: spec.name,
        description: spec.description,
        app_type: "WORKER".into(),
        token_endpoint_auth_method: spec.token_endpoint_auth_method.as_str().into(),
        enabled: i32::from(spec.enabled),
        roles: serde_json::to_string(
            &spec
                .roles
                .unwrap_or_else(|| vec![ROLE_ENVIRONMENT_ADMIN.to_string()]),
        )
        .map_err(anyhow::Error::from)?,
        secret_hash,
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    ctx.store
        .write(move |conn| applications::insert(conn, &stored).map_err(Error::from))
        .await?;
    Ok(CreatedApplication {
        application: row,
        secret,
    })
}

pub async fn list(ctx: &Ctx, env: &str, page: PageRequest) -> Result<Page<ApplicationRow>> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| {
            let rows = applications::list(conn, &env, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

fn get_in(conn: &mut AnyConnection, env: &str, id: &str) -> Result<ApplicationRow> {
    applications::get(conn, env, id)?.ok_or_else(|| Error::not_found("Application"))
}

pub async fn get(ctx: &Ctx, env: &str, id: &str) -> Result<ApplicationRow> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store.read(move |conn| get_in(conn, &env, &id)).await
}

fn apply(row: &mut ApplicationRow, spec: ApplicationSpec) {
    row.name = spec.name;
    row.description = spec.description;
    row.token_endpoint_auth_method = spec.token_endpoint_auth_method.as_str().into();
    row.enabled = i32::from(spec.enabled);
    if let Some(roles) = spec.roles {
        row.roles = serde_json::to_string(&roles).unwrap_or_else(|_| "[]".into());
    }
}

pub async fn replace(
    ctx: &Ctx,
    principal: &Principal,
    env: &str,
    id: &str,
    input: ApplicationInput,
) -> Result<ApplicationRow> {
    let spec = input.validate()?;
    check_role_grant(principal, &spec.roles)?;
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let before = get_in(conn, &env, &id)?;
            let mut row = before.clone();
            apply(&mut row, spec);
            let still_org_admin = roles_of(&row).iter().any(|r| r == ROLE_ORGANIZATION_ADMIN);
            if !still_org_admin || row.enabled == 0 {
                keep_an_org_admin(conn, &before)?;
            }
            if row.name == before.name
                && row.description == before.description
                && row.token_endpoint_auth_method == before.token_endpoint_auth_method
                && row.enabled == before.enabled
                && row.roles == before.roles
            {
                return Ok(before);
            }
            row.updated_at = time::now();
            applications::update(conn, &row)?;
            Ok(row)
        })
        .await
}

pub async fn delete(ctx: &Ctx, env: &str, id: &str) -> Result<()> {
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let row = get_in(conn, &env, &id)?;
            keep_an_org_admin(conn, &row)?;
            applications::delete(conn, &env, &id)?;
            Ok(())
        })
        .await
}

/// The current client secret.
pub async fn secret(ctx: &Ctx, env: &str, id: &str) -> Result<String> {
    let row = get(ctx, env, id).await?;
    let bytes = ctx.master.open(row.id.as_bytes(), &row.secret_sealed)?;
    String::from_utf8(bytes)
        .map_err(|_| Error::Internal(anyhow::anyhow!("stored secret is not UTF-8")))
}

/// Replaces the client secret; the old one stops working at once.
pub async fn rotate_secret(ctx: &Ctx, env: &str, id: &str) -> Result<String> {
    get(ctx, env, id).await?;
    let (secret, hash) = admin_auth::new_secret_hashed().await?;
    let sealed = ctx.master.seal(id.as_bytes(), secret.as_bytes())?;
    let (env, id) = (env.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let mut row = get_in(conn, &env, &id)?;
            row.secret_hash = hash;
            row.secret_sealed = sealed;
            row.updated_at = time::now();
            applications::update(conn, &row)?;
            Ok::<_, Error>(())
        })
        .await?;
    Ok(secret)
}
