//! JSON API v1. Reads of published content are public; writes need `Authorization: Bearer <token>` and the token's
//! role is enforced exactly like a staff member's. Errors are `{"error": "code", "message": "…"}`.

pub mod corrections;
pub mod curation;
pub mod feed_items;
pub mod issues;
pub mod mail_events;
pub mod media;
pub mod members;
pub mod newsletters;
pub mod openapi;
pub mod posts;
pub mod redirects;
pub mod search;
pub mod taxonomy;
pub mod tiers;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use newsdesk_domain::Role;

use crate::error::ApiError;
use crate::state::AppState;
use newsdesk_services::Actor;

/// A caller with a valid API token.
pub struct ApiAuth {
    pub actor: Actor,
    pub token_name: String,
}

/// A caller who may or may not have sent a token (public reads).
pub struct MaybeApiAuth(pub Option<ApiAuth>);

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<ApiAuth>, ApiError> {
    let Some(header) = parts.headers.get(AUTHORIZATION) else {
        return Ok(None);
    };
    let value = header.to_str().unwrap_or("");
    let token = value.strip_prefix("Bearer ").map(str::trim).unwrap_or("");
    let token = token.strip_prefix("nd_").unwrap_or(token);
    let invalid = || {
        ApiError::new(StatusCode::UNAUTHORIZED, "token_invalid", "The API token is not valid (revoked, or mistyped).")
    };
    if token.is_empty() {
        return Err(invalid());
    }
    let found = state.store.api_token(&newsdesk_store::hash_token(token)).await?;
    let t = found.ok_or_else(invalid)?;
    if t.expires_at.is_some_and(|e| e <= newsdesk_store::now()) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_expired",
            "The API token has expired; create a new one.",
        ));
    }
    let role = Role::parse("role", &t.role).map_err(|_| invalid())?;
    // A limited token writes only its areas; reads are what anyone may read.
    if parts.method != axum::http::Method::GET
        && parts.method != axum::http::Method::HEAD
        && !t.scopes.is_empty()
        && let Some(scope) = newsdesk_services::staff::scope_of(parts.uri.path())
        && !t.scopes.split(',').any(|s| s == scope)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "scope_missing",
            format!("This token may write only {}; this request needs the {scope} scope.", t.scopes.replace(',', ", ")),
        ));
    }
    Ok(Some(ApiAuth { actor: Actor { user_id: None, role, author_id: None }, token_name: t.name }))
}

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "token_missing",
                "This request needs an API token: Authorization: Bearer <token>.",
            )
        })
    }
}

impl FromRequestParts<AppState> for MaybeApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        authenticate(parts, state).await.map(MaybeApiAuth)
    }
}

pub use newsdesk_services::api_views::{absolute, rfc3339};

/// A JSON body of the shape `T`; anything else is `400 invalid_json` naming `what` and the problem.
pub fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The request body is not valid {what} JSON: {e}"),
        )
    })
}

/// Fallback for unknown API paths: JSON, not the theme's 404 page.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
}

/// A path parameter of the API; a malformed one (`/posts/abc` where an id is due) is a JSON `invalid_path` error.
pub struct ApiPath<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiPath<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_path", e.body_text())),
        }
    }
}

/// The query string of the API; a malformed one (`?page=abc`) is a JSON `invalid_query` error.
pub struct ApiQuery<T>(pub T);

impl<T, S> FromRequestParts<S> for ApiQuery<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(e) => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text())),
        }
    }
}

/// The stable code of an API refusal that no handler wrote (the framework's own: a body over the limit, a method
/// the path does not take), by its status.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::CONFLICT => "conflict",
        StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
        StatusCode::TOO_MANY_REQUESTS => "rate_limited",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    }
}

/// Middleware of the API router: every refusal is `{"error": "code", "message": "…"}`, whoever wrote it. Handlers'
/// own errors already are; anything else (extractor rejections, body limits, 405s, an HTML error page) is rewritten
/// with its status kept and its text as the message.
pub async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::response::IntoResponse;
    let resp = next.run(req).await;
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let is_text = parts
        .headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/plain"));
    let text = match axum::body::to_bytes(body, 4096).await {
        Ok(b) if is_text && !b.is_empty() && !status.is_server_error() => String::from_utf8_lossy(&b).into_owned(),
        _ => match status {
            StatusCode::PAYLOAD_TOO_LARGE => "The request body is larger than this endpoint takes.".to_owned(),
            StatusCode::METHOD_NOT_ALLOWED => "This endpoint does not take that method.".to_owned(),
            s if s.is_server_error() => "Internal error; it has been logged.".to_owned(),
            s => s.canonical_reason().unwrap_or("Refused.").to_owned(),
        },
    };
    let mut out = ApiError::new(status, code_for(status), text).into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        out.headers_mut().insert(axum::http::header::ALLOW, allow.clone());
    }
    out
}
