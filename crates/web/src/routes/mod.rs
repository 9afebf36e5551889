//! Handlers, by area: `public` (the reader's site), `admin` (staff), `api` (JSON API v1).

pub mod admin;
pub mod api;
pub mod ghost;
pub mod public;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Content-Security-Policy of public pages. Scripts only from our own files (the theme has no inline script, and
/// JSON-LD blocks are data, which CSP does not run); inline styles are allowed because newsletter e-mail HTML,
/// shown in `srcdoc` frames that inherit this policy, carries its styles inline; images from anywhere over https
/// (stories may show a photo hosted elsewhere); forms post only here; frames from the embed providers' player hosts
/// (`newsdesk_render::document::embeds::FRAME_HOSTS`), made only when a reader asks for a player.
pub const PUBLIC_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; media-src 'self' https:; font-src 'self'; connect-src 'self'; frame-src 'self' https://www.youtube-nocookie.com https://player.vimeo.com https://www.tiktok.com https://w.soundcloud.com https://open.spotify.com https://platform.twitter.com https://www.instagram.com https://maps.google.com https://www.openstreetmap.org https://embed.documentcloud.org https://www.scribd.com https://datawrapper.dwcdn.net https://flo.uri.sh; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// The admin's policy: the same, and never framed by anyone.
pub const ADMIN_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; media-src 'self' https:; font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Logs each request once, with its status and duration, and adds the security headers every response carries.
/// It also counts the request for `/metrics` under its route's pattern.
pub async fn log_requests(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    req: Request,
    next: Next,
) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    // The pattern is shared (an `Arc`): cloning it allocates nothing.
    let route = req.extensions().get::<axum::extract::MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    let pattern = route.as_ref().map_or("(unmatched)", |r| r.as_str());
    state.metrics.observe(pattern, &method, resp.status(), start.elapsed());
    let h = resp.headers_mut();
    h.entry("x-content-type-options").or_insert(axum::http::HeaderValue::from_static("nosniff"));
    h.entry("referrer-policy").or_insert(axum::http::HeaderValue::from_static("strict-origin-when-cross-origin"));
    let admin = path.starts_with("/admin");
    if admin {
        h.entry("x-frame-options").or_insert(axum::http::HeaderValue::from_static("DENY"));
    }
    let html = h
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html {
        let csp = if admin { ADMIN_CSP } else { PUBLIC_CSP };
        h.entry("content-security-policy").or_insert(axum::http::HeaderValue::from_static(csp));
    }
    tracing::info!(
        http.method = %method,
        http.path = %path,
        http.status = resp.status().as_u16(),
        duration_ms = start.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn public_pages_may_frame_every_embed_player_and_nothing_else() {
        let frame_src = super::PUBLIC_CSP.split(';').find(|d| d.trim().starts_with("frame-src")).unwrap_or_default();
        let allowed: Vec<&str> = frame_src.split_whitespace().skip(1).filter(|h| *h != "'self'").collect();
        assert_eq!(allowed, newsdesk_render::document::embeds::FRAME_HOSTS);
    }
}
