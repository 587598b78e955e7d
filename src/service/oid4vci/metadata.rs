//! The discovery documents of an environment as issuer.

use serde_json::{Map, Value};

use crate::keys::KeyPurpose;
use crate::protocol::oid4vci::configurations::credential_configurations;
use crate::protocol::oid4vci::metadata::{
    IssuerDisplay, IssuerEndpoints, authorization_server_metadata, issuer_metadata,
    jwt_vc_issuer_metadata,
};
use crate::protocol::sd_jwt_vc::type_metadata::LOCALE;
use crate::service::credential_types::view_in;
use crate::service::{Ctx, Error, Result, keyring};
use crate::store::{credential_types, environments, issuer_profiles};

fn require_environment(conn: &mut crate::store::AnyConnection, env: &str) -> Result<()> {
    if environments::exists(conn, env)? {
        Ok(())
    } else {
        Err(Error::not_found("Credential issuer"))
    }
}

/// `/.well-known/openid-credential-issuer/{env}`: every credential type not deleted, in
/// the formats it is offered in.
pub async fn credential_issuer(ctx: &Ctx, env: &str) -> Result<Value> {
    let (env, public_url) = (env.to_string(), ctx.public_url.clone());
    ctx.store
        .read(move |conn| {
            require_environment(conn, &env)?;
            let profile = issuer_profiles::get(conn, &env)?
                .ok_or_else(|| Error::not_found("Credential issuer profile"))?;
            let keys = keyring::published_keys(conn, &env, KeyPurpose::Credential)?;
            let mut algs: Vec<&str> = keys.iter().filter_map(|k| k.alg()).collect();
            algs.sort_unstable();
            algs.dedup();
            let mut configurations = Map::new();
            let mut after: Option<String> = None;
            loop {
                let rows = credential_types::list(conn, &env, after.as_deref(), 500)?;
                let done = rows.len() < 500;
                for row in rows {
                    after = Some(row.id.clone());
                    let view = view_in(conn, &env, &row.id)?;
                    let formats = view.definition.formats();
                    for (id, config) in credential_configurations(
                        &public_url,
                        &env,
                        &row.id,
                        &view.definition,
                        &algs,
                    ) {
                        if config["format"]
                            .as_str()
                            .is_some_and(|f| formats.iter().any(|g| g == f))
                        {
                            configurations.insert(id, config);
                        }
                    }
                }
                if done {
                    break;
                }
            }
            let display = IssuerDisplay {
                name: profile.name,
                logo: profile.logo,
                locale: LOCALE.into(),
            };
            Ok(issuer_metadata(
                &IssuerEndpoints::new(&public_url, &env),
                &display,
                configurations,
            ))
        })
        .await
}

/// `/.well-known/oauth-authorization-server/{env}`.
pub async fn authorization_server(ctx: &Ctx, env: &str) -> Result<Value> {
    let (env_id, public_url) = (env.to_string(), ctx.public_url.clone());
    ctx.store
        .read(move |conn| {
            require_environment(conn, &env_id)?;
            Ok(authorization_server_metadata(&IssuerEndpoints::new(
                &public_url,
                &env_id,
            )))
        })
        .await
}

/// `/.well-known/jwt-vc-issuer/{env}`: where SD-JWT VC verifiers find the issuer keys.
pub async fn jwt_vc_issuer(ctx: &Ctx, env: &str) -> Result<Value> {
    let keys = keyring::credential_keys(ctx, env).await?;
    Ok(jwt_vc_issuer_metadata(
        &IssuerEndpoints::new(&ctx.public_url, env),
        &keys,
    ))
}
