//! User credentials of MANAGED types: create, read, update (a re-issue), revoke,
//! delete, the credentials provisioned from them, their rendered card, and the
//! cascades that other deletions trigger.

use chrono::NaiveDateTime;
use serde_json::{Map, Value, json};

use super::credential_types::{CredentialTypeView, view_in as type_in};
use super::directory::UserView;
use super::oid4vci::offers;
use super::{Ctx, Error, Result, new_id};
use crate::domain::card::{self, Placeholder};
use crate::domain::page::{Page, PageRequest};
use crate::domain::time;
use crate::domain::user_credential::{CredentialStatus, UserCredentialInput, build_data};
use crate::domain::validate::FieldError;
use crate::store::rows::{ProvisionedCredentialRow, UserCredentialRow};
use crate::store::{AnyConnection, directory, user_credentials as repo};

/// A user credential with its data parsed and its status as of now.
#[derive(Debug, Clone)]
pub struct UserCredentialView {
    pub row: UserCredentialRow,
    pub data: Map<String, Value>,
    pub status: CredentialStatus,
    /// The title of its credential type.
    pub title: String,
    /// Its newest credential offer.
    pub offer: Option<crate::store::rows::CredentialOfferRow>,
    /// The offer's transaction code, only in the response that made the offer.
    pub tx_code: Option<String>,
}

/// The status a credential has at `now`: a stored PENDING or ISSUED credential whose
/// `expiresAt` has passed is EXPIRED even before the expiry job records it.
pub fn effective_status(row: &UserCredentialRow, now: NaiveDateTime) -> CredentialStatus {
    let stored = CredentialStatus::parse(&row.status).unwrap_or(CredentialStatus::Pending);
    match row.expires_at {
        Some(at) if at <= now && !stored.is_final() => CredentialStatus::Expired,
        _ => stored,
    }
}

fn view(conn: &mut AnyConnection, row: UserCredentialRow) -> Result<UserCredentialView> {
    let data = serde_json::from_str(&row.data).map_err(|e| Error::Internal(e.into()))?;
    let title =
        crate::store::credential_types::get(conn, &row.environment_id, &row.credential_type_id)?
            .map(|t| t.title)
            .unwrap_or_default();
    let offer = super::oid4vci::offers::latest(conn, &row.id)?;
    Ok(UserCredentialView {
        status: effective_status(&row, time::now()),
        row,
        data,
        title,
        offer,
        tx_code: None,
    })
}

fn user_document(conn: &mut AnyConnection, env: &str, user: &str) -> Result<Value> {
    let row = directory::get_user(conn, env, user)?.ok_or_else(|| Error::not_found("User"))?;
    let attributes: Map<String, Value> =
        serde_json::from_str(&row.attributes).map_err(|e| Error::Internal(e.into()))?;
    Ok(UserView {
        row,
        attributes,
        groups: Vec::new(),
    }
    .document())
}

fn credential_in(
    conn: &mut AnyConnection,
    env: &str,
    user: &str,
    id: &str,
) -> Result<UserCredentialRow> {
    directory::get_user(conn, env, user)?.ok_or_else(|| Error::not_found("User"))?;
    repo::get(conn, env, user, id)?.ok_or_else(|| Error::not_found("User credential"))
}

fn parse_expiry(text: Option<&str>) -> Result<Option<NaiveDateTime>> {
    let Some(text) = text else { return Ok(None) };
    let at = time::parse_iso(text).ok_or_else(|| {
        Error::Invalid(vec![FieldError::invalid(
            "expiresAt",
            "expiresAt must be an ISO 8601 date-time such as 2027-01-31T00:00:00Z",
        )])
    })?;
    if at <= time::now() {
        return Err(Error::Invalid(vec![FieldError::invalid(
            "expiresAt",
            "expiresAt must be in the future",
        )]));
    }
    Ok(Some(at))
}

fn notification_text(input: &UserCredentialInput) -> Result<Option<String>> {
    match &input.notification {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(Value::Object(map.clone()).to_string())),
        Some(_) => Err(Error::Invalid(vec![FieldError::invalid(
            "notification",
            "notification must be an object such as {\"template\": {\"locale\": \"en\", \"variant\": \"default\"}}",
        )])),
    }
}

/// The MANAGED, undeleted type a credential may be created from.
fn issuable_type(
    conn: &mut AnyConnection,
    env: &str,
    type_id: Option<&str>,
) -> Result<CredentialTypeView> {
    let target = "credentialType.id";
    let Some(type_id) = type_id else {
        return Err(Error::Invalid(vec![FieldError::required(target)]));
    };
    let missing = || {
        Error::Invalid(vec![FieldError::missing_reference(
            target,
            format!("credential type {type_id} does not exist in this environment"),
        )])
    };
    let view = match type_in(conn, env, type_id) {
        Ok(view) if !view.is_deleted() => view,
        Ok(_) | Err(Error::NotFound(_)) => return Err(missing()),
        Err(e) => return Err(e),
    };
    if !view.definition.is_managed() {
        return Err(Error::Invalid(vec![FieldError::invalid(
            target,
            "this credential type is AUTOMATED: its issuance rule issues it; only MANAGED types take user credentials",
        )]));
    }
    Ok(view)
}

pub async fn create(
    ctx: &Ctx,
    env: &str,
    user: &str,
    input: UserCredentialInput,
) -> Result<UserCredentialView> {
    let (env, user, ctx2) = (env.to_string(), user.to_string(), ctx.clone());
    ctx.store
        .write(move |conn| {
            let user_doc = user_document(conn, &env, &user)?;
            let expires_at = parse_expiry(input.expires_at.as_deref())?;
            let notification = notification_text(&input)?;
            let credential_type = issuable_type(
                conn,
                &env,
                input.credential_type.as_ref().and_then(|t| t.id.as_deref()),
            )?;
            let data = build_data(&credential_type.definition, input.data.as_ref(), &user_doc)?;
            let now = time::now();
            let row = UserCredentialRow {
                id: new_id(),
                environment_id: env.clone(),
                user_id: user.clone(),
                credential_type_id: credential_type.row.id.clone(),
                type_version: credential_type.row.version_number,
                status: CredentialStatus::Pending.as_str().into(),
                data: Value::Object(data).to_string(),
                expires_at,
                notification,
                created_at: now,
                updated_at: now,
                issued_at: None,
                revoked_at: None,
            };
            repo::insert(conn, &row)?;
            let offer = offers::create(
                &ctx2,
                conn,
                &env,
                &row.id,
                &credential_type.row.id,
                &credential_type.definition,
            )?;
            let mut view = view(conn, row)?;
            view.tx_code = offer.tx_code;
            Ok(view)
        })
        .await
}

pub async fn list(
    ctx: &Ctx,
    env: &str,
    user: &str,
    page: PageRequest,
) -> Result<Page<UserCredentialView>> {
    let (env, user) = (env.to_string(), user.to_string());
    ctx.store
        .read(move |conn| {
            directory::get_user(conn, &env, &user)?.ok_or_else(|| Error::not_found("User"))?;
            let rows =
                repo::list_for_user(conn, &env, &user, page.after.as_deref(), page.limit + 1)?;
            let page = Page::from_rows(rows, page.limit, |r| &r.id);
            Ok(Page {
                next_cursor: page.next_cursor,
                items: page
                    .items
                    .into_iter()
                    .map(|r| view(conn, r))
                    .collect::<Result<_>>()?,
            })
        })
        .await
}

pub async fn get(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<UserCredentialView> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .read(move |conn| {
            let row = credential_in(conn, &env, &user, &id)?;
            view(conn, row)
        })
        .await
}

/// Replaces the data (validated against the type as it is now) and `expiresAt`. An
/// ISSUED credential goes back to PENDING: the wallet gets a fresh credential and the
/// superseded one is revoked.
pub async fn update(
    ctx: &Ctx,
    env: &str,
    user: &str,
    id: &str,
    input: UserCredentialInput,
) -> Result<UserCredentialView> {
    let (env, user, id, ctx2) = (
        env.to_string(),
        user.to_string(),
        id.to_string(),
        ctx.clone(),
    );
    ctx.store
        .write(move |conn| {
            let current = credential_in(conn, &env, &user, &id)?;
            let status = effective_status(&current, time::now());
            if let Some(reason) = status.refuse_update() {
                return Err(Error::conflict(reason));
            }
            if let Some(requested) = input.credential_type.as_ref().and_then(|t| t.id.as_deref())
                && requested != current.credential_type_id
            {
                return Err(Error::Invalid(vec![FieldError::invalid(
                    "credentialType.id",
                    "a user credential keeps its credential type; create a new credential for another type",
                )]));
            }
            let credential_type = type_in(conn, &env, &current.credential_type_id)?;
            if credential_type.is_deleted() {
                return Err(Error::conflict("The credential type of this credential was deleted; it cannot be updated."));
            }
            let user_doc = user_document(conn, &env, &user)?;
            let data = build_data(&credential_type.definition, input.data.as_ref(), &user_doc)?;
            let now = time::now();
            if matches!(status, CredentialStatus::Issued | CredentialStatus::Suspended) {
                repo::revoke_provisioned(conn, &current.id, now)?;
            }
            let row = UserCredentialRow {
                type_version: credential_type.row.version_number,
                status: CredentialStatus::Pending.as_str().into(),
                data: Value::Object(data).to_string(),
                expires_at: parse_expiry(input.expires_at.as_deref())?,
                notification: notification_text(&input)?.or(current.notification.clone()),
                updated_at: now,
                issued_at: None,
                ..current
            };
            repo::update(conn, &row)?;
            let offer = offers::create(&ctx2, conn, &env, &row.id, &credential_type.row.id, &credential_type.definition)?;
            let mut view = view(conn, row)?;
            view.tx_code = offer.tx_code;
            Ok(view)
        })
        .await
}

fn revoke_row(
    conn: &mut AnyConnection,
    mut row: UserCredentialRow,
    now: NaiveDateTime,
) -> Result<UserCredentialRow> {
    repo::revoke_provisioned(conn, &row.id, now)?;
    crate::store::issuance::withdraw_offers(conn, &row.id)?;
    row.status = CredentialStatus::Revoked.as_str().into();
    row.revoked_at = Some(now);
    row.updated_at = now;
    repo::update(conn, &row)?;
    Ok(row)
}

pub async fn revoke(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<UserCredentialView> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let current = credential_in(conn, &env, &user, &id)?;
            if let Some(reason) = effective_status(&current, time::now()).refuse_revoke() {
                return Err(Error::conflict(reason));
            }
            let row = revoke_row(conn, current, time::now())?;
            view(conn, row)
        })
        .await
}

/// Whose credentials a bulk revocation ends: exactly one of the two.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevocationSelector {
    /// Every credential of this user.
    pub user: Option<crate::domain::directory::IdRef>,
    /// Every credential of this credential type.
    pub credential_type: Option<crate::domain::directory::IdRef>,
}

/// Revokes every credential that is not already REVOKED or EXPIRED of one user or of one
/// credential type, in one transaction; returns how many it revoked.
pub async fn revoke_all(ctx: &Ctx, env: &str, selector: RevocationSelector) -> Result<usize> {
    let id = |r: &Option<crate::domain::directory::IdRef>| r.as_ref().and_then(|r| r.id.clone());
    let (user, credential_type) = (id(&selector.user), id(&selector.credential_type));
    if user.is_some() == credential_type.is_some() {
        let message = "give exactly one of user.id and credentialType.id";
        return Err(Error::Invalid(vec![FieldError::invalid(
            if user.is_some() {
                "credentialType.id"
            } else {
                "user.id"
            },
            message,
        )]));
    }
    let env = env.to_string();
    ctx.store
        .write(move |conn| {
            let rows = match (&user, &credential_type) {
                (Some(user), _) => {
                    directory::get_user(conn, &env, user)?
                        .ok_or_else(|| Error::not_found("User"))?;
                    repo::all_for_user(conn, &env, user)?
                }
                (_, Some(type_id)) => {
                    type_in(conn, &env, type_id)?;
                    repo::all_of_type(conn, type_id)?
                }
                (None, None) => Vec::new(),
            };
            let now = time::now();
            let mut revoked = 0;
            for row in rows {
                if effective_status(&row, now).refuse_revoke().is_none() {
                    revoke_row(conn, row, now)?;
                    revoked += 1;
                }
            }
            Ok(revoked)
        })
        .await
}

/// Puts an ISSUED credential on hold: its status list entries read SUSPENDED (vouch
/// extension: `POST …/credentials/{id}` with `application/vnd.vouch.suspendCredential+json`).
pub async fn suspend(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<UserCredentialView> {
    hold(ctx, env, user, id, true).await
}

/// Takes a SUSPENDED credential off hold: its entries read VALID again.
pub async fn reinstate(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<UserCredentialView> {
    hold(ctx, env, user, id, false).await
}

async fn hold(
    ctx: &Ctx,
    env: &str,
    user: &str,
    id: &str,
    suspend: bool,
) -> Result<UserCredentialView> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let mut row = credential_in(conn, &env, &user, &id)?;
            let now = time::now();
            let status = effective_status(&row, now);
            let refusal = if suspend {
                status.refuse_suspend()
            } else {
                status.refuse_reinstate()
            };
            if let Some(reason) = refusal {
                return Err(Error::conflict(reason));
            }
            let (from, to, next) = if suspend {
                (("ACTIVE", 0), ("SUSPENDED", 2), CredentialStatus::Suspended)
            } else {
                (("SUSPENDED", 2), ("ACTIVE", 0), CredentialStatus::Issued)
            };
            repo::move_provisioned(conn, &row.id, from, to, now)?;
            row.status = next.as_str().into();
            row.updated_at = now;
            repo::update(conn, &row)?;
            view(conn, row)
        })
        .await
}

/// Deletes one credential row, first revoking what was provisioned from it when the
/// type says so.
fn remove(conn: &mut AnyConnection, row: UserCredentialRow, revoke_issued: bool) -> Result<()> {
    if revoke_issued {
        repo::revoke_provisioned(conn, &row.id, time::now())?;
    }
    repo::delete(conn, &row.id)?;
    Ok(())
}

fn revoke_flag(conn: &mut AnyConnection, row: &UserCredentialRow) -> Result<bool> {
    Ok(type_in(conn, &row.environment_id, &row.credential_type_id)
        .map(|t| t.definition.revoke_on_delete())
        .unwrap_or(true))
}

pub async fn delete(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<()> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .write(move |conn| {
            let row = credential_in(conn, &env, &user, &id)?;
            let revoke = revoke_flag(conn, &row)?;
            remove(conn, row, revoke)
        })
        .await
}

/// Cascade of deleting a user: every credential of the user goes, revoked first where
/// its type says so.
pub fn on_user_deleted(conn: &mut AnyConnection, env: &str, user: &str) -> Result<()> {
    for row in repo::all_for_user(conn, env, user)? {
        let revoke = revoke_flag(conn, &row)?;
        remove(conn, row, revoke)?;
    }
    Ok(())
}

/// Cascade of deleting a credential type: pending credentials go; the others are
/// revoked and go when `revoke` is set, and stay otherwise.
pub fn on_type_deleted(conn: &mut AnyConnection, type_id: &str, revoke: bool) -> Result<()> {
    for row in repo::all_of_type(conn, type_id)? {
        if row.status == CredentialStatus::Pending.as_str() || revoke {
            let now = time::now();
            let row = if revoke && row.status != CredentialStatus::Pending.as_str() {
                revoke_row(conn, row, now)?
            } else {
                row
            };
            remove(conn, row, revoke)?;
        }
    }
    Ok(())
}

/// Cascade of deleting or disabling a digital wallet (seed 004): what was provisioned
/// into it is revoked and its status list entries read INVALID. The wallets issue calls
/// this in its transaction.
pub fn on_wallet_removed(conn: &mut AnyConnection, env: &str, wallet: &str) -> Result<usize> {
    Ok(repo::revoke_provisioned_in_wallet(
        conn,
        env,
        wallet,
        time::now(),
    )?)
}

/// Records delivery to a wallet: PENDING becomes ISSUED (the OpenID4VCI credential
/// endpoint calls this in its transaction).
pub fn mark_issued(
    conn: &mut AnyConnection,
    row: &UserCredentialRow,
    at: NaiveDateTime,
) -> Result<UserCredentialRow> {
    if effective_status(row, at) != CredentialStatus::Pending {
        return Err(Error::conflict(format!(
            "The user credential is {}, not PENDING.",
            row.status
        )));
    }
    let row = UserCredentialRow {
        status: CredentialStatus::Issued.as_str().into(),
        issued_at: Some(at),
        updated_at: at,
        ..row.clone()
    };
    repo::update(conn, &row)?;
    Ok(row)
}

pub async fn provisioned(
    ctx: &Ctx,
    env: &str,
    user: &str,
    id: &str,
    page: PageRequest,
) -> Result<Page<ProvisionedCredentialRow>> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .read(move |conn| {
            credential_in(conn, &env, &user, &id)?;
            let rows = repo::provisioned(conn, &id, page.after.as_deref(), page.limit + 1)?;
            Ok(Page::from_rows(rows, page.limit, |r| &r.id))
        })
        .await
}

/// The credential's card: the type's template filled with this credential's values.
pub async fn card_svg(ctx: &Ctx, env: &str, user: &str, id: &str) -> Result<String> {
    let (env, user, id) = (env.to_string(), user.to_string(), id.to_string());
    ctx.store
        .read(move |conn| {
            let row = credential_in(conn, &env, &user, &id)?;
            let credential_type = type_in(conn, &env, &row.credential_type_id)?;
            let data: Map<String, Value> =
                serde_json::from_str(&row.data).map_err(|e| Error::Internal(e.into()))?;
            Ok(render_card(&credential_type, &data, row.issued_at))
        })
        .await
}

/// Fills the card template of `credential_type` with `data`.
pub fn render_card(
    credential_type: &CredentialTypeView,
    data: &Map<String, Value>,
    issued_at: Option<NaiveDateTime>,
) -> String {
    let def = &credential_type.definition;
    let metadata = def.metadata();
    let fields = def.fields();
    let text = |v: Option<&String>| v.cloned().unwrap_or_default();
    card::render(
        def.card_design_template.as_deref().unwrap_or_default(),
        |p| match p {
            Placeholder::CardTitle => def.title().to_string(),
            Placeholder::CardSubtitle => text(def.description.as_ref()),
            Placeholder::CardColor => text(metadata.card_color.as_ref()),
            Placeholder::TextColor => text(metadata.text_color.as_ref()),
            Placeholder::BackgroundImage => text(metadata.background_image.as_ref()),
            Placeholder::LogoImage => text(metadata.logo_image.as_ref()),
            Placeholder::BgOpacityPercent => match &metadata.bg_opacity_percent {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            },
            Placeholder::FieldTitle(n) => fields
                .get(*n)
                .map(|f| f.title().to_string())
                .unwrap_or_default(),
            Placeholder::FieldValue(n) => fields
                .get(*n)
                .map(|f| {
                    if f.kind() == "Issued Timestamp" {
                        issued_at.as_ref().map(time::iso).unwrap_or_default()
                    } else {
                        match data.get(f.title()) {
                            Some(Value::String(s)) => s.clone(),
                            Some(other) => other.to_string(),
                            None => String::new(),
                        }
                    }
                })
                .unwrap_or_default(),
        },
    )
}

/// `json!` of a provisioned credential's wallet actions.
pub fn wallet_actions(row: &ProvisionedCredentialRow) -> Value {
    serde_json::from_str(&row.wallet_actions).unwrap_or_else(|_| json!([]))
}
