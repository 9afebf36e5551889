//! Shared state of the web server: one per process, cloned into every request.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use newsdesk_domain::SiteSettings;
use newsdesk_services::Context;
use newsdesk_store::Store;

use crate::cache::PageCache;
use crate::rate_limit::RateLimiter;

/// Settings from the configuration that pages need (defined with the use cases that render them).
pub type WebOptions = newsdesk_services::Options;

#[derive(Clone)]
pub struct AppState(pub Arc<StateInner>);

pub struct StateInner {
    /// The store, templates, site settings and file locations every use case works with.
    pub ctx: Context,
    /// Rendered public pages for anonymous readers, valid for one content version.
    pub cache: PageCache,
    /// Attempts per client for public POSTs (sign-in, setup).
    pub limiter: RateLimiter,
    /// The News Feed's recent events, loaded once for all this node's live streams.
    pub feed_hub: crate::routes::public::feed::FeedHub,
    /// The proxies whose `X-Forwarded-For` names the client (`client_ip`).
    pub trusted_proxies: crate::client_ip::TrustedProxies,
    /// Requests, streams and such counted in memory for `/metrics`.
    pub metrics: crate::metrics::Metrics,
    /// The content version this node last saw; pages rendered under an older one are stale.
    pub content_version: AtomicI64,
    /// The newest News Feed event this node knows of; a page showing an older News Feed gets the current one spliced
    /// in (see `cache`), a page listing the feed is stale.
    pub feed_version: AtomicI64,
    /// The Editors' Picks' version this node last saw; a page showing older picks gets the current ones spliced in.
    pub picks_version: AtomicI64,
    /// Whether cookies get the `Secure` flag (the site is served over https).
    pub secure_cookies: bool,
    /// The newest News Feed event sequence this node knows of; live streams wait on it.
    pub feed_signal: tokio::sync::watch::Sender<i64>,
    /// Turns true when the server is shutting down, so long-lived streams end and shutdown can finish.
    pub closing: tokio::sync::watch::Sender<bool>,
    /// Nav and latest stories for the current content version (see `chrome`).
    pub chrome: crate::chrome::Built<crate::chrome::Chrome>,
    /// The News Feed sidebar for the current content version and News Feed (see `chrome::feed_sidebar`).
    pub sidebar: crate::chrome::Built<crate::chrome::FeedSidebar>,
    /// The Editors' Picks for the current content and picks versions (see `chrome::picks_box`).
    pub picks: crate::chrome::Built<crate::chrome::PicksBox>,
    /// Content API keys this node found valid lately (hash → when checked); see `routes::ghost`.
    pub content_keys: std::sync::Mutex<std::collections::HashMap<String, std::time::Instant>>,
}

impl std::ops::Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl std::ops::Deref for StateInner {
    type Target = Context;
    fn deref(&self) -> &Context {
        &self.ctx
    }
}

impl AppState {
    pub fn new(store: Store, site: SiteSettings, data_dir: PathBuf, options: WebOptions) -> anyhow::Result<AppState> {
        let secure_cookies = site.url.starts_with("https://");
        let limiter = RateLimiter::for_store(&store);
        let cache = PageCache::new(options.page_cache_mb << 20);
        // Checked at start-up (`Application::build`); an entry that cannot be read trusts nothing here.
        let trusted_proxies = crate::client_ip::TrustedProxies::parse(&options.trusted_proxies).unwrap_or_default();
        let ctx = Context::new(store, site, &data_dir, options)?;
        Ok(AppState(Arc::new(StateInner {
            ctx,
            cache,
            limiter,
            metrics: Default::default(),
            feed_hub: Default::default(),
            trusted_proxies,
            content_version: AtomicI64::new(0),
            feed_version: AtomicI64::new(0),
            picks_version: AtomicI64::new(0),
            secure_cookies,
            chrome: Default::default(),
            sidebar: Default::default(),
            picks: Default::default(),
            content_keys: Default::default(),
            feed_signal: tokio::sync::watch::Sender::new(0),
            closing: tokio::sync::watch::Sender::new(false),
        })))
    }

    pub fn version(&self) -> i64 {
        self.content_version.load(Ordering::Acquire)
    }

    pub fn feed_version(&self) -> i64 {
        self.feed_version.load(Ordering::Acquire)
    }

    pub fn picks_version(&self) -> i64 {
        self.picks_version.load(Ordering::Acquire)
    }

    /// What this node's cached pages must be current to.
    pub fn versions(&self) -> newsdesk_store::site::Versions {
        newsdesk_store::site::Versions {
            content: self.version(),
            feed: self.feed_version(),
            picks: self.picks_version(),
        }
    }

    /// Re-reads the content version from the database (after a local write, and periodically for other nodes'
    /// and workers' writes).
    pub async fn refresh_version(&self) {
        match self.store.versions().await {
            Ok(v) => {
                // Pages of the old version are now stale: each is re-rendered by its next request (see `cache`).
                self.content_version.fetch_max(v.content, Ordering::AcqRel);
                self.feed_version.fetch_max(v.feed, Ordering::AcqRel);
                self.picks_version.fetch_max(v.picks, Ordering::AcqRel);
            }
            Err(e) => tracing::warn!(error = %e, "cannot read content version"),
        }
    }

    /// Keeps the content version fresh: changes made by other nodes or by workers (scheduled publishing) reach this
    /// node's cache within `every`.
    pub fn spawn_version_watch(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                state.refresh_version().await;
            }
        })
    }

    /// Loads News Feed changes into this node's hub and wakes its live streams (after a local write, a notice or
    /// a poll).
    pub async fn notify_feed(&self) {
        match self.feed_hub.refresh(self).await {
            Ok(seq) => {
                self.feed_version.fetch_max(seq, Ordering::AcqRel);
                self.feed_signal.send_if_modified(|v| {
                    let newer = seq > *v;
                    if newer {
                        *v = seq;
                    }
                    newer
                });
            }
            Err(e) => tracing::warn!(error = format!("{e:#}"), "cannot read the news feed's events"),
        }
    }

    /// On PostgreSQL, one connection per node listens for changes committed anywhere (`store::notify`) and applies
    /// them at once: the content version, and the News Feed for open streams. It reconnects by itself; after a
    /// reconnect (notices may have been missed) it re-reads both. Nothing on SQLite, where the polls do it.
    pub fn spawn_notice_listener(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            loop {
                let mut listener = match state.store.listener().await {
                    Ok(Some(l)) => l,
                    Ok(None) => return,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot listen for changes; polling meanwhile, retrying in 2 s");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        continue;
                    }
                };
                tracing::debug!("listening for changes (LISTEN/NOTIFY)");
                state.refresh_version().await;
                state.notify_feed().await;
                loop {
                    match listener.next().await {
                        Ok(newsdesk_store::notify::Notice::Content) => state.refresh_version().await,
                        Ok(newsdesk_store::notify::Notice::Feed) => state.notify_feed().await,
                        Ok(newsdesk_store::notify::Notice::Reconnected) => {
                            state.refresh_version().await;
                            state.notify_feed().await;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "the change listener lost its connection; reconnecting");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            break;
                        }
                    }
                }
            }
        })
    }

    /// Watches for News Feed changes made anywhere (other nodes, the API, the CLI) while streams are open.
    pub fn spawn_feed_watch(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if state.feed_signal.receiver_count() > 0 {
                    state.notify_feed().await;
                }
            }
        })
    }
}
