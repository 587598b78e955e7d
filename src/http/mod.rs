//! HTTP: actix-web routing, extractors and error mapping. Handlers are thin: they
//! extract, call one service function, and shape the response.
//!
//! Every route is registered through `utoipa_actix_web`, so a route exists only together
//! with its OpenAPI description; `/v1/openapi.json` serves the document and `/docs` a
//! browsable page of it.

pub mod applications;
pub mod backend_api;
pub mod credential_types;
pub mod directory;
pub mod environments;
pub mod error;
pub mod extract;
pub mod issuer;
pub mod issuer_profile;
pub mod metrics;
pub mod oid4vci;
pub mod ops;
pub mod presentations;
pub mod qr;
pub mod resources;
pub mod signing_keys;
pub mod status;
pub mod token;
pub mod user_credentials;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::web::Data;
use actix_web::{App, HttpRequest, HttpResponse, get, middleware};
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_actix_web::AppExt;

use self::error::ApiError;
use self::metrics::Metrics;
use crate::service::Ctx;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "vouch",
        description = "Verifiable credential issuer and verifier. The management API follows PingOne Credentials; \
                       protocol endpoints follow OpenID4VCI and OpenID4VP.",
        license(name = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "environments", description = "Tenants; each is one issuer and one verifier"),
        (name = "applications", description = "Worker applications (OAuth clients) that get admin tokens"),
        (name = "admin tokens", description = "Client-credentials tokens for the management API"),
        (name = "signing keys", description = "The environment's signing keys and their rotation (vouch extension)"),
        (name = "issuer documents", description = "Public documents of an environment: DID document, JWKS"),
        (name = "credential issuer profile"),
        (name = "users"), (name = "groups"), (name = "populations"),
        (name = "credential types", description = "What credentials hold and how their cards look, with version history"),
        (name = "user credentials", description = "Credentials of MANAGED types issued to users"),
        (name = "backend issuing API", description = "Template id and claims in, offer link and QR code out (Credenco style)"),
        (name = "openid4vci", description = "OpenID for Verifiable Credential Issuance 1.0: discovery, offers, token, nonce, credential, deferred, notification"),
        (name = "operations", description = "Health, readiness, metrics and this document"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some(
            "An access token from POST /{environmentId}/as/token (client_credentials).".into(),
        );
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// The OpenAPI document and the rendered docs page, built once.
pub struct Documentation {
    json: String,
    html: String,
    /// `(path template, methods)` of every documented route, for 404 versus 405.
    routes: Vec<(String, Vec<String>)>,
}

/// The OpenAPI 3.1 description of every route.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "application/json", body = Object)))]
#[get("/v1/openapi.json")]
async fn openapi_json(docs: Data<Documentation>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(docs.json.clone())
}

/// A browsable page of the OpenAPI document.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "text/html", body = String)))]
#[get("/docs")]
async fn docs_page(docs: Data<Documentation>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(docs.html.clone())
}

fn template_matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// Unknown routes: 405 with `Allow` when the path exists under other methods, else 404.
async fn fallback(req: HttpRequest, docs: Data<Documentation>) -> Result<HttpResponse, ApiError> {
    let allowed: Vec<String> = docs
        .routes
        .iter()
        .filter(|(template, _)| template_matches(template, req.path()))
        .flat_map(|(_, methods)| methods.iter().cloned())
        .collect();
    if allowed.is_empty() {
        return Err(ApiError::not_found("The requested resource was not found."));
    }
    Err(ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        format!(
            "{} is not allowed here; use {}.",
            req.method(),
            allowed.join(", ")
        ),
    )
    .with_header(header::ALLOW, allowed.join(", ")))
}

fn routed_app() -> utoipa_actix_web::UtoipaApp<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        // actix tries routes in registration order, matching each path pattern in turn;
        // the wallet-facing routes come first so a wallet's request is matched after a
        // handful of patterns rather than after every management route. Presentation
        // sessions lead the management routes: a verification is two management calls
        // (create, read), which otherwise tried some 80 patterns each. (The patterns of
        // different modules never match the same path, so the order changes no routing.)
        .configure(ops::routes)
        .configure(oid4vci::routes)
        .configure(presentations::wallet_routes)
        .configure(token::routes)
        .configure(issuer::routes)
        .configure(qr::routes)
        .configure(status::routes)
        .configure(presentations::routes)
        .configure(backend_api::routes)
        .configure(environments::routes)
        .configure(applications::routes)
        .configure(issuer_profile::routes)
        .configure(signing_keys::routes)
        .configure(directory::routes)
        .configure(credential_types::routes)
        .configure(user_credentials::routes)
        .service(openapi_json)
        .service(docs_page)
}

/// The OpenAPI document of every registered route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routed_app().split_for_parts().1
}

fn documentation(api: &utoipa::openapi::OpenApi) -> Documentation {
    let value = serde_json::to_value(api).unwrap_or_default();
    let routes = value["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .map(|(path, item)| {
                    let methods = item
                        .as_object()
                        .map(|ops| {
                            ops.keys()
                                .filter(|k| {
                                    matches!(
                                        k.as_str(),
                                        "get" | "post" | "put" | "patch" | "delete"
                                    )
                                })
                                .map(|k| k.to_ascii_uppercase())
                                .collect()
                        })
                        .unwrap_or_default();
                    (path.clone(), methods)
                })
                .collect()
        })
        .unwrap_or_default();
    Documentation {
        json: serde_json::to_string_pretty(api).unwrap_or_default(),
        html: utoipa_scalar::Scalar::new(api.clone())
            .title("vouch API")
            .to_html(),
        routes,
    }
}

/// The whole application: routes, shared state, metrics and the fallback.
pub fn app(
    ctx: Data<Ctx>,
    metrics: Data<Metrics>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = routed_app().split_for_parts();
    app.app_data(ctx)
        .app_data(metrics)
        .app_data(Data::new(documentation(&api)))
        .default_service(actix_web::web::to(fallback))
        .wrap(middleware::from_fn(metrics::track))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(template_matches(
            "/v1/environments/{environmentId}",
            "/v1/environments/abc"
        ));
        assert!(!template_matches(
            "/v1/environments/{environmentId}",
            "/v1/environments/abc/users"
        ));
        assert!(!template_matches(
            "/v1/environments/{environmentId}",
            "/v1/environments/"
        ));
        assert!(template_matches("/healthz", "/healthz"));
    }
}
