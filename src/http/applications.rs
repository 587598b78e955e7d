//! `/v1/environments/{environmentId}/applications`: worker applications and secrets.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, post, put};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json, Query};
use super::resources::{
    ApplicationResource, ApplicationSecret, ApplicationsEmbedded, Collection, collection, env_path,
};
use crate::domain::application::ApplicationInput;
use crate::service::{Ctx, applications};

/// Creates a worker application. The response carries the application; read its
/// secret at `…/applications/{id}/secret`.
#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path)),
    request_body = ApplicationInput,
    responses(
        (status = 201, body = ApplicationResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/applications")]
async fn create_application(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<ApplicationInput>,
) -> ApiResult<HttpResponse> {
    let created =
        applications::create(&ctx, &admin.principal, &admin.environment_id, body.0).await?;
    let resource = ApplicationResource::new(&ctx, created.application);
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, resource.links["self"].href.clone()))
        .json(resource))
}

#[utoipa::path(
    tag = "applications",
    params(
        ("environmentId" = String, Path),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query),
    ),
    responses(
        (status = 200, body = Collection<ApplicationsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/applications")]
async fn list_applications(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = applications::list(&ctx, &admin.environment_id, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/applications", env_path(&admin.environment_id)),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| ApplicationsEmbedded {
            applications: rows
                .into_iter()
                .map(|r| ApplicationResource::new(&ctx, r))
                .collect(),
        },
    )))
}

#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path), ("applicationId" = String, Path)),
    responses(
        (status = 200, body = ApplicationResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/applications/{applicationId}")]
async fn get_application(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let row = applications::get(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(ApplicationResource::new(&ctx, row)))
}

#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path), ("applicationId" = String, Path)),
    request_body = ApplicationInput,
    responses(
        (status = 200, body = ApplicationResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/applications/{applicationId}")]
async fn replace_application(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<ApplicationInput>,
) -> ApiResult<HttpResponse> {
    let row = applications::replace(
        &ctx,
        &admin.principal,
        &admin.environment_id,
        &path.1,
        body.0,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ApplicationResource::new(&ctx, row)))
}

#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path), ("applicationId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/applications/{applicationId}")]
async fn delete_application(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    applications::delete(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The application's client secret.
#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path), ("applicationId" = String, Path)),
    responses(
        (status = 200, body = ApplicationSecret),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/applications/{applicationId}/secret")]
async fn get_secret(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let secret = applications::secret(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApplicationSecret { secret }))
}

/// Replaces the client secret; the old one stops working at once.
#[utoipa::path(
    tag = "applications",
    params(("environmentId" = String, Path), ("applicationId" = String, Path)),
    responses(
        (status = 200, body = ApplicationSecret),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/applications/{applicationId}/secret")]
async fn rotate_secret(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let secret = applications::rotate_secret(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(ApplicationSecret { secret }))
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_application)
        .service(list_applications)
        .service(get_application)
        .service(replace_application)
        .service(delete_application)
        .service(get_secret)
        .service(rotate_secret);
}
