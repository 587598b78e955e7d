//! `/v1/environments/{environmentId}/users/{userId}/credentials`: user credentials of
//! MANAGED types, their revocation, provisioned credentials and rendered card.

use actix_web::http::{StatusCode, header};
use actix_web::web::{Data, Path, Payload};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json, Query, media_type, read_body};
use super::resources::{Collection, IdRef, Link, Links, collection, env_path, links};
use crate::domain::time::iso;
use crate::domain::user_credential::UserCredentialInput;
use crate::service::Ctx;
use crate::service::user_credentials::{self, UserCredentialView, wallet_actions};
use crate::store::rows::ProvisionedCredentialRow;

/// PingOne selects revocation by this content type on `POST …/credentials/{id}`.
pub const REVOKE_CONTENT_TYPE: &str =
    "application/vnd.pingidentity.validations.revokecredential+json";
/// Suspends a user credential (vouch extension).
pub const SUSPEND_CONTENT_TYPE: &str = "application/vnd.vouch.suspendcredential+json";
/// Reinstates a suspended user credential (vouch extension).
pub const REINSTATE_CONTENT_TYPE: &str = "application/vnd.vouch.reinstatecredential+json";

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserCredentialResource {
    pub id: String,
    pub environment: IdRef,
    pub user: IdRef,
    /// `{id, version}`: the type and the version the data was validated against.
    #[schema(value_type = Object)]
    pub credential_type: Value,
    /// The credential type's title.
    pub title: String,
    /// `PENDING`, `ISSUED`, `REVOKED` or `EXPIRED`.
    pub status: String,
    /// Every field of the type, by title ("" where no value was given).
    #[schema(value_type = Object)]
    pub data: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub notification: Option<Value>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// The newest OpenID4VCI credential offer (vouch extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<OfferResource>,
    #[serde(rename = "_links")]
    pub links: Links,
}

/// A credential offer of a user credential.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OfferResource {
    pub id: String,
    /// `ACTIVE`, `REDEEMED`, `EXPIRED`, `DEAD` (too many wrong transaction codes) or `WITHDRAWN`.
    pub status: String,
    pub expires_at: String,
    /// The transaction code to deliver to the user out of band (SMS, e-mail, letter).
    /// Shown only in the response that made the offer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<String>,
}

fn offer_links(ctx: &Ctx, offer: &crate::store::rows::CredentialOfferRow, l: &mut Links) {
    let links = crate::service::oid4vci::offers::links(ctx, offer, None);
    for (name, href) in [
        ("credentialOfferUri", links.offer_uri),
        ("credentialOffer", links.deep_link),
        ("credentialOfferByValue", links.by_value),
        ("credentialOfferPage", links.page),
        ("qrPng", links.qr_png),
        ("qrSvg", links.qr_svg),
    ] {
        l.insert(name.into(), Link { href });
    }
}

impl UserCredentialResource {
    fn new(ctx: &Ctx, v: UserCredentialView) -> Self {
        let row = v.row;
        let env = env_path(&row.environment_id);
        let base = format!(
            "{}{env}/users/{}/credentials/{}",
            ctx.public_url, row.user_id, row.id
        );
        let mut l = links(base.clone());
        for (name, href) in [
            (
                "provisionedCredentials",
                format!("{base}/provisionedCredentials"),
            ),
            ("cardImage", format!("{base}/cardImage")),
            (
                "user",
                format!("{}{env}/users/{}", ctx.public_url, row.user_id),
            ),
            (
                "credentialType",
                format!(
                    "{}{env}/credentialTypes/{}",
                    ctx.public_url, row.credential_type_id
                ),
            ),
        ] {
            l.insert(name.into(), Link { href });
        }
        l.insert(
            "events".into(),
            Link {
                href: format!("{base}/events"),
            },
        );
        let now = crate::domain::time::now();
        let offer = v.offer.map(|o| {
            let usable = crate::service::oid4vci::offers::unusable(&o, now).is_none();
            if usable && v.status == crate::domain::user_credential::CredentialStatus::Pending {
                offer_links(ctx, &o, &mut l);
            }
            OfferResource {
                status: if o.status == "ACTIVE" && o.expires_at <= now {
                    "EXPIRED".into()
                } else {
                    o.status.clone()
                },
                expires_at: iso(&o.expires_at),
                tx_code: v.tx_code.clone(),
                id: o.id,
            }
        });
        Self {
            offer,
            environment: IdRef::new(&row.environment_id),
            user: IdRef::new(&row.user_id),
            credential_type: json!({"id": row.credential_type_id, "version": row.type_version}),
            title: v.title,
            status: v.status.as_str().into(),
            data: Value::Object(v.data),
            expires_at: row.expires_at.as_ref().map(iso),
            notification: row
                .notification
                .as_deref()
                .and_then(|n| serde_json::from_str(n).ok()),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            issued_at: row.issued_at.as_ref().map(iso),
            revoked_at: row.revoked_at.as_ref().map(iso),
            id: row.id,
            links: l,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserCredentialsEmbedded {
    pub items: Vec<UserCredentialResource>,
}

/// A credential delivered to a wallet.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedCredentialResource {
    pub id: String,
    pub environment: IdRef,
    pub credential: IdRef,
    pub user: IdRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_wallet: Option<IdRef>,
    pub status: String,
    /// `dc+sd-jwt` or `jwt_vc_json`.
    pub format: String,
    pub credential_configuration_id: String,
    /// `[{type, occurredAt}]`: CREDENTIAL_ACCEPTED, CREDENTIAL_REJECTED, CREDENTIAL_REVOKED, CREDENTIAL_DELETED.
    #[schema(value_type = Vec<Object>)]
    pub wallet_actions: Value,
    /// Where verifiers read its status (vouch extension): `{uri, index}` for a Token
    /// Status List; for the Bitstring Status List pair also `revocation` and `suspension`,
    /// the two list credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub status_list: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ProvisionedCredentialResource {
    fn new(row: ProvisionedCredentialRow) -> Self {
        Self {
            wallet_actions: wallet_actions(&row),
            environment: IdRef::new(&row.environment_id),
            credential: IdRef::new(&row.user_credential_id),
            user: IdRef::new(&row.user_id),
            digital_wallet: row.digital_wallet_id.as_deref().map(IdRef::new),
            status_list: row.status_list_uri.as_ref().zip(row.status_list_index).map(
                |(uri, index)| {
                    if row.format == "jwt_vc_json" {
                        json!({"uri": uri, "index": index,
                            "revocation": format!("{uri}/revocation"),
                            "suspension": format!("{uri}/suspension")})
                    } else {
                        json!({"uri": uri, "index": index})
                    }
                },
            ),
            expires_at: row.expires_at.as_ref().map(iso),
            created_at: iso(&row.created_at),
            updated_at: iso(&row.updated_at),
            id: row.id,
            status: row.status,
            format: row.format,
            credential_configuration_id: row.credential_configuration_id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionedCredentialsEmbedded {
    pub provisioned_credentials: Vec<ProvisionedCredentialResource>,
}

fn credentials_path(env: &str, user: &str) -> String {
    format!("{}/users/{user}/credentials", env_path(env))
}

/// Creates a credential of a MANAGED type for the user, PENDING until a wallet collects
/// it. `data` is checked against the type's fields; missing optional values become "".
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    request_body = UserCredentialInput,
    responses(
        (status = 201, body = UserCredentialResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such user"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/users/{userId}/credentials")]
async fn create_credential(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<UserCredentialInput>,
) -> ApiResult<HttpResponse> {
    let view = user_credentials::create(&ctx, &admin.environment_id, &path.1, body.0).await?;
    let resource = UserCredentialResource::new(&ctx, view);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, resource.links["self"].href.clone()))
        .json(resource))
}

#[utoipa::path(
    tag = "user credentials",
    params(
        ("environmentId" = String, Path), ("userId" = String, Path),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query),
    ),
    responses(
        (status = 200, body = Collection<UserCredentialsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/credentials")]
async fn list_credentials(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = user_credentials::list(&ctx, &admin.environment_id, &path.1, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &credentials_path(&admin.environment_id, &path.1),
        &page,
        query.get("cursor"),
        &[],
        items,
        |views| UserCredentialsEmbedded {
            items: views
                .into_iter()
                .map(|v| UserCredentialResource::new(&ctx, v))
                .collect(),
        },
    )))
}

#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    responses(
        (status = 200, body = UserCredentialResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}")]
async fn get_credential(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let view = user_credentials::get(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    Ok(HttpResponse::Ok().json(UserCredentialResource::new(&ctx, view)))
}

/// Replaces `data` and `expiresAt`. An ISSUED credential returns to PENDING: the wallet
/// gets a fresh credential and the superseded one is revoked. REVOKED and EXPIRED
/// credentials cannot be updated (409).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    request_body = UserCredentialInput,
    responses(
        (status = 200, body = UserCredentialResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}")]
async fn update_credential(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
    body: Json<UserCredentialInput>,
) -> ApiResult<HttpResponse> {
    let view =
        user_credentials::update(&ctx, &admin.environment_id, &path.1, &path.2, body.0).await?;
    Ok(HttpResponse::Ok().json(UserCredentialResource::new(&ctx, view)))
}

/// Revokes, suspends or reinstates the credential, as the `Content-Type` says (the body
/// is ignored). PingOne's `application/vnd.pingidentity.validations.revokeCredential+json`
/// revokes; vouch adds `application/vnd.vouch.suspendCredential+json` (an ISSUED
/// credential's status list entries read SUSPENDED) and
/// `application/vnd.vouch.reinstateCredential+json` (a SUSPENDED one's read VALID again).
/// A transition the credential's status does not allow gets 409.
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    request_body(content_type = "application/vnd.pingidentity.validations.revokeCredential+json", content = Object),
    responses(
        (status = 200, body = UserCredentialResource),
        (status = 400, body = ErrorBody, description = "The body could not be read"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody, description = "Any other content type"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}")]
async fn revoke_credential(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    req: HttpRequest,
    path: Path<(String, String, String)>,
    mut payload: Payload,
) -> ApiResult<HttpResponse> {
    let media = media_type(&req);
    if !matches!(
        media.as_deref(),
        Some(REVOKE_CONTENT_TYPE | SUSPEND_CONTENT_TYPE | REINSTATE_CONTENT_TYPE)
    ) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST on a user credential needs Content-Type \
                 application/vnd.pingidentity.validations.revokeCredential+json (revoke), \
                 application/vnd.vouch.suspendCredential+json (suspend) or \
                 application/vnd.vouch.reinstateCredential+json (reinstate).",
        ));
    }
    read_body(&req, &mut payload, ctx.config.max_body_bytes).await?;
    let (env, user, id) = (&admin.environment_id, &path.1, &path.2);
    let view = match media.as_deref() {
        Some(SUSPEND_CONTENT_TYPE) => user_credentials::suspend(&ctx, env, user, id).await?,
        Some(REINSTATE_CONTENT_TYPE) => user_credentials::reinstate(&ctx, env, user, id).await?,
        _ => user_credentials::revoke(&ctx, env, user, id).await?,
    };
    Ok(HttpResponse::Ok().json(UserCredentialResource::new(&ctx, view)))
}

/// Deletes the credential; what was provisioned from it is revoked first when its type's
/// `onDelete.revokeIssuedCredentials` is true (vouch extension).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}")]
async fn delete_credential(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    user_credentials::delete(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The credentials delivered to wallets from this user credential.
#[utoipa::path(
    tag = "user credentials",
    params(
        ("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query),
    ),
    responses(
        (status = 200, body = Collection<ProvisionedCredentialsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get(
    "/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/provisionedCredentials"
)]
async fn provisioned_credentials(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items =
        user_credentials::provisioned(&ctx, &admin.environment_id, &path.1, &path.2, page.clone())
            .await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!(
            "{}/{}/provisionedCredentials",
            credentials_path(&admin.environment_id, &path.1),
            path.2
        ),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| ProvisionedCredentialsEmbedded {
            provisioned_credentials: rows
                .into_iter()
                .map(ProvisionedCredentialResource::new)
                .collect(),
        },
    )))
}

/// The credential's card: its type's SVG template filled with the credential's values
/// (XML-escaped).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/cardImage")]
async fn card_image(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let svg = user_credentials::card_svg(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; img-src https: data:; style-src 'unsafe-inline'",
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(svg))
}

/// Replaces a PENDING credential's offer with a fresh one (after it expired or its
/// transaction code was lost); the old offer stops working (vouch extension).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    responses(
        (status = 201, body = UserCredentialResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The credential is not PENDING"),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/offers")]
async fn renew_offer(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let offer =
        crate::service::oid4vci::offers::renew(&ctx, &admin.environment_id, &path.1, &path.2)
            .await?;
    let mut view = user_credentials::get(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    view.tx_code = offer.tx_code;
    let resource = UserCredentialResource::new(&ctx, view);
    Ok(HttpResponse::Created().json(resource))
}

/// One step of a credential's issuance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuanceEventResource {
    pub id: String,
    /// OFFER_CREATED, OFFER_FETCHED, TOKEN_ISSUED, TOKEN_REFUSED, TOKEN_REFRESHED,
    /// PROOF_REJECTED, NONCE_REJECTED, CREDENTIAL_REQUEST_REJECTED, CREDENTIAL_ISSUED,
    /// CREDENTIAL_DEFERRED, DEFERRED_APPROVED, DEFERRED_REJECTED, NOTIFICATION.
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer: Option<IdRef>,
    /// What happened, and for refusals why.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub detail: Option<Value>,
    pub created_at: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IssuanceEventsEmbedded {
    pub events: Vec<IssuanceEventResource>,
}

/// The trail of the credential's issuance: every protocol step, and why a refused one
/// was refused (vouch extension).
#[utoipa::path(
    tag = "user credentials",
    params(
        ("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query),
    ),
    responses(
        (status = 200, body = Collection<IssuanceEventsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/events")]
async fn list_events(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = crate::service::oid4vci::events::list(
        &ctx,
        &admin.environment_id,
        &path.1,
        &path.2,
        page.clone(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!(
            "{}/{}/events",
            credentials_path(&admin.environment_id, &path.1),
            path.2
        ),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| IssuanceEventsEmbedded {
            events: rows
                .into_iter()
                .map(|r| IssuanceEventResource {
                    offer: r.offer_id.as_deref().map(IdRef::new),
                    detail: r
                        .detail
                        .as_deref()
                        .and_then(|d| serde_json::from_str(d).ok()),
                    created_at: iso(&r.created_at),
                    id: r.id,
                    event: r.event,
                })
                .collect(),
        },
    )))
}

/// A wallet's request waiting for an admin (deferred issuance).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeferredRequestResource {
    pub id: String,
    pub credential_configuration_id: String,
    /// `PENDING`, `APPROVED`, `REJECTED` or `DELIVERED`.
    pub status: String,
    /// How many credentials (one per holder key) the request asked for.
    pub holder_keys: usize,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
}

impl DeferredRequestResource {
    fn new(row: crate::store::rows::DeferredRequestRow) -> Self {
        Self {
            holder_keys: serde_json::from_str::<Vec<Value>>(&row.holder_keys)
                .map(|k| k.len())
                .unwrap_or(0),
            created_at: iso(&row.created_at),
            decided_at: row.decided_at.as_ref().map(iso),
            delivered_at: row.delivered_at.as_ref().map(iso),
            id: row.id,
            credential_configuration_id: row.configuration_id,
            status: row.status,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeferredRequestsEmbedded {
    pub deferred_requests: Vec<DeferredRequestResource>,
}

/// Requests waiting for approval, and decided ones (vouch extension).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path)),
    responses(
        (status = 200, body = Collection<DeferredRequestsEmbedded>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get(
    "/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/deferredRequests"
)]
async fn list_deferred(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let rows = crate::service::oid4vci::credential::deferred_requests(
        &ctx,
        &admin.environment_id,
        &path.1,
        &path.2,
    )
    .await?;
    let items: Vec<_> = rows.into_iter().map(DeferredRequestResource::new).collect();
    Ok(HttpResponse::Ok().json(Collection {
        links: links(format!(
            "{}{}/{}/deferredRequests",
            ctx.public_url,
            credentials_path(&admin.environment_id, &path.1),
            path.2
        )),
        size: items.len(),
        embedded: DeferredRequestsEmbedded {
            deferred_requests: items,
        },
    }))
}

/// Body of a decision on a deferred request.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct DecisionInput {
    /// `APPROVE` or `REJECT`.
    pub decision: Option<String>,
}

/// Approves (the wallet then collects the credential) or rejects a deferred request.
#[utoipa::path(
    tag = "user credentials",
    params(
        ("environmentId" = String, Path), ("userId" = String, Path), ("credentialId" = String, Path),
        ("deferredRequestId" = String, Path),
    ),
    request_body = DecisionInput,
    responses(
        (status = 200, body = DeferredRequestResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already decided"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post(
    "/v1/environments/{environmentId}/users/{userId}/credentials/{credentialId}/deferredRequests/{deferredRequestId}"
)]
async fn decide_deferred(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String, String)>,
    body: Json<DecisionInput>,
) -> ApiResult<HttpResponse> {
    let mut c = crate::domain::validate::Checker::new();
    let decision = c.one_of(
        "decision",
        body.0.decision.as_deref(),
        &["APPROVE", "REJECT"],
        None,
    );
    c.finish().map_err(crate::service::Error::Invalid)?;
    let row = crate::service::oid4vci::credential::decide(
        &ctx,
        &admin.environment_id,
        &path.1,
        &path.2,
        &path.3,
        decision.as_deref() == Some("APPROVE"),
    )
    .await?;
    Ok(HttpResponse::Ok().json(DeferredRequestResource::new(row)))
}

/// Answer of a bulk revocation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revocations {
    /// Credentials revoked by this call (those already REVOKED or EXPIRED not counted).
    pub revoked: usize,
}

/// Revokes, in one transaction, every credential of one user (`{"user": {"id"}}`) or of
/// one credential type (`{"credentialType": {"id"}}`): each is REVOKED, its offers
/// withdrawn and its status list entries set (vouch extension).
#[utoipa::path(
    tag = "user credentials",
    params(("environmentId" = String, Path)),
    request_body = user_credentials::RevocationSelector,
    responses(
        (status = 200, body = Revocations),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "No such user or credential type"),
        (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/credentialRevocations")]
async fn revoke_all(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<user_credentials::RevocationSelector>,
) -> ApiResult<HttpResponse> {
    let revoked = user_credentials::revoke_all(&ctx, &admin.environment_id, body.0).await?;
    Ok(HttpResponse::Ok().json(Revocations { revoked }))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(renew_offer)
        .service(revoke_all)
        .service(list_events)
        .service(list_deferred)
        .service(decide_deferred);
    cfg.service(create_credential)
        .service(list_credentials)
        .service(get_credential)
        .service(update_credential)
        .service(revoke_credential)
        .service(delete_credential)
        .service(provisioned_credentials)
        .service(card_image);
}
