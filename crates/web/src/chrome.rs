//! The parts of every public page that depend only on the content version — the section nav, the latest
//! stories, the News Feed sidebar, Editors' Picks and the newsletters of the signup forms — built once per version
//! (behind an async lock, so once even when many requests see the new version together) instead of once per page.

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
    pub feed: Vec<FeedItemView>,
    pub feed_seq: i64,
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
    // The sequence is read before the items: an item posted in between is replayed to live pages, never lost.
    let feed_seq = state.store.feed_last_seq().await?;
    let feed = state.store.feed_items(None, FEED_SIDEBAR).await?.iter().map(feed_item_view).collect();
    let picks = state.store.editors_picks().await?.iter().take(6).map(newsdesk_services::views::post_view).collect();
    let newsletters = state.store.public_newsletters().await?;
    let c = Arc::new(Chrome { version, nav, latest, feed, feed_seq, picks, newsletters, sections, authors });
    if let Ok(mut slot) = state.chrome.write() {
        *slot = Some(c.clone());
    }
    Ok(c)
}
