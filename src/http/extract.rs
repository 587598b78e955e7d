//! Request extractors: JSON bodies with exact errors, admin tokens, paging parameters.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::Data;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::error::ApiError;
use crate::domain::page::PageRequest;
use crate::domain::validate::FieldError;
use crate::service::{Ctx, Principal, admin_auth};

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

/// Whether `Content-Type` is `application/json` or an `application/…+json` type
/// (PingOne selects some actions with vendor JSON types).
pub fn is_json(req: &HttpRequest) -> bool {
    media_type(req).is_some_and(|m| {
        m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
    })
}

/// The media type of the request, lower-cased, without parameters.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// Reads the whole body, refusing more than `limit` bytes with 413.
pub async fn read_body<S>(
    req: &HttpRequest,
    payload: &mut S,
    limit: usize,
) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, actix_web::error::PayloadError>>
        + Unpin,
{
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_TOO_LARGE",
            format!("The request body is larger than the {limit} bytes this server accepts."),
        )
    };
    if let Some(length) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        && length > limit
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ApiError::bad_request(
                format!("The request body could not be read: {e}"),
                Vec::new(),
            )
        })?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Strips serde_json's " at line L column C" suffix (the position is reported apart).
fn without_position(message: &str) -> &str {
    match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    }
}

fn syntax_error(err: &serde_json::Error) -> ApiError {
    let (line, column) = (err.line(), err.column());
    let reason = without_position(&err.to_string()).to_string();
    ApiError::bad_request(
        format!("The request body is not valid JSON: {reason} at line {line}, column {column}."),
        vec![
            FieldError::invalid("body", reason)
                .with_inner(serde_json::json!({"line": line, "column": column})),
        ],
    )
}

/// Parses JSON into `T`, telling malformed JSON (400 `INVALID_REQUEST` with the
/// position) from well-formed JSON of the wrong shape (400 `INVALID_DATA` with the path).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "The request body is empty; a JSON object was expected.",
            vec![FieldError::required("body")],
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let inner = err.inner();
        if inner.classify() != serde_json::error::Category::Data {
            return syntax_error(inner);
        }
        let path = err.path().to_string();
        let target = if path == "." { String::new() } else { path };
        let reason = without_position(&inner.to_string()).to_string();
        let message = if target.is_empty() {
            reason
        } else {
            format!("{target}: {reason}")
        };
        ApiError::invalid_data(vec![FieldError::invalid(target, message)])
    })?;
    deserializer.end().map_err(|e| syntax_error(&e))?;
    Ok(value)
}

/// A JSON request body, checked for type (415), size (413) and syntax (400).
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UNSUPPORTED_MEDIA_TYPE",
                    format!(
                        "The request body must be JSON (Content-Type: application/json), not `{}`.",
                        media_type(&req).unwrap_or_else(|| "none".into())
                    ),
                ));
            }
            let limit = req
                .app_data::<Data<Ctx>>()
                .map_or(1024 * 1024, |ctx| ctx.config.max_body_bytes);
            let body = read_body(&req, &mut payload, limit).await?;
            parse_json(&body).map(Json)
        })
    }
}

fn ctx_of(req: &HttpRequest) -> Data<Ctx> {
    req.app_data::<Data<Ctx>>()
        .cloned()
        .expect("the context is registered with the app")
}

/// The bearer token of the request, if any.
fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("The Authorization header is not readable.", true))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_string()))
        }
        _ => Err(ApiError::unauthorized(
            "The Authorization header must be `Bearer <access token>`.",
            true,
        )),
    }
}

async fn principal_of(req: &HttpRequest) -> Result<Principal, ApiError> {
    let Some(token) = bearer(req)? else {
        return Err(ApiError::unauthorized(
            "An access token is required: send `Authorization: Bearer <token>`.",
            false,
        ));
    };
    let ctx = ctx_of(req);
    admin_auth::authenticate(&ctx, &token)
        .await
        .map_err(ApiError::from)
}

/// Any valid admin token; the service decides what it may do.
#[derive(Debug, Clone)]
pub struct Admin(pub Principal);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = LocalFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { principal_of(&req).await.map(Admin) })
    }
}

/// A valid admin token issued by the environment named in the path (`{environmentId}`).
/// A token of any other environment gets 403, whatever its roles.
#[derive(Debug, Clone)]
pub struct EnvAdmin {
    pub principal: Principal,
    pub environment_id: String,
}

impl FromRequest for EnvAdmin {
    type Error = ApiError;
    type Future = LocalFuture<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let principal = principal_of(&req).await?;
            let env = req.match_info().get("environmentId").unwrap_or_default();
            if principal.environment_id != env {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "ACCESS_FAILED",
                    "The actor attempting to perform the request is not authorized: the access token belongs to another environment.",
                ));
            }
            Ok(EnvAdmin {
                environment_id: env.to_string(),
                principal,
            })
        })
    }
}

/// Query parameters of a request, with paging read and checked.
#[derive(Debug, Clone)]
pub struct Query {
    pub params: HashMap<String, String>,
}

impl Query {
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        PageRequest::parse(
            self.params.get("limit").map(String::as_str),
            self.params.get("cursor").map(String::as_str),
        )
        .map_err(|details| ApiError::bad_request("The paging parameters are not valid.", details))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The SCIM `filter` parameter, parsed; a filter that does not parse is a 400 that
    /// names the position.
    pub fn scim_filter(&self) -> Result<Option<crate::domain::scim::Filter>, ApiError> {
        let Some(text) = self.get("filter") else {
            return Ok(None);
        };
        crate::domain::scim::parse(text).map(Some).map_err(|e| {
            ApiError::bad_request(
                format!("The filter is not valid: {e}."),
                vec![
                    FieldError::new("INVALID_FILTER", "filter", e.to_string())
                        .with_inner(serde_json::json!({"position": e.position})),
                ],
            )
        })
    }
}

impl FromRequest for Query {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
                .map(|pairs| Query {
                    params: pairs.into_iter().collect(),
                })
                .map_err(|e| {
                    ApiError::bad_request(format!("The query string is malformed: {e}"), Vec::new())
                }),
        )
    }
}
