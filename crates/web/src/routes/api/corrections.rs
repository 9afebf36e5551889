//! `POST /api/v1/posts/{id or slug}/corrections`: a correction or update appended to a published story's log
//! (token with the `posts` scope).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::ApiCorrection;
use newsdesk_services::posts;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// A correction or update for a story's log.
#[derive(Deserialize, ToSchema)]
pub struct CorrectionBody {
    /// "correction" (the default) or "update".
    kind: Option<String>,
    body: String,
}

/// The entry as it is in the log.
#[derive(Serialize, ToSchema)]
pub struct CorrectionAnswer {
    correction: ApiCorrection,
}

/// Appends a correction or update to a published story's log.
#[utoipa::path(post, path = "/posts/{key}/corrections", tag = "posts", request_body = CorrectionBody, security(("token" = [])),
    params(("key" = String, Path, description = "The post's id or slug")),
    responses((status = 201, description = "Appended", body = CorrectionAnswer)))]
#[tracing::instrument(skip_all, name = "api.corrections.create")]
pub async fn add_correction(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(key): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: CorrectionBody = json_body(&bytes, "correction")?;
    let post = match key.parse::<i64>() {
        Ok(id) => state.store.post(id).await?,
        Err(_) => state.store.post_by_slug(&key).await?,
    };
    let id = post.ok_or_else(|| ApiError::not_found("post"))?.row.id;
    posts::add_correction(&state.store, &auth.actor, id, b.kind.as_deref().unwrap_or("correction"), &b.body).await?;
    state.refresh_version().await;
    let list = state.store.corrections_for(&[id]).await?.remove(&id).unwrap_or_default();
    let c = list.last().ok_or_else(|| ApiError::not_found("correction"))?;
    Ok((StatusCode::CREATED, Json(CorrectionAnswer { correction: newsdesk_services::api_views::correction(c) }))
        .into_response())
}
