//! The backend issuing API (Credenco style): a template id and claims in, an offer link,
//! a QR code and a status URL out; idempotent by `correlation_id`. Its mirror for
//! verification is [`verify`].

pub mod verify;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::oid4vci::{offers, secrets};
use super::{Ctx, Error, Result, user_credentials};
use crate::domain::credential_type::CredentialTypeDefinition;
use crate::domain::directory::IdRef;
use crate::domain::time;
use crate::domain::user_credential::{CredentialStatus, UserCredentialInput};
use crate::domain::validate::{FieldError, is_absolute_url};
use crate::store::rows::IssueRequestRow;
use crate::store::{AnyConnection, credential_types, issuance, user_credentials as repo};

/// Body of `POST /api/v2/credential/issue`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
pub struct IssueRequest {
    /// Your id for this issuance (1–128 of `A-Z a-z 0-9 . _ -`); generated when absent.
    /// Repeating a request with the same id and body returns the same offer.
    pub correlation_id: Option<String>,
    /// A MANAGED credential type: its id, or its `cardType`.
    pub template_id: Option<String>,
    /// Field title → value, as user credential `data`.
    #[schema(value_type = Option<Object>)]
    pub claims: Option<Value>,
    /// The directory user to issue to; absent, vouch makes a user `issue-api:<correlation_id>`.
    pub user_id: Option<String>,
    /// A wallet's own offer endpoint (https) to put in front of `?credential_offer_uri=…`
    /// instead of `openid-credential-offer://`.
    pub request_uri_base: Option<String>,
    /// Ask for a QR code of the link: `{"size": <pixels>}`.
    #[schema(value_type = Option<Object>)]
    pub qr_code: Option<Value>,
}

/// What `POST /api/v2/credential/issue` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssueResponse {
    pub correlation_id: String,
    /// The offer link for the wallet.
    pub request_uri: String,
    /// `GET` it for the status.
    pub status_uri: String,
    /// `data:image/png;base64,…` of `request_uri`, when `qr_code` was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_uri: Option<String>,
    /// The transaction code to send the user out of band, when the type has one. Only in
    /// the first answer of a correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
}

/// What `GET /api/v2/issue/{correlation_id}` answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IssueStatus {
    /// `issue_request_created` → `offer_retrieved` → `credential_issued`, or `expired`,
    /// `failed` (the offer was closed after wrong transaction codes), `revoked`, `suspended` (vouch extension).
    pub status: String,
    pub correlation_id: String,
    /// Pass to `POST /api/v2/credential/revoke/{revocation_uuid}`.
    pub revocation_uuid: String,
}

struct Checked {
    correlation_id: String,
    template_id: String,
    claims: Value,
    user_id: Option<String>,
    request_uri_base: Option<String>,
    qr_size: Option<u32>,
}

/// The caller's correlation id (1–128 of `A-Z a-z 0-9 . _ -`), or a new one.
fn correlation_id(given: Option<String>, errors: &mut Vec<FieldError>) -> String {
    let correlation_id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if correlation_id.is_empty()
        || correlation_id.len() > 128
        || !correlation_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        errors.push(FieldError::invalid(
            "correlation_id",
            "correlation_id is 1–128 of A-Z a-z 0-9 . _ -",
        ));
    }
    correlation_id
}

/// A wallet's own link base must be https.
fn check_request_uri_base(base: Option<&str>, errors: &mut Vec<FieldError>) {
    if let Some(base) = base
        && !is_absolute_url(base, &["https"])
    {
        errors.push(FieldError::invalid(
            "request_uri_base",
            "request_uri_base must be an https URL",
        ));
    }
}

/// The QR code size asked for with `qr_code: {"size": n}`.
fn qr_size(qr_code: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<u32> {
    match qr_code {
        None | Some(Value::Null) => None,
        Some(q) => match q.get("size").map(Value::as_u64) {
            None => Some(crate::protocol::qr::DEFAULT_SIZE),
            Some(Some(n)) if (64..=2048).contains(&n) => Some(n as u32),
            Some(_) => {
                errors.push(FieldError::out_of_range(
                    "qr_code.size",
                    "qr_code.size must be 64 to 2048 pixels",
                ));
                None
            }
        },
    }
}

/// `data:image/png;base64,…` of `link`.
fn qr_data_uri(link: &str, size: u32) -> Result<String> {
    use base64::Engine as _;
    let png =
        crate::protocol::qr::png(link, size).map_err(|e| Error::Internal(anyhow::anyhow!(e)))?;
    Ok(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    ))
}

fn check(input: IssueRequest) -> Result<Checked> {
    let mut errors = Vec::new();
    let correlation_id = correlation_id(input.correlation_id, &mut errors);
    let template_id = input.template_id.unwrap_or_default();
    if template_id.is_empty() {
        errors.push(FieldError::required("template_id"));
    }
    let claims = input.claims.unwrap_or_else(|| json!({}));
    if !claims.is_object() {
        errors.push(FieldError::invalid(
            "claims",
            "claims must be an object of field title → text",
        ));
    }
    check_request_uri_base(input.request_uri_base.as_deref(), &mut errors);
    let qr_size = qr_size(input.qr_code.as_ref(), &mut errors);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Checked {
        correlation_id,
        template_id,
        claims,
        user_id: input.user_id,
        request_uri_base: input.request_uri_base,
        qr_size,
    })
}

/// The credential type a template id names (its id, or its unique `cardType`) and its
/// definition.
fn template(
    conn: &mut AnyConnection,
    env: &str,
    template: &str,
) -> Result<(String, CredentialTypeDefinition)> {
    let definition = |row: &crate::store::rows::CredentialTypeRow| {
        serde_json::from_str::<CredentialTypeDefinition>(&row.definition)
            .map_err(|e| Error::Internal(e.into()))
    };
    if let Some(row) = credential_types::get(conn, env, template)?
        && row.deleted_at.is_none()
    {
        return Ok((row.id.clone(), definition(&row)?));
    }
    let mut matches = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let rows = credential_types::list(conn, env, after.as_deref(), 500)?;
        let done = rows.len() < 500;
        for row in rows {
            after = Some(row.id.clone());
            let def = definition(&row)?;
            if def.card_type.as_deref() == Some(template) {
                matches.push((row.id, def));
            }
        }
        if done {
            break;
        }
    }
    match matches.len() {
        1 => Ok(matches.remove(0)),
        0 => Err(Error::Invalid(vec![FieldError::missing_reference(
            "template_id",
            format!("no credential type has id or cardType `{template}`"),
        )])),
        _ => Err(Error::Invalid(vec![FieldError::invalid(
            "template_id",
            format!("several credential types have cardType `{template}`; use a type id"),
        )])),
    }
}

fn request_hash(c: &Checked, type_id: &str) -> String {
    secrets::sha256_hex(
        &json!({"template": type_id, "claims": c.claims, "user": c.user_id, "base": c.request_uri_base}).to_string(),
    )
}

fn response(
    ctx: &Ctx,
    env: &str,
    c: &Checked,
    offer_id: Option<&crate::store::rows::CredentialOfferRow>,
    tx_code: Option<String>,
) -> Result<IssueResponse> {
    let offer =
        offer_id.ok_or_else(|| Error::conflict("the issue request has no offer any more"))?;
    let links = offers::links(ctx, offer, c.request_uri_base.as_deref());
    let qr_uri = c
        .qr_size
        .map(|size| qr_data_uri(&links.deep_link, size))
        .transpose()?;
    let _ = env;
    Ok(IssueResponse {
        correlation_id: c.correlation_id.clone(),
        request_uri: links.deep_link,
        status_uri: format!("{}/api/v2/issue/{}", ctx.public_url, c.correlation_id),
        qr_uri,
        tx_code,
    })
}

/// Starts (or repeats) an issuance. Returns the answer and whether it is new.
pub async fn issue(ctx: &Ctx, env: &str, input: IssueRequest) -> Result<(IssueResponse, bool)> {
    let checked = check(input)?;
    let env_id = env.to_string();
    let correlation = checked.correlation_id.clone();
    let template_id = checked.template_id.clone();
    let (type_id, existing) = ctx
        .store
        .read(move |conn| {
            let (type_id, _) = template(conn, &env_id, &template_id)?;
            let existing = issuance::issue_request(conn, &env_id, &correlation)?;
            Ok::<_, Error>((type_id, existing))
        })
        .await?;
    let hash = request_hash(&checked, &type_id);
    if let Some(existing) = existing {
        if existing.request_hash != hash {
            return Err(Error::not_unique(
                "correlation_id",
                "this correlation_id was used for a different request",
            ));
        }
        let credential = existing.user_credential_id.clone();
        let offer = ctx
            .store
            .read(move |conn| offers::latest(conn, &credential))
            .await?;
        return Ok((response(ctx, env, &checked, offer.as_ref(), None)?, false));
    }
    let user_id = match &checked.user_id {
        Some(id) => id.clone(),
        None => {
            let body = json!({"username": format!("issue-api:{}", checked.correlation_id)});
            match super::directory::create_user(ctx, env, body).await {
                Ok(view) => view.row.id,
                Err(Error::Conflict { .. }) => {
                    return Err(Error::not_unique(
                        "correlation_id",
                        "a user for this correlation_id already exists",
                    ));
                }
                Err(e) => return Err(e),
            }
        }
    };
    let created = user_credentials::create(
        ctx,
        env,
        &user_id,
        UserCredentialInput {
            credential_type: Some(IdRef { id: Some(type_id) }),
            data: Some(checked.claims.clone()),
            expires_at: None,
            notification: None,
        },
    )
    .await
    .map_err(|e| match e {
        Error::NotFound(_) if checked.user_id.is_some() => {
            Error::Invalid(vec![FieldError::missing_reference(
                "user_id",
                "no such user in this environment",
            )])
        }
        Error::Invalid(details) => Error::Invalid(
            details
                .into_iter()
                .map(|mut d| {
                    d.target = d
                        .target
                        .replacen("data.", "claims.", 1)
                        .replace("credentialType.id", "template_id");
                    d
                })
                .collect(),
        ),
        other => other,
    })?;
    let row = IssueRequestRow {
        environment_id: env.to_string(),
        correlation_id: checked.correlation_id.clone(),
        request_hash: hash,
        user_credential_id: created.row.id.clone(),
        revocation_uuid: uuid::Uuid::new_v4().to_string(),
        created_at: time::now(),
    };
    ctx.store
        .write(move |conn| {
            issuance::insert_issue_request(conn, &row).map_err(|e| {
                if crate::store::is_unique_violation(&e) {
                    Error::not_unique(
                        "correlation_id",
                        "this correlation_id was used at the same moment",
                    )
                } else {
                    e.into()
                }
            })
        })
        .await?;
    Ok((
        response(ctx, env, &checked, created.offer.as_ref(), created.tx_code)?,
        true,
    ))
}

/// The status of an issuance.
pub async fn status(ctx: &Ctx, env: &str, correlation_id: &str) -> Result<IssueStatus> {
    let (env, correlation) = (env.to_string(), correlation_id.to_string());
    ctx.store
        .read(move |conn| {
            let request = issuance::issue_request(conn, &env, &correlation)?
                .ok_or_else(|| Error::not_found("Issue request"))?;
            let credential = repo::by_id(conn, &request.user_credential_id)?
                .ok_or_else(|| Error::not_found("Issue request"))?;
            let offer = offers::latest(conn, &credential.id)?;
            let now = time::now();
            let status = match user_credentials::effective_status(&credential, now) {
                CredentialStatus::Issued => "credential_issued",
                CredentialStatus::Suspended => "suspended",
                CredentialStatus::Revoked => "revoked",
                CredentialStatus::Expired => "expired",
                CredentialStatus::Pending => match offer {
                    Some(o) if o.status == "DEAD" => "failed",
                    Some(o) if o.status == "ACTIVE" && o.expires_at <= now => "expired",
                    Some(o) if o.fetched_at.is_some() => "offer_retrieved",
                    _ => "issue_request_created",
                },
            };
            Ok(IssueStatus {
                status: status.into(),
                correlation_id: request.correlation_id,
                revocation_uuid: request.revocation_uuid,
            })
        })
        .await
}

/// Revokes the credential of an issuance by its revocation id.
pub async fn revoke(ctx: &Ctx, env: &str, revocation_uuid: &str) -> Result<()> {
    let (env_id, revocation) = (env.to_string(), revocation_uuid.to_string());
    let request = ctx
        .store
        .read(move |conn| {
            let request = issuance::issue_request_by_revocation(conn, &env_id, &revocation)?
                .ok_or_else(|| Error::not_found("Revocation id"))?;
            let credential = repo::by_id(conn, &request.user_credential_id)?
                .ok_or_else(|| Error::not_found("Revocation id"))?;
            Ok::<_, Error>(credential)
        })
        .await?;
    match user_credentials::revoke(ctx, env, &request.user_id, &request.id).await {
        Ok(_) => Ok(()),
        // Revoking twice is the same as once for this API.
        Err(Error::Conflict { .. }) if request.status == CredentialStatus::Revoked.as_str() => {
            Ok(())
        }
        Err(e) => Err(e),
    }
}
