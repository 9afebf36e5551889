//! Per-node cache of rendered public pages for anonymous readers, bounded by bytes (`[server] page_cache_mb`).
//!
//! An entry is fresh for the content version it was rendered under; any publish, edit of public content or
//! unpublish bumps the version in the database. A bump does not throw pages away: a page of an older version is
//! *stale*, and the first request for it re-renders it while every other request for the same URL is served the
//! stale copy — one render per URL in flight, so a publish under load costs one render per hot page instead of a
//! stampede of them. A URL with no copy at all is rendered once too: concurrent requests wait for that render
//! (a few milliseconds) rather than repeat it. A render that ends without a page (the story was unpublished, an
//! error) drops the stale copy, so nothing withdrawn is served for longer than its re-render takes. Signed-in staff
//! never read or fill the cache (they see "Edit post" and drafts).
//!
//! Two parts of pages change on their own, far more often than anything else, and show on nearly every page: the
//! News Feed (an item a minute on a busy morning) and the Editors' Picks. Each has a version of its own (the
//! newest event's sequence; a counter the picks bump) and changing them does not bump the content version. A page
//! remembers which version of each part it shows ([`PartDep`]): where in its body the part is (between
//! `<!--nd:feed-->` and `<!--/nd:feed-->`, or `<!--nd:picks-->` and `<!--/nd:picks-->`), or that it lists the part
//! as a whole (`/news-feed/`). When a part moves on, the first request for a page showing it gets
//! [`Lookup::Splice`]: the current part (rendered once per node and language) replaces the old one in the cached
//! body — a copy and a gzip, no queries, no template — while others get the old copy meanwhile; a page listing the
//! part is re-rendered like a page of an old version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newsdesk_store::site::Versions;

const SURROGATE_KEY: axum::http::HeaderName = axum::http::HeaderName::from_static("surrogate-key");
const CACHE_TAG: axum::http::HeaderName = axum::http::HeaderName::from_static("cache-tag");

/// How long a render may hold its URL before others stop waiting for it (a render that hangs, or panicked).
const CLAIM_TTL: Duration = Duration::from_secs(10);

/// How long a request waits for another request's render of a URL that has no copy yet.
const WAIT_FOR_RENDER: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct CachedPage {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub version: i64,
    pub etag: String,
    pub body: Bytes,
    /// When this version of the page was rendered (Unix seconds), sent as Last-Modified.
    pub created_at: i64,
    /// The body gzipped once, when the page was cached (pages of a few hundred bytes are sent as they are).
    pub gzip: Option<Bytes>,
    /// The anonymous reader's version of a page that signed-in members may see differently (a story not for
    /// everyone): a member is never served this copy.
    pub personal: bool,
    /// The parts that change on their own which this page shows, and which version of each.
    pub parts: Vec<PartDep>,
    /// The page's language, which its parts are rendered in.
    pub lang: Option<String>,
}

/// A part of pages that changes on its own, with a version of its own ([`Versions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The News Feed sidebar (`partials/news_feed.html`).
    Feed,
    /// The Editors' Picks box (`partials/editors_picks.html`).
    Picks,
}

impl Part {
    pub const ALL: [Part; 2] = [Part::Feed, Part::Picks];

    /// The comments the theme puts around the part.
    fn markers(self) -> (&'static str, &'static str) {
        match self {
            Part::Feed => ("<!--nd:feed-->", "<!--/nd:feed-->"),
            Part::Picks => ("<!--nd:picks-->", "<!--/nd:picks-->"),
        }
    }

    /// The part's version in `v`.
    pub fn version(self, v: &Versions) -> i64 {
        match self {
            Part::Feed => v.feed,
            Part::Picks => v.picks,
        }
    }
}

/// How a cached page depends on one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartDep {
    pub part: Part,
    /// The version of the part it shows.
    pub version: i64,
    /// Where the part is in the body (its markers included), so a newer one can be spliced in; `None` when the
    /// page lists the part itself and must be rendered again.
    pub span: Option<(usize, usize)>,
}

/// Where `part` is in `body`: from its opening marker to the end of its closing one, when there is exactly one.
pub fn part_span(body: &str, part: Part) -> Option<(usize, usize)> {
    let (open, close) = part.markers();
    let start = body.find(open)?;
    let end = start + body[start..].find(close)? + close.len();
    (!body[end..].contains(open)).then_some((start, end))
}

impl CachedPage {
    pub fn new(status: StatusCode, version: i64, content_type: &'static str, body: Bytes) -> CachedPage {
        let etag = etag_for(&body, version);
        let gzip = (body.len() > 1024).then(|| gzip(&body, 6)).flatten();
        let created_at = jiff::Timestamp::now().as_second();
        CachedPage {
            status,
            content_type,
            version,
            etag,
            body,
            gzip,
            created_at,
            personal: false,
            parts: Vec::new(),
            lang: None,
        }
    }

    /// The parts it shows that are older than `now`.
    fn stale_parts<'p>(&'p self, now: &'p Versions) -> impl Iterator<Item = &'p PartDep> + 'p {
        self.parts.iter().filter(move |d| d.version < d.part.version(now))
    }

    /// Whether every part it shows that moved on can be spliced in.
    fn spliceable(&self, now: &Versions) -> bool {
        self.stale_parts(now).all(|d| d.span.is_some())
    }

    /// The parts to splice in to bring it up to `now`.
    pub fn parts_to_splice(&self, now: &Versions) -> Vec<Part> {
        self.stale_parts(now).map(|d| d.part).collect()
    }

    /// This page with each of `fresh` (a part, its HTML, its version) in place of the one it shows.
    pub fn with_parts(&self, fresh: &[(Part, &str, i64)]) -> Option<CachedPage> {
        let mut deps = self.parts.clone();
        deps.sort_by_key(|d| d.span.map_or(usize::MAX, |s| s.0));
        let mut body = Vec::with_capacity(self.body.len() + fresh.iter().map(|f| f.1.len()).sum::<usize>());
        let mut from = 0;
        for dep in &mut deps {
            let Some((start, end)) = dep.span else { continue };
            body.extend_from_slice(self.body.get(from..start)?);
            let at = body.len();
            match fresh.iter().find(|f| f.0 == dep.part) {
                Some((_, html, version)) => {
                    body.extend_from_slice(html.as_bytes());
                    dep.version = *version;
                }
                None => body.extend_from_slice(self.body.get(start..end)?),
            }
            dep.span = Some((at, body.len()));
            from = end;
        }
        body.extend_from_slice(self.body.get(from..)?);
        let mut page = CachedPage::new(self.status, self.version, self.content_type, Bytes::from(body));
        page.personal = self.personal;
        page.parts = deps;
        page.lang = self.lang.clone();
        Some(page)
    }

    /// Whether it is current to `now`: its content version and every part it shows.
    pub fn current(&self, now: &Versions) -> bool {
        self.version >= now.content && self.stale_parts(now).next().is_none()
    }
}

/// `body` gzipped at `level` (6 for pages, cached as they are rendered; 9 for assets, compressed once).
pub fn gzip(body: &[u8], level: u32) -> Option<Bytes> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 3), flate2::Compression::new(level));
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

/// A page's weight in the cache: what it holds in memory (both encodings, its key and some bookkeeping).
#[derive(Clone)]
struct PageBytes;

impl quick_cache::Weighter<String, Arc<CachedPage>> for PageBytes {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        (key.len() + page.body.len() + page.gzip.as_ref().map_or(0, |g| g.len()) + page.etag.len() + 256) as u64
    }
}

/// The pages, bounded by bytes: `quick_cache`'s S3-FIFO evicts what is least worth keeping (a crawler walking the
/// archive once does not push the hot pages out), in shards so readers on several cores do not contend.
type Pages = quick_cache::sync::Cache<String, Arc<CachedPage>, PageBytes>;

pub struct PageCache {
    pages: Pages,
    /// URLs being rendered now, and since when.
    rendering: Mutex<HashMap<String, Instant>>,
    /// Moves whenever a render ends, so requests waiting for another's render look again.
    renders_done: tokio::sync::watch::Sender<u64>,
    /// Lookups by result, for `/metrics`.
    hits: std::sync::atomic::AtomicU64,
    stale: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

/// What the cache holds and how its lookups went (for `/metrics`).
pub struct CacheStats {
    pub hits: u64,
    pub stale: u64,
    pub misses: u64,
    pub entries: usize,
    pub bytes: usize,
}

/// What the cache has for a URL.
pub enum Lookup<'a> {
    /// A copy of the current content version.
    Fresh(Arc<CachedPage>),
    /// A copy of an older version; another request is rendering the current one.
    Stale(Arc<CachedPage>),
    /// A copy of the current content version showing an older News Feed or Editors' Picks: the caller splices
    /// the current parts in and puts the page, holding the URL meanwhile.
    Splice(Arc<CachedPage>, RenderClaim<'a>),
    /// Nothing usable: the caller renders the page, holding the URL until it puts the page or gives up.
    Render(RenderClaim<'a>),
}

/// The right to render one URL. Dropping it without [`PageCache::put`] (the page is gone, an error) also drops the
/// stale copy, so a withdrawn page is not served on.
pub struct RenderClaim<'a> {
    cache: &'a PageCache,
    key: String,
    filled: bool,
}

impl Drop for RenderClaim<'_> {
    fn drop(&mut self) {
        if !self.filled {
            self.cache.pages.remove(&self.key);
        }
        if let Ok(mut rendering) = self.cache.rendering.lock() {
            rendering.remove(&self.key);
        }
        self.cache.renders_done.send_modify(|n| *n = n.wrapping_add(1));
    }
}

impl PageCache {
    /// A cache of up to `max_bytes` of pages.
    pub fn new(max_bytes: u64) -> PageCache {
        // The estimate only sizes the shards' tables up front (about 30 KiB a page with its gzip copy).
        let estimated = (max_bytes / 30_000).clamp(16, 1_000_000) as usize;
        PageCache {
            pages: Pages::with_weighter(estimated, max_bytes.max(1 << 20), PageBytes),
            rendering: Mutex::new(HashMap::new()),
            renders_done: tokio::sync::watch::Sender::new(0),
            hits: Default::default(),
            stale: Default::default(),
            misses: Default::default(),
        }
    }

    pub fn stats(&self) -> CacheStats {
        use std::sync::atomic::Ordering::Relaxed;
        let (entries, bytes) = (self.pages.len(), self.pages.weight() as usize);
        CacheStats {
            hits: self.hits.load(Relaxed),
            stale: self.stale.load(Relaxed),
            misses: self.misses.load(Relaxed),
            entries,
            bytes,
        }
    }

    /// The copy of a URL there is (fresh or stale), without claiming anything: for members, who are served a copy
    /// only when it is the same for everyone and otherwise get their own render, never cached.
    pub fn peek(&self, key: &str) -> Option<std::sync::Arc<CachedPage>> {
        self.pages.get(key)
    }

    /// Looks a URL up for an anonymous reader: a fresh copy; else a stale copy while someone else renders; else the
    /// claim to render it. When another request is rendering a URL that has no copy yet, waits for that render.
    pub async fn lookup(&self, key: &str, now: &Versions) -> Lookup<'_> {
        use std::sync::atomic::Ordering::Relaxed;
        let found = self.find(key, now).await;
        match &found {
            Lookup::Fresh(_) => self.hits.fetch_add(1, Relaxed),
            Lookup::Stale(_) | Lookup::Splice(..) => self.stale.fetch_add(1, Relaxed),
            Lookup::Render(_) => self.misses.fetch_add(1, Relaxed),
        };
        found
    }

    async fn find(&self, key: &str, now: &Versions) -> Lookup<'_> {
        let current = || self.pages.get(key);
        // The hot path: a fresh copy costs one shard's read lock, nothing else.
        let mut page = current();
        if let Some(p) = page.as_ref().filter(|p| p.current(now)) {
            return Lookup::Fresh(p.clone());
        }
        let deadline = tokio::time::Instant::now() + WAIT_FOR_RENDER;
        let mut done = self.renders_done.subscribe();
        loop {
            let at = Instant::now();
            let claimed_by_other = {
                let Ok(mut rendering) = self.rendering.lock() else {
                    return Lookup::Render(self.claim(key));
                };
                match rendering.get(key) {
                    Some(since) if at.duration_since(*since) < CLAIM_TTL => true,
                    _ => {
                        rendering.insert(key.to_owned(), at);
                        false
                    }
                }
            };
            if !claimed_by_other {
                let claim = RenderClaim { cache: self, key: key.to_owned(), filled: false };
                return match page {
                    Some(p) if p.version >= now.content && p.spliceable(now) => Lookup::Splice(p, claim),
                    _ => Lookup::Render(claim),
                };
            }
            if let Some(p) = page {
                return Lookup::Stale(p);
            }
            let waited = tokio::time::timeout_at(deadline, done.changed()).await;
            if !matches!(waited, Ok(Ok(()))) {
                // The other render is slow or stuck: render too rather than keep a reader waiting.
                return Lookup::Render(self.claim(key));
            }
            // A render ended (this URL's, or another's): look again.
            done.mark_unchanged();
            page = current();
            if let Some(p) = page.as_ref().filter(|p| p.current(now)) {
                return Lookup::Fresh(p.clone());
            }
        }
    }

    /// A claim on `key` whoever else holds one.
    fn claim(&self, key: &str) -> RenderClaim<'_> {
        if let Ok(mut rendering) = self.rendering.lock() {
            rendering.insert(key.to_owned(), Instant::now());
        }
        RenderClaim { cache: self, key: key.to_owned(), filled: false }
    }

    /// Stores a rendered page (ending the claim on its URL, if the caller held one).
    pub fn put(&self, key: String, page: CachedPage, claim: Option<RenderClaim<'_>>) -> Arc<CachedPage> {
        let page = Arc::new(page);
        self.pages.insert(key, page.clone());
        if let Some(mut claim) = claim {
            claim.filled = true;
        }
        page
    }

    pub fn clear(&self) {
        self.pages.clear();
    }

    pub fn len(&self) -> usize {
        self.pages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A strong ETag from the body and the content version.
pub fn etag_for(body: &[u8], version: i64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ version as u64;
    for b in body {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("\"{h:016x}\"")
}

/// Whether the client takes `coding` ("gzip", "br") by its Accept-Encoding (`q=0` refuses).
pub fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|enc| {
        let mut parts = enc.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused =
            parts.any(|p| matches!(p.trim().replace(' ', "").as_str(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
        (name.eq_ignore_ascii_case(coding) || name == "*") && !refused
    })
}

/// `body` compressed with brotli at its highest quality (done once).
pub fn brotli_best(body: &[u8]) -> Option<Bytes> {
    let mut out = Vec::with_capacity(body.len() / 4);
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 22, ..Default::default() };
    brotli::BrotliCompress(&mut std::io::Cursor::new(body), &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// The response for a cached page: 304 when the client already has it; gzipped when it accepts that.
pub fn respond(page: &CachedPage, request_headers: &HeaderMap) -> Response {
    let gz = page.gzip.as_ref().filter(|_| accepts(request_headers, "gzip"));
    // Each representation has its own strong ETag.
    let etag_text = match gz {
        Some(_) => format!("{}-gz\"", page.etag.trim_end_matches('"')),
        None => page.etag.clone(),
    };
    let etag = HeaderValue::from_str(&etag_text).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    // A story not for everyone: browsers and shared caches keep the anonymous copy but ask again each time, with
    // the reader's cookies, so a reader who just signed in or joined gets their own page, not the preview.
    let (cache_control, vary) = if page.personal {
        (HeaderValue::from_static("public, no-cache"), HeaderValue::from_static("Accept-Encoding, Cookie"))
    } else {
        (
            HeaderValue::from_static("public, max-age=60, stale-while-revalidate=300"),
            HeaderValue::from_static("Accept-Encoding"),
        )
    };
    let last_modified = jiff::Timestamp::from_second(page.created_at)
        .map(|t| t.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default();
    let last_modified = HeaderValue::from_str(&last_modified).unwrap_or_else(|_| HeaderValue::from_static(""));
    // If-None-Match wins; If-Modified-Since only counts when no ETag was sent (RFC 9110).
    let matches = match request_headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        Some(v) => v.split(',').any(|t| t.trim() == etag_text),
        None => request_headers
            .get(IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| jiff::fmt::rfc2822::parse(v).ok())
            .is_some_and(|since| since.timestamp().as_second() >= page.created_at),
    };
    if matches && page.status == StatusCode::OK {
        let headers = [(ETAG, etag), (CACHE_CONTROL, cache_control), (VARY, vary), (LAST_MODIFIED, last_modified)];
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    // The tags a CDN purges by (`worker::cdn`): Fastly reads Surrogate-Key (space-separated), Cloudflare Cache-Tag.
    // Static strings, in one order however a splice reordered `parts`: nothing is built per request.
    let shows = |part: Part| page.parts.iter().any(|d| d.part == part);
    let (surrogate, cache_tag) = match (shows(Part::Feed), shows(Part::Picks)) {
        (true, true) => ("content feed picks", "content,feed,picks"),
        (true, false) => ("content feed", "content,feed"),
        (false, true) => ("content picks", "content,picks"),
        (false, false) => ("content", "content"),
    };
    let (surrogate, cache_tag) = (HeaderValue::from_static(surrogate), HeaderValue::from_static(cache_tag));
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(page.content_type)),
        (ETAG, etag),
        (CACHE_CONTROL, cache_control),
        (VARY, vary),
        (LAST_MODIFIED, last_modified),
        (SURROGATE_KEY, surrogate),
        (CACHE_TAG, cache_tag),
    ];
    match gz {
        Some(body) => {
            (page.status, headers, [(CONTENT_ENCODING, HeaderValue::from_static("gzip"))], body.clone()).into_response()
        }
        None => (page.status, headers, page.body.clone()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The versions at content version `content` and News Feed event `feed` (no picks change).
    fn at(content: i64, feed: i64) -> Versions {
        Versions { content, feed, picks: 0 }
    }

    fn page(version: i64, body: &'static str) -> CachedPage {
        CachedPage::new(StatusCode::OK, version, "text/html; charset=utf-8", Bytes::from_static(body.as_bytes()))
    }

    /// Regression: every publish dropped every cached page at once, and each hot page was then rendered by every
    /// request that arrived before the first render finished (p99 from 32 ms to seconds at 256 connections).
    #[tokio::test]
    async fn after_a_publish_one_request_renders_and_the_others_get_the_stale_copy() {
        let cache = PageCache::new(1 << 20);
        let Lookup::Render(claim) = cache.lookup("/a/", &at(1, 0)).await else { panic!("an empty cache renders") };
        cache.put("/a/".into(), page(1, "v1"), Some(claim));
        assert!(matches!(cache.lookup("/a/", &at(1, 0)).await, Lookup::Fresh(_)));

        // Version 2: the first request renders; while it does, the rest are served version 1.
        let Lookup::Render(claim) = cache.lookup("/a/", &at(2, 0)).await else { panic!("the first request renders") };
        for _ in 0..50 {
            match cache.lookup("/a/", &at(2, 0)).await {
                Lookup::Stale(p) => assert_eq!(&p.body[..], b"v1"),
                _ => panic!("only one render per URL is in flight"),
            }
        }
        cache.put("/a/".into(), page(2, "v2"), Some(claim));
        match cache.lookup("/a/", &at(2, 0)).await {
            Lookup::Fresh(p) => assert_eq!(&p.body[..], b"v2"),
            _ => panic!("the new copy is fresh"),
        }
    }

    #[tokio::test]
    async fn concurrent_misses_wait_for_the_one_render() {
        let cache = Arc::new(PageCache::new(1 << 20));
        let Lookup::Render(claim) = cache.lookup("/b/", &at(1, 0)).await else { panic!("first") };
        let waiters: Vec<_> = (0..8)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    match cache.lookup("/b/", &at(1, 0)).await {
                        Lookup::Fresh(p) => String::from_utf8(p.body.to_vec()).unwrap(),
                        Lookup::Stale(_) => "stale".into(),
                        Lookup::Render(_) | Lookup::Splice(..) => "rendered again".into(),
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        cache.put("/b/".into(), page(1, "only render"), Some(claim));
        for w in waiters {
            assert_eq!(w.await.unwrap(), "only render");
        }
    }

    #[test]
    fn the_cache_is_bounded_by_bytes_and_keeps_what_is_read() {
        let cache = PageCache::new(2 << 20);
        // Incompressible bodies of 64 KiB each (no gzip copy is smaller), 100 of them: 6.4 MiB offered.
        let body = |i: u64| {
            let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            Bytes::from(
                (0..65_536)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        x as u8
                    })
                    .collect::<Vec<u8>>(),
            )
        };
        cache.put("/hot/".into(), CachedPage::new(StatusCode::OK, 1, "text/html", body(0)), None);
        for i in 1..100 {
            assert!(cache.peek("/hot/").is_some(), "a page read all along stays, {i} pages in");
            cache.put(format!("/story-{i}/"), CachedPage::new(StatusCode::OK, 1, "text/html", body(i)), None);
        }
        let s = cache.stats();
        assert!(s.bytes <= (2 << 20) + (80 << 10), "within the bound: {} bytes", s.bytes);
        assert!(s.entries < 40, "{} pages kept", s.entries);
    }

    #[tokio::test]
    async fn a_render_that_ends_without_a_page_drops_the_stale_copy() {
        let cache = PageCache::new(1 << 20);
        let Lookup::Render(claim) = cache.lookup("/gone/", &at(1, 0)).await else { panic!() };
        cache.put("/gone/".into(), page(1, "story"), Some(claim));
        // The story is unpublished (version 2): its re-render finds nothing and gives the claim up.
        let Lookup::Render(claim) = cache.lookup("/gone/", &at(2, 0)).await else { panic!() };
        drop(claim);
        assert!(
            matches!(cache.lookup("/gone/", &at(2, 0)).await, Lookup::Render(_)),
            "the withdrawn copy is not served"
        );
    }

    #[tokio::test]
    async fn a_newer_news_feed_is_spliced_into_sidebar_pages_once_and_makes_feed_pages_stale() {
        let cache = PageCache::new(1 << 20);
        let html = "<main>Story</main><!--nd:feed--><ol data-after=\"4\">old</ol><!--/nd:feed--><footer>f</footer>";
        let mut story = CachedPage::new(StatusCode::OK, 7, "text/html", Bytes::from(html));
        story.parts = vec![PartDep { part: Part::Feed, version: 4, span: part_span(html, Part::Feed) }];
        story.lang = Some("uk".into());
        assert_eq!(story.parts[0].span, Some((18, html.len() - "<footer>f</footer>".len())));
        cache.put("/story/".into(), story, None);
        let mut list = page(7, "the feed");
        list.parts = vec![PartDep { part: Part::Feed, version: 4, span: None }];
        cache.put("/news-feed/".into(), list, None);
        assert!(matches!(cache.lookup("/story/", &at(7, 4)).await, Lookup::Fresh(_)), "current to event 4");

        // Event 5: the first request splices; others meanwhile get the copy there is.
        let Lookup::Splice(old, claim) = cache.lookup("/story/", &at(7, 5)).await else { panic!("a splice") };
        assert!(matches!(cache.lookup("/story/", &at(7, 5)).await, Lookup::Stale(_)));
        assert_eq!(old.parts_to_splice(&at(7, 5)), vec![Part::Feed]);
        let sidebar = "<!--nd:feed--><ol data-after=\"5\">new item, old</ol><!--/nd:feed-->";
        let fresh = old.with_parts(&[(Part::Feed, sidebar, 5)]).unwrap();
        assert_eq!(fresh.lang.as_deref(), Some("uk"), "its language kept");
        assert_ne!(fresh.etag, old.etag);
        cache.put("/story/".into(), fresh, Some(claim));
        let Lookup::Fresh(now) = cache.lookup("/story/", &at(7, 5)).await else { panic!("fresh after the splice") };
        let body = std::str::from_utf8(&now.body).unwrap();
        assert_eq!(
            body,
            "<main>Story</main><!--nd:feed--><ol data-after=\"5\">new item, old</ol><!--/nd:feed--><footer>f</footer>"
        );
        assert_eq!(now.parts[0].span, part_span(body, Part::Feed), "the new span is where the sidebar is");
        assert!(now.gzip.is_none() || now.gzip.as_ref().unwrap().len() > 10);

        // A page listing the feed is rendered again; a new content version re-renders the story, not a splice.
        assert!(matches!(cache.lookup("/news-feed/", &at(7, 5)).await, Lookup::Render(_)));
        assert!(matches!(cache.lookup("/story/", &at(8, 5)).await, Lookup::Render(_)));
        let two = "<!--nd:feed-->a<!--/nd:feed--><!--nd:feed-->b<!--/nd:feed-->";
        assert_eq!(part_span(two, Part::Feed), None, "two: neither");
    }

    #[tokio::test]
    async fn both_parts_are_spliced_together_and_each_alone_keeps_the_other() {
        let cache = PageCache::new(1 << 20);
        let html = "<h1>S</h1><!--nd:picks--><ul>p1</ul><!--/nd:picks--><p>body</p>\
                    <!--nd:feed--><ol>f1</ol><!--/nd:feed--><footer>f</footer>";
        let mut story = CachedPage::new(StatusCode::OK, 3, "text/html", Bytes::from(html));
        story.parts = Part::ALL.map(|part| PartDep { part, version: 1, span: part_span(html, part) }).to_vec();
        cache.put("/s/".into(), story, None);
        let both = Versions { content: 3, feed: 2, picks: 2 };
        let Lookup::Splice(old, claim) = cache.lookup("/s/", &both).await else { panic!("a splice") };
        assert_eq!(old.parts_to_splice(&both), vec![Part::Feed, Part::Picks]);
        let fresh = old
            .with_parts(&[
                (Part::Feed, "<!--nd:feed--><ol>f2, f1</ol><!--/nd:feed-->", 2),
                (Part::Picks, "<!--nd:picks--><ul>p2, p1, p0</ul><!--/nd:picks-->", 2),
            ])
            .unwrap();
        cache.put("/s/".into(), fresh, Some(claim));
        let Lookup::Fresh(now) = cache.lookup("/s/", &both).await else { panic!("fresh after the splice") };
        let body = std::str::from_utf8(&now.body).unwrap().to_owned();
        assert_eq!(
            body,
            "<h1>S</h1><!--nd:picks--><ul>p2, p1, p0</ul><!--/nd:picks--><p>body</p>\
             <!--nd:feed--><ol>f2, f1</ol><!--/nd:feed--><footer>f</footer>"
        );
        for dep in &now.parts {
            assert_eq!(dep.span, part_span(&body, dep.part), "{:?} is where it says", dep.part);
            assert_eq!(dep.version, 2);
        }

        // Only the picks move on: the News Feed is kept as it is, byte for byte.
        let picks = Versions { picks: 3, ..both };
        let Lookup::Splice(old, claim) = cache.lookup("/s/", &picks).await else { panic!("a splice") };
        assert_eq!(old.parts_to_splice(&picks), vec![Part::Picks]);
        let fresh = old.with_parts(&[(Part::Picks, "<!--nd:picks--><ul>p3</ul><!--/nd:picks-->", 3)]).unwrap();
        assert_eq!(
            std::str::from_utf8(&fresh.body).unwrap(),
            "<h1>S</h1><!--nd:picks--><ul>p3</ul><!--/nd:picks--><p>body</p>\
             <!--nd:feed--><ol>f2, f1</ol><!--/nd:feed--><footer>f</footer>"
        );
        cache.put("/s/".into(), fresh, Some(claim));
        assert!(matches!(cache.lookup("/s/", &picks).await, Lookup::Fresh(_)));
        // A page that does not show the picks is not touched by them.
        cache.put("/plain/".into(), page(3, "no parts"), None);
        assert!(matches!(cache.lookup("/plain/", &Versions { picks: 9, ..picks }).await, Lookup::Fresh(_)));
    }
}
