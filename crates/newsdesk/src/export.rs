//! `newsdesk export static DIR`: the whole public site as static files, for a mirror when the site is blocked or
//! under attack, or for any static host.
//!
//! Pages are rendered by the real router in this process (no server needed) and crawled from seeds (home, feeds,
//! sitemaps, every post, tag and author). Root-relative links are rewritten to relative file paths, so the mirror
//! works from any directory of any host and from `file://`; canonical URLs still name the real site. The live News
//! Feed script is left out (a static host has no event stream). A re-run rewrites only files whose bytes changed
//! and removes files a previous export wrote that are gone now; a manifest in DIR records what it wrote.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use crate::config::Config;

pub const MANIFEST: &str = ".newsdesk-export.json";

#[derive(Debug, Default)]
pub struct Summary {
    pub files: usize,
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
    /// Links to pages of this site that answered 404: (page, link).
    pub broken: Vec<(String, String)>,
}

/// Paths never followed: staff, API, live stream, oEmbed.
/// Paths that only a live server can answer: staff, APIs, the event stream, and members' pages.
fn excluded(path: &str) -> bool {
    ["/admin", "/api/", "/news-feed/events", "/oembed"].iter().any(|p| path.starts_with(p)) || live_only(path)
}

/// Members' pages: signing in, the account, joining and giving work only on the live site, so the mirror's links to
/// them lead there.
fn live_only(path: &str) -> bool {
    ["/account/", "/members/", "/membership/", "/support/"].iter().any(|p| path.starts_with(p))
}

/// Checks DIR: empty or missing (created), or a previous export of ours; and writable.
fn prepare_dir(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    if dir.exists() && !dir.is_dir() {
        bail!("{} exists and is not a directory", dir.display());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let manifest = dir.join(MANIFEST);
    let previous: BTreeSet<String> = match std::fs::read_to_string(&manifest) {
        Ok(text) => serde_json::from_str(&text)
            .with_context(|| format!("{} is damaged; remove it or choose an empty directory", manifest.display()))?,
        Err(_) => {
            let mut entries = std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
            if entries.next().is_some() {
                bail!(
                    "{} is not empty and was not written by `newsdesk export static`; choose an empty directory",
                    dir.display()
                );
            }
            BTreeSet::new()
        }
    };
    let probe = dir.join(".newsdesk-write-test");
    std::fs::write(&probe, b"").with_context(|| format!("cannot write to {}", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(previous)
}

/// File (relative to DIR) for a URL path, by the answer's content type.
fn file_for(url: &str, content_type: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut path = path.trim_start_matches('/').to_owned();
    // Asset and media URLs carry a cache-busting ?v=…; other queries (News Feed paging) become directories.
    if !query.is_empty() && !path.starts_with("assets/") && !path.starts_with("media/") {
        let q: String = query.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        path.push_str(&format!("{q}/"));
    }
    if path.is_empty() || path.ends_with('/') {
        let ext = if content_type.contains("html") {
            "html"
        } else if content_type.contains("json") {
            "json"
        } else {
            "xml"
        };
        path.push_str(&format!("index.{ext}"));
    }
    path
}

/// The relative path from the file `from` to the file `to`, both relative to DIR.
fn relative(from: &str, to: &str) -> String {
    let depth = from.matches('/').count();
    let mut out = "../".repeat(depth);
    out.push_str(to);
    out
}

/// Root-relative URLs in `href`, `src` and `srcset` attributes of an HTML page.
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "srcset=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            rest = &rest[i + attr.len()..];
            let Some(end) = rest.find('"') else { break };
            let value = &rest[..end];
            let candidates: Vec<&str> = if attr == "srcset=\"" {
                value.split(',').filter_map(|c| c.split_whitespace().next()).collect()
            } else {
                vec![value]
            };
            for c in candidates {
                let c = c.replace("&amp;", "&");
                if c.starts_with('/') && !c.starts_with("//") {
                    out.push(c.split('#').next().unwrap_or("").to_owned());
                }
            }
        }
    }
    out
}

/// `<loc>` URLs of a sitemap that belong to `site_url`, as paths.
fn sitemap_paths(xml: &str, site_url: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|s| s.split("</loc>").next())
        .filter_map(|u| u.replace("&amp;", "&").strip_prefix(site_url).map(str::to_owned))
        .collect()
}

/// Rewrites a page's root-relative links to relative file paths and drops the live-update script.
fn rewrite(html: &str, page_file: &str, files: &BTreeMap<String, String>, site: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // Drop the live News Feed script: it needs a server.
    let script = rest
        .find("<script src=\"/assets/live.js")
        .and_then(|s| rest[s..].find("</script>").map(|e| (s, s + e + "</script>".len())));
    let owned;
    if let Some((s, e)) = script {
        owned = format!("{}{}", &rest[..s], &rest[e..]);
        rest = &owned;
    }
    let map = |url: &str| -> Option<String> {
        let clean = url.replace("&amp;", "&");
        let key = clean.split('#').next().unwrap_or("");
        let frag = clean.find('#').map(|i| &clean[i..]).unwrap_or("");
        files.get(key).map(|f| format!("{}{frag}", relative(page_file, f)))
    };
    while let Some((i, attr)) =
        ["href=\"", "src=\"", "srcset=\""].iter().filter_map(|a| rest.find(a).map(|i| (i, *a))).min_by_key(|(i, _)| *i)
    {
        let start = i + attr.len();
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find('"').unwrap_or(rest.len());
        let value = &rest[..end];
        let new = if attr == "srcset=\"" {
            value
                .split(',')
                .map(|c| {
                    let c = c.trim();
                    let (url, w) = c.split_once(' ').unwrap_or((c, ""));
                    let url = map(url).unwrap_or_else(|| url.to_owned());
                    if w.is_empty() { url } else { format!("{url} {w}") }
                })
                .collect::<Vec<_>>()
                .join(", ")
        } else if value.starts_with('/') && !value.starts_with("//") && live_only(value) {
            format!("{}{value}", site.trim_end_matches('/'))
        } else if value.starts_with('/') && !value.starts_with("//") {
            map(value).unwrap_or_else(|| value.to_owned())
        } else {
            value.to_owned()
        };
        out.push_str(&new);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

struct Fetched {
    content_type: String,
    body: Vec<u8>,
}

async fn fetch(router: &axum::Router, path: &str) -> anyhow::Result<(StatusCode, Fetched)> {
    let req = Request::builder().uri(path).body(Body::empty()).context("building a request")?;
    let resp = router.clone().oneshot(req).await.context("rendering")?;
    let status = resp.status();
    let content_type = resp.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body =
        axum::body::to_bytes(resp.into_body(), 64 * 1024 * 1024).await.context("reading a rendered page")?.to_vec();
    Ok((status, Fetched { content_type, body }))
}

struct Progress {
    tty: bool,
    last: usize,
}

impl Progress {
    fn show(&mut self, done: usize, queued: usize, path: &str) {
        if self.tty {
            let width = 30;
            let total = (done + queued).max(1);
            let filled = width * done / total;
            eprint!("\r[{}{}] {done}/{total} {:<50.50}", "#".repeat(filled), " ".repeat(width - filled), path);
            let _ = std::io::stderr().flush();
        } else if done >= self.last + 250 {
            self.last = done;
            eprintln!("exported {done} files, {queued} to go");
        }
    }
}

pub async fn run(config: &Config, dir: &Path) -> anyhow::Result<Summary> {
    let previous = prepare_dir(dir)?;
    let site = config.site_settings(None)?;
    let store = config.open_store().await?;
    let state =
        newsdesk_web::AppState::new(store.clone(), site.clone(), config.data_dir.clone(), config.web_options())?;
    state.refresh_version().await;
    let router = newsdesk_web::router(state.clone());

    // Seeds: everything the sitemaps list, plus feeds, the News Feed and the 404 page.
    let mut queue: VecDeque<String> = [
        "/",
        "/news-feed/",
        "/rss/",
        "/atom/",
        "/feed.json",
        "/news-feed/rss/",
        "/news-feed/atom/",
        "/news-feed/feed.json",
        "/sitemap.xml",
        "/sitemap-news.xml",
        "/robots.txt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for t in state.store.tags_with_counts().await?.iter().filter(|t| t.post_count > 0) {
        for f in ["", "rss/", "atom/", "feed.json"] {
            queue.push_back(format!("/tag/{}/{f}", t.slug));
        }
    }
    for (slug, _) in state.store.authors_with_posts().await? {
        for f in ["", "rss/", "atom/", "feed.json"] {
            queue.push_back(format!("/author/{slug}/{f}"));
        }
    }
    let mut seen: BTreeSet<String> = queue.iter().cloned().collect();
    let mut pages: BTreeMap<String, Fetched> = BTreeMap::new();
    let mut links_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut missing: BTreeSet<String> = BTreeSet::new();
    let mut progress = Progress { tty: std::io::stderr().is_terminal(), last: 0 };
    while let Some(path) = queue.pop_front() {
        progress.show(pages.len(), queue.len(), &path);
        let (status, fetched) = fetch(&router, &path).await?;
        if status != StatusCode::OK {
            missing.insert(path);
            continue;
        }
        let mut found = Vec::new();
        if fetched.content_type.starts_with("text/html") {
            found = links(&String::from_utf8_lossy(&fetched.body));
        } else if path.starts_with("/sitemap") {
            found = sitemap_paths(&String::from_utf8_lossy(&fetched.body), &site.url);
        }
        for l in &found {
            if !excluded(l) && seen.insert(l.clone()) {
                queue.push_back(l.clone());
            }
        }
        links_of.insert(path.clone(), found);
        pages.insert(path, fetched);
    }
    // The theme's 404 page, for hosts that serve 404.html.
    let (_, not_found) = fetch(&router, "/this-page-does-not-exist-404/").await?;
    if progress.tty {
        eprintln!();
    }

    let files: BTreeMap<String, String> =
        pages.iter().map(|(p, f)| (p.clone(), file_for(p, &f.content_type))).collect();
    let mut summary = Summary::default();
    for (page, found) in &links_of {
        for l in found.iter().filter(|l| missing.contains(*l)) {
            summary.broken.push((page.clone(), l.clone()));
        }
    }
    let mut written_now = BTreeSet::new();
    let mut outputs: Vec<(String, Vec<u8>)> = Vec::with_capacity(pages.len() + 1);
    for (path, fetched) in &pages {
        let file = &files[path];
        let bytes = if fetched.content_type.starts_with("text/html") {
            rewrite(&String::from_utf8_lossy(&fetched.body), file, &files, &site.url).into_bytes()
        } else {
            fetched.body.clone()
        };
        outputs.push((file.clone(), bytes));
    }
    outputs.push((
        "404.html".to_owned(),
        rewrite(&String::from_utf8_lossy(&not_found.body), "404.html", &files, &site.url).into_bytes(),
    ));
    for (file, bytes) in outputs {
        let target = dir.join(&file);
        if std::fs::read(&target).is_ok_and(|old| old == bytes) {
            summary.unchanged += 1;
        } else {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let tmp = target.with_extension("nd-tmp");
            std::fs::write(&tmp, &bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &target).with_context(|| format!("cannot write {}", target.display()))?;
            summary.written += 1;
        }
        written_now.insert(file);
    }
    for stale in previous.difference(&written_now) {
        let p: PathBuf = dir.join(stale);
        if p.starts_with(dir) && std::fs::remove_file(&p).is_ok() {
            summary.removed += 1;
        }
    }
    summary.files = written_now.len();
    std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&written_now)?)
        .context("writing the export manifest")?;
    store.close().await;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_urls_to_files_and_relative_links() {
        assert_eq!(file_for("/", "text/html"), "index.html");
        assert_eq!(file_for("/tag/port/", "text/html; charset=utf-8"), "tag/port/index.html");
        assert_eq!(file_for("/rss/", "application/rss+xml"), "rss/index.xml");
        assert_eq!(file_for("/feed.json", "application/feed+json"), "feed.json");
        assert_eq!(file_for("/assets/theme.css?v=abc", "text/css"), "assets/theme.css");
        assert_eq!(file_for("/media/x/960.webp?v=abc", "image/webp"), "media/x/960.webp");
        assert_eq!(file_for("/news-feed/?before=12", "text/html"), "news-feed/before-12/index.html");
        assert_eq!(relative("tag/port/index.html", "assets/theme.css"), "../../assets/theme.css");
        assert_eq!(relative("index.html", "rss/index.xml"), "rss/index.xml");
    }

    #[test]
    fn rewrites_links_and_srcsets() {
        let files = BTreeMap::from([
            ("/a/".to_owned(), "a/index.html".to_owned()),
            ("/media/x/480.jpg".to_owned(), "media/x/480.jpg".to_owned()),
            ("/media/x/960.jpg".to_owned(), "media/x/960.jpg".to_owned()),
        ]);
        let html = r#"<a href="/a/#top">A</a><img src="/media/x/480.jpg" srcset="/media/x/480.jpg 480w, /media/x/960.jpg 960w"><a href="https://elsewhere/">x</a><a href="/account/">Account</a><script src="/assets/live.js?v=1" defer></script>"#;
        let out = rewrite(html, "tag/t/index.html", &files, "https://news.example");
        assert!(out.contains(r#"href="../../a/index.html#top""#), "{out}");
        assert!(out.contains(r#"srcset="../../media/x/480.jpg 480w, ../../media/x/960.jpg 960w""#), "{out}");
        assert!(out.contains("https://elsewhere/") && !out.contains("live.js"), "{out}");
        assert!(out.contains(r#"href="https://news.example/account/""#), "members' pages are on the live site: {out}");
    }
}
