//! The newsroom's own records over the API: authors and desks, tags (create, change, delete; `taxonomy` scope,
//! editors and above), corrections on published stories (`posts` scope), and the home page's slots and Editors'
//! Picks (`taxonomy` scope).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::taxonomy::{self, AuthorForm, TagForm};
use newsdesk_services::{curation, posts};
use serde::Deserialize;

use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

fn need_taxonomy(auth: &ApiAuth) -> Result<(), ApiError> {
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

#[derive(Deserialize)]
struct CorrectionBody {
    /// "correction" (the default) or "update".
    kind: Option<String>,
    body: String,
}

/// `POST /posts/{id or slug}/corrections` `{"kind": "correction"|"update", "body"}`: appended to the story's log.
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
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "correction": { "id": c.id, "post_id": id, "kind": c.kind, "body": c.body, "created_at": super::rfc3339(Some(c.created_at)) } })),
    )
        .into_response())
}

/// `GET /curation`: the home page's slots and the Editors' Picks, in order.
pub async fn curation_state(State(state): State<AppState>, auth: ApiAuth) -> Result<Json<serde_json::Value>, ApiError> {
    need_taxonomy(&auth)?;
    let slots: serde_json::Map<String, serde_json::Value> =
        state.store.home_slots().await?.into_iter().map(|(slot, id)| (slot, id.into())).collect();
    let picks: Vec<serde_json::Value> = state
        .store
        .editors_picks()
        .await?
        .iter()
        .map(|p| serde_json::json!({ "id": p.row.id, "slug": p.row.slug, "title": p.row.title }))
        .collect();
    Ok(Json(serde_json::json!({ "home": slots, "picks": picks })))
}

#[derive(Deserialize)]
struct PickBody {
    /// Id, slug or URL of a published story.
    post: String,
}

/// `POST /curation/picks` `{"post"}`: adds a story to the end of the Editors' Picks.
#[tracing::instrument(skip_all, name = "api.curation.add_pick")]
pub async fn add_pick(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: PickBody = json_body(&bytes, "pick")?;
    curation::add_pick(&state, &auth.actor, &b.post).await?;
    state.refresh_version().await;
    Ok(curation_state(State(state), auth).await?.into_response())
}

/// `DELETE /curation/picks/{post_id}`.
#[tracing::instrument(skip_all, name = "api.curation.remove_pick")]
pub async fn remove_pick(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    curation::remove_pick(&state, &auth.actor, id).await?;
    state.refresh_version().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /curation/home` `{"lead": 12, "top_1": null, …}`: the slots given are set (a post id) or emptied (`null`).
#[tracing::instrument(skip_all, name = "api.curation.home")]
pub async fn set_home(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: serde_json::Map<String, serde_json::Value> = json_body(&bytes, "home slots")?;
    let mut slots = Vec::new();
    for (name, v) in &b {
        let Some(slot) = newsdesk_store::curation::HOME_SLOTS.iter().find(|s| **s == name.as_str()) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "\u{201c}{name}\u{201d} is not a slot; the slots are {}",
                    newsdesk_store::curation::HOME_SLOTS.join(", ")
                ),
            ));
        };
        slots.push((*slot, v.as_i64()));
    }
    curation::set_home_slots(&state, &auth.actor, &slots).await?;
    state.refresh_version().await;
    Ok(curation_state(State(state), auth).await?.into_response())
}
