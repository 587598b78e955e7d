//! `/v1/environments/{environmentId}/credentialTypes` and the public SD-JWT VC type
//! metadata at each type's `vct` (`/{environmentId}/types/{credentialTypeId}`).

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, post, put};
use serde::Serialize;
use serde_json::{Value, json};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json, Query};
use super::resources::{Collection, Link, collection, env_path, links};
use crate::domain::credential_type::CredentialTypeDefinition;
use crate::domain::time::iso;
use crate::protocol::oid4vci::configurations::vct;
use crate::protocol::sd_jwt_vc::type_metadata::type_metadata;
use crate::service::Ctx;
use crate::service::credential_types::{self, CredentialTypeView, VersionView};

/// A credential type as the API shows it (schema for documentation; the body is the
/// definition as sent plus the read-only members).
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialTypeResource {
    #[serde(flatten)]
    pub definition: CredentialTypeDefinition,
    pub id: String,
    #[schema(value_type = Object)]
    pub environment: Value,
    /// The environment's credential issuer profile.
    #[schema(value_type = Object)]
    pub issuer: Value,
    /// `{id, number, uri}` of the current version.
    #[schema(value_type = Object)]
    pub version: Value,
    pub created_at: String,
    pub updated_at: String,
    /// Set once the type is deleted (read-one only).
    pub deleted_at: Option<String>,
    #[serde(rename = "_links")]
    #[schema(value_type = Object)]
    pub links: Value,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialTypesEmbedded {
    /// Without `metadata` and `cardDesignTemplate`.
    #[schema(value_type = Vec<CredentialTypeResource>)]
    pub items: Vec<Value>,
}

/// One earlier version of a credential type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CredentialTypeVersionResource {
    pub id: String,
    pub version: i32,
    #[schema(value_type = Object)]
    pub credential_type: Value,
    #[schema(value_type = Object)]
    pub environment: Value,
    /// The whole credential type as it was.
    #[schema(value_type = Object)]
    pub snapshot: Value,
    pub created_at: String,
    #[serde(rename = "_links")]
    pub links: super::resources::Links,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CredentialTypeVersionsEmbedded {
    pub versions: Vec<CredentialTypeVersionResource>,
}

fn type_json(ctx: &Ctx, view: &CredentialTypeView, full: bool) -> Value {
    let mut doc = view.document(&ctx.public_url, full);
    let base = format!("{}{}", ctx.public_url, view.path());
    let mut l = links(base.clone());
    l.insert(
        "versions".into(),
        Link {
            href: format!("{base}/versions"),
        },
    );
    l.insert(
        "vct".into(),
        Link {
            href: vct(&ctx.public_url, &view.row.environment_id, &view.row.id),
        },
    );
    doc["_links"] = json!(l);
    doc
}

fn version_resource(
    ctx: &Ctx,
    env: &str,
    type_id: &str,
    v: VersionView,
) -> CredentialTypeVersionResource {
    CredentialTypeVersionResource {
        links: links(format!(
            "{}{}/credentialTypes/{type_id}/versions/{}",
            ctx.public_url,
            env_path(env),
            v.id
        )),
        id: v.id,
        version: v.number,
        credential_type: json!({"id": type_id}),
        environment: json!({"id": env}),
        snapshot: v.snapshot,
        created_at: iso(&v.created_at),
    }
}

/// Creates a credential type. Every validation fault is reported at once with its
/// `target`; the card template is parsed as SVG (`SVG_ERROR`) and its placeholders
/// checked (`TEMPLATE_ERROR`).
#[utoipa::path(
    tag = "credential types",
    params(("environmentId" = String, Path)),
    request_body = CredentialTypeDefinition,
    responses(
        (status = 201, body = CredentialTypeResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The title is taken"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/credentialTypes")]
async fn create_type(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<CredentialTypeDefinition>,
) -> ApiResult<HttpResponse> {
    let view = credential_types::create(&ctx, &admin.environment_id, body.0).await?;
    let doc = type_json(&ctx, &view, true);
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("{}{}", ctx.public_url, view.path()),
        ))
        .json(doc))
}

/// Lists the types not deleted, without `metadata` and `cardDesignTemplate`.
#[utoipa::path(
    tag = "credential types",
    params(("environmentId" = String, Path), ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, body = Collection<CredentialTypesEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/credentialTypes")]
async fn list_types(ctx: Data<Ctx>, admin: EnvAdmin, query: Query) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = credential_types::list(&ctx, &admin.environment_id, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/credentialTypes", env_path(&admin.environment_id)),
        &page,
        query.get("cursor"),
        &[],
        items,
        |views| CredentialTypesEmbedded {
            items: views.iter().map(|v| type_json(&ctx, v, false)).collect(),
        },
    )))
}

/// Reads one type, including a deleted one (with `deletedAt`).
#[utoipa::path(
    tag = "credential types",
    params(("environmentId" = String, Path), ("credentialTypeId" = String, Path)),
    responses(
        (status = 200, body = CredentialTypeResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/credentialTypes/{credentialTypeId}")]
async fn get_type(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let view = credential_types::get(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(type_json(&ctx, &view, true)))
}

/// Replaces a type. A change keeps the previous state as a version and increments
/// `version.number`; an identical body changes nothing. `title` cannot change.
#[utoipa::path(
    tag = "credential types",
    params(("environmentId" = String, Path), ("credentialTypeId" = String, Path)),
    request_body = CredentialTypeDefinition,
    responses(
        (status = 200, body = CredentialTypeResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/credentialTypes/{credentialTypeId}")]
async fn replace_type(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<CredentialTypeDefinition>,
) -> ApiResult<HttpResponse> {
    let view = credential_types::replace(&ctx, &admin.environment_id, &path.1, body.0).await?;
    Ok(HttpResponse::Ok().json(type_json(&ctx, &view, true)))
}

/// Deletes a type (it stays readable with `deletedAt`). Pending user credentials of it
/// are deleted; issued ones are revoked and deleted when `onDelete.revokeIssuedCredentials`
/// is true, and kept otherwise.
#[utoipa::path(
    tag = "credential types",
    params(("environmentId" = String, Path), ("credentialTypeId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/credentialTypes/{credentialTypeId}")]
async fn delete_type(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    credential_types::delete(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Earlier versions of a type, oldest first; `filter` takes a SCIM filter over `version`,
/// `createdAt` and `snapshot` (e.g. `version ge 2`).
#[utoipa::path(
    tag = "credential types",
    params(
        ("environmentId" = String, Path), ("credentialTypeId" = String, Path),
        ("filter" = Option<String>, Query, description = "SCIM filter, e.g. `version gt 1`"),
    ),
    responses(
        (status = 200, body = Collection<CredentialTypeVersionsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/credentialTypes/{credentialTypeId}/versions")]
async fn list_versions(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    query: Query,
) -> ApiResult<HttpResponse> {
    let filter = query.scim_filter()?;
    let env = admin.environment_id.clone();
    let versions = credential_types::versions(&ctx, &env, &path.1, filter).await?;
    let items: Vec<_> = versions
        .into_iter()
        .map(|v| version_resource(&ctx, &env, &path.1, v))
        .collect();
    Ok(HttpResponse::Ok().json(Collection {
        links: links(format!(
            "{}{}/credentialTypes/{}/versions",
            ctx.public_url,
            env_path(&env),
            path.1
        )),
        size: items.len(),
        embedded: CredentialTypeVersionsEmbedded { versions: items },
    }))
}

/// One version; the current version's id (from `version.uri`) reads the type as it is.
#[utoipa::path(
    tag = "credential types",
    params(
        ("environmentId" = String, Path), ("credentialTypeId" = String, Path),
        ("credentialTypeVersionId" = String, Path),
    ),
    responses(
        (status = 200, body = CredentialTypeVersionResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get(
    "/v1/environments/{environmentId}/credentialTypes/{credentialTypeId}/versions/{credentialTypeVersionId}"
)]
async fn get_version(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let v = credential_types::version(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    Ok(HttpResponse::Ok().json(version_resource(&ctx, &admin.environment_id, &path.1, v)))
}

/// SD-JWT VC type metadata for the type's `vct`: display and claim metadata, every
/// claim selectively disclosable. Public, like the credentials that name it.
#[utoipa::path(
    tag = "issuer documents",
    params(("environmentId" = String, Path), ("credentialTypeId" = String, Path)),
    responses(
        (status = 200, content_type = "application/json", body = Object),
        (status = 404, body = ErrorBody),
    )
)]
#[get("/{environmentId}/types/{credentialTypeId}")]
async fn type_metadata_document(
    ctx: Data<Ctx>,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (env, id) = path.into_inner();
    let view = credential_types::get(&ctx, &env, &id).await?;
    let vct = vct(&ctx.public_url, &env, &id);
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
        .json(type_metadata(&vct, &view.definition)))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_type)
        .service(list_types)
        .service(get_type)
        .service(replace_type)
        .service(delete_type)
        .service(list_versions)
        .service(get_version)
        .service(type_metadata_document);
}
