//! The credential issuer profile, created with its environment.

use super::{Ctx, Error, Result, new_id};
use crate::domain::issuer_profile::IssuerProfileInput;
use crate::domain::time;
use crate::store::issuer_profiles;
use crate::store::rows::IssuerProfileRow;

pub async fn get(ctx: &Ctx, env: &str) -> Result<IssuerProfileRow> {
    let env = env.to_string();
    ctx.store
        .read(move |conn| issuer_profiles::get(conn, &env).map_err(Error::from))
        .await?
        .ok_or_else(|| Error::not_found("Credential issuer profile"))
}

/// Sets the profile, creating it if the environment has none; returns the profile and
/// whether it was created.
pub async fn put(
    ctx: &Ctx,
    env: &str,
    input: IssuerProfileInput,
) -> Result<(IssuerProfileRow, bool)> {
    let spec = input.validate()?;
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            let now = time::now();
            match issuer_profiles::get(conn, &env)? {
                Some(mut row) => {
                    if row.name == spec.name
                        && row.site_url == spec.site_url
                        && row.logo == spec.logo
                    {
                        return Ok((row, false));
                    }
                    row.name = spec.name;
                    row.site_url = spec.site_url;
                    row.logo = spec.logo;
                    row.updated_at = now;
                    issuer_profiles::update(conn, &row)?;
                    Ok((row, false))
                }
                None => {
                    let row = IssuerProfileRow {
                        id: new_id(),
                        environment_id: env.clone(),
                        name: spec.name,
                        site_url: spec.site_url,
                        logo: spec.logo,
                        application_instance_id: uuid::Uuid::new_v4().to_string(),
                        created_at: now,
                        updated_at: now,
                    };
                    issuer_profiles::insert(conn, &row)?;
                    Ok((row, true))
                }
            }
        })
        .await
}
