//! The nonce, credential, deferred credential and notification endpoints.
//!
//! A credential request is checked in this order, each failure with its own error:
//! the access token (`invalid_token`), the request shape (`invalid_credential_request`,
//! `invalid_proof`, `invalid_encryption_parameters`), the credential asked for
//! (`unknown_credential_configuration`, `unknown_credential_identifier`), each proof's
//! header, claims and signature (`invalid_proof`) and nonce (`invalid_nonce`). Only then
//! are credentials signed, and one transaction uses the nonces (a replay loses there),
//! records the provisioned credentials and marks the user credential ISSUED.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use serde_json::{Map, Value, json};

use super::{ProtocolError, events, secrets};
use crate::domain::time;
use crate::domain::user_credential::CredentialStatus;
use crate::keys::Verifier;
use crate::protocol::did::resolver::KeyUse;
use crate::protocol::formats::{self, Holder, Issuance};
use crate::protocol::oid4vci::configurations::{Format, vct, w3c_type};
use crate::protocol::oid4vci::metadata::{BATCH_SIZE, IssuerEndpoints};
use crate::protocol::oid4vci::proof::{self, ProofKey};
use crate::protocol::oid4vci::request::{self, Selector};
use crate::service::credential_types::{CredentialTypeView, view_in as type_in};
use crate::service::user_credentials::{effective_status, mark_issued};
use crate::service::{Ctx, Error, keyring, new_id, status};
use crate::store::rows::{
    AccessTokenRow, CredentialOfferRow, DeferredRequestRow, ProvisionedCredentialRow,
    UserCredentialRow,
};
use crate::store::{environments, issuance, user_credentials};

/// Seconds a wallet should wait between polls of the deferred endpoint.
pub const DEFERRED_INTERVAL: i64 = 5;

/// A response of the credential or deferred endpoint.
#[derive(Debug, Clone)]
pub struct CredentialResponse {
    pub status: u16,
    pub body: Value,
}

/// What an access token gives access to.
struct Grant {
    offer: CredentialOfferRow,
    credential: UserCredentialRow,
    credential_type: CredentialTypeView,
}

impl Grant {
    fn configurations(&self) -> Vec<String> {
        serde_json::from_str(&self.offer.configuration_ids).unwrap_or_default()
    }
}

/// A fresh `c_nonce` for `env`.
pub fn fresh_nonce(ctx: &Ctx, env: &str) -> String {
    secrets::mint_nonce(
        &ctx.master,
        env,
        time::now() + Duration::seconds(ctx.config.nonce_ttl_seconds),
    )
}

/// The nonce endpoint.
pub async fn nonce(ctx: &Ctx, env: &str) -> Result<Value, ProtocolError> {
    let env_id = env.to_string();
    let exists = ctx.caches.environments.get(&env_id).is_some()
        || ctx
            .store
            .read(move |conn| environments::exists(conn, &env_id).map_err(Error::from))
            .await?;
    if exists {
        ctx.caches.environments.insert(env.to_string(), ());
    } else {
        return Err(ProtocolError::new(
            404,
            "invalid_request",
            "no such credential issuer",
        ));
    }
    Ok(json!({"c_nonce": fresh_nonce(ctx, env)}))
}

async fn authorize(ctx: &Ctx, env: &str, bearer: Option<&str>) -> Result<Grant, ProtocolError> {
    let Some(token) = bearer else {
        return Err(ProtocolError::invalid_token(
            "send the access token from the token endpoint as Authorization: Bearer <token>",
        ));
    };
    let (env, hash) = (env.to_string(), secrets::sha256_hex(token));
    let found = ctx
        .store
        .read(move |conn| {
            let Some(row) = issuance::token(conn, &hash)? else {
                return Ok(None);
            };
            let usable = |r: &AccessTokenRow| {
                r.kind == "access" && r.environment_id == env && r.expires_at > time::now()
            };
            if !usable(&row) {
                return Ok(None);
            }
            let offer = issuance::offer(conn, &env, &row.offer_id)?;
            let credential = user_credentials::by_id(conn, &row.user_credential_id)?;
            match (offer, credential) {
                (Some(offer), Some(credential)) => {
                    let credential_type = type_in(conn, &env, &credential.credential_type_id)?;
                    Ok::<_, Error>(Some(Grant {
                        offer,
                        credential,
                        credential_type,
                    }))
                }
                _ => Ok(None),
            }
        })
        .await?;
    found.ok_or_else(|| {
        ProtocolError::invalid_token(
            "the access token is unknown, expired or no longer valid; redeem the offer again",
        )
    })
}

/// The configuration a request names, among those the token was granted for.
fn select(
    grant: &Grant,
    selector: &Selector,
    public_url: &str,
) -> Result<(String, Format), ProtocolError> {
    let offered = grant.configurations();
    let pick = |id: &str| Format::parse_configuration_id(id).map(|(_, f)| (id.to_string(), f));
    match selector {
        Selector::ConfigurationId(id) => offered
            .iter()
            .find(|o| *o == id)
            .and_then(|o| pick(o))
            .ok_or_else(|| {
                ProtocolError::bad(
                    "unknown_credential_configuration",
                    format!("credential_configuration_id {id} was not offered with this token; offered: {}", offered.join(", ")),
                )
            }),
        Selector::Identifier(id) => offered.iter().find(|o| *o == id).and_then(|o| pick(o)).ok_or_else(|| {
            ProtocolError::bad(
                "unknown_credential_identifier",
                format!("credential_identifier {id} is not one of the token's authorization_details identifiers"),
            )
        }),
        Selector::Format { format, vct: wanted_vct, types } => {
            let type_id = &grant.credential_type.row.id;
            let def = &grant.credential_type.definition;
            let found = offered.iter().filter_map(|o| pick(o)).find(|(_, f)| match f {
                Format::SdJwt => {
                    matches!(format.as_str(), "dc+sd-jwt" | "vc+sd-jwt")
                        && wanted_vct.as_deref() == Some(vct(public_url, &grant.offer.environment_id, type_id).as_str())
                }
                Format::JwtVc => {
                    format == "jwt_vc_json" && types.as_ref().is_some_and(|t| t.contains(&w3c_type(def)))
                }
            });
            found.ok_or_else(|| {
                ProtocolError::bad(
                    "unknown_credential_configuration",
                    format!("no offered credential matches format {format} with that vct or credential_definition.type"),
                )
            })
        }
    }
}

/// Checks every proof and returns the holders (one per distinct key) and the nonces
/// to use up.
async fn check_proofs(
    ctx: &Ctx,
    env: &str,
    proofs: &[String],
) -> Result<(Vec<Holder>, Vec<(String, chrono::NaiveDateTime)>), ProtocolError> {
    let issuer = IssuerEndpoints::new(&ctx.public_url, env).issuer;
    let now = Utc::now().timestamp();
    let mut holders = Vec::new();
    let mut seen = HashSet::new();
    let mut nonces = Vec::new();
    for (n, token) in proofs.iter().enumerate() {
        let at = if proofs.len() > 1 {
            format!("proof {n}: ")
        } else {
            String::new()
        };
        let inspected = proof::inspect(token, &issuer, now)
            .map_err(|e| ProtocolError::bad("invalid_proof", format!("{at}{e}")))?;
        let (jwk, did) = match &inspected.key {
            ProofKey::Jwk(jwk) => (jwk.public(), None),
            ProofKey::DidUrl(url) => {
                let jwk = ctx
                    .resolver
                    .resolve_key(url, KeyUse::Holder)
                    .await
                    .map_err(|e| {
                        ProtocolError::bad(
                            "invalid_proof",
                            format!("{at}the proof key could not be resolved: {e}"),
                        )
                    })?;
                (jwk, Some(url.split('#').next().unwrap_or(url).to_string()))
            }
        };
        inspected.jws.verify(&Verifier, &jwk).map_err(|_| {
            ProtocolError::bad(
                "invalid_proof",
                format!("{at}the proof signature does not verify with its key"),
            )
        })?;
        let Some(nonce) = inspected.nonce else {
            return Err(ProtocolError::bad(
                "invalid_proof",
                format!(
                    "{at}the proof has no nonce; get a c_nonce from the nonce endpoint and put it in the proof"
                ),
            ));
        };
        let expires =
            secrets::check_nonce(&ctx.master, env, &nonce, time::now()).map_err(|problem| {
                let why = match problem {
                    secrets::NonceProblem::Unknown => {
                        "the proof nonce was not issued by this credential issuer"
                    }
                    secrets::NonceProblem::Expired => "the proof nonce has expired",
                };
                ProtocolError::bad(
                    "invalid_nonce",
                    format!("{at}{why}; get a fresh c_nonce from the nonce endpoint"),
                )
            })?;
        if !nonces.iter().any(|(n, _)| *n == nonce) {
            nonces.push((nonce, expires));
        }
        let thumbprint = jwk
            .thumbprint_sha256()
            .map_err(|e| ProtocolError::bad("invalid_proof", format!("{at}{e}")))?;
        if seen.insert(thumbprint) {
            holders.push(Holder { jwk, did });
        }
    }
    Ok((holders, nonces))
}

/// Credentials signed for one request, before they are recorded.
#[derive(Clone)]
struct Signed {
    credentials: Vec<(Holder, String)>,
    /// The status list entry of each credential, in the same order.
    statuses: Vec<status::Allocation>,
    expires_at: chrono::NaiveDateTime,
}

/// Signs one credential per holder, each with a status list entry of its own.
async fn sign(
    ctx: &Ctx,
    grant: &Grant,
    format: Format,
    holders: &[Holder],
) -> Result<Signed, ProtocolError> {
    let env = &grant.offer.environment_id;
    let statuses = status::allocate(ctx, env, format, holders.len()).await?;
    let (key, issuer, kid) = keyring::signing_identity(ctx, env, format).await?;
    let now = Utc::now();
    // A credential without its own end still gets one: verifiers and wallets expect
    // `exp`, and a bounded life limits what a leaked credential is worth.
    let expires_at = grant
        .credential
        .expires_at
        .map(|t| t.and_utc())
        .unwrap_or(now + Duration::seconds(ctx.config.credential_validity_seconds));
    let mut claims: Map<String, Value> =
        serde_json::from_str(&grant.credential.data).map_err(|e| Error::Internal(e.into()))?;
    for field in grant.credential_type.definition.fields() {
        if field.kind() == "Issued Timestamp" {
            claims.insert(
                field.title().to_string(),
                json!(time::iso(&now.naive_utc())),
            );
        }
    }
    let issuance = Issuance {
        signer: key.signer.as_ref(),
        issuer: &issuer,
        kid: &kid,
        claims: &claims,
        issued_at: now,
        expires_at: Some(expires_at),
    };
    let def = &grant.credential_type.definition;
    let type_id = &grant.credential_type.row.id;
    let mut out = Vec::new();
    for (holder, allocation) in holders.iter().zip(&statuses) {
        let credential_status = Some(allocation.credential_status());
        let credential = match format {
            Format::SdJwt => {
                formats::sd_jwt_vc(
                    &issuance,
                    &vct(&ctx.public_url, env, type_id),
                    holder,
                    credential_status,
                )
                .await
            }
            Format::JwtVc => {
                formats::jwt_vc(
                    &issuance,
                    &["VerifiableCredential".into(), w3c_type(def)],
                    holder,
                    credential_status,
                )
                .await
            }
        }
        .map_err(|e| {
            ProtocolError::from(Error::Internal(anyhow::anyhow!(
                "signing a credential failed: {e}"
            )))
        })?;
        out.push((holder.clone(), credential));
    }
    Ok(Signed {
        credentials: out,
        statuses,
        expires_at: expires_at.naive_utc(),
    })
}

fn provisioned_row(
    grant: &Grant,
    config: &str,
    format: Format,
    (holder, credential, status): (&Holder, &str, &status::Allocation),
    notification: &str,
    expires_at: chrono::NaiveDateTime,
) -> ProvisionedCredentialRow {
    let now = time::now();
    let holder_id = holder.subject_id().unwrap_or_default();
    ProvisionedCredentialRow {
        id: new_id(),
        environment_id: grant.offer.environment_id.clone(),
        user_credential_id: grant.credential.id.clone(),
        user_id: grant.credential.user_id.clone(),
        digital_wallet_id: None,
        status: "ACTIVE".into(),
        format: format.name().into(),
        credential_configuration_id: config.to_string(),
        holder_key: Some(json!({"jwk": holder.jwk, "did": holder.did}).to_string()),
        claim_reference: Some(
            json!({"holder": holder_id, "dataHash": secrets::sha256_hex(credential), "format": format.name()}).to_string(),
        ),
        status_list_uri: Some(status.uri.clone()),
        status_list_index: Some(status.idx),
        wallet_actions: "[]".into(),
        expires_at: Some(expires_at),
        created_at: now,
        updated_at: now,
        notification_id: Some(notification.to_string()),
    }
}

/// Records signed credentials and marks the user credential ISSUED, after using up
/// `nonces`; `Ok(false)` when a nonce was already used (a replay lost the race).
fn record_issued(
    conn: &mut crate::store::AnyConnection,
    grant: &Grant,
    config: &str,
    format: Format,
    signed: &Signed,
    nonces: &[(String, chrono::NaiveDateTime)],
    notification: &str,
) -> Result<Result<(), ProtocolError>, Error> {
    for (nonce, expires) in nonces {
        if !issuance::use_nonce(conn, &secrets::sha256_hex(nonce), *expires)? {
            return Ok(Err(ProtocolError::bad(
                "invalid_nonce",
                "the proof nonce was already used; get a fresh c_nonce",
            )));
        }
    }
    let current = user_credentials::by_id(conn, &grant.credential.id)?
        .ok_or_else(|| Error::not_found("User credential"))?;
    match effective_status(&current, time::now()) {
        CredentialStatus::Pending => {
            mark_issued(conn, &current, time::now())?;
        }
        CredentialStatus::Issued => {}
        other => {
            return Ok(Err(ProtocolError::bad(
                "credential_request_denied",
                format!(
                    "the credential is {} and can no longer be issued",
                    other.as_str()
                ),
            )));
        }
    }
    for ((holder, credential), allocation) in signed.credentials.iter().zip(&signed.statuses) {
        let row = provisioned_row(
            grant,
            config,
            format,
            (holder, credential, allocation),
            notification,
            signed.expires_at,
        );
        user_credentials::insert_provisioned(conn, &row)?;
        status::record(conn, allocation, Some(&row.id))?;
    }
    events::record(
        conn,
        &grant.offer.environment_id,
        &grant.credential.id,
        Some(&grant.offer.id),
        "CREDENTIAL_ISSUED",
        Some(
            json!({"configuration": config, "count": signed.credentials.len(), "notificationId": notification}),
        ),
    )?;
    Ok(Ok(()))
}

fn success_body(
    ctx: &Ctx,
    env: &str,
    signed: &[(Holder, String)],
    notification: &str,
    draft13: bool,
) -> Value {
    let mut body = json!({
        "credentials": signed.iter().map(|(_, c)| json!({"credential": c})).collect::<Vec<_>>(),
        "notification_id": notification,
    });
    if draft13 {
        body["credential"] = json!(signed[0].1);
        body["c_nonce"] = json!(fresh_nonce(ctx, env));
        body["c_nonce_expires_in"] = json!(ctx.config.nonce_ttl_seconds);
    }
    body
}

/// Records why a request was refused, then returns the refusal.
async fn refused(ctx: &Ctx, grant: &Grant, mut err: ProtocolError) -> ProtocolError {
    let event = match err.error {
        "invalid_proof" => "PROOF_REJECTED",
        "invalid_nonce" => "NONCE_REJECTED",
        _ => "CREDENTIAL_REQUEST_REJECTED",
    };
    events::record_apart(
        ctx,
        &grant.offer.environment_id,
        &grant.credential.id,
        Some(&grant.offer.id),
        event,
        json!({"error": err.error, "description": err.description}),
    )
    .await;
    if err.error == "invalid_nonce" {
        err.c_nonce = Some(fresh_nonce(ctx, &grant.offer.environment_id));
    }
    err
}

/// The credential endpoint.
pub async fn issue(
    ctx: &Ctx,
    env: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Result<CredentialResponse, ProtocolError> {
    let grant = authorize(ctx, env, bearer).await?;
    match issue_for(ctx, env, &grant, body).await {
        Ok(response) => Ok(response),
        Err(err) if err.status < 500 => Err(refused(ctx, &grant, err).await),
        Err(err) => Err(err),
    }
}

async fn issue_for(
    ctx: &Ctx,
    env: &str,
    grant: &Grant,
    body: &Value,
) -> Result<CredentialResponse, ProtocolError> {
    let request =
        request::parse(body, BATCH_SIZE).map_err(|e| ProtocolError::bad(e.error, e.description))?;
    let (config, format) = select(grant, &request.selector, &ctx.public_url)?;
    let status = effective_status(&grant.credential, time::now());
    if status.is_final() {
        return Err(ProtocolError::bad(
            "credential_request_denied",
            format!(
                "the credential is {} and can no longer be issued",
                status.as_str()
            ),
        ));
    }
    let (holders, nonces) = check_proofs(ctx, env, &request.proofs).await?;
    if grant
        .credential_type
        .definition
        .issuance()
        .requires_approval
        == Some(true)
    {
        return defer(ctx, grant, &config, &holders, &nonces).await;
    }
    let signed = sign(ctx, grant, format, &holders).await?;
    let notification = uuid::Uuid::new_v4().to_string();
    let (grant_offer, grant_credential, grant_type) = (
        grant.offer.clone(),
        grant.credential.clone(),
        grant.credential_type.clone(),
    );
    let (config2, signed2, notification2) = (config.clone(), signed.clone(), notification.clone());
    ctx.store
        .write(move |conn| {
            let grant = Grant {
                offer: grant_offer,
                credential: grant_credential,
                credential_type: grant_type,
            };
            record_issued(
                conn,
                &grant,
                &config2,
                format,
                &signed2,
                &nonces,
                &notification2,
            )
        })
        .await??;
    Ok(CredentialResponse {
        status: 200,
        body: success_body(
            ctx,
            env,
            &signed.credentials,
            &notification,
            request.draft13,
        ),
    })
}

async fn defer(
    ctx: &Ctx,
    grant: &Grant,
    config: &str,
    holders: &[Holder],
    nonces: &[(String, chrono::NaiveDateTime)],
) -> Result<CredentialResponse, ProtocolError> {
    let transaction = secrets::token();
    let row = DeferredRequestRow {
        id: new_id(),
        environment_id: grant.offer.environment_id.clone(),
        user_credential_id: grant.credential.id.clone(),
        transaction_hash: secrets::sha256_hex(&transaction),
        configuration_id: config.to_string(),
        holder_keys: serde_json::to_string(
            &holders
                .iter()
                .map(|h| json!({"jwk": h.jwk, "did": h.did}))
                .collect::<Vec<_>>(),
        )
        .map_err(|e| Error::Internal(e.into()))?,
        status: "PENDING".into(),
        created_at: time::now(),
        decided_at: None,
        delivered_at: None,
    };
    let (nonces, offer_id) = (nonces.to_vec(), grant.offer.id.clone());
    ctx.store
        .write(move |conn| {
            for (nonce, expires) in &nonces {
                if !issuance::use_nonce(conn, &secrets::sha256_hex(nonce), *expires)? {
                    return Ok(Err(ProtocolError::bad(
                        "invalid_nonce",
                        "the proof nonce was already used; get a fresh c_nonce",
                    )));
                }
            }
            issuance::insert_deferred(conn, &row)?;
            events::record(
                conn,
                &row.environment_id,
                &row.user_credential_id,
                Some(&offer_id),
                "CREDENTIAL_DEFERRED",
                Some(json!({"deferredRequest": row.id})),
            )?;
            Ok::<_, Error>(Ok(()))
        })
        .await??;
    Ok(CredentialResponse {
        status: 202,
        body: json!({"transaction_id": transaction, "interval": DEFERRED_INTERVAL}),
    })
}

/// The deferred credential endpoint.
pub async fn deferred(
    ctx: &Ctx,
    env: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Result<CredentialResponse, ProtocolError> {
    let grant = authorize(ctx, env, bearer).await?;
    let Some(transaction) = body.get("transaction_id").and_then(Value::as_str) else {
        return Err(ProtocolError::bad(
            "invalid_request",
            "transaction_id is required",
        ));
    };
    let (env_id, hash, credential) = (
        env.to_string(),
        secrets::sha256_hex(transaction),
        grant.credential.id.clone(),
    );
    let row = ctx
        .store
        .read(move |conn| {
            issuance::deferred_by_transaction(conn, &env_id, &hash).map_err(Error::from)
        })
        .await?
        .filter(|r| r.user_credential_id == credential);
    let Some(row) = row else {
        return Err(ProtocolError::bad(
            "invalid_transaction_id",
            "the transaction_id is unknown or belongs to another token",
        ));
    };
    match row.status.as_str() {
        "PENDING" => Ok(CredentialResponse {
            status: 202,
            body: json!({"transaction_id": transaction, "interval": DEFERRED_INTERVAL}),
        }),
        "REJECTED" => Err(ProtocolError::bad(
            "credential_request_denied",
            "the issuer declined this credential request",
        )),
        "DELIVERED" => Err(ProtocolError::bad(
            "invalid_transaction_id",
            "the credential of this transaction was already delivered",
        )),
        _ => deliver(ctx, env, &grant, row).await,
    }
}

async fn deliver(
    ctx: &Ctx,
    env: &str,
    grant: &Grant,
    row: DeferredRequestRow,
) -> Result<CredentialResponse, ProtocolError> {
    let (_, format) = Format::parse_configuration_id(&row.configuration_id).ok_or_else(|| {
        Error::Internal(anyhow::anyhow!(
            "deferred request with bad configuration {}",
            row.configuration_id
        ))
    })?;
    let holders: Vec<Value> =
        serde_json::from_str(&row.holder_keys).map_err(|e| Error::Internal(e.into()))?;
    let holders = holders
        .into_iter()
        .map(|h| {
            Ok(Holder {
                jwk: serde_json::from_value(h["jwk"].clone())
                    .map_err(|e| Error::Internal(e.into()))?,
                did: h["did"].as_str().map(str::to_string),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let signed = sign(ctx, grant, format, &holders).await?;
    let notification = uuid::Uuid::new_v4().to_string();
    let (grant_offer, grant_credential, grant_type) = (
        grant.offer.clone(),
        grant.credential.clone(),
        grant.credential_type.clone(),
    );
    let (signed2, notification2) = (signed.clone(), notification.clone());
    ctx.store
        .write(move |conn| {
            if !issuance::transition_deferred(conn, &row.id, "APPROVED", "DELIVERED", time::now())?
            {
                return Ok(Err(ProtocolError::bad(
                    "invalid_transaction_id",
                    "the credential of this transaction was already delivered",
                )));
            }
            let grant = Grant {
                offer: grant_offer,
                credential: grant_credential,
                credential_type: grant_type,
            };
            record_issued(
                conn,
                &grant,
                &row.configuration_id,
                format,
                &signed2,
                &[],
                &notification2,
            )
        })
        .await??;
    Ok(CredentialResponse {
        status: 200,
        body: success_body(ctx, env, &signed.credentials, &notification, false),
    })
}

/// The notification endpoint: records the wallet's event on the credentials of the
/// notification id. Repeating an event changes nothing.
pub async fn notify(
    ctx: &Ctx,
    env: &str,
    bearer: Option<&str>,
    body: &Value,
) -> Result<(), ProtocolError> {
    let grant = authorize(ctx, env, bearer).await?;
    let Some(notification) = body
        .get("notification_id")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return Err(ProtocolError::bad(
            "invalid_notification_request",
            "notification_id is required",
        ));
    };
    let action = match body.get("event").and_then(Value::as_str) {
        Some("credential_accepted") => "CREDENTIAL_ACCEPTED",
        Some("credential_failure") => "CREDENTIAL_REJECTED",
        Some("credential_deleted") => "CREDENTIAL_DELETED",
        _ => {
            return Err(ProtocolError::bad(
                "invalid_notification_request",
                "event must be credential_accepted, credential_failure or credential_deleted",
            ));
        }
    };
    let description = body
        .get("event_description")
        .and_then(Value::as_str)
        .map(|d| d.chars().take(1024).collect::<String>());
    let (credential, offer, env) = (
        grant.credential.id.clone(),
        grant.offer.id.clone(),
        env.to_string(),
    );
    ctx.store
        .write(move |conn| {
            let rows =
                user_credentials::provisioned_by_notification(conn, &credential, &notification)?;
            if rows.is_empty() {
                return Ok(Err(ProtocolError::bad(
                    "invalid_notification_id",
                    "the notification_id is unknown for this access token",
                )));
            }
            for mut row in rows {
                let mut actions: Vec<Value> =
                    serde_json::from_str(&row.wallet_actions).unwrap_or_default();
                if actions.last().and_then(|a| a["type"].as_str()) == Some(action) {
                    continue;
                }
                let mut entry = json!({"type": action, "occurredAt": time::iso(&time::now())});
                if let Some(d) = &description {
                    entry["description"] = json!(d);
                }
                actions.push(entry);
                row.wallet_actions = Value::Array(actions).to_string();
                row.updated_at = time::now();
                user_credentials::update_provisioned(conn, &row)?;
            }
            events::record(
                conn,
                &env,
                &credential,
                Some(&offer),
                "NOTIFICATION",
                Some(json!({"event": action, "notificationId": notification})),
            )?;
            Ok::<_, Error>(Ok(()))
        })
        .await?
}

/// An admin's decision on a deferred request.
pub async fn decide(
    ctx: &Ctx,
    env: &str,
    user: &str,
    credential: &str,
    request: &str,
    approve: bool,
) -> Result<DeferredRequestRow, Error> {
    let (env, user, credential, request) = (
        env.to_string(),
        user.to_string(),
        credential.to_string(),
        request.to_string(),
    );
    ctx.store
        .write(move |conn| {
            user_credentials::get(conn, &env, &user, &credential)?
                .ok_or_else(|| Error::not_found("User credential"))?;
            let row = issuance::deferred(conn, &credential, &request)?
                .ok_or_else(|| Error::not_found("Deferred request"))?;
            let to = if approve { "APPROVED" } else { "REJECTED" };
            if !issuance::transition_deferred(conn, &row.id, "PENDING", to, time::now())? {
                return Err(Error::conflict(format!(
                    "The request is {}; only a PENDING request can be decided.",
                    row.status
                )));
            }
            events::record(
                conn,
                &env,
                &credential,
                None,
                if approve {
                    "DEFERRED_APPROVED"
                } else {
                    "DEFERRED_REJECTED"
                },
                Some(json!({"deferredRequest": row.id})),
            )?;
            Ok(issuance::deferred(conn, &credential, &request)?.expect("just updated"))
        })
        .await
}

/// The deferred requests of a user credential.
pub async fn deferred_requests(
    ctx: &Ctx,
    env: &str,
    user: &str,
    credential: &str,
) -> Result<Vec<DeferredRequestRow>, Error> {
    let (env, user, credential) = (env.to_string(), user.to_string(), credential.to_string());
    ctx.store
        .read(move |conn| {
            user_credentials::get(conn, &env, &user, &credential)?
                .ok_or_else(|| Error::not_found("User credential"))?;
            Ok(issuance::deferred_of_credential(conn, &credential)?)
        })
        .await
}
