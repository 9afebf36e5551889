//! `/api/v1/authors` and `/api/v1/tags`: public reads; creating, changing and deleting them (token with the
//! `taxonomy` scope, editors and above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{self, ApiAuthorProfile, ApiTagInfo};
use newsdesk_services::taxonomy::{self, AuthorForm, TagForm};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// Every author and desk.
#[derive(Serialize, ToSchema)]
pub struct AuthorList {
    authors: Vec<ApiAuthorProfile>,
}

/// One author or desk.
#[derive(Serialize, ToSchema)]
pub struct AuthorAnswer {
    author: ApiAuthorProfile,
}

/// Every tag, with its count of published stories.
#[derive(Serialize, ToSchema)]
pub struct TagList {
    tags: Vec<ApiTagInfo>,
}

/// One tag.
#[derive(Serialize, ToSchema)]
pub struct TagAnswer {
    tag: ApiTagInfo,
}

/// Every author and desk (public).
#[utoipa::path(get, path = "/authors", tag = "authors", security((), ("token" = [])),
    responses((status = 200, description = "Authors and desks", body = AuthorList)))]
pub async fn authors(State(state): State<AppState>) -> Result<Json<AuthorList>, ApiError> {
    let authors = state.store.authors().await?;
    let ids: Vec<i64> = authors.iter().filter_map(|a| a.image_id).collect();
    let photos: std::collections::HashMap<i64, _> =
        state.store.media_many(&ids).await?.into_iter().map(|m| (m.id, m)).collect();
    let authors =
        authors.iter().map(|a| api_views::author(&state, a, a.image_id.and_then(|i| photos.get(&i)))).collect();
    Ok(Json(AuthorList { authors }))
}

async fn author_answer(state: &AppState, a: &newsdesk_store::authors::Author) -> Result<AuthorAnswer, ApiError> {
    let photo = match a.image_id {
        Some(id) => state.store.media(id).await?,
        None => None,
    };
    Ok(AuthorAnswer { author: api_views::author(state, a, photo.as_ref()) })
}

/// One author or desk (public).
#[utoipa::path(get, path = "/authors/{slug}", tag = "authors", security((), ("token" = [])),
    params(("slug" = String, Path, description = "The author's slug")),
    responses((status = 200, description = "The author", body = AuthorAnswer)))]
pub async fn author(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> Result<Json<AuthorAnswer>, ApiError> {
    let a = state.store.author_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("author"))?;
    Ok(Json(author_answer(&state, &a).await?))
}

/// Every tag, internal ones too, with its count of published stories (public).
#[utoipa::path(get, path = "/tags", tag = "tags", security((), ("token" = [])),
    responses((status = 200, description = "Tags", body = TagList)))]
pub async fn tags(State(state): State<AppState>) -> Result<Json<TagList>, ApiError> {
    let tags = state.store.tags_with_counts().await?.iter().map(|t| api_views::tag_counted(&state, t)).collect();
    Ok(Json(TagList { tags }))
}

/// One tag (public).
#[utoipa::path(get, path = "/tags/{slug}", tag = "tags", security((), ("token" = [])),
    params(("slug" = String, Path, description = "The tag's slug")),
    responses((status = 200, description = "The tag", body = TagAnswer)))]
pub async fn tag(State(state): State<AppState>, ApiPath(slug): ApiPath<String>) -> Result<Json<TagAnswer>, ApiError> {
    let t = state.store.tag_by_slug(&slug).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    Ok(Json(TagAnswer { tag: api_views::tag(&state, &t) }))
}

pub(super) fn need_taxonomy(auth: &ApiAuth) -> Result<(), ApiError> {
    if auth.actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("A token with the role {} cannot do this.", auth.actor.role.as_str())))
    }
}

/// An author's or desk's fields; on a change, absent fields keep their value.
#[derive(Deserialize, ToSchema)]
pub struct AuthorBody {
    name: Option<String>,
    /// Made from the name when absent.
    slug: Option<String>,
    /// "person" (the default) or "desk".
    kind: Option<String>,
    bio: Option<String>,
}

async fn author_changed(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let a = state.store.author(id).await?.ok_or_else(|| ApiError::not_found("author"))?;
    Ok((status, Json(author_answer(state, &a).await?)).into_response())
}

/// A new author or desk (editors).
#[utoipa::path(post, path = "/authors", tag = "authors", request_body = AuthorBody, security(("token" = [])),
    responses((status = 201, description = "Made", body = AuthorAnswer), (status = 409, description = "`slug_taken`"),
        (status = 422, description = "`name_empty`, `author_kind_invalid`…")))]
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
    author_changed(&state, id, StatusCode::CREATED).await
}

/// Changes an author or desk (editors); absent fields keep their value.
#[utoipa::path(patch, path = "/authors/{slug}", tag = "authors", request_body = AuthorBody, security(("token" = [])),
    params(("slug" = String, Path, description = "The author's slug")),
    responses((status = 200, description = "Changed", body = AuthorAnswer)))]
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
    author_changed(&state, old.id, StatusCode::OK).await
}

/// Deletes an author or desk (editors); their stories keep their other bylines.
#[utoipa::path(delete, path = "/authors/{slug}", tag = "authors", security(("token" = [])),
    params(("slug" = String, Path, description = "The author's slug")),
    responses((status = 204, description = "Deleted")))]
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

/// A tag's fields; on a change, absent fields keep their value.
#[derive(Deserialize, ToSchema)]
pub struct TagBody {
    /// A name that starts with `#` makes an internal tag.
    name: Option<String>,
    /// Made from the name when absent.
    slug: Option<String>,
    description: Option<String>,
}

async fn tag_answer(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    let t = state.store.tag(id).await?.ok_or_else(|| ApiError::not_found("tag"))?;
    Ok((status, Json(TagAnswer { tag: api_views::tag(state, &t) })).into_response())
}

/// A new tag (editors).
#[utoipa::path(post, path = "/tags", tag = "tags", request_body = TagBody, security(("token" = [])),
    responses((status = 201, description = "Made", body = TagAnswer), (status = 409, description = "`slug_taken`")))]
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

/// Changes a tag (editors); absent fields keep their value.
#[utoipa::path(patch, path = "/tags/{slug}", tag = "tags", request_body = TagBody, security(("token" = [])),
    params(("slug" = String, Path, description = "The tag's slug")),
    responses((status = 200, description = "Changed", body = TagAnswer)))]
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

/// Deletes a tag (editors); stories lose it.
#[utoipa::path(delete, path = "/tags/{slug}", tag = "tags", security(("token" = [])),
    params(("slug" = String, Path, description = "The tag's slug")),
    responses((status = 204, description = "Deleted")))]
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
