//! Per-node cache of rendered public pages for anonymous readers.
//!
//! An entry is valid for the content version it was rendered under; any publish, edit of public content or
//! unpublish bumps the version in the database, and [`crate::AppState::refresh_version`] clears the cache when it
//! sees a new one. Signed-in staff never read or fill the cache (they see "Edit post" and drafts).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
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
}

impl CachedPage {
    pub fn new(status: StatusCode, version: i64, content_type: &'static str, body: Bytes) -> CachedPage {
        let etag = etag_for(&body, version);
        let gzip = (body.len() > 1024).then(|| gzip(&body)).flatten();
        let created_at = jiff::Timestamp::now().as_second();
        CachedPage { status, content_type, version, etag, body, gzip, created_at }
    }
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::new(6));
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

pub struct PageCache {
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    max_entries: usize,
}

impl PageCache {
    pub fn new(max_entries: usize) -> PageCache {
        PageCache { pages: RwLock::new(HashMap::new()), max_entries }
    }

    pub fn get(&self, key: &str, version: i64) -> Option<Arc<CachedPage>> {
        let pages = self.pages.read().ok()?;
        pages.get(key).filter(|p| p.version == version).cloned()
    }

    pub fn put(&self, key: String, page: CachedPage) -> Arc<CachedPage> {
        let page = Arc::new(page);
        if let Ok(mut pages) = self.pages.write() {
            if pages.len() >= self.max_entries {
                // Simple and bounded: a full cache starts again. Hot pages refill at once.
                pages.clear();
            }
            pages.insert(key, page.clone());
        }
        page
    }

    pub fn clear(&self) {
        if let Ok(mut pages) = self.pages.write() {
            pages.clear();
        }
    }

    pub fn len(&self) -> usize {
        self.pages.read().map(|p| p.len()).unwrap_or(0)
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

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers.get_all(ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(|enc| {
        let mut parts = enc.split(';');
        let name = parts.next().unwrap_or("").trim();
        let refused = parts.any(|p| p.trim().replace(' ', "") == "q=0");
        (name == "gzip" || name == "*") && !refused
    })
}

/// The response for a cached page: 304 when the client already has it; gzipped when it accepts that.
pub fn respond(page: &CachedPage, request_headers: &HeaderMap) -> Response {
    let gz = page.gzip.as_ref().filter(|_| accepts_gzip(request_headers));
    // Each representation has its own strong ETag.
    let etag_text = match gz {
        Some(_) => format!("{}-gz\"", page.etag.trim_end_matches('"')),
        None => page.etag.clone(),
    };
    let etag = HeaderValue::from_str(&etag_text).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cache_control = HeaderValue::from_static("public, max-age=60, stale-while-revalidate=300");
    let vary = HeaderValue::from_static("Accept-Encoding");
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
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static(page.content_type)),
        (ETAG, etag),
        (CACHE_CONTROL, cache_control),
        (VARY, vary),
        (LAST_MODIFIED, last_modified),
    ];
    match gz {
        Some(body) => {
            (page.status, headers, [(CONTENT_ENCODING, HeaderValue::from_static("gzip"))], body.clone()).into_response()
        }
        None => (page.status, headers, page.body.clone()).into_response(),
    }
}
