//! JSON API v1. Reads of published content are public; writes need `Authorization: Bearer <token>` and the token's
//! role is enforced exactly like a staff member's. Errors are `{"error": "code", "message": "…"}`.

pub mod feed_items;
pub mod mail_events;
pub mod media;
pub mod posts;
pub mod taxonomy;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use newsdesk_domain::Role;

use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

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
    let role = Role::parse("role", &t.role).map_err(|_| invalid())?;
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

/// An absolute URL on this site.
pub fn absolute(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.site.url)
}

pub fn rfc3339(ts: Option<i64>) -> Option<String> {
    ts.and_then(|t| jiff::Timestamp::from_second(t).ok()).map(|t| t.to_string())
}

/// Fallback for unknown API paths: JSON, not the theme's 404 page.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such API endpoint.")
}
