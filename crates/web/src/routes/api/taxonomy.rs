//! `/api/v1/authors` and `/api/v1/tags`: public reads; creating, changing and deleting them (token with the
//! `taxonomy` scope, editors and above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::taxonomy::{self, AuthorForm, TagForm};
use serde::Deserialize;

use super::{ApiAuth, ApiPath, absolute, json_body};
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

pub(super) fn need_taxonomy(auth: &ApiAuth) -> Result<(), ApiError> {
    if auth.actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("A token with the role {} cannot do this.", auth.actor.role.as_str())))
    }
}

#[derive(Deserialize)]
struct AuthorBody {
    name: Option<String>,
    slug: Option<String>,
    kind: Option<String>,
    bio: Option<String>,
}

async fn author_answer(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let a = state.store.author(id).await?.ok_or_else(|| ApiError::not_found("author"))?;
    Ok((status, Json(serde_json::json!({ "author": { "id": a.id, "name": a.name, "slug": a.slug, "kind": a.kind, "bio": a.bio } })))
        .into_response())
}

/// `POST /authors` `{"name", "slug", "kind": "person"|"desk", "bio"}`.
#[tracing::instrument(skip_all, name = "api.authors.create")]
pub async fn create_author(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: AuthorBody = json_body(&bytes, "author")?;
    let form = AuthorForm {
        name: b.name.as_deref().unwrap_or(""),
        slug: b.slug.as_deref(),
        kind: b.kind.as_deref().unwrap_or("person"),
        bio: b.bio.as_deref(),
        image_id: None,
    };
    let id = taxonomy::save_author(&state, &auth.actor, None, &form).await?;
    state.refresh_version().await;
    author_answer(&state, id, StatusCode::CREATED).await
}

/// `PATCH /authors/{slug}`: absent fields keep their values.
#[tracing::instrument(skip_all, name = "api.authors.update")]
pub async fn update_author(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: AuthorBody = json_body(&bytes, "author")?;
    let old = state.store.author_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("author"))?;
    let form = AuthorForm {
        name: b.name.as_deref().unwrap_or(&old.name),
        slug: Some(b.slug.as_deref().unwrap_or(&old.slug)),
        kind: b.kind.as_deref().unwrap_or(&old.kind),
        bio: b.bio.as_deref().or(old.bio.as_deref()),
        image_id: old.image_id,
    };
    taxonomy::save_author(&state, &auth.actor, Some(old.id), &form).await?;
    state.refresh_version().await;
    author_answer(&state, old.id, StatusCode::OK).await
}

/// `DELETE /authors/{slug}`.
#[tracing::instrument(skip_all, name = "api.authors.delete")]
pub async fn delete_author(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    need_taxonomy(&auth)?;
    let a = state.store.author_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("author"))?;
    state.store.delete_author(a.id).await?;
    state.refresh_version().await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct TagBody {
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
}

async fn tag_answer(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let t = state.store.tag(id).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    Ok((
        status,
        Json(
            serde_json::json!({ "tag": { "id": t.id, "name": t.name, "slug": t.slug, "description": t.description } }),
        ),
    )
        .into_response())
}

/// `POST /tags` `{"name", "slug", "description"}`.
#[tracing::instrument(skip_all, name = "api.tags.create")]
pub async fn create_tag(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: TagBody = json_body(&bytes, "tag")?;
    let form = TagForm {
        name: b.name.as_deref().unwrap_or(""),
        slug: b.slug.as_deref(),
        description: b.description.as_deref(),
    };
    let id = taxonomy::save_tag(&state, &auth.actor, None, &form).await?;
    state.refresh_version().await;
    tag_answer(&state, id, StatusCode::CREATED).await
}

/// `PATCH /tags/{slug}`: absent fields keep their values.
#[tracing::instrument(skip_all, name = "api.tags.update")]
pub async fn update_tag(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: TagBody = json_body(&bytes, "tag")?;
    let old = state.store.tag_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    let form = TagForm {
        name: b.name.as_deref().unwrap_or(&old.name),
        slug: Some(b.slug.as_deref().unwrap_or(&old.slug)),
        description: b.description.as_deref().or(old.description.as_deref()),
    };
    taxonomy::save_tag(&state, &auth.actor, Some(old.id), &form).await?;
    state.refresh_version().await;
    tag_answer(&state, old.id, StatusCode::OK).await
}

/// `DELETE /tags/{slug}`.
#[tracing::instrument(skip_all, name = "api.tags.delete")]
pub async fn delete_tag(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
) -> Result<StatusCode, ApiError> {
    need_taxonomy(&auth)?;
    let t = state.store.tag_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    state.store.delete_tag(t.id).await?;
    state.refresh_version().await;
    Ok(StatusCode::NO_CONTENT)
}
