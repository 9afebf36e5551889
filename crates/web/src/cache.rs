//! Per-node cache of rendered public pages for anonymous readers.
//!
//! An entry is valid for the content version it was rendered under; any publish, edit of public content or
//! unpublish bumps the version in the database, and [`crate::AppState::refresh_version`] clears the cache when it
//! sees a new one. Signed-in staff never read or fill the cache (they see "Edit post" and drafts).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

#[derive(Debug)]
pub struct CachedPage {
    pub status: StatusCode,
    pub version: i64,
    pub etag: String,
    pub body: Bytes,
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

/// The response for a cached page: 304 when the client already has it.
pub fn respond(page: &CachedPage, request_headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&page.etag).unwrap_or_else(|_| HeaderValue::from_static("\"0\""));
    let cache_control = HeaderValue::from_static("public, max-age=60, stale-while-revalidate=300");
    let matches = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == page.etag));
    if matches && page.status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, [(ETAG, etag), (CACHE_CONTROL, cache_control)]).into_response();
    }
    (
        page.status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (ETAG, etag),
            (CACHE_CONTROL, cache_control),
        ],
        page.body.clone(),
    )
        .into_response()
}
