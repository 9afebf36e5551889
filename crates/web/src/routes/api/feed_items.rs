//! `/api/v1/feed-items`: read the News Feed (public); post, edit and retract items (token, author and above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::ApiFeedItem;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiAuth, ApiPath, ApiQuery};
use crate::error::ApiError;
use crate::state::AppState;
use newsdesk_services::feed_items::{self, ItemFields};

use newsdesk_services::api_views::feed_item as item_json;

/// After a change: pages and live streams learn of it, and the caller gets the item as it now is.
async fn changed(state: &AppState, id: i64, status: StatusCode) -> Result<Response, ApiError> {
    state.refresh_version().await;
    state.notify_feed().await;
    let item = state.store.feed_item(id).await?.ok_or_else(|| ApiError::not_found("feed item"))?;
    Ok((status, Json(FeedItemAnswer { feed_item: item_json(state, &item) })).into_response())
}

/// One News Feed item.
#[derive(Serialize, ToSchema)]
pub struct FeedItemAnswer {
    feed_item: ApiFeedItem,
}

/// Items, newest first.
#[derive(Serialize, ToSchema)]
pub struct FeedItemList {
    feed_items: Vec<ApiFeedItem>,
    meta: FeedMeta,
}

/// Where the next page starts.
#[derive(Serialize, ToSchema)]
pub struct FeedMeta {
    /// Send as `before` for the next page; null on the last one.
    next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Items older than this id.
    before: Option<i64>,
    /// 1 to 100; 25 when absent.
    limit: Option<i64>,
}

/// The News Feed, newest first (public).
#[utoipa::path(get, path = "/feed-items", tag = "feed", params(ListQuery), security((), ("token" = [])),
    responses((status = 200, description = "Items", body = FeedItemList)))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<FeedItemList>, ApiError> {
    let limit = q.limit.unwrap_or(25).clamp(1, 100);
    let items = state.store.feed_items(q.before, limit).await?;
    let next = (items.len() as i64 == limit).then(|| items.last().map(|i| i.id)).flatten();
    Ok(Json(FeedItemList {
        feed_items: items.iter().map(|i| item_json(&state, i)).collect(),
        meta: FeedMeta { next_before: next },
    }))
}

/// One item (public).
#[utoipa::path(get, path = "/feed-items/{id}", tag = "feed", security((), ("token" = [])),
    params(("id" = i64, Path, description = "The item's id")),
    responses((status = 200, description = "The item", body = FeedItemAnswer)))]
pub async fn show(State(state): State<AppState>, ApiPath(id): ApiPath<i64>) -> Result<Json<FeedItemAnswer>, ApiError> {
    let item = state.store.feed_item(id).await?.ok_or_else(|| ApiError::not_found("feed item"))?;
    Ok(Json(FeedItemAnswer { feed_item: item_json(&state, &item) }))
}

/// A News Feed item's fields; on a change, absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    /// Up to 200 characters.
    headline: Option<String>,
    /// One paragraph, up to 1,000 characters.
    summary: Option<String>,
    /// A link elsewhere (http or https).
    url: Option<String>,
    /// Slug or id of one of our published articles.
    article: Option<String>,
    /// A tag's slug.
    tag: Option<String>,
    /// An author's name or slug.
    author: Option<String>,
}

fn parse_body(bytes: &Bytes) -> Result<ItemBody, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("The request body is not valid feed item JSON: {e}"),
        )
    })
}

async fn author_id(state: &AppState, author: Option<&str>) -> Result<Option<i64>, ApiError> {
    match author.map(str::trim).filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(a) => match state.store.author_by_slug_or_name(a).await? {
            Some(x) => Ok(Some(x.id)),
            None => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "author_unknown",
                format!("author: there is no author \"{a}\"."),
            )),
        },
    }
}

/// Posts an item; open pages show it at once (authors and above).
#[utoipa::path(post, path = "/feed-items", tag = "feed", request_body = ItemBody, security(("token" = [])),
    responses((status = 201, description = "Posted", body = FeedItemAnswer), (status = 422, description = "A field is not valid")))]
#[tracing::instrument(skip_all, name = "api.feed_items.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b = parse_body(&bytes)?;
    let author = author_id(&state, b.author.as_deref()).await?;
    let fields = ItemFields {
        headline: b.headline.as_deref().unwrap_or(""),
        summary: b.summary.as_deref().unwrap_or(""),
        url: b.url.as_deref(),
        article: b.article.as_deref(),
        tag: b.tag.as_deref(),
        author_id: author,
    };
    let id = feed_items::post_item(&state, &auth.actor, &fields).await?;
    changed(&state, id, StatusCode::CREATED).await
}

/// Edits an item (editors); absent fields keep their value.
#[utoipa::path(patch, path = "/feed-items/{id}", tag = "feed", request_body = ItemBody, security(("token" = [])),
    params(("id" = i64, Path, description = "The item's id")),
    responses((status = 200, description = "Changed", body = FeedItemAnswer), (status = 409, description = "`retracted`")))]
#[tracing::instrument(skip_all, name = "api.feed_items.update", fields(feed_items.id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b = parse_body(&bytes)?;
    let old = state.store.feed_item(id).await?.ok_or_else(|| ApiError::not_found("feed item"))?;
    let author = match b.author.as_deref() {
        Some(a) => author_id(&state, Some(a)).await?,
        None => old.author_id,
    };
    let fields = ItemFields {
        headline: b.headline.as_deref().unwrap_or(&old.headline),
        summary: b.summary.as_deref().unwrap_or(&old.summary),
        url: b.url.as_deref().or(old.url.as_deref()),
        article: b.article.as_deref().or(old.post_slug.as_deref()),
        tag: b.tag.as_deref().or(old.tag_slug.as_deref()),
        author_id: author,
    };
    feed_items::edit_item(&state, &auth.actor, id, &fields).await?;
    changed(&state, id, StatusCode::OK).await
}

/// Why the item is retracted.
#[derive(Deserialize, ToSchema)]
pub struct RetractBody {
    /// 1 to 500 characters, shown with the item.
    note: String,
}

/// Retracts an item (editors): it stays, marked retracted with the note.
#[utoipa::path(post, path = "/feed-items/{id}/retract", tag = "feed", request_body = RetractBody, security(("token" = [])),
    params(("id" = i64, Path, description = "The item's id")),
    responses((status = 200, description = "Retracted", body = FeedItemAnswer), (status = 422, description = "`note_invalid`")))]
#[tracing::instrument(skip_all, name = "api.feed_items.retract", fields(feed_items.id = id))]
pub async fn retract(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: RetractBody = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("Send {{\"note\": \"…\"}}: {e}"))
    })?;
    feed_items::retract_item(&state, &auth.actor, id, &b.note).await?;
    changed(&state, id, StatusCode::OK).await
}
