//! The News Feed for readers: `/news-feed/` (with "More news" paging), its RSS and JSON feeds, and
//! `/news-feed/events`, the server-sent event stream that pushes new, edited and retracted items to open pages.
//!
//! Live updates come from the `feed_events` table: a reconnecting browser sends Last-Event-ID and gets every change
//! it missed, and an item posted on any node reaches readers on every node. Each node loads a change once, into its
//! [`FeedHub`], and all its open streams send it from there; a node learns of changes from PostgreSQL's `NOTIFY` at
//! once, and by polling (`crate::state::AppState::spawn_feed_watch`) on SQLite and as a safety net.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use newsdesk_render::minijinja::context;
use newsdesk_render::views::FeedItemView;
use serde::Deserialize;

use super::syndication::{Format, doc_for};
use super::{Cached, cached, not_found, serve, serve_document};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_render::feeds::FeedEntry;
use newsdesk_services::views::feed_item_view;

/// Items per `/news-feed/` page and per feed document.
pub const PAGE: i64 = 25;

#[derive(Deserialize)]
pub struct PageQuery {
    before: Option<String>,
}

pub async fn page(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let before = match q.before.as_deref() {
        None => None,
        Some(b) => match b.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => return not_found(&state, &staff, &headers).await,
        },
    };
    let key = match before {
        Some(b) => format!("/news-feed/?before={b}"),
        None => "/news-feed/".to_owned(),
    };
    let claim = match cached(&state, &staff, &headers, &key).await {
        Cached::Hit(r) => return Ok(r),
        Cached::Miss(claim) => claim,
    };
    let items = state.store.feed_items(before, PAGE + 1).await?;
    if before.is_some() && items.is_empty() {
        return not_found(&state, &staff, &headers).await;
    }
    let more = (items.len() as i64 > PAGE).then(|| format!("/news-feed/?before={}", items[PAGE as usize - 1].id));
    let items: Vec<FeedItemView> = items.iter().take(PAGE as usize).map(feed_item_view).collect();
    let url = format!("{}/news-feed/", state.site.url);
    let live = newsdesk_render::jsonld::live_blog(
        &format!("{} – News Feed", state.site.title),
        &url,
        &items,
        &state.site.url,
        &super::iso_in(&state),
    );
    let jsonld = vec![
        newsdesk_render::jsonld::script_json(&live),
        super::breadcrumbs(&state, &[("News Feed", "/news-feed/".to_owned())]),
    ];
    let feed_links = super::feed_links("/news-feed/", &format!("{} – News Feed", state.site.title));
    serve(&state, &staff, &headers, &key, claim, || async move {
        Ok((StatusCode::OK, "news_feed.html", serde_json::json!({ "items": items, "more": more, "jsonld": jsonld, "feed_links": feed_links, "page_title": "News Feed" })))
    })
    .await
}

fn summary_text(item: &FeedItemView) -> String {
    match (&item.retracted_at, &item.retraction_note) {
        (Some(_), Some(note)) => format!("[Retracted: {note}] {}", item.summary),
        (Some(_), None) => format!("[Retracted] {}", item.summary),
        _ => item.summary.clone(),
    }
}

/// The News Feed as a syndication document (RSS, Atom or JSON Feed), newest items first.
async fn document(state: &AppState, headers: &HeaderMap, format: Format) -> Result<Response, AppError> {
    let key = format!(
        "/news-feed/{}",
        match format {
            Format::Rss => "rss/",
            Format::Atom => "atom/",
            Format::Json => "feed.json",
        }
    );
    let content_type = match format {
        Format::Rss => "application/rss+xml; charset=utf-8",
        Format::Atom => "application/atom+xml; charset=utf-8",
        Format::Json => "application/feed+json; charset=utf-8",
    };
    serve_document(state, headers, &key, content_type, || async {
        let site = &state.site;
        let items = state.store.feed_items(None, PAGE).await?;
        let entries = items
            .iter()
            .map(|f| {
                let v = feed_item_view(f);
                let url = match &v.link {
                    Some(l) if l.starts_with('/') => format!("{}{l}", site.url),
                    Some(l) => l.clone(),
                    None => format!("{}/news-feed/#feed-{}", site.url, v.id),
                };
                FeedEntry {
                    id: format!("{}/news-feed/#feed-{}", site.url, v.id),
                    url,
                    title: v.headline.clone(),
                    summary: Some(summary_text(&v)),
                    content_html: None,
                    published: v.published_at,
                    updated: v.updated_at,
                    authors: v.author_name.iter().cloned().collect(),
                    categories: v.tag_name.iter().cloned().collect(),
                    enclosures: Vec::new(),
                }
            })
            .collect();
        let doc = doc_for(
            state,
            "/news-feed/",
            format!("{} – News Feed", site.title),
            format!("Short updates from {}, newest first.", site.title),
            entries,
        );
        Ok(format.render(&doc))
    })
    .await
}

pub async fn rss(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    document(&state, &headers, Format::Rss).await
}

pub async fn atom(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    document(&state, &headers, Format::Atom).await
}

pub async fn json_feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    document(&state, &headers, Format::Json).await
}

#[derive(Deserialize)]
pub struct EventsQuery {
    after: Option<i64>,
}

struct Live {
    state: AppState,
    last: i64,
    signal: tokio::sync::watch::Receiver<i64>,
    closing: tokio::sync::watch::Receiver<bool>,
    pending: std::collections::VecDeque<Event>,
    _open: OpenStream,
}

/// Counts an open stream for `/metrics` while it lives.
struct OpenStream(AppState);

impl OpenStream {
    fn new(state: &AppState) -> OpenStream {
        state.metrics.sse_connections.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        OpenStream(state.clone())
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.metrics.sse_connections.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `GET /news-feed/events`: one `feed-item` event per change, `id` = its sequence number. Starts after
/// Last-Event-ID (a reconnect), else after `?after=` (the sequence the page was rendered at), else now.
pub async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<EventsQuery>,
) -> Result<Response, AppError> {
    let last_event_id =
        headers.get("last-event-id").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<i64>().ok());
    let last = match last_event_id.or(q.after) {
        Some(seq) => seq.max(0),
        None => state.store.feed_last_seq().await?,
    };
    let live = Live {
        signal: state.feed_signal.subscribe(),
        closing: state.closing.subscribe(),
        _open: OpenStream::new(&state),
        state,
        last,
        pending: Default::default(),
    };
    let stream = stream::unfold(live, next_event);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)).text("keep-alive"))
        .into_response())
}

async fn next_event(mut live: Live) -> Option<(Result<Event, Infallible>, Live)> {
    loop {
        if let Some(ev) = live.pending.pop_front() {
            return Some((Ok(ev), live));
        }
        if *live.closing.borrow() {
            return None;
        }
        // Anything signalled from now on wakes the wait below, so nothing committed meanwhile is missed.
        live.signal.borrow_and_update();
        // From the node's hub when it holds everything after `last` (no query); else (a reconnect from long ago)
        // from the database.
        let batch = match live.state.feed_hub.since(live.last) {
            Some(batch) => Ok(Loaded { read_to: batch.last().map(|(s, _)| *s), events: batch, full: false }),
            None => load_events(&live.state, live.last).await,
        };
        match batch {
            Ok(loaded) if loaded.read_to.is_some() => {
                for (seq, data) in loaded.events {
                    live.pending.push_back(Event::default().id(seq.to_string()).event("feed-item").data(&*data));
                }
                // Past events whose item is gone too, so they are not read again.
                live.last = loaded.read_to.unwrap_or(live.last).max(live.last);
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = format!("{e:#}"), "news feed stream: cannot read events");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        }
        tokio::select! {
            changed = live.signal.changed() => if changed.is_err() { return None },
            _ = live.closing.changed() => return None,
        }
    }
}

/// An event as a stream sends it: its sequence and its data (the item's JSON, with its HTML as the page shows it).
pub type FeedEvent = (i64, std::sync::Arc<str>);

/// A read of the event log: the events to send, and how far it read (events whose item is gone are skipped).
struct Loaded {
    events: Vec<FeedEvent>,
    /// The last sequence read, sent or skipped; `None`: nothing new.
    read_to: Option<i64>,
    /// Whether the read was a whole batch (there may be more).
    full: bool,
}

/// Events after `seq` (up to 100) with the current state of their items, rendered as the page renders them.
async fn load_events(state: &AppState, seq: i64) -> anyhow::Result<Loaded> {
    let events = state.store.feed_events_after(seq, 100).await?;
    let (read_to, full) = (events.last().map(|e| e.seq), events.len() >= 100);
    let mut ids: Vec<i64> = events.iter().map(|e| e.item_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let items = state.store.feed_items_by_ids(&ids).await?;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let Some(item) = items.iter().find(|i| i.id == e.item_id) else { continue };
        let view = feed_item_view(item);
        let html = state.templates.render("partials/feed_item.html", context! { item => view })?;
        let data = serde_json::json!({ "id": item.id, "kind": e.kind, "html": html, "item": view });
        out.push((e.seq, std::sync::Arc::from(data.to_string())));
    }
    Ok(Loaded { events: out, read_to, full })
}

/// The node's recent News Feed events, loaded and rendered once for all its open streams: a change costs a node
/// one query however many readers have the page open.
#[derive(Default)]
pub struct FeedHub {
    state: std::sync::RwLock<Hub>,
    /// Held while loading, so concurrent notices load once.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Hub {
    /// Whether `loaded` has been read from the database yet.
    ready: bool,
    /// `recent` holds every event after this one.
    from: i64,
    /// The newest event loaded.
    loaded: i64,
    recent: std::collections::VecDeque<FeedEvent>,
}

/// Events the hub keeps: a stream that fell further behind reads the database.
const HUB_KEEP: usize = 512;

impl FeedHub {
    /// The events after `last`, when the hub holds all of them.
    pub fn since(&self, last: i64) -> Option<Vec<FeedEvent>> {
        let hub = self.state.read().ok()?;
        (hub.ready && last >= hub.from)
            .then(|| hub.recent.iter().filter(|(seq, _)| *seq > last).map(|(s, d)| (*s, d.clone())).collect())
    }

    /// Loads what is new since the last load (the first time, only where the feed stands) and returns the newest
    /// sequence the hub holds.
    pub async fn refresh(&self, state: &AppState) -> anyhow::Result<i64> {
        let _one = self.loading.lock().await;
        let (ready, loaded) = self.state.read().map(|h| (h.ready, h.loaded)).unwrap_or_default();
        if !ready {
            let last = state.store.feed_last_seq().await?;
            if let Ok(mut hub) = self.state.write() {
                *hub = Hub { ready: true, from: last, loaded: last, recent: Default::default() };
            }
            return Ok(last);
        }
        let mut newest = loaded;
        loop {
            let Loaded { events, read_to, full } = load_events(state, newest).await?;
            let Some(last) = read_to else { break };
            newest = last;
            if let Ok(mut hub) = self.state.write() {
                hub.recent.extend(events);
                hub.loaded = newest;
                while hub.recent.len() > HUB_KEEP {
                    if let Some((seq, _)) = hub.recent.pop_front() {
                        hub.from = seq;
                    }
                }
            }
            if !full {
                break;
            }
        }
        Ok(newest)
    }
}
