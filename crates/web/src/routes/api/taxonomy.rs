//! `/api/v1/authors` and `/api/v1/tags`: public reads.

use axum::Json;
use axum::extract::State;

use super::{ApiPath, absolute};
use crate::error::ApiError;
use crate::state::AppState;
use newsdesk_services::views::{author_view, image_view, tag_view};

pub async fn authors(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let authors = state.store.authors().await?;
    let ids: Vec<i64> = authors.iter().filter_map(|a| a.image_id).collect();
    let photos: std::collections::HashMap<i64, _> =
        state.store.media_many(&ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let list: Vec<_> =
        authors.iter().map(|a| author_json(&state, a, a.image_id.and_then(|i| photos.get(&i)))).collect();
    Ok(Json(serde_json::json!({ "authors": list })))
}

fn author_json(
    state: &AppState,
    a: &newsdesk_store::authors::Author,
    photo: Option<&newsdesk_store::media::Media>,
) -> serde_json::Value {
    let v = author_view(a);
    let photo = photo.map(|m| absolute(state, &image_view(m, None, None, None).src));
    serde_json::json!({ "id": v.id, "name": v.name, "slug": v.slug, "kind": v.kind, "bio": v.bio, "url": absolute(state, &v.url), "photo": photo })
}

pub async fn author(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let a = state.store.author_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("author"))?;
    let photo = match a.image_id {
        Some(id) => state.store.media(id).await?,
        None => None,
    };
    Ok(Json(serde_json::json!({ "author": author_json(&state, &a, photo.as_ref()) })))
}

pub async fn tags(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let list: Vec<_> = state
        .store
        .tags_with_counts()
        .await?
        .iter()
        .map(|t| {
            serde_json::json!({
        "id": t.id, "name": t.name, "slug": t.slug, "description": t.description, "post_count": t.post_count,
        "url": absolute(&state, &format!("/tag/{}/", t.slug)) })
        })
        .collect();
    Ok(Json(serde_json::json!({ "tags": list })))
}

pub async fn tag(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let t = state.store.tag_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    let v = tag_view(&t);
    Ok(Json(
        serde_json::json!({ "tag": { "id": v.id, "name": v.name, "slug": v.slug, "description": t.description, "url": absolute(&state, &v.url) } }),
    ))
}
