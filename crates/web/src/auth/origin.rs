//! Refusing cross-site browser writes by where they come from (`Sec-Fetch-Site`, `Origin`).
//!
//! The public signup forms sit on cached pages and cannot carry a per-visitor CSRF token, so this is their guard;
//! for staff forms it is defence in depth beside the token. A browser says where a request comes from: modern ones
//! send `Sec-Fetch-Site` on every request, and `Origin` on every cross-site POST. `Origin: null` is what a sandboxed
//! iframe, a `data:` page or a cross-origin redirect sends — any site can make one — so it is refused, never trusted.
//! A request with neither header is not a browser's cross-site request (curl, a mail provider, an API client) and
//! passes: what it may do is decided by its token or signed link.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// Whether a request with these headers comes from this site's own pages (or from no browser at all).
pub fn same_origin(site_url: &str, headers: &HeaderMap) -> bool {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("same-origin") | Some("none") => return true,
        Some("cross-site") => return false,
        // "same-site" (a sibling subdomain) and unknown values: the Origin must be exactly ours.
        _ => {}
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return !headers.contains_key("sec-fetch-site");
    };
    let Ok(origin) = origin.to_str() else { return false };
    if origin == "null" {
        return false;
    }
    let own = site_origin(site_url);
    if origin.eq_ignore_ascii_case(&own) {
        return true;
    }
    // Behind a proxy that keeps the Host header, the browser's origin is the host it asked for.
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    !host.is_empty()
        && origin
            .split_once("://")
            .is_some_and(|(scheme, h)| matches!(scheme, "http" | "https") && h.eq_ignore_ascii_case(host))
}

/// `scheme://host[:port]` of the site's public URL.
fn site_origin(site_url: &str) -> String {
    match url::Url::parse(site_url) {
        Ok(u) => u.origin().ascii_serialization(),
        Err(_) => site_url.trim_end_matches('/').to_owned(),
    }
}

/// Paths whose writes are authorised by something other than a browser session, and so are not checked here: the
/// JSON API (bearer tokens, webhook secrets) and RFC 8058 one-click unsubscribe, which mail providers POST from
/// their own servers with nothing but the signed link.
fn exempt(path: &str) -> bool {
    path.starts_with("/api/") || path.starts_with("/newsletters/unsubscribe/")
}

/// Middleware: every browser write (POST, PUT, PATCH, DELETE) to a public or admin path must come from this site.
pub async fn refuse_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || exempt(req.uri().path()) || same_origin(&state.site.url, req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(http.path = %req.uri().path(), "cross-site write refused");
    let message = "This form can be sent only from this site's own pages.";
    let wants_json =
        req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    if wants_json {
        let body = serde_json::json!({ "error": "cross_site", "message": message });
        return (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
    }
    crate::error::AppError::Forbidden(message.into()).into_response()
}

#[cfg(test)]
mod tests {
    use super::same_origin;
    use axum::http::HeaderMap;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", "news.example".parse().unwrap());
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const SITE: &str = "https://news.example";

    #[test]
    fn origin_null_is_refused() {
        assert!(!same_origin(SITE, &headers(&[("origin", "null")])));
    }

    #[test]
    fn sec_fetch_site_decides_first() {
        assert!(!same_origin(SITE, &headers(&[("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(SITE, &headers(&[("sec-fetch-site", "cross-site"), ("origin", SITE)])));
        assert!(same_origin(SITE, &headers(&[("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(SITE, &headers(&[("sec-fetch-site", "same-site"), ("origin", "https://ads.example")])));
        assert!(!same_origin(SITE, &headers(&[("sec-fetch-site", "same-site")])), "same-site without an Origin");
    }

    #[test]
    fn origins_must_match_exactly() {
        assert!(same_origin(SITE, &headers(&[("origin", "https://news.example")])));
        assert!(!same_origin(SITE, &headers(&[("origin", "https://news.example.evil.example")])));
        assert!(!same_origin(SITE, &headers(&[("origin", "https://evil.example")])));
        assert!(same_origin(SITE, &headers(&[])), "no browser, no origin: decided by token or signed link");
    }
}
