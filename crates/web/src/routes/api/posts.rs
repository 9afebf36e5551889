//! `/api/v1/posts`: list and read (public for published posts), create, update, publish, delete (token).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_domain::PostStatus;
use newsdesk_services::api_views::{ApiPost, PageMeta};
use newsdesk_store::posts::{Post, PostFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiAuth, ApiPath, ApiQuery, MaybeApiAuth};
use crate::error::ApiError;
use crate::state::AppState;
use newsdesk_services::posts::{self as content, Action, PostDraft, SaveError};

pub use newsdesk_services::api_views::post as post_json;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// From 1.
    page: Option<i64>,
    /// 1 to 100; 15 when absent.
    limit: Option<i64>,
    /// Only stories with this tag (its slug).
    tag: Option<String>,
    /// Only stories bylined to this author or desk (its slug).
    author: Option<String>,
}

/// One post.
#[derive(Serialize, ToSchema)]
pub struct PostAnswer {
    post: ApiPost,
}

/// A page of posts.
#[derive(Serialize, ToSchema)]
pub struct PostList {
    posts: Vec<ApiPost>,
    meta: PageMeta,
}

/// Published stories, newest first (public).
#[utoipa::path(get, path = "/posts", tag = "posts", params(ListQuery),
    security((), ("token" = [])),
    responses((status = 200, description = "A page of published stories", body = PostList)))]
pub async fn list(
    State(state): State<AppState>,
    auth: MaybeApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<PostList>, ApiError> {
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
    let posts = page.items.iter().map(|p| post_json(&state, p, auth.0.is_some())).collect();
    Ok(Json(PostList { posts, meta: PageMeta::new(page.page, limit, page.total) }))
}

async fn find(state: &AppState, key: &str) -> Result<Option<Post>, ApiError> {
    Ok(match key.parse::<i64>() {
        Ok(id) => state.store.post(id).await?,
        Err(_) => state.store.post_by_slug(key).await?,
    })
}

/// One post by id or slug. Published posts are public; a token holder also reads drafts and scheduled posts.
#[utoipa::path(get, path = "/posts/{key}", tag = "posts",
    params(("key" = String, Path, description = "The post's id or slug")),
    security((), ("token" = [])),
    responses((status = 200, description = "The post", body = PostAnswer), (status = 404, description = "No such post (or not published, without a token)")))]
pub async fn show(
    State(state): State<AppState>,
    auth: MaybeApiAuth,
    ApiPath(key): ApiPath<String>,
) -> Result<Json<PostAnswer>, ApiError> {
    let post = find(&state, &key).await?.filter(|p| p.row.status == "published" || auth.0.is_some());
    let post = post.ok_or_else(|| ApiError::not_found("post"))?;
    Ok(Json(PostAnswer { post: post_json(&state, &post, auth.0.is_some()) }))
}

/// A byline entry: a name or slug, or `{ "name": …, "kind": "desk" }`.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum AuthorRef {
    Name(String),
    Object { name: String },
}

/// A post's fields. On a change, absent fields keep their value.
#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    /// "post" (the default) or "page".
    #[serde(rename = "type")]
    kind: Option<String>,
    title: Option<String>,
    /// Made from the title when absent.
    slug: Option<String>,
    /// The dek.
    excerpt: Option<String>,
    /// The body in Markdown (alias `markdown`).
    #[serde(alias = "markdown")]
    body: Option<String>,
    /// The body in the document model (docs/document.md); wins over `body` when both are given.
    #[schema(value_type = Option<Object>)]
    document: Option<serde_json::Value>,
    /// Names or slugs of existing authors and desks, in byline order.
    authors: Option<Vec<AuthorRef>>,
    /// Tag names, in order (the first public one is the kicker); new ones are created.
    tags: Option<Vec<String>>,
    /// "draft" (the default), "scheduled" or "published".
    status: Option<String>,
    /// RFC 3339.
    published_at: Option<String>,
    /// A media id from `POST /media`, or null to remove.
    #[schema(value_type = Option<i64>)]
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
    /// BCP 47: the site's language (or "") or one of `[site] languages`; kept when absent.
    language: Option<String>,
    /// Slug or id of a post this one is a translation of (in another language); "" takes it out of its
    /// translations.
    translation_of: Option<String>,
    /// Who may read it whole: "public", "members", "paid", or paid tier slugs separated by commas; kept when
    /// absent.
    visibility: Option<String>,
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
        language: body.language,
        translation_of: body.translation_of,
        visibility: body.visibility,
    };
    Ok((draft, action))
}

async fn respond(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    state.refresh_version().await;
    let post = state.store.post(id).await?.ok_or_else(|| ApiError::not_found("post"))?;
    Ok((status, Json(PostAnswer { post: post_json(state, &post, true) })).into_response())
}

/// A new post or page; `status` is `draft` unless given.
#[utoipa::path(post, path = "/posts", tag = "posts", request_body = PostBody, security(("token" = [])),
    responses((status = 201, description = "Made", body = PostAnswer),
        (status = 409, description = "`slug_taken`"), (status = 422, description = "A field is not valid")))]
#[tracing::instrument(skip_all, name = "api.posts.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let body = parse_body(&bytes)?;
    let (draft, action) = draft_of(&state, body, None).await?;
    let id =
        content::save_post(&state.store, &state.site, &auth.actor, None, draft, action).await.map_err(save_error)?;
    tracing::info!(post.id = id, token.name = %auth.token_name, "post created through the API");
    respond(&state, id, StatusCode::CREATED).await
}

/// Changes a post: absent fields keep their value. Send `revision` to be refused (409) when it changed since.
#[utoipa::path(patch, path = "/posts/{key}", tag = "posts", request_body = PostBody, security(("token" = [])),
    params(("key" = i64, Path, description = "The post's id")),
    responses((status = 200, description = "Changed", body = PostAnswer),
        (status = 409, description = "`revision_conflict` or `slug_taken`"), (status = 422, description = "A field is not valid")))]
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
    content::save_post(&state.store, &state.site, &auth.actor, Some(&existing), draft, action)
        .await
        .map_err(save_error)?;
    respond(&state, id, StatusCode::OK).await
}

/// `PUT` is `PATCH`: absent fields keep their value.
#[utoipa::path(put, path = "/posts/{key}", tag = "posts", request_body = PostBody, security(("token" = [])),
    params(("key" = i64, Path, description = "The post's id")),
    responses((status = 200, description = "Changed", body = PostAnswer)))]
pub async fn replace(
    state: State<AppState>,
    auth: ApiAuth,
    id: ApiPath<i64>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    update(state, auth, id, bytes).await
}

/// Publishes a post now.
#[utoipa::path(post, path = "/posts/{key}/publish", tag = "posts", security(("token" = [])),
    params(("key" = i64, Path, description = "The post's id")),
    responses((status = 200, description = "Published", body = PostAnswer)))]
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
        &state.site,
        &auth.actor,
        Some(&existing),
        draft,
        Action::Status(PostStatus::Published),
    )
    .await
    .map_err(save_error)?;
    respond(&state, id, StatusCode::OK).await
}

/// Deletes a post (editors; authors their own drafts).
#[utoipa::path(delete, path = "/posts/{key}", tag = "posts", security(("token" = [])),
    params(("key" = i64, Path, description = "The post's id")),
    responses((status = 204, description = "Deleted")))]
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
