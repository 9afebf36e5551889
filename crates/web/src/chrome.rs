//! The parts of every public page that depend only on the content version — the section nav, the latest
//! stories, Editors' Picks and the newsletters of the signup forms — built once per version (behind an async lock,
//! so once even when many requests see the new version together) instead of once per page; and the News Feed
//! sidebar, built once per content version and News Feed event, with its HTML rendered once per language for the
//! cached pages it is spliced into (`cache`).

use std::sync::Arc;

use newsdesk_render::views::{FeedItemView, PostView, TagView};
use newsdesk_services::views::feed_item_view;

use crate::error::AppError;
use crate::state::AppState;

/// Parts of every page that depend only on the content version (the section nav, the latest stories), built once
/// per version instead of once per page.
pub struct Chrome {
    pub version: i64,
    pub nav: Vec<TagView>,
    pub latest: Vec<PostView>,
    pub picks: Vec<PostView>,
    pub newsletters: Vec<newsdesk_store::newsletters::Newsletter>,
    /// Every public tag with stories, by name (the search page's section filter).
    pub sections: Vec<TagView>,
    /// Every author and desk (the search page's byline filter).
    pub authors: Vec<newsdesk_store::authors::Author>,
}

/// Number of News Feed items in sidebars.
pub const FEED_SIDEBAR: i64 = 8;

/// Number of stories in the "Latest" lists.
pub const LATEST: i64 = 6;

pub async fn chrome(state: &AppState) -> Result<Arc<Chrome>, AppError> {
    let version = state.version();
    let current = || state.chrome.read().ok().and_then(|c| c.clone()).filter(|c| c.version >= version);
    if let Some(c) = current() {
        return Ok(c);
    }
    // One rebuild per version: requests that arrive meanwhile wait for it instead of repeating its queries.
    let _rebuilding = state.chrome_rebuild.lock().await;
    if let Some(c) = current() {
        return Ok(c);
    }
    let mut tags = state.store.tags_with_counts().await?;
    tags.retain(|t| t.post_count > 0 && !t.is_internal());
    tags.sort_by(|a, b| b.post_count.cmp(&a.post_count).then_with(|| a.name.cmp(&b.name)));
    let view = |t: &newsdesk_store::tags::TagWithCount| TagView {
        id: t.id,
        name: t.name.clone(),
        slug: t.slug.clone(),
        url: format!("/tag/{}/", t.slug),
    };
    let nav = tags.iter().take(6).map(view).collect();
    let mut sections: Vec<TagView> = tags.iter().map(view).collect();
    sections.sort_by(|a, b| a.name.cmp(&b.name));
    let authors = state.store.authors().await?;
    let published = newsdesk_store::posts::PostFilter {
        kind: Some("post".into()),
        status: Some("published".into()),
        ..Default::default()
    };
    let latest =
        state.store.top_posts(&published, LATEST).await?.iter().map(newsdesk_services::views::post_view).collect();
    let picks = state.store.editors_picks().await?.iter().take(6).map(newsdesk_services::views::post_view).collect();
    let newsletters = state.store.public_newsletters().await?;
    let c = Arc::new(Chrome { version, nav, latest, picks, newsletters, sections, authors });
    if let Ok(mut slot) = state.chrome.write() {
        *slot = Some(c.clone());
    }
    Ok(c)
}

/// The News Feed sidebar as of one content version and event sequence.
pub struct FeedSidebar {
    pub version: i64,
    /// The newest event the items are current to (where a page's live updates start).
    pub seq: i64,
    pub items: Vec<FeedItemView>,
    /// The sidebar's HTML (`partials/news_feed.html`) by page language, rendered on first use.
    html: std::sync::Mutex<std::collections::HashMap<Option<String>, Arc<str>>>,
}

/// The sidebar for the node's current content version and News Feed; built once for both (like [`chrome`]).
pub async fn feed_sidebar(state: &AppState) -> Result<Arc<FeedSidebar>, AppError> {
    let (version, feed) = (state.version(), state.feed_version());
    let current =
        || state.sidebar.read().ok().and_then(|c| c.clone()).filter(|c| c.version >= version && c.seq >= feed);
    if let Some(c) = current() {
        return Ok(c);
    }
    let _rebuilding = state.sidebar_rebuild.lock().await;
    if let Some(c) = current() {
        return Ok(c);
    }
    // The sequence is read before the items: an item posted in between is replayed to live pages, never lost.
    let seq = state.store.feed_last_seq().await?;
    let items = state.store.feed_items(None, FEED_SIDEBAR).await?.iter().map(feed_item_view).collect();
    let c = Arc::new(FeedSidebar { version, seq, items, html: Default::default() });
    if let Ok(mut slot) = state.sidebar.write() {
        *slot = Some(c.clone());
    }
    Ok(c)
}

impl FeedSidebar {
    /// The sidebar's HTML for a page in `lang` (the site's language when `None`), as pages include it.
    pub fn html(&self, state: &AppState, lang: Option<&str>) -> Result<Arc<str>, AppError> {
        let key = lang.map(str::to_owned);
        if let Some(h) = self.html.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(h);
        }
        let ctx = newsdesk_render::minijinja::context! { feed => &self.items, feed_seq => self.seq, lang => lang };
        let html: Arc<str> = Arc::from(state.templates.render("partials/news_feed.html", ctx)?);
        if let Ok(mut m) = self.html.lock() {
            m.insert(key, html.clone());
        }
        Ok(html)
    }
}
