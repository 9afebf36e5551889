//! Errors at the HTTP edge.
//!
//! Policy: domain and store code return typed errors (`ValidationError`, `StoreError`); handlers turn them into
//! [`AppError`] (HTML pages) or [`ApiError`] (JSON `{"error": "code", "message": "…"}`). Internal errors are logged
//! here, once, with their cause chain, and the client sees only a generic message. Form validation errors never
//! become an `AppError`: the form is rendered again with the message beside the field.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use newsdesk_domain::ValidationError;
use newsdesk_services::ServiceError;
use newsdesk_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    /// A body over the route's limit (413).
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict { message, .. } => AppError::BadRequest(message),
            other => AppError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<ServiceError> for AppError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => AppError::NotFound,
            ServiceError::Forbidden(m) => AppError::Forbidden(m),
            ServiceError::BadRequest(m) => AppError::BadRequest(m),
            ServiceError::Invalid { errors, .. } => {
                AppError::BadRequest(errors.into_values().collect::<Vec<_>>().join(" "))
            }
            ServiceError::Internal(e) => AppError::Internal(e),
        }
    }
}

impl From<newsdesk_render::minijinja::Error> for AppError {
    fn from(e: newsdesk_render::minijinja::Error) -> Self {
        AppError::Internal(anyhow::anyhow!("template error: {e:#}"))
    }
}

fn page(status: StatusCode, title: &str, message: &str) -> Response {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <link rel=\"stylesheet\" href=\"/assets/admin.css\"></head><body><main class=\"card-form\"><h1>{}</h1><p>{}</p>\
         <p><a href=\"/\">Home</a></p></main></body></html>",
        esc(title),
        esc(title),
        esc(message)
    );
    (status, Html(body)).into_response()
}

/// Whether an error comes from the database being out of reach (see `StoreError::is_unavailable`).
fn unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<StoreError>().is_some_and(StoreError::is_unavailable))
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            AppError::Internal(e) if unavailable(&e) => {
                tracing::warn!(error = format!("{e:#}"), "the database is out of reach");
                let mut r = page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Back in a moment",
                    "This page cannot be shown just now. Please try again in a few seconds.",
                );
                r.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
                r
            }
            AppError::NotFound => page(StatusCode::NOT_FOUND, "Not found", "There is nothing here."),
            AppError::Forbidden(m) => page(StatusCode::FORBIDDEN, "Not allowed", &m),
            AppError::BadRequest(m) => page(StatusCode::BAD_REQUEST, "That did not work", &m),
            AppError::TooLarge(m) => page(StatusCode::PAYLOAD_TOO_LARGE, "Too large", &m),
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong",
                    "The error has been logged. Please try again.",
                )
            }
        }
    }
}

/// An error of the JSON API.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError { status, code: code.to_owned(), message: message.into() }
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("No {what} with that id or slug."))
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.code, format!("{}: {}", e.field, e.message))
    }
}

/// The same codes as every other path: a slug clash is `slug_taken` here too (it once was `slug_conflict`).
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::from(ServiceError::from(e))
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "Not found."),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::BadRequest(m) => ApiError::new(StatusCode::BAD_REQUEST, "bad_request", m),
            ServiceError::Invalid { errors, code } => {
                let status = StatusCode::from_u16(newsdesk_services::error::status_of(code))
                    .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
                let message = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ");
                ApiError::new(status, code, message)
            }
            ServiceError::Internal(e) => ApiError::from(e),
        }
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        if unavailable(&e) {
            tracing::warn!(error = format!("{e:#}"), "the database is out of reach");
            return ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "database_unavailable",
                "The database cannot be reached just now; nothing was changed. Try again in a few seconds.",
            );
        }
        tracing::error!(error = format!("{e:#}"), "internal error in API");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "Internal error; it has been logged.")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(serde_json::json!({ "error": self.code, "message": self.message }))).into_response()
    }
}
