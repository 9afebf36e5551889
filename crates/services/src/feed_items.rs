//! News Feed items: the one path by which the admin's forms and the JSON API check an item before it is stored —
//! the text (headline, one-paragraph summary, link), the article it points to, its tag and byline.

use newsdesk_domain::feed::FeedText;
use newsdesk_store::feed::FeedItemInput;

use crate::{Context, FieldErrors, ServiceError};

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

/// Checks a feed item's fields; shared by the admin and the API. `article` is a post slug or id. A refusal is
/// `ServiceError::Invalid` with the messages per field and the code of the first problem — the domain's own
/// (`headline_empty`, `summary_too_long` …) or `article_unknown`, `tag_unknown`, `author_unknown`.
pub async fn parse_item(
    state: &Context,
    headline: &str,
    summary: &str,
    url: Option<&str>,
    article: Option<&str>,
    tag: Option<&str>,
    author_id: Option<i64>,
) -> Result<ItemForm, ServiceError> {
    let mut errors = FieldErrors::new();
    let mut code: Option<&'static str> = None;
    let text = match FeedText::parse(headline, summary, url) {
        Ok(t) => Some(t),
        Err(errs) => {
            for e in errs {
                code.get_or_insert(e.code);
                errors.entry(e.field).or_insert(e.message);
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
                code.get_or_insert("article_unknown");
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
                    code.get_or_insert("tag_unknown");
                    errors.insert("tag", format!("There is no tag \"{t}\"."));
                }
            },
        }
    }
    if let Some(a) = author_id
        && state.store.author(a).await?.is_none()
    {
        code.get_or_insert("author_unknown");
        errors.insert("author", "That author does not exist.".into());
    }
    match (text, code) {
        (Some(t), None) => {
            Ok(ItemForm { headline: t.headline, summary: t.summary, url: t.url, post_id, tag_id, author_id })
        }
        (_, code) => Err(ServiceError::Invalid { errors, code: code.unwrap_or("invalid") }),
    }
}

/// A News Feed item's fields as typed (a form) or sent (the API).
pub struct ItemFields<'a> {
    pub headline: &'a str,
    pub summary: &'a str,
    pub url: Option<&'a str>,
    /// A post slug or id.
    pub article: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub author_id: Option<i64>,
}

async fn parse(state: &Context, f: &ItemFields<'_>) -> Result<ItemForm, ServiceError> {
    parse_item(state, f.headline, f.summary, f.url, f.article, f.tag, f.author_id).await
}

/// Whether `actor` may change or retract an item: editors, or whoever posted it.
async fn may_change(state: &Context, actor: &crate::Actor, id: i64) -> Result<(), ServiceError> {
    state.store.feed_item(id).await?.ok_or(ServiceError::NotFound)?;
    let created_by = state.store.feed_item_creator(id).await?;
    if actor.role.can_edit_others() || (actor.user_id.is_some() && created_by == actor.user_id) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("Only editors, or whoever posted it, can change this item.".into()))
    }
}

/// A store conflict on an item is a retracted item: it cannot change any more.
fn retracted(e: newsdesk_store::StoreError) -> ServiceError {
    match e {
        newsdesk_store::StoreError::Conflict { field, message } => ServiceError::invalid(field, "retracted", message),
        other => other.into(),
    }
}

/// Posts an item to the News Feed (those who can publish). Returns its id.
pub async fn post_item(state: &Context, actor: &crate::Actor, f: &ItemFields<'_>) -> Result<i64, ServiceError> {
    if !actor.role.can_publish() {
        return Err(ServiceError::Forbidden(format!(
            "Your role ({}) cannot post to the News Feed.",
            actor.role.as_str()
        )));
    }
    let item = parse(state, f).await?;
    let id = state.store.create_feed_item(&item.input(), actor.user_id).await?;
    tracing::info!(feed_item.id = id, user.id = actor.user_id, "news feed item posted");
    Ok(id)
}

/// Changes an item's text or links.
pub async fn edit_item(state: &Context, actor: &crate::Actor, id: i64, f: &ItemFields<'_>) -> Result<(), ServiceError> {
    may_change(state, actor, id).await?;
    let item = parse(state, f).await?;
    state.store.update_feed_item(id, &item.input()).await.map_err(retracted)?;
    tracing::info!(feed_item.id = id, user.id = actor.user_id, "news feed item edited");
    Ok(())
}

/// Retracts an item with a note readers see; the item stays, marked, with the note.
pub async fn retract_item(state: &Context, actor: &crate::Actor, id: i64, note: &str) -> Result<(), ServiceError> {
    may_change(state, actor, id).await?;
    let note = note.trim();
    if note.is_empty() {
        let message = "Say briefly why the item is retracted; readers will see it.";
        return Err(ServiceError::invalid("note", "note_invalid", message));
    }
    if note.chars().count() > 500 {
        return Err(ServiceError::invalid("note", "note_invalid", "Keep the note under 500 characters."));
    }
    state.store.retract_feed_item(id, note).await.map_err(retracted)?;
    tracing::info!(feed_item.id = id, user.id = actor.user_id, "news feed item retracted");
    Ok(())
}
