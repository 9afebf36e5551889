//! The reader's site. Anonymous requests are served from the page cache; staff requests are rendered fresh.

pub mod account;
pub mod archive;
pub mod assets;
pub mod edition;
pub mod feed;
pub mod health;
pub mod home;
pub mod members;
pub mod membership;
pub mod meter;
pub mod newsletters;
pub mod post;
pub mod preferences;
pub mod search;
pub mod support;
pub mod syndication;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_render::minijinja::Value;
use serde::Serialize;

use crate::auth::MaybeStaff;
use crate::cache::{self, CachedPage, Lookup, Part, PartDep, RenderClaim};
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_render::views::{FeedItemView, PostView, TagView};

/// Number of stories per list page.
pub const PER_PAGE: i64 = 12;

/// What every public template sees besides its own data.
#[derive(Serialize)]
struct Common<'a, T: Serialize> {
    #[serde(flatten)]
    page: T,
    /// Sections in the header: the tags with the most published stories.
    nav: &'a [TagView],
    /// The newest stories, for sidebars and the 404 page.
    latest: &'a [PostView],
    /// The newest News Feed items, and the event sequence they are current to (where live updates start).
    feed: &'a [FeedItemView],
    feed_seq: i64,
    /// Editors' Picks, in order.
    picks: &'a [PostView],
    /// Public newsletters, for the signup forms.
    newsletters: &'a [newsdesk_store::newsletters::Newsletter],
    consent_text: String,
    staff: bool,
    canonical_path: String,
    year: i16,
}

/// What the page cache has for a public request.
pub enum Cached<'a> {
    /// The response, from a fresh copy (or a stale one while another request renders the page).
    Hit(Response),
    /// The handler renders the page; for anonymous readers it holds the claim on the URL and hands it to [`serve`].
    Miss(Option<RenderClaim<'a>>),
}

/// The cached page for an anonymous reader, if there is one: handlers call this before any query.
pub async fn cached<'a>(state: &'a AppState, staff: &MaybeStaff, headers: &HeaderMap, key: &str) -> Cached<'a> {
    if staff.0.is_some() {
        return Cached::Miss(None);
    }
    // A member gets the cached copy only when it is everyone's page; otherwise their own render, never cached.
    if crate::auth::member::has_member_cookie(headers) {
        return match state.cache.peek(key).filter(|p| !p.personal && p.current(&state.versions())) {
            Some(page) => Cached::Hit(cache::respond(&page, headers)),
            None => Cached::Miss(None),
        };
    }
    match state.cache.lookup(key, &state.versions()).await {
        Lookup::Fresh(page) | Lookup::Stale(page) => Cached::Hit(cache::respond(&page, headers)),
        Lookup::Splice(page, claim) => match splice(state, key, &page, claim).await {
            Some(fresh) => Cached::Hit(cache::respond(&fresh, headers)),
            // The sidebar could not be had (the database is away): the copy there is, as it was.
            None => Cached::Hit(cache::respond(&page, headers)),
        },
        Lookup::Render(claim) => Cached::Miss(Some(claim)),
    }
}

/// The cached `page` with the current News Feed and Editors' Picks in place of the ones it shows, put in the
/// cache.
async fn splice(
    state: &AppState,
    key: &str,
    page: &CachedPage,
    claim: RenderClaim<'_>,
) -> Option<std::sync::Arc<CachedPage>> {
    let lang = page.lang.as_deref();
    let mut fresh = Vec::new();
    for part in page.parts_to_splice(&state.versions()) {
        let html = match part {
            Part::Feed => crate::chrome::feed_sidebar(state).await.and_then(|s| Ok((s.html(state, lang)?, s.seq))),
            Part::Picks => {
                crate::chrome::picks_box(state).await.and_then(|p| Ok((p.html(state, lang)?, p.picks_version)))
            }
        };
        match html {
            Ok((html, version)) => fresh.push((part, html, version)),
            Err(e) => {
                tracing::warn!(error = %e, part = ?part, "a part of cached pages could not be had; serving the page as it was");
                // Keep the copy (the next request tries again): a failed splice is not a withdrawn page.
                state.cache.put(key.to_owned(), page.clone(), Some(claim));
                return None;
            }
        }
    }
    let parts: Vec<_> = fresh.iter().map(|(part, html, version)| (*part, &**html, *version)).collect();
    let spliced = page.with_parts(&parts).unwrap_or_else(|| page.clone());
    Some(state.cache.put(key.to_owned(), spliced, Some(claim)))
}

/// Pages and documents under `/news-feed/` (in any edition) list the News Feed itself: a new item makes them stale.
/// Every other page shows it only in the sidebar, which is spliced (`cache`).
fn lists_feed(key: &str) -> bool {
    key.contains("/news-feed/")
}

pub use crate::chrome::{Chrome, FEED_SIDEBAR, LATEST, chrome};

/// Serves a public page: from the cache for anonymous readers, freshly rendered (and never cached) for staff and
/// members. `render` returns the status, template name and that template's data.
pub async fn serve<T, F, Fut>(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    key: &str,
    claim: Option<RenderClaim<'_>>,
    render: F,
) -> Result<Response, AppError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, &'static str, T), AppError>>,
{
    serve_page(state, staff, headers, key, claim, false, render).await
}

/// [`serve`], saying whether members may see the page differently (`personal`: a story not for everyone), so its
/// anonymous copy is never served to them.
pub async fn serve_page<T, F, Fut>(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    key: &str,
    claim: Option<RenderClaim<'_>>,
    personal: bool,
    render: F,
) -> Result<Response, AppError>
where
    T: Serialize,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<(StatusCode, &'static str, T), AppError>>,
{
    // Taken before the render: a page listing the News Feed is current to at most what it saw when it began.
    let before = state.versions();
    let (status, template, data) = render().await?;
    let (html, shown) = page_html_shown(state, staff, key, template, data).await?;
    if staff.0.is_some() || crate::auth::member::has_member_cookie(headers) {
        return Ok((status, [(header::CACHE_CONTROL, "private, no-store")], axum::response::Html(html)).into_response());
    }
    let spans = Part::ALL.map(|part| cache::part_span(&html, part));
    let body = Bytes::from(html);
    let mut page = CachedPage::new(status, before.content, "text/html; charset=utf-8", body);
    page.personal = personal;
    page.lang = shown.lang;
    page.parts = Part::ALL
        .into_iter()
        .zip(spans)
        .filter_map(|(part, span)| match part {
            Part::Feed if lists_feed(key) => Some(PartDep { part, version: before.feed, span: None }),
            Part::Feed => span.map(|span| PartDep { part, version: shown.feed_seq, span: Some(span) }),
            Part::Picks => span.map(|span| PartDep { part, version: shown.picks_version, span: Some(span) }),
        })
        .collect();
    let page = state.cache.put(key.to_owned(), page, claim);
    Ok(cache::respond(&page, headers))
}

/// A public template rendered with the parts every page shares; `path` is the page's canonical path.
pub async fn page_html<T: Serialize>(
    state: &AppState,
    staff: &MaybeStaff,
    path: &str,
    template: &str,
    data: T,
) -> Result<String, AppError> {
    Ok(page_html_shown(state, staff, path, template, data).await?.0)
}

/// Which News Feed and Editors' Picks a page was rendered with, and the page's language.
pub struct Shown {
    pub feed_seq: i64,
    pub picks_version: i64,
    pub lang: Option<String>,
}

/// [`page_html`], saying which News Feed and picks it shows.
async fn page_html_shown<T: Serialize>(
    state: &AppState,
    staff: &MaybeStaff,
    path: &str,
    template: &str,
    data: T,
) -> Result<(String, Shown), AppError> {
    let chrome = chrome(state).await?;
    let sidebar = crate::chrome::feed_sidebar(state).await?;
    let picks = crate::chrome::picks_box(state).await?;
    let common = Common {
        page: data,
        nav: &chrome.nav,
        latest: &chrome.latest,
        feed: &sidebar.items,
        feed_seq: sidebar.seq,
        picks: &picks.picks,
        newsletters: &chrome.newsletters,
        consent_text: newsletters::consent_text(&state.site.title),
        staff: staff.0.is_some(),
        canonical_path: path.to_owned(),
        year: jiff::Timestamp::now().to_zoned(state.site.timezone.tz().clone()).year(),
    };
    let value = Value::from_serialize(&common);
    let lang = value.get_attr("lang").ok().filter(|v| !v.is_undefined() && !v.is_none()).map(|v| v.to_string());
    let html = state.templates.render(template, value)?;
    let shown = Shown { feed_seq: sidebar.seq, picks_version: picks.picks_version, lang };
    Ok((state.media.public_addresses(html, &state.site.url), shown))
}

/// Serves a non-HTML document (a feed) through the same cache; staff get the same bytes as everyone.
pub async fn serve_document<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    content_type: &'static str,
    render: F,
) -> Result<Response, AppError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, AppError>>,
{
    let now = state.versions();
    let claim = match state.cache.lookup(key, &now).await {
        Lookup::Fresh(page) | Lookup::Stale(page) => return Ok(cache::respond(&page, headers)),
        Lookup::Splice(_, claim) | Lookup::Render(claim) => claim,
    };
    let body = Bytes::from(render().await?);
    let mut page = CachedPage::new(StatusCode::OK, now.content, content_type, body);
    if lists_feed(key) {
        page.parts = vec![PartDep { part: Part::Feed, version: now.feed, span: None }];
    }
    let page = state.cache.put(key.to_owned(), page, Some(claim));
    Ok(cache::respond(&page, headers))
}

/// The theme's 404 page, with the latest stories to go on with.
pub async fn not_found(state: &AppState, staff: &MaybeStaff, headers: &HeaderMap) -> Result<Response, AppError> {
    let claim = match cached(state, staff, headers, "/404/").await {
        Cached::Hit(r) => return Ok(r),
        Cached::Miss(claim) => claim,
    };
    serve(state, staff, headers, "/404/", claim, || async {
        Ok((StatusCode::NOT_FOUND, "404.html", serde_json::json!({})))
    })
    .await
}

/// Any path no route matched.
pub async fn fallback(
    axum::extract::State(state): axum::extract::State<AppState>,
    staff: MaybeStaff,
    // The original URI: inside a nested router (`/admin`) the plain one has lost its prefix.
    axum::extract::OriginalUri(uri): axum::extract::OriginalUri,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let path = uri.path();
    // Admin URLs have no trailing slash: `/admin/` and `/admin/posts/` go to their canonical URL.
    if path.starts_with("/admin/")
        && path.ends_with('/')
        && let Some(to) = crate::redirect::local_path(match path.trim_end_matches('/') {
            "/admin" => "/admin/posts",
            trimmed => trimmed,
        })
        && let Ok(location) = header::HeaderValue::from_str(&to)
    {
        return Ok((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response());
    }
    // Ghost-style URLs end in a slash; send `/slug` to `/slug/` when that is a page. Only a path that stays on this
    // site is redirected: `//host` and `/\\host` would lead browsers elsewhere.
    if !path.ends_with('/')
        && !path.contains('.')
        && path.len() > 1
        && !path.starts_with("/api/")
        && let Some(to) = crate::redirect::local_path(&format!("{path}/"))
        && let Ok(location) = header::HeaderValue::from_str(&to)
    {
        return Ok((StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, location)]).into_response());
    }
    not_found(&state, &staff, &headers).await
}

/// ISO 8601 in the site's time zone, with its offset (for JSON-LD).
pub fn iso_in(state: &AppState) -> impl Fn(i64) -> String + use<> {
    let tz = state.site.timezone.tz().clone();
    move |ts| {
        jiff::Timestamp::from_second(ts)
            .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
            .unwrap_or_default()
    }
}

/// Autodiscovery links for the RSS, Atom and JSON feeds of the page at `base`.
pub fn feed_links(base: &str, title: &str) -> serde_json::Value {
    serde_json::json!([
        { "type": "application/rss+xml", "title": title, "href": format!("{base}rss/") },
        { "type": "application/atom+xml", "title": format!("{title} (Atom)"), "href": format!("{base}atom/") },
        { "type": "application/feed+json", "title": format!("{title} (JSON Feed)"), "href": format!("{base}feed.json") },
    ])
}

/// Breadcrumbs JSON-LD from the home page to `trail`'s last (name, path).
pub fn breadcrumbs(state: &AppState, trail: &[(&str, String)]) -> String {
    let mut items = vec![(state.site.title.clone(), format!("{}/", state.site.url))];
    items.extend(trail.iter().map(|(n, p)| ((*n).to_owned(), format!("{}{p}", state.site.url))));
    newsdesk_render::jsonld::script_json(&newsdesk_render::jsonld::breadcrumbs(&items))
}

/// Parses a page number segment; anything but 2.. is not a page.
pub fn page_number(n: &str) -> Option<i64> {
    n.parse::<i64>().ok().filter(|n| *n >= 2 && *n < 100_000)
}
