//! The front page: the lead story, then the latest stories, paginated at `/page/N/`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use newsdesk_render::views::PostView;
use newsdesk_store::posts::PostFilter;

use super::{PER_PAGE, cached, not_found, page_number, serve};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::{pagination, post_view};

pub fn published_posts() -> PostFilter {
    PostFilter { kind: Some("post".into()), status: Some("published".into()), ..Default::default() }
}

/// The newest `n` published stories.
pub async fn latest(state: &AppState, n: i64) -> Result<Vec<PostView>, AppError> {
    Ok(state.store.list_posts(&published_posts(), 1, n).await?.items.iter().map(post_view).collect())
}

pub async fn index(State(state): State<AppState>, staff: MaybeStaff, headers: HeaderMap) -> Result<Response, AppError> {
    render(&state, &staff, &headers, 1).await
}

pub async fn paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Result<Response, AppError> {
    match page_number(&n) {
        Some(n) => render(&state, &staff, &headers, n).await,
        None => not_found(&state, &staff, &headers).await,
    }
}

async fn render(state: &AppState, staff: &MaybeStaff, headers: &HeaderMap, n: i64) -> Result<Response, AppError> {
    let key = if n == 1 { "/".to_owned() } else { format!("/page/{n}/") };
    if let Some(r) = cached(state, staff, headers, &key) {
        return Ok(r);
    }
    // Page 1 shows the lead story plus PER_PAGE more; later pages continue after them.
    let page = state.store.list_posts(&published_posts(), n, PER_PAGE).await?;
    if n > 1 && page.items.is_empty() {
        return not_found(state, staff, headers).await;
    }
    serve(state, staff, headers, &key, || async move {
        let mut posts: Vec<PostView> = page.items.iter().map(post_view).collect();
        let lead = if n == 1 && !posts.is_empty() { Some(posts.remove(0)) } else { None };
        let data = serde_json::json!({ "lead": lead, "posts": posts, "pagination": pagination(&page, "/") });
        Ok((StatusCode::OK, "home.html", data))
    })
    .await
}
