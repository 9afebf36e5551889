//! The Ghost-compatible Content API under `/ghost/api/content/` (and the versioned `/ghost/api/v4/content/` the
//! older clients use): read-only, keyed by a Content API key in `?key=`, open to any origin (CORS), answered from the
//! page cache like the public pages, with Ghost's error shape. The shapes and the filter language live in
//! `newsdesk_services::ghost`.

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use newsdesk_services::ghost::{self, GhostError, Key, Params};

use crate::cache::{self, CachedPage, Lookup};
use crate::state::AppState;

/// How long a Content API key found valid is believed without asking the database: a revoked key stops working
/// on other nodes within this long (on this one at once, see [`forget_keys`]).
const KEY_TTL: Duration = Duration::from_secs(10);

/// Forgets the keys this node found valid (after a revocation).
pub fn forget_keys(state: &AppState) {
    if let Ok(mut k) = state.content_keys.lock() {
        k.clear();
    }
}

async fn key_ok(state: &AppState, key: Option<&str>) -> Result<(), GhostError> {
    let unknown = || GhostError::Unauthorized("Unknown Content API Key".into());
    let key = key.filter(|k| k.len() == 26 && k.chars().all(|c| c.is_ascii_hexdigit())).ok_or_else(unknown)?;
    let hash = newsdesk_store::hash_token(&key.to_ascii_lowercase());
    if let Ok(k) = state.content_keys.lock()
        && k.get(&hash).is_some_and(|t| t.elapsed() < KEY_TTL)
    {
        return Ok(());
    }
    if !state.store.content_key_valid(&hash).await? {
        return Err(unknown());
    }
    if let Ok(mut k) = state.content_keys.lock() {
        if k.len() > 10_000 {
            k.clear();
        }
        k.insert(hash, Instant::now());
    }
    Ok(())
}

#[derive(serde::Deserialize, Default)]
pub struct Q {
    key: Option<String>,
    #[serde(flatten)]
    params: Params,
}

fn error(e: GhostError) -> Response {
    if let GhostError::Internal(err) = &e {
        tracing::error!(error = format!("{err:#}"), "content API request failed");
    }
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = (status, axum::Json(e.body())).into_response();
    cors(r.headers_mut());
    r
}

fn cors(h: &mut HeaderMap) {
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Version, Accept-Encoding"));
}

/// Answers from the page cache under the URL without its key (every key reads the same content).
async fn serve<F, Fut>(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    key: Option<&str>,
    render: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<serde_json::Value, GhostError>>,
{
    if let Err(e) = key_ok(state, key).await {
        return error(e);
    }
    let query: Vec<&str> =
        uri.query().unwrap_or("").split('&').filter(|p| !p.is_empty() && !p.starts_with("key=")).collect();
    let cache_key = format!("ghost:{}?{}", uri.path(), query.join("&"));
    let version = state.version();
    // The Ghost API has no News Feed or picks in it: its pages depend on the content version alone.
    let now = newsdesk_store::site::Versions { content: version, ..Default::default() };
    let claim = match state.cache.lookup(&cache_key, &now).await {
        Lookup::Fresh(page) | Lookup::Stale(page) => return finish(cache::respond(&page, headers), headers),
        Lookup::Splice(_, claim) | Lookup::Render(claim) => claim,
    };
    match render().await {
        Ok(json) => {
            let body = Bytes::from(serde_json::to_vec(&json).unwrap_or_default());
            let page = CachedPage::new(StatusCode::OK, version, "application/json; charset=utf-8", body);
            let page = state.cache.put(cache_key, page, Some(claim));
            finish(cache::respond(&page, headers), headers)
        }
        Err(e) => error(e),
    }
}

fn finish(mut r: Response, request: &HeaderMap) -> Response {
    let h = r.headers_mut();
    cors(h);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=0"));
    if let Some(v) = request.get("accept-version").filter(|v| v.len() < 20) {
        h.insert("content-version", v.clone());
    }
    r
}

macro_rules! list_routes {
    ($browse:ident, $by_id:ident, $by_slug:ident, $service:path) => {
        async fn $browse(
            State(s): State<AppState>,
            OriginalUri(u): OriginalUri,
            h: HeaderMap,
            Query(q): Query<Q>,
        ) -> Response {
            serve(&s, &h, &u, q.key.as_deref(), || $service(&s, None, &q.params)).await
        }
        async fn $by_id(
            State(s): State<AppState>,
            OriginalUri(u): OriginalUri,
            h: HeaderMap,
            Path(id): Path<String>,
            Query(q): Query<Q>,
        ) -> Response {
            serve(&s, &h, &u, q.key.as_deref(), || $service(&s, Some(Key::Id(&id)), &q.params)).await
        }
        async fn $by_slug(
            State(s): State<AppState>,
            OriginalUri(u): OriginalUri,
            h: HeaderMap,
            Path(slug): Path<String>,
            Query(q): Query<Q>,
        ) -> Response {
            serve(&s, &h, &u, q.key.as_deref(), || $service(&s, Some(Key::Slug(&slug)), &q.params)).await
        }
    };
}

list_routes!(posts, post_by_id, post_by_slug, ghost::posts);
list_routes!(pages, page_by_id, page_by_slug, ghost::pages);
list_routes!(tags, tag_by_id, tag_by_slug, ghost::tags);
list_routes!(authors, author_by_id, author_by_slug, ghost::authors);

async fn settings(
    State(s): State<AppState>,
    OriginalUri(u): OriginalUri,
    h: HeaderMap,
    Query(q): Query<Q>,
) -> Response {
    serve(&s, &h, &u, q.key.as_deref(), || ghost::settings(&s)).await
}

async fn not_found() -> Response {
    error(GhostError::NotFound("Resource not found".into()))
}

/// Preflight requests from any origin, and CORS on every answer (a refused query string included).
async fn cors_layer(req: Request, next: Next) -> Response {
    if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        let h = r.headers_mut();
        cors(h);
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, HEAD, OPTIONS"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Accept-Version, Content-Type, Authorization"),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("86400"));
        // A front-end on the public web may read a Content API on a private address (an intranet, a laptop).
        h.insert("access-control-allow-private-network", HeaderValue::from_static("true"));
        return r;
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return error(GhostError::NotFound("Resource not found".into()));
    }
    let mut r = next.run(req).await;
    // axum's own refusal of a malformed query string: in Ghost's shape.
    if r.status() == StatusCode::BAD_REQUEST && !r.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        return error(GhostError::BadRequest("The query string is malformed.".into()));
    }
    cors(r.headers_mut());
    r
}

/// The Content API's routes, to nest under `/ghost/api/content` and `/ghost/api/{version}/content`.
pub fn content_router() -> Router<AppState> {
    Router::new()
        .route("/posts/", get(posts))
        .route("/posts/{id}/", get(post_by_id))
        .route("/posts/slug/{slug}/", get(post_by_slug))
        .route("/pages/", get(pages))
        .route("/pages/{id}/", get(page_by_id))
        .route("/pages/slug/{slug}/", get(page_by_slug))
        .route("/tags/", get(tags))
        .route("/tags/{id}/", get(tag_by_id))
        .route("/tags/slug/{slug}/", get(tag_by_slug))
        .route("/authors/", get(authors))
        .route("/authors/{id}/", get(author_by_id))
        .route("/authors/slug/{slug}/", get(author_by_slug))
        .route("/settings/", get(settings))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(cors_layer))
}
