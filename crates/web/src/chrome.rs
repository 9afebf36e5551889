//! The parts of every public page that depend only on the content version — the section nav, the latest
//! stories and the newsletters of the signup forms — built once per version (behind an async lock, so once even
//! when many requests see the new version together) instead of once per page; and the two parts that change on
//! their own (`cache::Part`), the News Feed sidebar and the Editors' Picks, each built once per content version
//! and version of its own, with its HTML rendered once per language for the cached pages it is spliced into.

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

/// What is built once for some versions and shared until they move on: the current one, and a lock held while a
/// newer one is built, so requests that arrive meanwhile wait for it instead of repeating its queries.
pub struct Built<T> {
    slot: std::sync::RwLock<Option<Arc<T>>>,
    rebuild: tokio::sync::Mutex<()>,
}

impl<T> Default for Built<T> {
    fn default() -> Self {
        Built { slot: std::sync::RwLock::new(None), rebuild: tokio::sync::Mutex::new(()) }
    }
}

impl<T> Built<T> {
    /// The one there is if `current` says it is, else one newly built (once, however many ask together).
    async fn get(
        &self,
        current: impl Fn(&T) -> bool,
        build: impl AsyncFnOnce() -> Result<T, AppError>,
    ) -> Result<Arc<T>, AppError> {
        let there = || self.slot.read().ok().and_then(|c| c.clone()).filter(|c| current(c));
        if let Some(c) = there() {
            return Ok(c);
        }
        let _rebuilding = self.rebuild.lock().await;
        if let Some(c) = there() {
            return Ok(c);
        }
        let c = Arc::new(build().await?);
        if let Ok(mut slot) = self.slot.write() {
            *slot = Some(c.clone());
        }
        Ok(c)
    }
}

/// A part's HTML by page language (the site's when `None`), rendered on first use.
#[derive(Default)]
struct ByLanguage(std::sync::Mutex<std::collections::HashMap<Option<String>, Arc<str>>>);

impl ByLanguage {
    fn get(&self, lang: Option<&str>, render: impl FnOnce() -> Result<String, AppError>) -> Result<Arc<str>, AppError> {
        let key = lang.map(str::to_owned);
        if let Some(h) = self.0.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(h);
        }
        let html: Arc<str> = Arc::from(render()?);
        if let Ok(mut m) = self.0.lock() {
            m.insert(key, html.clone());
        }
        Ok(html)
    }
}

pub async fn chrome(state: &AppState) -> Result<Arc<Chrome>, AppError> {
    let version = state.version();
    state.chrome.get(|c| c.version >= version, async || build_chrome(state, version).await).await
}

async fn build_chrome(state: &AppState, version: i64) -> Result<Chrome, AppError> {
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
    let newsletters = state.store.public_newsletters().await?;
    Ok(Chrome { version, nav, latest, newsletters, sections, authors })
}

/// The News Feed sidebar as of one content version and event sequence.
pub struct FeedSidebar {
    pub version: i64,
    /// The newest event the items are current to (where a page's live updates start).
    pub seq: i64,
    pub items: Vec<FeedItemView>,
    /// The sidebar's HTML (`partials/news_feed.html`), as pages include it.
    html: ByLanguage,
}

/// The sidebar for the node's current content version and News Feed; built once for both (like [`chrome`]).
pub async fn feed_sidebar(state: &AppState) -> Result<Arc<FeedSidebar>, AppError> {
    let (version, feed) = (state.version(), state.feed_version());
    let current = |c: &FeedSidebar| c.version >= version && c.seq >= feed;
    state
        .sidebar
        .get(current, async || {
            // The sequence is read before the items: an item posted in between is replayed to live pages, never
            // lost.
            let seq = state.store.feed_last_seq().await?;
            let items = state.store.feed_items(None, FEED_SIDEBAR).await?.iter().map(feed_item_view).collect();
            Ok(FeedSidebar { version, seq, items, html: Default::default() })
        })
        .await
}

impl FeedSidebar {
    /// The sidebar's HTML for a page in `lang` (the site's language when `None`).
    pub fn html(&self, state: &AppState, lang: Option<&str>) -> Result<Arc<str>, AppError> {
        self.html.get(lang, || {
            let ctx = newsdesk_render::minijinja::context! { feed => &self.items, feed_seq => self.seq, lang => lang };
            Ok(state.templates.render("partials/news_feed.html", ctx)?)
        })
    }
}

/// Number of stories in the Editors' Picks box.
pub const PICKS: usize = 6;

/// The Editors' Picks as of one content version (their stories' titles and sections) and picks version.
pub struct PicksBox {
    pub version: i64,
    pub picks_version: i64,
    pub picks: Vec<PostView>,
    /// The box's HTML (`partials/editors_picks.html`), as pages include it.
    html: ByLanguage,
}

/// The picks for the node's current content and picks versions; built once for both.
pub async fn picks_box(state: &AppState) -> Result<Arc<PicksBox>, AppError> {
    let (version, picks_version) = (state.version(), state.picks_version());
    let current = |c: &PicksBox| c.version >= version && c.picks_version >= picks_version;
    state
        .picks
        .get(current, async || {
            // The version is read before the picks, so a change in between makes this box stale, never lost.
            let picks_version = state.store.versions().await?.picks.max(picks_version);
            let picks = state.store.editors_picks().await?;
            let picks = picks.iter().take(PICKS).map(newsdesk_services::views::post_view).collect();
            Ok(PicksBox { version, picks_version, picks, html: Default::default() })
        })
        .await
}

impl PicksBox {
    /// The box's HTML for a page in `lang` (the site's language when `None`).
    pub fn html(&self, state: &AppState, lang: Option<&str>) -> Result<Arc<str>, AppError> {
        self.html.get(lang, || {
            let ctx = newsdesk_render::minijinja::context! { picks => &self.picks, lang => lang };
            Ok(state.templates.render("partials/editors_picks.html", ctx)?)
        })
    }
}
