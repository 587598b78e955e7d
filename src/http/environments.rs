//! `/v1/environments`: create, list, read, replace, delete.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{Admin, Json, Query};
use super::resources::{
    Collection, CreatedEnvironmentResource, EnvironmentResource, EnvironmentsEmbedded,
    InitialAdminApplication, collection,
};
use crate::domain::environment::EnvironmentInput;
use crate::service::{Ctx, environments};

/// Creates an environment with its default population, issuer profile, signing key and
/// a first worker application whose credentials are returned once, in this response.
/// Needs the `ORGANIZATION_ADMIN` role.
#[utoipa::path(
    tag = "environments",
    request_body = EnvironmentInput,
    responses(
        (status = 201, body = CreatedEnvironmentResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The name is taken"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments")]
async fn create_environment(
    ctx: Data<Ctx>,
    admin: Admin,
    body: Json<EnvironmentInput>,
) -> ApiResult<HttpResponse> {
    let created = environments::create(&ctx, &admin.0, body.0).await?;
    let environment = EnvironmentResource::new(&ctx, created.environment);
    let location = environment.links["self"].href.clone();
    let admin_application = InitialAdminApplication {
        token_endpoint: format!("{}/{}/as/token", ctx.public_url, environment.id),
        id: created.admin.application.id.clone(),
        name: created.admin.application.name.clone(),
        client_id: created.admin.application.id,
        client_secret: created.admin.secret,
        token_endpoint_auth_method: created.admin.application.token_endpoint_auth_method,
    };
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(CreatedEnvironmentResource {
            environment,
            admin_application,
        }))
}

/// Lists environments. Needs the `ORGANIZATION_ADMIN` role.
#[utoipa::path(
    tag = "environments",
    params(
        ("limit" = Option<i64>, Query, description = "Page size, 1–1000 (default 100)"),
        ("cursor" = Option<String>, Query, description = "From `_links.next.href` of the previous page"),
    ),
    responses(
        (status = 200, body = Collection<EnvironmentsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments")]
async fn list_environments(ctx: Data<Ctx>, admin: Admin, query: Query) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = environments::list(&ctx, &admin.0, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        "/v1/environments",
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| EnvironmentsEmbedded {
            environments: rows
                .into_iter()
                .map(|r| EnvironmentResource::new(&ctx, r))
                .collect(),
        },
    )))
}

/// Reads an environment: with the `ORGANIZATION_ADMIN` role, or with a token of this
/// environment.
#[utoipa::path(
    tag = "environments",
    params(("environmentId" = String, Path)),
    responses(
        (status = 200, body = EnvironmentResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}")]
async fn get_environment(
    ctx: Data<Ctx>,
    admin: Admin,
    path: Path<String>,
) -> ApiResult<HttpResponse> {
    let row = environments::get(&ctx, &admin.0, &path).await?;
    Ok(HttpResponse::Ok().json(EnvironmentResource::new(&ctx, row)))
}

/// Replaces an environment's name, description, type and region. Needs the
/// `ORGANIZATION_ADMIN` role.
#[utoipa::path(
    tag = "environments",
    params(("environmentId" = String, Path)),
    request_body = EnvironmentInput,
    responses(
        (status = 200, body = EnvironmentResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}")]
async fn replace_environment(
    ctx: Data<Ctx>,
    admin: Admin,
    path: Path<String>,
    body: Json<EnvironmentInput>,
) -> ApiResult<HttpResponse> {
    let row = environments::replace(&ctx, &admin.0, &path, body.0).await?;
    Ok(HttpResponse::Ok().json(EnvironmentResource::new(&ctx, row)))
}

/// Deletes an environment and everything in it. Needs the `ORGANIZATION_ADMIN` role;
/// refused (409) for the environment holding the last organisation admin.
#[utoipa::path(
    tag = "environments",
    params(("environmentId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}")]
async fn delete_environment(
    ctx: Data<Ctx>,
    admin: Admin,
    path: Path<String>,
) -> ApiResult<HttpResponse> {
    environments::delete(&ctx, &admin.0, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_environment)
        .service(list_environments)
        .service(get_environment)
        .service(replace_environment)
        .service(delete_environment);
}
