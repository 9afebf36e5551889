//! Handlers, by area: `public` (the reader's site), `admin` (staff), `api` (JSON API v1).

pub mod admin;
pub mod api;
pub mod public;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

/// Logs each request once, with its status and duration, and adds the security headers every response carries.
pub async fn log_requests(req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.entry("x-content-type-options").or_insert(axum::http::HeaderValue::from_static("nosniff"));
    h.entry("referrer-policy").or_insert(axum::http::HeaderValue::from_static("strict-origin-when-cross-origin"));
    if path.starts_with("/admin") {
        h.entry("x-frame-options").or_insert(axum::http::HeaderValue::from_static("DENY"));
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
