//! The QR image route: credential offers (and later presentation requests) as PNG or SVG.

use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get};
use utoipa_actix_web::service_config::ServiceConfig;

use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::Query;
use crate::domain::validate::FieldError;
use crate::protocol::qr::{DEFAULT_SIZE, MAX_SIZE, MIN_SIZE, png, svg};
use crate::service::Ctx;
use crate::service::oid4vci::offers;

/// A QR code of a credential offer's `openid-credential-offer://` link, or of a
/// presentation session's `openid4vp://` link. Knowing the id is already holding the
/// link, so this needs no token.
#[utoipa::path(
    tag = "openid4vci",
    params(
        ("environmentId" = String, Path),
        ("offer" = Option<String>, Query, description = "Credential offer id"),
        ("session" = Option<String>, Query, description = "Presentation session id"),
        ("format" = Option<String>, Query, description = "`png` (default) or `svg`"),
        ("size" = Option<u32>, Query, description = "Minimum width in pixels, 64–2048 (default 320)"),
    ),
    responses(
        (status = 200, content_type = "image/png", body = Vec<u8>),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
#[get("/{environmentId}/qr")]
async fn qr(ctx: Data<Ctx>, path: Path<String>, query: Query) -> ApiResult<HttpResponse> {
    let env = path.into_inner();
    let size = match query.get("size") {
        None => DEFAULT_SIZE,
        Some(text) => text.parse().ok().filter(|s| (MIN_SIZE..=MAX_SIZE).contains(s)).ok_or_else(|| {
            ApiError::bad_request(
                "size must be a number of pixels from 64 to 2048",
                vec![FieldError::out_of_range("size", "size must be 64 to 2048")
                    .with_inner(serde_json::json!({"rangeMinimumValue": MIN_SIZE, "rangeMaximumValue": MAX_SIZE}))],
            )
        })?,
    };
    let link = match (query.get("offer"), query.get("session")) {
        (Some(offer_id), None) => {
            let (env2, id) = (env.clone(), offer_id.to_string());
            let row = ctx
                .store
                .read(move |conn| {
                    crate::store::issuance::offer(conn, &env2, &id)
                        .map_err(crate::service::Error::from)
                })
                .await?
                .ok_or_else(|| ApiError::not_found("No such credential offer."))?;
            offers::links(&ctx, &row, None).deep_link
        }
        (None, Some(session)) => {
            crate::service::oid4vp::get(&ctx, &env, session)
                .await
                .map_err(|_| ApiError::not_found("No such presentation session."))?
                .links
                .app_open
        }
        _ => {
            return Err(ApiError::bad_request(
                "give exactly one of offer and session",
                vec![FieldError::required("offer")],
            ));
        }
    };
    let internal = |e: String| {
        ApiError::from(crate::service::Error::Internal(anyhow::anyhow!(
            "QR rendering failed: {e}"
        )))
    };
    let response = match query.get("format").unwrap_or("png") {
        "png" => HttpResponse::Ok()
            .content_type("image/png")
            .body(png(&link, size).map_err(internal)?),
        "svg" => HttpResponse::Ok()
            .content_type("image/svg+xml")
            .body(svg(&link, size).map_err(internal)?),
        other => {
            return Err(ApiError::bad_request(
                format!("format must be png or svg, not {other}"),
                vec![
                    FieldError::invalid("format", "format must be png or svg")
                        .with_inner(serde_json::json!({"allowedValues": ["png", "svg"]})),
                ],
            ));
        }
    };
    let mut response = response;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(qr);
}
