//! Redirects that stay on this site.
//!
//! A `Location` is built only from a path that parses, relative to this site, to this site: it starts with one
//! slash, has no second slash or backslash after it (browsers read `//host` and `/\host` as another host, and drop
//! tabs and newlines before they look), no control characters or odd white space (raw or percent-encoded), and it
//! is re-serialised from the parsed URL, so what is sent is what was checked.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;

/// The candidate as a same-origin absolute path (with its query), or `None` when it could lead anywhere else.
pub fn local_path(candidate: &str) -> Option<String> {
    fn plain(s: &str) -> bool {
        !s.chars().any(|c| c.is_control() || c == '\\' || (c.is_whitespace() && c != ' '))
    }
    if !candidate.starts_with('/') || candidate.starts_with("//") || !plain(candidate) {
        return None;
    }
    let decoded = percent_decode_str(candidate).decode_utf8_lossy();
    if decoded.starts_with("//") || !plain(&decoded) {
        return None;
    }
    let base = url::Url::parse("http://newsdesk.invalid/").ok()?;
    let url = base.join(candidate).ok()?;
    if url.origin() != base.origin() {
        return None;
    }
    let path = &url[url::Position::BeforePath..];
    (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_owned())
}

/// `303 See Other` to a path of this site; anything that is not one goes to the home page instead.
pub fn see_other(to: &str) -> Response {
    let location =
        local_path(to).and_then(|p| HeaderValue::from_str(&p).ok()).unwrap_or_else(|| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// WordPress's query addresses (`/?p=123`), answered at the root before the home page is.
fn old_query_at_root(path: &str, query: Option<&str>) -> bool {
    path == "/"
        && query.is_some_and(|q| {
            q.split('&').any(|pair| {
                matches!(pair.split('=').next(), Some("p" | "page_id" | "attachment_id" | "cat" | "tag" | "author"))
            })
        })
}

/// Answers old addresses (an imported site's permalinks, a story's earlier slug, redirects staff added) with their
/// redirect, for requests that nothing else answered (a 404), so a redirect never shadows a live page. The
/// database is asked only then.
pub async fn old_links(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let readable = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    // The URI's parts are shared buffers: keeping it costs no copy of the path on the hot path.
    let uri = req.uri().clone();
    let (path, query) = (uri.path(), uri.query());
    if !readable
        || path.starts_with("/api/")
        || path.starts_with("/admin")
        || path.starts_with("/assets/")
        || path.starts_with("/ghost/")
    {
        return next.run(req).await;
    }
    if old_query_at_root(path, query)
        && let Some(r) = lookup(&state, path, query).await
    {
        return r;
    }
    let response = next.run(req).await;
    // The fallback's own redirect to the address with a trailing slash would cost an old link a second hop.
    let slash_added = response.status() == StatusCode::MOVED_PERMANENTLY
        && response.headers().get(header::LOCATION).is_some_and(|l| l.as_bytes() == format!("{path}/").as_bytes());
    if response.status() != StatusCode::NOT_FOUND && !slash_added {
        return response;
    }
    lookup(&state, path, query).await.unwrap_or(response)
}

async fn lookup(state: &crate::state::AppState, path: &str, query: Option<&str>) -> Option<Response> {
    match state.store.resolve_redirect(path, query).await {
        Ok(Some((to, status))) => {
            let location = local_path(&to).and_then(|p| HeaderValue::from_str(&p).ok())?;
            let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::MOVED_PERMANENTLY);
            Some(
                (
                    status,
                    [
                        (header::LOCATION, location),
                        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300")),
                    ],
                )
                    .into_response(),
            )
        }
        Ok(None) => None,
        Err(e) => {
            tracing::warn!(error = %e, "redirect lookup failed");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    /// Regression: `/admin/signin?next=/%09/evil.example/` redirected to `/\t/evil.example/`, which browsers follow
    /// to evil.example; `/\evil` became `//evil/`.
    #[test]
    fn open_redirect_candidates_are_refused() {
        for bad in [
            "//evil.example",
            "//evil.example/",
            "///evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "\\\\evil.example",
            "/\t/evil.example/",
            "/\n/evil.example/",
            "/\r\n/evil.example",
            "/%09/evil.example/",
            "/%0a/evil.example/",
            "/%0D%0ASet-Cookie:x=1",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%5c%5cevil.example",
            "//evil%E3%80%82example",
            "//evil\u{3002}example",
            "//2130706433",
            "//0x7f.1",
            "/\u{3000}/evil.example",
            "/\u{a0}/evil.example",
            "https://evil.example/",
            "http:/evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
            " /admin",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?} must not be followed");
        }
    }

    #[test]
    fn own_paths_are_kept() {
        assert_eq!(local_path("/admin/posts").as_deref(), Some("/admin/posts"));
        assert_eq!(local_path("/admin/posts?q=harbour%20bridge").as_deref(), Some("/admin/posts?q=harbour%20bridge"));
        assert_eq!(local_path("/admin/posts/3/edit").as_deref(), Some("/admin/posts/3/edit"));
        assert_eq!(local_path("/caf\u{e9}/").as_deref(), Some("/caf%C3%A9/"), "re-serialised from the parsed URL");
        assert_eq!(local_path("/a/../b/").as_deref(), Some("/b/"));
    }
}
