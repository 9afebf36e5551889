//! `/api/v1/posts`: list and read (public for published posts), create, update, publish, delete (token).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_domain::PostStatus;
use newsdesk_store::posts::{Post, PostFilter};
use serde::Deserialize;

use super::{ApiAuth, ApiPath, ApiQuery, MaybeApiAuth};
use crate::error::ApiError;
use crate::state::AppState;
use newsdesk_services::posts::{self as content, Action, PostDraft, SaveError};

pub use newsdesk_services::api_views::post as post_json;

#[derive(Deserialize)]
pub struct ListQuery {
    page: Option<i64>,
    limit: Option<i64>,
    tag: Option<String>,
    author: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = q.limit.unwrap_or(15).clamp(1, 100);
    let mut filter = PostFilter { kind: Some("post".into()), status: Some("published".into()), ..Default::default() };
    if let Some(slug) = q.tag.as_deref() {
        filter.tag_id = Some(state.store.tag_by_slug(slug).await?.ok_or_else(|| ApiError::not_found("tag"))?.id);
    }
    if let Some(slug) = q.author.as_deref() {
        filter.author_id =
            Some(state.store.author_by_slug(slug).await?.ok_or_else(|| ApiError::not_found("author"))?.id);
    }
    let page = state.store.list_posts(&filter, q.page.unwrap_or(1).max(1), limit).await?;
    let posts: Vec<_> = page.items.iter().map(|p| post_json(&state, p)).collect();
    Ok(Json(serde_json::json!({
        "posts": posts,
        "meta": { "page": page.page, "limit": limit, "pages": page.pages(), "total": page.total },
    })))
}

async fn find(state: &AppState, key: &str) -> Result<Option<Post>, ApiError> {
    Ok(match key.parse::<i64>() {
        Ok(id) => state.store.post(id).await?,
        Err(_) => state.store.post_by_slug(key).await?,
    })
}

/// Published posts are public; a token holder also reads drafts and scheduled posts.
pub async fn show(
    State(state): State<AppState>,
    auth: MaybeApiAuth,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let post = find(&state, &key).await?.filter(|p| p.row.status == "published" || auth.0.is_some());
    let post = post.ok_or_else(|| ApiError::not_found("post"))?;
    Ok(Json(serde_json::json!({ "post": post_json(&state, &post) })))
}

/// A byline entry: a name or slug, or `{ "name": …, "kind": "desk" }`.
#[derive(Deserialize)]
#[serde(untagged)]
pub enum AuthorRef {
    Name(String),
    Object { name: String },
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    slug: Option<String>,
    excerpt: Option<String>,
    #[serde(alias = "markdown")]
    body: Option<String>,
    /// The body in the document model; wins over `markdown` when both are given.
    document: Option<serde_json::Value>,
    authors: Option<Vec<AuthorRef>>,
    tags: Option<Vec<String>>,
    status: Option<String>,
    published_at: Option<String>,
    /// A media id from `POST /api/v1/media`, or null to remove.
    feature_image: Option<serde_json::Value>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    feature_image_credit: Option<String>,
    /// The revision this change is based on; refused with 409 when the post changed since.
    revision: Option<i64>,
    /// Slug or id of a post to promote under this one; "" clears it.
    related: Option<String>,
    /// "" clears it.
    meta_title: Option<String>,
    /// "" clears it.
    meta_description: Option<String>,
}

fn parse_body(bytes: &Bytes) -> Result<PostBody, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The request body is not valid post JSON: {e}"))
    })
}

fn save_error(e: SaveError) -> ApiError {
    match e {
        SaveError::Invalid(errs, code) => {
            let status = if code == "revision_conflict" || code == "slug_taken" {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let message = errs.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join(" ");
            ApiError::new(status, code, message)
        }
        SaveError::Forbidden(m) => ApiError::forbidden(m),
        SaveError::NotFound => ApiError::not_found("post"),
        SaveError::Internal(e) => ApiError::from(e),
    }
}

/// Merges a body onto an existing post (absent fields keep their value) into a draft and an action.
async fn draft_of(state: &AppState, body: PostBody, existing: Option<&Post>) -> Result<(PostDraft, Action), ApiError> {
    let r = existing.map(|p| &p.row);
    let feature_image_id = match body.feature_image {
        None => r.and_then(|r| r.feature_image_id),
        Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::Number(n)) => {
            let id = n.as_i64().unwrap_or(-1);
            state.store.media(id).await?.ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "image_unknown",
                    format!("feature_image: there is no media with id {id}."),
                )
            })?;
            Some(id)
        }
        Some(_) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "image_invalid",
                "feature_image must be a media id from POST /api/v1/media, or null.",
            ));
        }
    };
    let action = match body.status.as_deref() {
        None => Action::Save,
        Some(s) => Action::Status(PostStatus::parse("status", s)?),
    };
    let draft = PostDraft {
        kind: body.kind.or_else(|| r.map(|r| r.kind.clone())),
        title: body.title.or_else(|| r.map(|r| r.title.clone())).unwrap_or_default(),
        slug: body.slug.or_else(|| r.map(|r| r.slug.clone())),
        excerpt: body.excerpt.or_else(|| r.and_then(|r| r.excerpt.clone())),
        document: match (&body.document, &body.body) {
            (Some(d), _) => Some(d.to_string()),
            (None, Some(_)) => None,
            // Neither: the body stays as it is.
            (None, None) => r.map(|r| r.body_doc.clone()).filter(|d| !d.is_empty()),
        },
        body: body.body.or_else(|| r.map(|r| r.body_md.clone())).unwrap_or_default(),
        authors: match body.authors {
            Some(list) => list
                .into_iter()
                .map(|a| match a {
                    AuthorRef::Name(n) | AuthorRef::Object { name: n } => n,
                })
                .collect(),
            None => existing.map(|p| p.authors.iter().map(|a| a.id.to_string()).collect()).unwrap_or_default(),
        },
        tags: body
            .tags
            .unwrap_or_else(|| existing.map(|p| p.tags.iter().map(|t| t.name.clone()).collect()).unwrap_or_default()),
        publish_at: body.published_at,
        feature_image_id,
        feature_image_alt: body.feature_image_alt.or_else(|| r.and_then(|r| r.feature_image_alt.clone())),
        feature_image_caption: body.feature_image_caption.or_else(|| r.and_then(|r| r.feature_image_caption.clone())),
        feature_image_credit: body.feature_image_credit.or_else(|| r.and_then(|r| r.feature_image_credit.clone())),
        revision: body.revision,
        related: body.related,
        meta_title: body.meta_title,
        meta_description: body.meta_description,
    };
    Ok((draft, action))
}

async fn respond(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    state.refresh_version().await;
    let post = state.store.post(id).await?.ok_or_else(|| ApiError::not_found("post"))?;
    Ok((status, Json(serde_json::json!({ "post": post_json(state, &post) }))).into_response())
}

#[tracing::instrument(skip_all, name = "api.posts.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&bytes)?;
    let (draft, action) = draft_of(&state, body, None).await?;
    let id = content::save_post(&state.store, state.site.timezone.tz(), &auth.actor, None, draft, action)
        .await
        .map_err(save_error)?;
    tracing::info!(post.id = id, token.name = %auth.token_name, "post created through the API");
    respond(&state, id, StatusCode::CREATED).await
}

#[tracing::instrument(skip_all, name = "api.posts.update", fields(posts.id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let body = parse_body(&bytes)?;
    let existing = state.store.post(id).await?.ok_or_else(|| ApiError::not_found("post"))?;
    let (draft, action) = draft_of(&state, body, Some(&existing)).await?;
    content::save_post(&state.store, state.site.timezone.tz(), &auth.actor, Some(&existing), draft, action)
        .await
        .map_err(save_error)?;
    respond(&state, id, StatusCode::OK).await
}

#[tracing::instrument(skip_all, name = "api.posts.publish", fields(posts.id = id))]
pub async fn publish(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let existing = state.store.post(id).await?.ok_or_else(|| ApiError::not_found("post"))?;
    let (draft, _) = draft_of(&state, PostBody::default(), Some(&existing)).await?;
    content::save_post(
        &state.store,
        state.site.timezone.tz(),
        &auth.actor,
        Some(&existing),
        draft,
        Action::Status(PostStatus::Published),
    )
    .await
    .map_err(save_error)?;
    respond(&state, id, StatusCode::OK).await
}

#[tracing::instrument(skip_all, name = "api.posts.delete", fields(posts.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Response, ApiError> {
    let existing = state.store.post(id).await?.ok_or_else(|| ApiError::not_found("post"))?;
    let own_draft = auth.actor.role.can_publish() && existing.row.status == "draft";
    if !(auth.actor.role.can_edit_others() || own_draft) {
        return Err(ApiError::forbidden(format!(
            "A token with the role {} cannot delete this post.",
            auth.actor.role.as_str()
        )));
    }
    content::delete_post(&state.store, id).await?;
    state.refresh_version().await;
    tracing::info!(post.id = id, token.name = %auth.token_name, "post deleted through the API");
    Ok(StatusCode::NO_CONTENT.into_response())
}
