//! The article page (and static pages) at `/{slug}/`. Staff also see drafts and scheduled posts, with a note.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{cached, not_found, serve};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::post_view;

pub async fn show(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let key = format!("/{slug}/");
    if let Some(r) = cached(&state, &staff, &headers, &key) {
        return Ok(r);
    }
    let post = match &staff.0 {
        Some(_) => state.store.post_by_slug(&slug).await?,
        None => state.store.published_by_slug(&slug).await?,
    };
    let Some(post) = post else {
        return not_found(&state, &staff, &headers).await;
    };
    serve(&state, &staff, &headers, &key, || async {
        let view = post_view(&post);
        let template = if view.kind == "page" { "page.html" } else { "post.html" };
        Ok((StatusCode::OK, template, serde_json::json!({ "post": view })))
    })
    .await
}
