//! The directory routes: users (with SCIM `filter`), group memberships, groups and
//! populations.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, patch, post, put};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{EnvAdmin, Json, Query};
use super::resources::{
    Collection, GroupMembershipResource, GroupMembershipsEmbedded, GroupResource, GroupsEmbedded,
    Link, PopulationResource, PopulationsEmbedded, UserResource, UsersEmbedded, collection,
    env_path, links,
};
use crate::domain::directory::{GroupInput, IdRef, PopulationInput};
use crate::service::Ctx;
use crate::service::directory::{self, UserView};

fn user_json(ctx: &Ctx, view: &UserView) -> Value {
    let mut doc = view.document();
    let base = format!(
        "{}{}/users/{}",
        ctx.public_url,
        env_path(&view.row.environment_id),
        view.row.id
    );
    let mut user_links = links(base.clone());
    user_links.insert(
        "memberOfGroups".into(),
        Link {
            href: format!("{base}/memberOfGroups"),
        },
    );
    user_links.insert(
        "population".into(),
        Link {
            href: format!(
                "{}{}/populations/{}",
                ctx.public_url,
                env_path(&view.row.environment_id),
                view.row.population_id
            ),
        },
    );
    doc["_links"] = serde_json::to_value(user_links).unwrap_or_default();
    doc
}

fn created(location: String, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

// ---- users -------------------------------------------------------------------------

/// Creates a user. Properties other than the standard ones are kept as custom
/// attributes. Without `population.id` the user joins the default population.
#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path)),
    request_body(content = Object, description = "A user: `username` (required), `email`, `name{…}`, `population{id}`, `enabled`, … and custom attributes"),
    responses(
        (status = 201, body = UserResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "The username is taken"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/users")]
async fn create_user(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let view = directory::create_user(&ctx, &admin.environment_id, body.0).await?;
    let json = user_json(&ctx, &view);
    Ok(created(
        json["_links"]["self"]["href"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        json,
    ))
}

/// Lists users, optionally those matching a SCIM `filter` such as
/// `memberOfGroups[id eq "…"] and name.family sw "Sm"`.
#[utoipa::path(
    tag = "users",
    params(
        ("environmentId" = String, Path),
        ("filter" = Option<String>, Query, description = "SCIM filter: eq ne co sw ew gt ge lt le pr, and or not, parentheses, dotted paths, memberOfGroups[id eq \"…\"]"),
        ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query),
    ),
    responses(
        (status = 200, body = Collection<UsersEmbedded>),
        (status = 400, body = ErrorBody, description = "Bad paging parameters or a filter that does not parse (the detail names the position)"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users")]
async fn list_users(ctx: Data<Ctx>, admin: EnvAdmin, query: Query) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let filter = query.scim_filter()?;
    let filter_text = query.get("filter").map(str::to_string);
    let items = directory::list_users(&ctx, &admin.environment_id, filter, page.clone()).await?;
    let extra: Vec<(&str, &str)> = filter_text.iter().map(|f| ("filter", f.as_str())).collect();
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/users", env_path(&admin.environment_id)),
        &page,
        query.get("cursor"),
        &extra,
        items,
        |views| UsersEmbedded {
            users: views.iter().map(|v| user_json(&ctx, v)).collect(),
        },
    )))
}

#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 200, body = UserResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}")]
async fn get_user(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let view = directory::get_user(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(user_json(&ctx, &view)))
}

/// Replaces every attribute of a user.
#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    request_body(content = Object),
    responses(
        (status = 200, body = UserResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/users/{userId}")]
async fn replace_user(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let view = directory::replace_user(&ctx, &admin.environment_id, &path.1, body.0).await?;
    Ok(HttpResponse::Ok().json(user_json(&ctx, &view)))
}

/// Changes some attributes: members replace, `null` removes, objects merge (RFC 7396).
#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    request_body(content = Object),
    responses(
        (status = 200, body = UserResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[patch("/v1/environments/{environmentId}/users/{userId}")]
async fn patch_user(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<Value>,
) -> ApiResult<HttpResponse> {
    let view = directory::patch_user(&ctx, &admin.environment_id, &path.1, body.0).await?;
    Ok(HttpResponse::Ok().json(user_json(&ctx, &view)))
}

#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/users/{userId}")]
async fn delete_user(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    directory::delete_user(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves a user to another population.
#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    request_body = IdRef,
    responses(
        (status = 200, body = UserResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/users/{userId}/population")]
async fn set_population(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<IdRef>,
) -> ApiResult<HttpResponse> {
    let view =
        directory::set_user_population(&ctx, &admin.environment_id, &path.1, body.0.id).await?;
    Ok(HttpResponse::Ok().json(user_json(&ctx, &view)))
}

// ---- memberships -------------------------------------------------------------------

/// Adds the user to a group.
#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    request_body = IdRef,
    responses(
        (status = 201, body = GroupMembershipResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "Already a member"),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/users/{userId}/memberOfGroups")]
async fn add_membership(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<IdRef>,
) -> ApiResult<HttpResponse> {
    let group = directory::add_membership(&ctx, &admin.environment_id, &path.1, body.0.id).await?;
    let resource =
        GroupMembershipResource::new(&ctx, &admin.environment_id, &path.1, (group.id, group.name));
    Ok(created(resource.links["self"].href.clone(), resource))
}

#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path)),
    responses(
        (status = 200, body = Collection<GroupMembershipsEmbedded>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/memberOfGroups")]
async fn list_memberships(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let groups = directory::memberships(&ctx, &admin.environment_id, &path.1).await?;
    let size = groups.len();
    let self_href = format!(
        "{}{}/users/{}/memberOfGroups",
        ctx.public_url,
        env_path(&admin.environment_id),
        path.1
    );
    Ok(HttpResponse::Ok().json(Collection {
        links: links(self_href),
        embedded: GroupMembershipsEmbedded {
            group_memberships: groups
                .into_iter()
                .map(|g| GroupMembershipResource::new(&ctx, &admin.environment_id, &path.1, g))
                .collect(),
        },
        size,
    }))
}

#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("groupId" = String, Path)),
    responses(
        (status = 200, body = GroupMembershipResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/users/{userId}/memberOfGroups/{groupId}")]
async fn get_membership(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    let groups = directory::memberships(&ctx, &admin.environment_id, &path.1).await?;
    let group = groups
        .into_iter()
        .find(|(id, _)| *id == path.2)
        .ok_or_else(|| ApiError::not_found("Group membership could not be found."))?;
    Ok(HttpResponse::Ok().json(GroupMembershipResource::new(
        &ctx,
        &admin.environment_id,
        &path.1,
        group,
    )))
}

#[utoipa::path(
    tag = "users",
    params(("environmentId" = String, Path), ("userId" = String, Path), ("groupId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/users/{userId}/memberOfGroups/{groupId}")]
async fn remove_membership(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String, String)>,
) -> ApiResult<HttpResponse> {
    directory::remove_membership(&ctx, &admin.environment_id, &path.1, &path.2).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- groups ------------------------------------------------------------------------

#[utoipa::path(
    tag = "groups",
    params(("environmentId" = String, Path)),
    request_body = GroupInput,
    responses(
        (status = 201, body = GroupResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/groups")]
async fn create_group(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<GroupInput>,
) -> ApiResult<HttpResponse> {
    let row = directory::create_group(&ctx, &admin.environment_id, body.0).await?;
    let resource = GroupResource::new(&ctx, row);
    Ok(created(resource.links["self"].href.clone(), resource))
}

#[utoipa::path(
    tag = "groups",
    params(("environmentId" = String, Path), ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, body = Collection<GroupsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/groups")]
async fn list_groups(ctx: Data<Ctx>, admin: EnvAdmin, query: Query) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = directory::list_groups(&ctx, &admin.environment_id, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/groups", env_path(&admin.environment_id)),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| GroupsEmbedded {
            groups: rows
                .into_iter()
                .map(|r| GroupResource::new(&ctx, r))
                .collect(),
        },
    )))
}

#[utoipa::path(
    tag = "groups",
    params(("environmentId" = String, Path), ("groupId" = String, Path)),
    responses(
        (status = 200, body = GroupResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/groups/{groupId}")]
async fn get_group(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let row = directory::get_group(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(GroupResource::new(&ctx, row)))
}

#[utoipa::path(
    tag = "groups",
    params(("environmentId" = String, Path), ("groupId" = String, Path)),
    request_body = GroupInput,
    responses(
        (status = 200, body = GroupResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/groups/{groupId}")]
async fn replace_group(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<GroupInput>,
) -> ApiResult<HttpResponse> {
    let row = directory::replace_group(&ctx, &admin.environment_id, &path.1, body.0).await?;
    Ok(HttpResponse::Ok().json(GroupResource::new(&ctx, row)))
}

/// Deletes a group; its memberships go with it.
#[utoipa::path(
    tag = "groups",
    params(("environmentId" = String, Path), ("groupId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/groups/{groupId}")]
async fn delete_group(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    directory::delete_group(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

// ---- populations -------------------------------------------------------------------

#[utoipa::path(
    tag = "populations",
    params(("environmentId" = String, Path)),
    request_body = PopulationInput,
    responses(
        (status = 201, body = PopulationResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[post("/v1/environments/{environmentId}/populations")]
async fn create_population(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    body: Json<PopulationInput>,
) -> ApiResult<HttpResponse> {
    let row = directory::create_population(&ctx, &admin.environment_id, body.0).await?;
    let resource = PopulationResource::new(&ctx, row);
    Ok(created(resource.links["self"].href.clone(), resource))
}

#[utoipa::path(
    tag = "populations",
    params(("environmentId" = String, Path), ("limit" = Option<i64>, Query), ("cursor" = Option<String>, Query)),
    responses(
        (status = 200, body = Collection<PopulationsEmbedded>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/populations")]
async fn list_populations(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    query: Query,
) -> ApiResult<HttpResponse> {
    let page = query.page()?;
    let items = directory::list_populations(&ctx, &admin.environment_id, page.clone()).await?;
    Ok(HttpResponse::Ok().json(collection(
        &ctx,
        &format!("{}/populations", env_path(&admin.environment_id)),
        &page,
        query.get("cursor"),
        &[],
        items,
        |rows| PopulationsEmbedded {
            populations: rows
                .into_iter()
                .map(|r| PopulationResource::new(&ctx, r))
                .collect(),
        },
    )))
}

#[utoipa::path(
    tag = "populations",
    params(("environmentId" = String, Path), ("populationId" = String, Path)),
    responses(
        (status = 200, body = PopulationResource),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[get("/v1/environments/{environmentId}/populations/{populationId}")]
async fn get_population(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let row = directory::get_population(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::Ok().json(PopulationResource::new(&ctx, row)))
}

#[utoipa::path(
    tag = "populations",
    params(("environmentId" = String, Path), ("populationId" = String, Path)),
    request_body = PopulationInput,
    responses(
        (status = 200, body = PopulationResource),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[put("/v1/environments/{environmentId}/populations/{populationId}")]
async fn replace_population(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
    body: Json<PopulationInput>,
) -> ApiResult<HttpResponse> {
    let row = directory::replace_population(&ctx, &admin.environment_id, &path.1, body.0).await?;
    Ok(HttpResponse::Ok().json(PopulationResource::new(&ctx, row)))
}

/// Deletes an empty, non-default population.
#[utoipa::path(
    tag = "populations",
    params(("environmentId" = String, Path), ("populationId" = String, Path)),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[delete("/v1/environments/{environmentId}/populations/{populationId}")]
async fn delete_population(
    ctx: Data<Ctx>,
    admin: EnvAdmin,
    path: Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    directory::delete_population(&ctx, &admin.environment_id, &path.1).await?;
    Ok(HttpResponse::NoContent().finish())
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create_user)
        .service(list_users)
        .service(get_user)
        .service(replace_user)
        .service(patch_user)
        .service(delete_user)
        .service(set_population)
        .service(add_membership)
        .service(list_memberships)
        .service(get_membership)
        .service(remove_membership)
        .service(create_group)
        .service(list_groups)
        .service(get_group)
        .service(replace_group)
        .service(delete_group)
        .service(create_population)
        .service(list_populations)
        .service(get_population)
        .service(replace_population)
        .service(delete_population);
}
