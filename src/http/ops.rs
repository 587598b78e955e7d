//! Operations endpoints: liveness, readiness, metrics.

use actix_web::web::Data;
use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use super::metrics::Metrics;
use crate::service::Ctx;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `UP` or `DOWN`.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "UP" })
}

/// Readiness: the database answers a query.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health, description = "The database is unreachable"))
)]
#[get("/readyz")]
async fn readyz(ctx: Data<Ctx>) -> HttpResponse {
    if ctx.store.ping().await {
        HttpResponse::Ok().json(Health { status: "UP" })
    } else {
        HttpResponse::ServiceUnavailable().json(Health { status: "DOWN" })
    }
}

/// Request counts and latencies per route, in the Prometheus text format.
#[utoipa::path(tag = "operations", responses((status = 200, content_type = "text/plain; version=0.0.4", body = String)))]
#[get("/metrics")]
async fn metrics(metrics: Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}
