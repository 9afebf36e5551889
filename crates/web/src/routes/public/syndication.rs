//! How readers and machines find content besides the pages: RSS, Atom and JSON Feed (site, tag, author or desk),
//! sitemaps (an index split at 50,000 URLs, and a Google News sitemap of the last 48 hours), `robots.txt`, and an
//! oEmbed endpoint. All documents go through the page cache (ETag, Last-Modified, 304).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use newsdesk_render::feeds::{self, Enclosure, FeedDoc, FeedEntry, NewsUrl};
use newsdesk_render::locale::Arg;
use newsdesk_store::posts::{Post, PostFilter};

use super::edition::Edition;
use serde::Deserialize;

use super::serve_document;
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_services::views::{correction_view, post_view};

/// URLs per sitemap file (the protocol's limit).
pub const SITEMAP_MAX: usize = 50_000;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
    fn path(self) -> &'static str {
        match self {
            Format::Rss => "rss/",
            Format::Atom => "atom/",
            Format::Json => "feed.json",
        }
    }
    pub fn render(self, doc: &FeedDoc) -> String {
        match self {
            Format::Rss => feeds::rss(doc),
            Format::Atom => feeds::atom(doc),
            Format::Json => feeds::json_feed(doc),
        }
    }
}

/// Builds a document's own URLs from the page it mirrors (`base` is a path like "/", "/tag/x/").
pub fn doc_for(state: &AppState, base: &str, title: String, description: String, entries: Vec<FeedEntry>) -> FeedDoc {
    let site = &state.site;
    FeedDoc {
        title,
        description,
        home_url: format!("{}{base}", site.url),
        rss_url: format!("{}{base}rss/", site.url),
        atom_url: format!("{}{base}atom/", site.url),
        json_url: format!("{}{base}feed.json", site.url),
        language: site.language.clone(),
        updated: entries.iter().map(|e| e.updated).max().unwrap_or(0),
        entries,
    }
}

/// Feed entries for posts: full text or dek by setting, corrections appended, the feature image as enclosure.
async fn entries(state: &AppState, posts: &[Post]) -> Result<Vec<FeedEntry>, AppError> {
    let site = &state.site.url;
    let ids: Vec<i64> = posts.iter().map(|p| p.row.id).collect();
    let mut corrections = state.store.corrections_for(&ids).await?;
    let mut out = Vec::with_capacity(posts.len());
    for p in posts {
        let v = post_view(p);
        let fixes: Vec<_> = corrections.remove(&p.row.id).unwrap_or_default().iter().map(correction_view).collect();
        let date = |t: i64| {
            jiff::Timestamp::from_second(t)
                .map(|t| t.to_zoned(state.site.timezone.tz().clone()).strftime("%-d %b %Y").to_string())
                .unwrap_or_default()
        };
        let fixes_html: String = fixes
            .iter()
            .map(|c| {
                format!(
                    "<p><strong>{}, {}:</strong> {}</p>",
                    feeds::html_escape(c.label),
                    date(c.created_at),
                    feeds::html_escape(&c.body)
                )
            })
            .collect();
        let fixes_text: String =
            fixes.iter().map(|c| format!(" {}, {}: {}", c.label, date(c.created_at), c.body)).collect();
        let mut enclosures = Vec::new();
        if let (Some(img), Some(m)) = (&v.feature_image, &p.feature_image) {
            let largest = m.width_list().last().copied().unwrap_or(0);
            let file = newsdesk_services::media::media_key(&m.file_key, &format!("{largest}.jpg"));
            let length = state.media.size(&file).await.ok().flatten().unwrap_or(0);
            enclosures.push(Enclosure { url: format!("{site}{}", img.src), mime: "image/jpeg".into(), length });
        }
        let summary = v
            .excerpt
            .clone()
            .map(|e| format!("{e}{fixes_text}"))
            .or_else(|| (!fixes_text.is_empty()).then(|| fixes_text.trim().to_owned()));
        out.push(FeedEntry {
            id: format!("{site}{}", v.url),
            url: format!("{site}{}", v.url),
            title: v.title.clone(),
            summary,
            content_html: state.options.full_content.then(|| {
                let corrections = if fixes_html.is_empty() {
                    String::new()
                } else {
                    format!("<aside class=\"corrections\">{fixes_html}</aside>")
                };
                // A story not for everyone: its preview, and where the rest is.
                let rest = if p.row.is_gated() {
                    let locale = state.templates.locales().get(state.site.language_of(p.row.language.as_deref()));
                    let link = format!("<a href=\"{site}{}\">{}</a>", v.url, feeds::html_escape(&state.site.title));
                    format!(
                        "<p class=\"members-note\">{}</p>",
                        locale.text_escaped("feed_members_note", &[("site", Arg::Text(&link))], |t| {
                            feeds::html_escape(t)
                        })
                    )
                } else {
                    String::new()
                };
                format!("{}{rest}{corrections}", v.html)
            }),
            published: v.published_at.unwrap_or(v.updated_at),
            updated: v.updated_at,
            authors: v.authors.iter().map(|a| a.byline_name.clone()).collect(),
            categories: v.tags.iter().map(|t| t.name.clone()).collect(),
            enclosures,
        });
    }
    Ok(out)
}

/// A feed of the page at `base` (from the root) in `edition`: its stories in the edition's language.
#[allow(clippy::too_many_arguments)]
async fn post_feed(
    state: &AppState,
    headers: &HeaderMap,
    edition: &Edition,
    base: &str,
    format: Format,
    title: String,
    description: String,
    filter: PostFilter,
) -> Result<Response, AppError> {
    let base = edition.path(base);
    let key = format!("{base}{}", format.path());
    let filter = PostFilter { language: edition.filter(), ..filter };
    serve_document(state, headers, &key, format.content_type(), || async {
        let posts = state.store.top_posts(&filter, state.options.items).await?;
        let entries = entries(state, &posts).await?;
        let mut doc = doc_for(state, &base, title, description, entries);
        doc.language = edition.tag.clone();
        Ok(format.render(&doc))
    })
    .await
}

pub async fn site(
    state: &AppState,
    headers: &HeaderMap,
    edition: &Edition,
    format: Format,
) -> Result<Response, AppError> {
    let s = &state.site;
    let filter = PostFilter::published_posts();
    post_feed(state, headers, edition, "/", format, s.title.clone(), s.description.clone(), filter).await
}

macro_rules! site_feed_handlers {
    ($($name:ident => $format:expr;)*) => {$(
        pub async fn $name(State(state): State<AppState>, edition: Edition, headers: HeaderMap) -> Result<Response, AppError> {
            site(&state, &headers, &edition, $format).await
        }
    )*};
}

site_feed_handlers! {
    site_rss => Format::Rss;
    site_atom => Format::Atom;
    site_json => Format::Json;
}

fn not_found_feed() -> Response {
    (StatusCode::NOT_FOUND, [("content-type", "text/plain; charset=utf-8")], "No such feed.\n").into_response()
}

async fn tag_feed(
    state: &AppState,
    headers: &HeaderMap,
    edition: &Edition,
    slug: &str,
    format: Format,
) -> Result<Response, AppError> {
    let Some(tag) = state.store.tag_by_slug(slug).await?.filter(|t| !t.is_internal()) else {
        return Ok(not_found_feed());
    };
    let filter = PostFilter { tag_id: Some(tag.id), ..PostFilter::published_posts() };
    let title = format!("{} – {}", tag.name, state.site.title);
    let description =
        tag.description.clone().unwrap_or_else(|| format!("Stories tagged {} from {}.", tag.name, state.site.title));
    post_feed(state, headers, edition, &format!("/tag/{slug}/"), format, title, description, filter).await
}

async fn author_feed(
    state: &AppState,
    headers: &HeaderMap,
    edition: &Edition,
    slug: &str,
    format: Format,
) -> Result<Response, AppError> {
    let Some(author) = state.store.author_by_slug(slug).await? else { return Ok(not_found_feed()) };
    let filter = PostFilter { author_id: Some(author.id), ..PostFilter::published_posts() };
    let title = format!("{} – {}", author.name, state.site.title);
    let description =
        author.bio.clone().unwrap_or_else(|| format!("Stories by {} for {}.", author.name, state.site.title));
    post_feed(state, headers, edition, &format!("/author/{slug}/"), format, title, description, filter).await
}

macro_rules! feed_handlers {
    ($($name:ident => $inner:ident, $format:expr;)*) => {$(
        pub async fn $name(
            State(state): State<AppState>,
            edition: Edition,
            headers: HeaderMap,
            Path(slug): Path<String>,
        ) -> Result<Response, AppError> {
            $inner(&state, &headers, &edition, &slug, $format).await
        }
    )*};
}

feed_handlers! {
    tag_rss => tag_feed, Format::Rss;
    tag_atom => tag_feed, Format::Atom;
    tag_json => tag_feed, Format::Json;
    author_rss => author_feed, Format::Rss;
    author_atom => author_feed, Format::Atom;
    author_json => author_feed, Format::Json;
}

const XML: &str = "application/xml; charset=utf-8";

/// `/sitemap.xml`: the index of the part sitemaps.
pub async fn sitemap_index(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    serve_document(&state, &headers, "/sitemap.xml", XML, || async {
        let site = &state.site.url;
        let posts = state.store.published_index("post", None, i64::MAX >> 1).await?;
        let mut parts = Vec::new();
        for (i, chunk) in posts.chunks(SITEMAP_MAX).enumerate() {
            parts.push((format!("{site}/sitemaps/posts-{}.xml", i + 1), chunk.iter().map(|p| p.updated_at).max()));
        }
        for name in ["pages", "tags", "authors"] {
            parts.push((format!("{site}/sitemaps/{name}.xml"), None));
        }
        Ok(feeds::sitemap_index(&parts))
    })
    .await
}

/// `/sitemaps/{posts-N | pages | tags | authors}.xml`.
pub async fn sitemap_part(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let part = match name.strip_suffix(".xml") {
        Some(p @ ("pages" | "tags" | "authors")) => p.to_owned(),
        Some(other) if other.strip_prefix("posts-").and_then(|n| n.parse::<usize>().ok()).is_some_and(|n| n >= 1) => {
            other.to_owned()
        }
        _ => return Ok(not_found_feed()),
    };
    let key = format!("/sitemaps/{name}");
    // The cache is asked first: a part is built from the database only when it is not cached.
    serve_document(&state, &headers, &key, XML, || async {
        let site = &state.site.url;
        let urls: Vec<(String, Option<i64>)> = match part.as_str() {
            "pages" => {
                let mut v = vec![(format!("{site}/"), None), (format!("{site}/news-feed/"), None)];
                v.extend(
                    state
                        .store
                        .published_index("page", None, SITEMAP_MAX as i64)
                        .await?
                        .into_iter()
                        .map(|p| (format!("{site}/{}/", p.slug), Some(p.updated_at))),
                );
                v
            }
            "tags" => state
                .store
                .tags_with_counts()
                .await?
                .into_iter()
                .filter(|t| t.post_count > 0 && !t.is_internal())
                .map(|t| (format!("{site}/tag/{}/", t.slug), None))
                .collect(),
            "authors" => state
                .store
                .authors_with_posts()
                .await?
                .into_iter()
                .map(|(slug, m)| (format!("{site}/author/{slug}/"), Some(m)))
                .collect(),
            posts => {
                let n: usize = posts.trim_start_matches("posts-").parse().map_err(|_| AppError::NotFound)?;
                let all = state.store.published_index("post", None, i64::MAX >> 1).await?;
                let chunk = all.chunks(SITEMAP_MAX).nth(n - 1).ok_or(AppError::NotFound)?;
                chunk.iter().map(|p| (format!("{site}/{}/", p.slug), Some(p.updated_at))).collect()
            }
        };
        if part != "pages" || state.site.languages.is_empty() {
            return Ok(feeds::sitemap(&urls));
        }
        // Each edition's home page, every one naming the others.
        let editions = Edition::all(&state.site);
        let alternates: Vec<(String, String)> = editions
            .iter()
            .map(|e| (e.tag.clone(), format!("{site}{}", e.path("/"))))
            .chain(std::iter::once(("x-default".to_owned(), format!("{site}/"))))
            .collect();
        let mut entries: Vec<feeds::SitemapUrl> = editions
            .iter()
            .map(|e| feeds::SitemapUrl {
                loc: format!("{site}{}", e.path("/")),
                modified: None,
                alternates: alternates.clone(),
            })
            .collect();
        entries.extend(urls.into_iter().skip(1).map(|(loc, modified)| feeds::SitemapUrl {
            loc,
            modified,
            alternates: Vec::new(),
        }));
        Ok(feeds::sitemap_with_alternates(&entries))
    })
    .await
}

/// `/sitemap-news.xml`: articles of the last 48 hours, at most 1,000 (Google News rules).
pub async fn news_sitemap(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    serve_document(&state, &headers, "/sitemap-news.xml", XML, || async {
        let since = newsdesk_store::now() - 48 * 3600;
        let posts = state.store.published_index("post", Some(since), 1000).await?;
        let urls: Vec<NewsUrl> = posts
            .into_iter()
            .map(|p| NewsUrl {
                loc: format!("{}/{}/", state.site.url, p.slug),
                language: state.site.language_of(p.language.as_deref()).to_owned(),
                title: p.title,
                published: p.published_at.unwrap_or(p.updated_at),
            })
            .collect();
        Ok(feeds::news_sitemap(&state.site.title, &urls))
    })
    .await
}

pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "User-agent: *\nDisallow: /admin/\nDisallow: /api/\nDisallow: /news-feed/events\n\nSitemap: {0}/sitemap.xml\nSitemap: {0}/sitemap-news.xml\n",
        state.site.url
    );
    ([("content-type", "text/plain; charset=utf-8"), ("cache-control", "public, max-age=3600")], body).into_response()
}

#[derive(Deserialize)]
pub struct OembedQuery {
    url: Option<String>,
    format: Option<String>,
    maxwidth: Option<u32>,
}

/// `/oembed?url=…&format=json`: an embeddable card for one of our articles (oEmbed 1.0, type "rich").
pub async fn oembed(State(state): State<AppState>, Query(q): Query<OembedQuery>) -> Result<Response, AppError> {
    if q.format.as_deref().is_some_and(|f| f != "json") {
        return Ok((StatusCode::NOT_IMPLEMENTED, "Only format=json is supported.\n").into_response());
    }
    let site = &state.site.url;
    let slug = q
        .url
        .as_deref()
        .and_then(|u| u.strip_prefix(site.as_str()))
        .map(|p| p.trim_matches('/'))
        .filter(|s| !s.is_empty() && !s.contains('/'));
    let Some(post) = (match slug {
        Some(s) => state.store.published_by_slug(s).await?,
        None => None,
    }) else {
        return Ok((StatusCode::NOT_FOUND, "Not an article on this site.\n").into_response());
    };
    let v = post_view(&post);
    let e = feeds::xml_escape;
    let url = format!("{site}{}", v.url);
    let width = q.maxwidth.unwrap_or(600).clamp(200, 1200);
    let html = format!(
        "<blockquote class=\"newsdesk-embed\" style=\"max-width:{width}px\"><p>{}</p><p><a href=\"{}\">{}</a> — {}, {}</p></blockquote>",
        e(v.excerpt.as_deref().unwrap_or("")),
        e(&url),
        e(&v.title),
        e(&v.byline),
        e(&state.site.title)
    );
    let mut body = serde_json::json!({
        "version": "1.0",
        "type": "rich",
        "provider_name": state.site.title,
        "provider_url": format!("{site}/"),
        "title": v.title,
        "author_name": v.byline,
        "author_url": v.authors.first().map(|a| format!("{site}{}", a.url)),
        "html": html,
        "width": width,
        "height": null,
        "cache_age": 3600,
    });
    if let Some(img) = &v.feature_image {
        body["thumbnail_url"] = serde_json::json!(format!("{site}{}", img.thumb));
        body["thumbnail_width"] = serde_json::json!(480.min(img.width));
    }
    Ok(Json(body).into_response())
}

/// `/podcast/rss/` and `/tag/{slug}/podcast/rss/`: narrated articles as a podcast.
async fn podcast(
    state: &AppState,
    headers: &HeaderMap,
    tag: Option<&newsdesk_store::tags::Tag>,
) -> Result<Response, AppError> {
    let key = match tag {
        Some(t) => format!("/tag/{}/podcast/rss/", t.slug),
        None => "/podcast/rss/".to_owned(),
    };
    let (title, description) = match tag {
        Some(t) => (
            format!("{} – {} audio edition", t.name, state.site.title),
            format!("{} stories from {}, read aloud.", t.name, state.site.title),
        ),
        None => (
            format!("{} – audio edition", state.site.title),
            format!("Articles from {}, read aloud. The audio is created with AI assistance.", state.site.title),
        ),
    };
    serve_document(state, headers, &key, "application/rss+xml; charset=utf-8", || async {
        let site = &state.site.url;
        let ids = state.store.narrated_post_ids(tag.map(|t| t.id), state.options.items.max(50)).await?;
        let posts = state.store.posts_by_ids(&ids).await?;
        let editions = state.store.audio_editions(&ids).await?;
        let episodes: Vec<feeds::Episode> = posts
            .iter()
            .filter_map(|p| {
                let audio = newsdesk_services::views::audio_of(p, editions.get(&p.row.id))?;
                let v = post_view(p);
                Some(feeds::Episode {
                    guid: format!("{site}{}#audio", v.url),
                    url: format!("{site}{}", v.url),
                    title: v.title.clone(),
                    summary: format!(
                        "{} This audio is created with AI assistance.",
                        v.excerpt.clone().unwrap_or_default()
                    )
                    .trim()
                    .to_owned(),
                    author: v.byline.clone(),
                    published: v.published_at.unwrap_or(v.updated_at),
                    audio_url: format!("{site}{}", audio.src),
                    audio_bytes: audio.bytes.max(0) as u64,
                    duration: audio.clock,
                    image: v.feature_image.as_ref().map(|i| format!("{site}{}", i.src)),
                })
            })
            .collect();
        Ok(feeds::podcast_rss(
            &title,
            &description,
            &format!("{site}/"),
            &format!("{site}{key}"),
            &state.site.language,
            &format!("{site}/podcast/cover.png"),
            &episodes,
        ))
    })
    .await
}

pub async fn podcast_site(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    podcast(&state, &headers, None).await
}

pub async fn podcast_tag(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    match state.store.tag_by_slug(&slug).await?.filter(|t| !t.is_internal()) {
        Some(tag) => podcast(&state, &headers, Some(&tag)).await,
        None => Ok(not_found_feed()),
    }
}
