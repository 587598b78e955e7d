//! Errors on the wire: the PingOne error body for the management API, the OAuth error
//! body for protocol endpoints.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::domain::validate::FieldError;
use crate::service::Error;
use crate::service::admin_auth::OAuthError;

/// PingOne's error body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A unique id for this error, also written to the server log.
    pub id: String,
    /// `INVALID_DATA`, `INVALID_REQUEST`, `ACCESS_FAILED`, `NOT_FOUND`, `METHOD_NOT_ALLOWED`,
    /// `UNIQUENESS_VIOLATION`, `CONFLICT`, `REQUEST_TOO_LARGE`, `UNSUPPORTED_MEDIA_TYPE`,
    /// `UNEXPECTED_ERROR`.
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FieldError>,
}

/// A management API error ready to be sent (boxed: errors travel through many `Result`s).
#[derive(Debug)]
pub struct ApiError(Box<ApiErrorParts>);

#[derive(Debug)]
pub struct ApiErrorParts {
    pub status: StatusCode,
    pub body: ErrorBody,
    /// `WWW-Authenticate` value for 401s; `Allow` for 405s.
    pub header: Option<(header::HeaderName, String)>,
}

impl std::ops::Deref for ApiError {
    type Target = ApiErrorParts;

    fn deref(&self) -> &ApiErrorParts {
        &self.0
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code,
            self.body.message
        )
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self(Box::new(ApiErrorParts {
            status,
            body: ErrorBody {
                id: uuid::Uuid::new_v4().to_string(),
                code: code.to_string(),
                message: message.into(),
                details: Vec::new(),
            },
            header: None,
        }))
    }

    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.0.body.details = details;
        self
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.0.header = Some((name, value.into()));
        self
    }

    pub fn bad_request(message: impl Into<String>, details: Vec<FieldError>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message).with_details(details)
    }

    pub fn invalid_data(details: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_DATA",
            "The request could not be completed. One or more validation errors were in the request.",
        )
        .with_details(details)
    }

    pub fn unauthorized(message: impl Into<String>, token_given: bool) -> Self {
        let challenge = if token_given {
            "Bearer realm=\"vouch\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"vouch\""
        };
        Self::new(StatusCode::UNAUTHORIZED, "ACCESS_FAILED", message)
            .with_header(header::WWW_AUTHENTICATE, challenge)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", message)
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        match err {
            Error::Invalid(details) => ApiError::invalid_data(details),
            Error::BadRequest { message, details } => ApiError::bad_request(message, details),
            Error::NotFound(message) => ApiError::not_found(message),
            Error::Conflict {
                code,
                message,
                details,
            } => ApiError::new(StatusCode::CONFLICT, code, message).with_details(details),
            Error::Unauthorized(message) => ApiError::unauthorized(message, true),
            Error::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "ACCESS_FAILED", message)
            }
            Error::Internal(cause) => {
                let error = ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "UNEXPECTED_ERROR",
                    "An unexpected error occurred. Quote the error id when reporting it.",
                );
                tracing::error!(error_id = %error.body.id, cause = format!("{cause:#}"), "unexpected error");
                error
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some((name, value)) = &self.header
            && let Ok(value) = HeaderValue::from_str(value)
        {
            response.insert_header((name.clone(), value));
        }
        response.json(&self.body)
    }
}

/// RFC 6749 §5.2 error body.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody {
    pub error: String,
    pub error_description: String,
}

impl std::fmt::Display for OAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.description)
    }
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, "no-store"));
        if self.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"vouch\""));
        }
        response.json(OAuthErrorBody {
            error: self.error.to_string(),
            error_description: self.description.clone(),
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
