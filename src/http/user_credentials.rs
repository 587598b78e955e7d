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
    #[serde(rename = "_links")]
    pub links: Links,
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
        Self {
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

/// Revokes the credential. PingOne selects this action with
/// `Content-Type: application/vnd.pingidentity.validations.revokeCredential+json`; the
/// body is ignored. A REVOKED or EXPIRED credential gets 409.
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
    if media_type(&req).as_deref() != Some(REVOKE_CONTENT_TYPE) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "POST on a user credential revokes it and needs Content-Type: \
             application/vnd.pingidentity.validations.revokeCredential+json.",
        ));
    }
    read_body(&req, &mut payload, ctx.config.max_body_bytes).await?;
    let view = user_credentials::revoke(&ctx, &admin.environment_id, &path.1, &path.2).await?;
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

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_credential)
        .service(list_credentials)
        .service(get_credential)
        .service(update_credential)
        .service(revoke_credential)
        .service(delete_credential)
        .service(provisioned_credentials)
        .service(card_image);
}
