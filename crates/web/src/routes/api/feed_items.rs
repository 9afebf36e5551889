//! `/api/v1/feed-items`: read the News Feed (public); post, edit and retract items (token, author and above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

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
    Ok((status, Json(serde_json::json!({ "feed_item": item_json(state, &item) }))).into_response())
}

#[derive(Deserialize)]
pub struct ListQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = q.limit.unwrap_or(25).clamp(1, 100);
    let items = state.store.feed_items(q.before, limit).await?;
    let next = (items.len() as i64 == limit).then(|| items.last().map(|i| i.id)).flatten();
    Ok(Json(serde_json::json!({
        "feed_items": items.iter().map(|i| item_json(&state, i)).collect::<Vec<_>>(),
        "meta": { "next_before": next },
    })))
}

pub async fn show(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let item = state.store.feed_item(id).await?.ok_or_else(|| ApiError::not_found("feed item"))?;
    Ok(Json(serde_json::json!({ "feed_item": item_json(&state, &item) })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemBody {
    headline: Option<String>,
    summary: Option<String>,
    url: Option<String>,
    /// Slug or id of one of our published articles.
    article: Option<String>,
    tag: Option<String>,
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

/// Absent fields keep their values.
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

#[derive(Deserialize)]
pub struct RetractBody {
    note: String,
}

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
