//! Search for readers: `/search/?q=…` (a plain GET form that works without JavaScript; `search.js` updates the
//! results as the reader types) and `/opensearch.xml`, which lets browsers offer the site's search.
//!
//! Result pages are never put in the page cache: the queries are endless, and a crawler asking for them must not
//! push articles out of it. Browsers and CDNs may keep one for a minute.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::search::MAX_CHARS;
use newsdesk_services::search;
use newsdesk_services::views::search_result_view;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

use super::edition::{Edition, with_edition};
use super::page_html;
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;

/// Results per page.
const PER_PAGE: i64 = 10;

/// Result pages a reader can go through (deeper pages cost the engine most and help nobody).
const MAX_PAGE: i64 = 100;

/// Searches per minute from one address, pages and API together (typing sends one every few keystrokes).
pub const PER_MINUTE: u32 = 120;

/// The form's fields, as the URL has them; anything unreadable counts as absent.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct Params {
    #[serde(default)]
    q: String,
    #[serde(default)]
    tag: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    sort: String,
    #[serde(default, skip_serializing)]
    page: String,
}

impl Params {
    /// The URL of these parameters at page `n` (the first page has none), at `base` ("/search/", "/uk/search/").
    fn url(&self, base: &str, n: i64) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in
            [("q", &self.q), ("tag", &self.tag), ("author", &self.author), ("from", &self.from), ("to", &self.to)]
        {
            if !v.is_empty() {
                pairs.append_pair(k, v);
            }
        }
        if self.sort == "newest" {
            pairs.append_pair("sort", "newest");
        }
        if n > 1 {
            pairs.append_pair("page", &n.to_string());
        }
        let q = pairs.finish();
        if q.is_empty() { base.to_owned() } else { format!("{base}?{q}") }
    }

    fn has_filters(&self) -> bool {
        [&self.tag, &self.author, &self.from, &self.to].iter().any(|v| !v.is_empty()) || self.sort == "newest"
    }
}

/// Whether one more search from this address is allowed now.
pub async fn allowed(state: &AppState, addr: &SocketAddr) -> bool {
    state.limiter.allow(&format!("search-ip:{}", addr.ip()), PER_MINUTE, Duration::from_secs(60)).await
}

pub async fn page(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    params: Result<Query<Params>, QueryRejection>,
) -> Result<Response, AppError> {
    let mut p = params.map(|Query(p)| p).unwrap_or_default();
    p.q = p.q.chars().filter(|c| !c.is_control()).take(MAX_CHARS).collect();
    for v in [&mut p.tag, &mut p.author, &mut p.from, &mut p.to, &mut p.sort] {
        *v = v.trim().chars().take(100).collect();
    }
    let n = p.page.trim().parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE);
    let asked = !p.q.trim().is_empty();
    let mut status = StatusCode::OK;
    let mut errors = serde_json::Map::new();
    let mut results = Vec::new();
    let mut total = 0;
    if asked && staff.0.is_none() && !allowed(&state, &addr).await {
        status = StatusCode::TOO_MANY_REQUESTS;
        errors.insert("q".into(), state.templates.locales().get(&edition.tag).text("search_too_fast", &[]).into());
    } else if asked {
        let request = search::Request {
            q: &p.q,
            tag: Some(&p.tag),
            author: Some(&p.author),
            from: Some(&p.from),
            to: Some(&p.to),
            sort: (p.sort == "newest").then_some("newest"),
            page: n,
            limit: PER_PAGE,
            language: edition.filter(),
        };
        match search::search(&state, &request).await {
            Ok(found) => {
                total = found.total;
                results = found.hits.iter().map(search_result_view).collect::<Vec<_>>();
                for kicker in results.iter_mut().filter_map(|r| r.kicker.as_mut()) {
                    kicker.url = edition.path(&kicker.url);
                }
            }
            Err(newsdesk_services::ServiceError::Invalid { errors: fields, .. }) => {
                status = StatusCode::BAD_REQUEST;
                errors.extend(fields.into_iter().map(|(k, v)| (k.to_owned(), v.into())));
            }
            Err(e) => return Err(e.into()),
        }
    }
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).clamp(1, MAX_PAGE);
    let base = edition.path("/search/");
    // The filters' choices are built once per content version, with the rest of every page's chrome.
    let chrome = super::chrome(&state).await?;
    let (sections, authors) = (&chrome.sections, &chrome.authors);
    let data = serde_json::json!({
        "search": &p,
        "asked": asked,
        "results": results,
        "total": total,
        "errors": errors,
        "filters_open": p.has_filters() || !errors.is_empty(),
        "sections": sections.iter().map(|t| serde_json::json!({"slug": t.slug, "name": t.name})).collect::<Vec<_>>(),
        "people": authors.iter().filter(|a| a.kind != "desk").map(|a| serde_json::json!({"slug": a.slug, "name": a.name})).collect::<Vec<_>>(),
        "desks": authors.iter().filter(|a| a.kind == "desk").map(|a| serde_json::json!({"slug": a.slug, "name": a.name})).collect::<Vec<_>>(),
        "pagination": {
            "page": n,
            "pages": pages,
            "total": total,
            "prev": (n > 1).then(|| p.url(&base, n - 1)),
            "next": (n < pages).then(|| p.url(&base, n + 1)),
        },
        "page_title": if asked { format!("{} – Search – {}", p.q.trim(), state.site.title) } else { format!("Search – {}", state.site.title) },
    });
    let data = with_edition(data, &edition, &state.site, "/search/");
    let html = page_html(&state, &staff, &base, "search.html", data).await?;
    let cache = if staff.0.is_some() || status != StatusCode::OK { "private, no-store" } else { "public, max-age=60" };
    Ok((status, [(header::CACHE_CONTROL, cache)], axum::response::Html(html)).into_response())
}

/// The OpenSearch description: browsers offer "Search <site>" from the address bar.
pub async fn opensearch(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    super::serve_document(&state, &headers, "/opensearch.xml", "application/opensearchdescription+xml", || async {
        Ok(newsdesk_render::feeds::opensearch(&state.site.title, &state.site.url, &state.site.language))
    })
    .await
    .map(|mut r| {
        r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
        r
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn page_links_keep_the_query_and_drop_empty_fields() {
        let p = super::Params { q: "barrier & \"delay\"".into(), tag: "harbour".into(), ..Default::default() };
        assert_eq!(p.url("/search/", 1), "/search/?q=barrier+%26+%22delay%22&tag=harbour");
        assert_eq!(p.url("/uk/search/", 3), "/uk/search/?q=barrier+%26+%22delay%22&tag=harbour&page=3");
        assert_eq!(super::Params::default().url("/search/", 1), "/search/");
    }
}
