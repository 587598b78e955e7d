//! The token endpoint: the pre-authorized code grant (single use, transaction code with
//! an attempt limit) and the refresh token grant (single use, rotated). The authorization
//! code grant will be a third arm here, issuing the same kind of token.

use chrono::Duration;
use serde_json::{Value, json};

use super::{ProtocolError, events, offers, secrets};
use crate::domain::time;
use crate::domain::user_credential::CredentialStatus;
use crate::protocol::oid4vci::offer::PRE_AUTHORIZED_GRANT;
use crate::service::{Ctx, Error};
use crate::store::rows::{AccessTokenRow, CredentialOfferRow};
use crate::store::{AnyConnection, issuance, user_credentials};

/// A form parameter that appears at most once.
fn single<'a>(form: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, ProtocolError> {
    let mut values = form
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(ProtocolError::bad(
            "invalid_request",
            format!("{name} appears more than once"),
        ));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

fn issue_tokens(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    offer: &CredentialOfferRow,
) -> Result<Value, Error> {
    let now = time::now();
    let access = secrets::token();
    let refresh = secrets::token();
    for (kind, value, ttl) in [
        ("access", &access, ctx.config.access_token_ttl_seconds),
        ("refresh", &refresh, ctx.config.refresh_token_ttl_seconds),
    ] {
        issuance::insert_token(
            conn,
            &AccessTokenRow {
                token_hash: secrets::sha256_hex(value),
                kind: kind.into(),
                environment_id: offer.environment_id.clone(),
                offer_id: offer.id.clone(),
                user_credential_id: offer.user_credential_id.clone(),
                created_at: now,
                expires_at: now + Duration::seconds(ttl),
                used_at: None,
            },
        )?;
    }
    let nonce_ttl = ctx.config.nonce_ttl_seconds;
    let c_nonce = secrets::mint_nonce(
        &ctx.master,
        &offer.environment_id,
        now + Duration::seconds(nonce_ttl),
    );
    let configurations: Vec<String> =
        serde_json::from_str(&offer.configuration_ids).unwrap_or_default();
    Ok(json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": ctx.config.access_token_ttl_seconds,
        "refresh_token": refresh,
        "c_nonce": c_nonce,
        "c_nonce_expires_in": nonce_ttl,
        "authorization_details": configurations.iter().map(|id| json!({
            "type": "openid_credential",
            "credential_configuration_id": id,
            "credential_identifiers": [id],
        })).collect::<Vec<_>>(),
    }))
}

/// The token endpoint. `form` is the decoded request body.
pub async fn token(
    ctx: &Ctx,
    env: &str,
    form: Vec<(String, String)>,
) -> Result<Value, ProtocolError> {
    match single(&form, "grant_type")? {
        Some(PRE_AUTHORIZED_GRANT) => pre_authorized(ctx, env, &form).await,
        Some("refresh_token") => refresh(ctx, env, &form).await,
        Some("authorization_code") => Err(ProtocolError::bad(
            "unsupported_grant_type",
            "this issuer offers credentials with pre-authorized codes; the authorization code flow is not available",
        )),
        Some(other) => Err(ProtocolError::bad(
            "unsupported_grant_type",
            format!("grant_type {other} is not supported"),
        )),
        None => Err(ProtocolError::bad(
            "invalid_request",
            "grant_type is required",
        )),
    }
}

async fn pre_authorized(
    ctx: &Ctx,
    env: &str,
    form: &[(String, String)],
) -> Result<Value, ProtocolError> {
    let code = single(form, "pre-authorized_code")?
        .ok_or_else(|| ProtocolError::bad("invalid_request", "pre-authorized_code is required"))?
        .to_string();
    let tx_code = single(form, "tx_code")?.map(str::to_string);
    let (env, ctx2) = (env.to_string(), ctx.clone());
    ctx.store
        .write(move |conn| {
            let now = time::now();
            let Some(offer) = issuance::offer_by_code(conn, &env, &secrets::sha256_hex(&code))?
            else {
                return Ok(Err(ProtocolError::bad(
                    "invalid_grant",
                    "the pre-authorized code is not valid",
                )));
            };
            let refuse = |conn: &mut AnyConnection,
                          why: String|
             -> Result<Result<Value, ProtocolError>, Error> {
                events::record(
                    conn,
                    &env,
                    &offer.user_credential_id,
                    Some(&offer.id),
                    "TOKEN_REFUSED",
                    Some(json!({"reason": why})),
                )?;
                Ok(Err(ProtocolError::bad("invalid_grant", why)))
            };
            if let Some(why) = offers::unusable(&offer, now) {
                return refuse(conn, why.to_string());
            }
            match (&offer.tx_code_hash, &tx_code) {
                (Some(_), None) => {
                    return Ok(Err(ProtocolError::bad(
                        "invalid_request",
                        "this offer needs its transaction code: send tx_code",
                    )));
                }
                (None, Some(_)) => {
                    return Ok(Err(ProtocolError::bad(
                        "invalid_request",
                        "this offer has no transaction code; do not send tx_code",
                    )));
                }
                (Some(stored), Some(given))
                    if !secrets::tx_code_matches(&ctx2.master, &offer.id, given, stored) =>
                {
                    let limit = ctx2.config.tx_code_max_attempts;
                    let failures = issuance::record_tx_code_failure(conn, &offer.id, limit)?;
                    let why = if failures >= limit {
                        "wrong transaction code; the offer is now closed (too many attempts)"
                            .to_string()
                    } else {
                        format!(
                            "wrong transaction code ({} attempt(s) left)",
                            limit - failures
                        )
                    };
                    return refuse(conn, why);
                }
                _ => {}
            }
            let credential = user_credentials::by_id(conn, &offer.user_credential_id)?;
            let status = credential
                .as_ref()
                .map(|c| crate::service::user_credentials::effective_status(c, now));
            if !matches!(
                status,
                Some(CredentialStatus::Pending | CredentialStatus::Issued)
            ) {
                return refuse(conn, "the credential offered is no longer available".into());
            }
            if !issuance::redeem(conn, &offer.id, now)? {
                return Ok(Err(ProtocolError::bad(
                    "invalid_grant",
                    "the pre-authorized code was already used",
                )));
            }
            let response = issue_tokens(&ctx2, conn, &offer)?;
            events::record(
                conn,
                &env,
                &offer.user_credential_id,
                Some(&offer.id),
                "TOKEN_ISSUED",
                None,
            )?;
            Ok(Ok(response))
        })
        .await
        .map_err(ProtocolError::from)?
}

async fn refresh(ctx: &Ctx, env: &str, form: &[(String, String)]) -> Result<Value, ProtocolError> {
    let token = single(form, "refresh_token")?
        .ok_or_else(|| ProtocolError::bad("invalid_request", "refresh_token is required"))?
        .to_string();
    let (env, ctx2) = (env.to_string(), ctx.clone());
    ctx.store
        .write(move |conn| {
            let hash = secrets::sha256_hex(&token);
            let row = issuance::token(conn, &hash)?
                .filter(|r| r.environment_id == env && r.kind == "refresh");
            let Some(row) = row else {
                return Ok(Err(ProtocolError::bad(
                    "invalid_grant",
                    "the refresh token is not valid",
                )));
            };
            if !issuance::use_refresh_token(conn, &hash, time::now())? {
                return Ok(Err(ProtocolError::bad(
                    "invalid_grant",
                    "the refresh token was already used or has expired",
                )));
            }
            let Some(offer) = issuance::offer(conn, &env, &row.offer_id)? else {
                return Ok(Err(ProtocolError::bad(
                    "invalid_grant",
                    "the refresh token is not valid",
                )));
            };
            let response = issue_tokens(&ctx2, conn, &offer)?;
            events::record(
                conn,
                &env,
                &offer.user_credential_id,
                Some(&offer.id),
                "TOKEN_REFRESHED",
                None,
            )?;
            Ok::<_, Error>(Ok(response))
        })
        .await
        .map_err(ProtocolError::from)?
}
