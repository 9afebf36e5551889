//! Tag and author archives: `/tag/{slug}/` and `/author/{slug}/`, paginated at `…/page/N/`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use newsdesk_store::posts::PostFilter;

use super::home::published_posts;
use super::{PER_PAGE, cached, not_found, page_number, serve};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::{author_view, image_view, pagination, post_view, tag_view};

pub async fn tag(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    tag_page(&state, &staff, &headers, &slug, 1).await
}

pub async fn tag_paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path((slug, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    match page_number(&n) {
        Some(n) => tag_page(&state, &staff, &headers, &slug, n).await,
        None => not_found(&state, &staff, &headers).await,
    }
}

async fn tag_page(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    slug: &str,
    n: i64,
) -> Result<Response, AppError> {
    let base = format!("/tag/{slug}/");
    let key = if n == 1 { base.clone() } else { format!("{base}page/{n}/") };
    if let Some(r) = cached(state, staff, headers, &key) {
        return Ok(r);
    }
    let Some(tag) = state.store.tag_by_slug(slug).await? else {
        return not_found(state, staff, headers).await;
    };
    let filter = PostFilter { tag_id: Some(tag.id), ..published_posts() };
    let page = state.store.list_posts(&filter, n, PER_PAGE).await?;
    if n > 1 && page.items.is_empty() {
        return not_found(state, staff, headers).await;
    }
    serve(state, staff, headers, &key, || async {
        let mut t = serde_json::to_value(tag_view(&tag)).map_err(anyhow::Error::from)?;
        t["description"] = serde_json::json!(tag.description);
        let posts: Vec<_> = page.items.iter().map(post_view).collect();
        Ok((
            StatusCode::OK,
            "tag.html",
            serde_json::json!({ "tag": t, "posts": posts, "pagination": pagination(&page, &base) }),
        ))
    })
    .await
}

pub async fn author(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    author_page(&state, &staff, &headers, &slug, 1).await
}

pub async fn author_paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Path((slug, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    match page_number(&n) {
        Some(n) => author_page(&state, &staff, &headers, &slug, n).await,
        None => not_found(&state, &staff, &headers).await,
    }
}

async fn author_page(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    slug: &str,
    n: i64,
) -> Result<Response, AppError> {
    let base = format!("/author/{slug}/");
    let key = if n == 1 { base.clone() } else { format!("{base}page/{n}/") };
    if let Some(r) = cached(state, staff, headers, &key) {
        return Ok(r);
    }
    let Some(author) = state.store.author_by_slug(slug).await? else {
        return not_found(state, staff, headers).await;
    };
    let filter = PostFilter { author_id: Some(author.id), ..published_posts() };
    let page = state.store.list_posts(&filter, n, PER_PAGE).await?;
    if n > 1 && page.items.is_empty() {
        return not_found(state, staff, headers).await;
    }
    serve(state, staff, headers, &key, || async {
        let posts: Vec<_> = page.items.iter().map(post_view).collect();
        let mut view = author_view(&author);
        if let Some(id) = author.image_id {
            view.photo = state.store.media(id).await?.map(|m| image_view(&m, None, None, None));
        }
        Ok((
            StatusCode::OK,
            "author.html",
            serde_json::json!({ "author": view, "posts": posts, "pagination": pagination(&page, &base) }),
        ))
    })
    .await
}
