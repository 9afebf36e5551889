//! The News Feed desk: a quick form to post an item in seconds, the list of recent items, edit and retract.
//! Authors and above post; editors, or the person who posted, edit and retract.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::feed::FeedText;
use newsdesk_store::StoreError;
use newsdesk_store::feed::{FeedItem, FeedItemInput};

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use crate::views::feed_item_view;

/// Parsed form: the text, the optional article link (by slug or id), tag and author.
pub struct ItemForm {
    pub headline: String,
    pub summary: String,
    pub url: Option<String>,
    pub post_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
}

impl ItemForm {
    pub fn input(&self) -> FeedItemInput<'_> {
        FeedItemInput {
            headline: &self.headline,
            summary: &self.summary,
            url: self.url.as_deref(),
            post_id: self.post_id,
            tag_id: self.tag_id,
            author_id: self.author_id,
        }
    }
}

/// Checks a feed item's fields; shared by the admin and the API. `article` is a post slug or id.
pub async fn parse_item(
    state: &AppState,
    headline: &str,
    summary: &str,
    url: Option<&str>,
    article: Option<&str>,
    tag: Option<&str>,
    author_id: Option<i64>,
) -> Result<Result<ItemForm, FieldErrors>, AppError> {
    let mut errors = FieldErrors::new();
    let text = match FeedText::parse(headline, summary, url) {
        Ok(t) => Some(t),
        Err(errs) => {
            for e in errs {
                errors.insert(e.field, e.message);
            }
            None
        }
    };
    let mut post_id = None;
    if let Some(key) = article.map(str::trim).filter(|a| !a.is_empty()) {
        let key = key.trim_matches('/').rsplit('/').next().unwrap_or(key);
        let found = match key.parse::<i64>() {
            Ok(id) => state.store.post(id).await?,
            Err(_) => state.store.post_by_slug(key).await?,
        };
        match found.filter(|p| p.row.status == "published") {
            Some(p) => post_id = Some(p.row.id),
            None => {
                errors.insert("article", format!("There is no published article \"{key}\"."));
            }
        }
    }
    let mut tag_id = None;
    if let Some(t) = tag.map(str::trim).filter(|t| !t.is_empty()) {
        match t.parse::<i64>() {
            Ok(id) if state.store.tag(id).await?.is_some() => tag_id = Some(id),
            _ => match state.store.tag_by_slug(t).await? {
                Some(tag) => tag_id = Some(tag.id),
                None => {
                    errors.insert("tag", format!("There is no tag \"{t}\"."));
                }
            },
        }
    }
    if let Some(a) = author_id
        && state.store.author(a).await?.is_none()
    {
        errors.insert("author", "That author does not exist.".into());
    }
    Ok(match (text, errors.is_empty()) {
        (Some(t), true) => {
            Ok(ItemForm { headline: t.headline, summary: t.summary, url: t.url, post_id, tag_id, author_id })
        }
        _ => Err(errors),
    })
}

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

pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_publish(), "post to the News Feed")?;
    let parsed = parse_item(
        &state,
        form.str("headline"),
        form.str("summary"),
        form.get("url"),
        form.get("article"),
        form.get("tag"),
        author_of(&form),
    )
    .await?;
    match parsed {
        Ok(item) => {
            let id = state.store.create_feed_item(&item.input(), Some(staff.user.id)).await?;
            state.refresh_version().await;
            state.notify_feed().await;
            tracing::info!(feed_item.id = id, user.id = staff.user.id, "news feed item posted");
            Ok(see_other("/admin/news-feed?done=posted"))
        }
        Err(errors) => {
            let d =
                list_data(&state, serde_json::json!({ "values": form_values(&form), "errors": errors_json(&errors) }))
                    .await?;
            invalid(&state, &staff, "admin/news_feed.html", "news-feed", d)
        }
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

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let item = editable(&state, &staff, id).await?;
    let parsed = parse_item(
        &state,
        form.str("headline"),
        form.str("summary"),
        form.get("url"),
        form.get("article"),
        form.get("tag"),
        author_of(&form),
    )
    .await?;
    let errors = match parsed {
        Ok(parsed) => match state.store.update_feed_item(id, &parsed.input()).await {
            Ok(()) => {
                state.refresh_version().await;
                state.notify_feed().await;
                return Ok(see_other("/admin/news-feed?done=saved"));
            }
            Err(StoreError::Conflict { field, message }) => FieldErrors::from([(field, message)]),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    edit_page(&state, &staff, &item, form_values(&form), errors, false).await
}

pub async fn retract(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let item = editable(&state, &staff, id).await?;
    let note = form.str("note").trim();
    let mut errors = FieldErrors::new();
    if note.is_empty() {
        errors.insert("note", "Say briefly why the item is retracted; readers will see it.".into());
    } else if note.chars().count() > 500 {
        errors.insert("note", "Keep the note under 500 characters.".into());
    }
    if errors.is_empty() {
        match state.store.retract_feed_item(id, note).await {
            Ok(()) => {
                state.refresh_version().await;
                state.notify_feed().await;
                tracing::info!(feed_item.id = id, user.id = staff.user.id, "news feed item retracted");
                return Ok(see_other("/admin/news-feed?done=retracted"));
            }
            Err(StoreError::Conflict { field, message }) => {
                errors.insert(field, message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    edit_page(&state, &staff, &item, edit_values(&item), errors, false).await
}
