//! Credential offers: one live offer per PENDING user credential, with a pre-authorized
//! code and, when the type asks for one, a transaction code shown once to the admin.

use chrono::Duration;
use serde_json::{Value, json};

use super::{ProtocolError, events, secrets};
use crate::domain::credential_type::CredentialTypeDefinition;
use crate::domain::time;
use crate::domain::user_credential::CredentialStatus;
use crate::protocol::oid4vci::configurations::Format;
use crate::protocol::oid4vci::metadata::IssuerEndpoints;
use crate::protocol::oid4vci::offer::{CredentialOffer, TxCode, link_by_reference, link_by_value};
use crate::service::{Ctx, Error, Result};
use crate::store::rows::CredentialOfferRow;
use crate::store::{AnyConnection, issuance};

/// A new offer and, when it has one, its transaction code (shown only now).
#[derive(Debug, Clone)]
pub struct NewOffer {
    pub row: CredentialOfferRow,
    pub tx_code: Option<String>,
}

/// The configuration ids a credential of type `type_id` is offered in.
pub fn configuration_ids(type_id: &str, def: &CredentialTypeDefinition) -> Vec<String> {
    let formats = def.formats();
    Format::ALL
        .into_iter()
        .filter(|f| formats.iter().any(|name| name == f.name()))
        .map(|f| f.configuration_id(type_id))
        .collect()
}

/// Withdraws the live offers of `credential` and makes a new one, in the caller's
/// transaction.
pub fn create(
    ctx: &Ctx,
    conn: &mut AnyConnection,
    env: &str,
    credential: &str,
    type_id: &str,
    def: &CredentialTypeDefinition,
) -> Result<NewOffer> {
    issuance::withdraw_offers(conn, credential)?;
    let id = secrets::offer_id();
    let code = secrets::pre_authorized_code(&ctx.master, &id);
    let setting = def.issuance().tx_code;
    let tx_code = setting
        .as_ref()
        .map(|s| secrets::tx_code(s.input_mode(), s.length()));
    let now = time::now();
    let row = CredentialOfferRow {
        code_hash: secrets::sha256_hex(&code),
        environment_id: env.to_string(),
        user_credential_id: credential.to_string(),
        configuration_ids: serde_json::to_string(&configuration_ids(type_id, def))
            .map_err(|e| Error::Internal(e.into()))?,
        tx_code_hash: tx_code
            .as_ref()
            .map(|c| secrets::tx_code_hash(&ctx.master, &id, c)),
        tx_code_input_mode: setting.as_ref().map(|s| s.input_mode().to_string()),
        tx_code_length: setting.as_ref().map(|s| s.length() as i32),
        tx_code_description: setting.as_ref().and_then(|s| s.description.clone()),
        tx_code_failures: 0,
        status: "ACTIVE".into(),
        created_at: now,
        expires_at: now + Duration::seconds(ctx.config.offer_ttl_seconds),
        fetched_at: None,
        redeemed_at: None,
        id,
    };
    issuance::insert_offer(conn, &row)?;
    events::record(
        conn,
        env,
        credential,
        Some(&row.id),
        "OFFER_CREATED",
        Some(json!({"expiresAt": time::iso(&row.expires_at), "txCode": tx_code.is_some()})),
    )?;
    Ok(NewOffer { row, tx_code })
}

/// The offer object of a stored offer (its code re-derived, never stored).
pub fn offer_object(ctx: &Ctx, row: &CredentialOfferRow) -> CredentialOffer {
    CredentialOffer {
        credential_issuer: IssuerEndpoints::new(&ctx.public_url, &row.environment_id).issuer,
        credential_configuration_ids: serde_json::from_str(&row.configuration_ids)
            .unwrap_or_default(),
        pre_authorized_code: secrets::pre_authorized_code(&ctx.master, &row.id),
        tx_code: row.tx_code_input_mode.as_ref().map(|mode| TxCode {
            input_mode: mode.clone(),
            length: row.tx_code_length.unwrap_or(6) as u32,
            description: row.tx_code_description.clone(),
        }),
    }
}

/// Every way to hand an offer to a wallet.
#[derive(Debug, Clone)]
pub struct OfferLinks {
    /// The `credential_offer_uri` (JSON).
    pub offer_uri: String,
    /// `openid-credential-offer://?credential_offer_uri=…`
    pub deep_link: String,
    /// `openid-credential-offer://?credential_offer=…` (the code inside).
    pub by_value: String,
    /// An https page with the QR code and a button opening the wallet.
    pub page: String,
    pub qr_png: String,
    pub qr_svg: String,
}

pub fn links(ctx: &Ctx, row: &CredentialOfferRow, wallet_base: Option<&str>) -> OfferLinks {
    let endpoints = IssuerEndpoints::new(&ctx.public_url, &row.environment_id);
    let offer_uri = endpoints.offer_uri(&row.id);
    let page_base = endpoints.endpoint("credential-offer");
    OfferLinks {
        deep_link: link_by_reference(wallet_base, &offer_uri),
        by_value: link_by_value(wallet_base, &offer_object(ctx, row)),
        page: link_by_reference(Some(&page_base), &offer_uri),
        qr_png: format!(
            "{}/{}/qr?offer={}&format=png",
            ctx.public_url, row.environment_id, row.id
        ),
        qr_svg: format!(
            "{}/{}/qr?offer={}&format=svg",
            ctx.public_url, row.environment_id, row.id
        ),
        offer_uri,
    }
}

/// Why a stored offer can no longer be used, if it cannot.
pub fn unusable(row: &CredentialOfferRow, now: chrono::NaiveDateTime) -> Option<&'static str> {
    match row.status.as_str() {
        "REDEEMED" => Some("the offer was already redeemed"),
        "DEAD" => Some("the offer was closed after too many wrong transaction codes"),
        "WITHDRAWN" => Some("the offer was withdrawn (a newer offer or a revocation replaced it)"),
        _ if row.expires_at <= now => Some("the offer has expired"),
        _ => None,
    }
}

/// The offer JSON for `credential_offer_uri`; wallets may fetch it until it is redeemed.
pub async fn fetch(ctx: &Ctx, env: &str, offer_id: &str) -> Result<Value, ProtocolError> {
    let (env, id, ctx2) = (env.to_string(), offer_id.to_string(), ctx.clone());
    ctx.store
        .write(move |conn| {
            let Some(row) = issuance::offer(conn, &env, &id)? else {
                return Ok(Err(ProtocolError::new(
                    404,
                    "invalid_request",
                    "no such credential offer",
                )));
            };
            if let Some(why) = unusable(&row, time::now()) {
                return Ok(Err(ProtocolError::new(404, "invalid_request", why)));
            }
            let first = issuance::mark_fetched(conn, &row.id, time::now())?;
            events::record(
                conn,
                &env,
                &row.user_credential_id,
                Some(&row.id),
                "OFFER_FETCHED",
                Some(json!({"first": first})),
            )?;
            Ok::<_, Error>(Ok(offer_object(&ctx2, &row).to_json()))
        })
        .await?
}

/// The newest offer of a user credential (the one its links show).
pub fn latest(conn: &mut AnyConnection, credential: &str) -> Result<Option<CredentialOfferRow>> {
    Ok(issuance::latest_offer(conn, credential)?)
}

/// Replaces a PENDING credential's offer with a fresh one (after it expired, or the
/// transaction code was lost).
pub async fn renew(ctx: &Ctx, env: &str, user: &str, credential: &str) -> Result<NewOffer> {
    let (env, user, credential, ctx2) = (
        env.to_string(),
        user.to_string(),
        credential.to_string(),
        ctx.clone(),
    );
    ctx.store
        .write(move |conn| {
            let row = crate::store::user_credentials::get(conn, &env, &user, &credential)?
                .ok_or_else(|| Error::not_found("User credential"))?;
            let status = crate::service::user_credentials::effective_status(&row, time::now());
            if status != CredentialStatus::Pending {
                return Err(Error::conflict(format!(
                    "Only a PENDING credential is offered; this one is {}.",
                    status.as_str()
                )));
            }
            let credential_type =
                crate::service::credential_types::view_in(conn, &env, &row.credential_type_id)?;
            create(
                &ctx2,
                conn,
                &env,
                &credential,
                &row.credential_type_id,
                &credential_type.definition,
            )
        })
        .await
}
