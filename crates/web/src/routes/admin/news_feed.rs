//! The News Feed desk: a quick form to post an item in seconds, the list of recent items, edit and retract.
//! Authors and above post; editors, or the person who posted, edit and retract.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_store::feed::FeedItem;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_services::ServiceError;
use newsdesk_services::feed_items::{self, ItemFields};
use newsdesk_services::views::feed_item_view;

async fn list_data(state: &AppState, extra: serde_json::Value) -> Result<serde_json::Value, AppError> {
    let items: Vec<_> = state.store.feed_items(None, 50).await?.iter().map(feed_item_view).collect();
    let mut d = serde_json::json!({
        "items": items,
        "tags": state.store.tags_with_counts().await?,
        "authors": state.store.authors().await?,
        "values": {},
    });
    if let (Some(d), Some(extra)) = (d.as_object_mut(), extra.as_object()) {
        d.extend(extra.clone());
    }
    Ok(d)
}

fn author_of(form: &FormData) -> Option<i64> {
    form.get("author").and_then(|a| a.parse().ok())
}

/// The quick form's and the edit form's fields.
fn fields(form: &FormData) -> ItemFields<'_> {
    ItemFields {
        headline: form.str("headline"),
        summary: form.str("summary"),
        url: form.get("url"),
        article: form.get("article"),
        tag: form.get("tag"),
        author_id: author_of(form),
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_publish(), "post to the News Feed")?;
    let d = list_data(&state, serde_json::json!({ "values": { "author": staff.user.author_id } })).await?;
    page(&state, &staff, "admin/news_feed.html", "news-feed", flash_text(q.done.as_deref()), d)
}

fn form_values(form: &FormData) -> serde_json::Value {
    serde_json::json!({ "headline": form.str("headline"), "summary": form.str("summary"), "url": form.str("url"),
        "article": form.str("article"), "tag": form.str("tag"), "author": author_of(form) })
}

#[tracing::instrument(skip_all, name = "admin.news_feed.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    match feed_items::post_item(&state, &staff.actor(), &fields(&form)).await {
        Ok(_) => {
            state.refresh_version().await;
            state.notify_feed().await;
            Ok(see_other("/admin/news-feed?done=posted"))
        }
        Err(ServiceError::Invalid { errors, .. }) => {
            let d =
                list_data(&state, serde_json::json!({ "values": form_values(&form), "errors": errors_json(&errors) }))
                    .await?;
            invalid(&state, &staff, "admin/news_feed.html", "news-feed", d)
        }
        Err(e) => Err(e.into()),
    }
}

async fn editable(state: &AppState, staff: &Staff, id: i64) -> Result<FeedItem, AppError> {
    let item = state.store.feed_item(id).await?.ok_or(AppError::NotFound)?;
    let created_by = state.store.feed_item_creator(id).await?;
    if !(staff.role.can_edit_others() || created_by == Some(staff.user.id)) {
        return Err(AppError::Forbidden("Only editors, or whoever posted it, can change this item.".into()));
    }
    Ok(item)
}

fn edit_values(item: &FeedItem) -> serde_json::Value {
    serde_json::json!({ "headline": item.headline, "summary": item.summary, "url": item.url,
        "article": item.post_slug, "tag": item.tag_slug, "author": item.author_id })
}

async fn edit_page(
    state: &AppState,
    staff: &Staff,
    item: &FeedItem,
    values: serde_json::Value,
    errors: FieldErrors,
    ok: bool,
) -> Result<Response, AppError> {
    let d = serde_json::json!({
        "item": feed_item_view(item),
        "values": values,
        "tags": state.store.tags_with_counts().await?,
        "authors": state.store.authors().await?,
        "errors": errors_json(&errors),
    });
    if ok {
        page(state, staff, "admin/feed_item.html", "news-feed", None, d)
    } else {
        invalid(state, staff, "admin/feed_item.html", "news-feed", d)
    }
}

pub async fn edit_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let item = editable(&state, &staff, id).await?;
    edit_page(&state, &staff, &item, edit_values(&item), FieldErrors::new(), true).await
}

#[tracing::instrument(skip_all, name = "admin.news_feed.update", fields(news_feed.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    // The use case checks the item and the rights; the item is loaded only to show the form again.
    let errors = match feed_items::edit_item(&state, &staff.actor(), id, &fields(&form)).await {
        Ok(()) => {
            state.refresh_version().await;
            state.notify_feed().await;
            return Ok(see_other("/admin/news-feed?done=saved"));
        }
        Err(ServiceError::Invalid { errors, .. }) => errors,
        Err(e) => return Err(e.into()),
    };
    let item = editable(&state, &staff, id).await?;
    edit_page(&state, &staff, &item, form_values(&form), errors, false).await
}

#[tracing::instrument(skip_all, name = "admin.news_feed.retract", fields(news_feed.id = id))]
pub async fn retract(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let errors = match feed_items::retract_item(&state, &staff.actor(), id, form.str("note")).await {
        Ok(()) => {
            state.refresh_version().await;
            state.notify_feed().await;
            return Ok(see_other("/admin/news-feed?done=retracted"));
        }
        Err(ServiceError::Invalid { errors, .. }) => errors,
        Err(e) => return Err(e.into()),
    };
    let item = editable(&state, &staff, id).await?;
    edit_page(&state, &staff, &item, edit_values(&item), errors, false).await
}
