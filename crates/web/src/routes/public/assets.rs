//! Embedded CSS/JS under `/assets/` and library files under `/media/{key}/{file}`, both immutable.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::cache;
use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// An embedded asset with its compressed variants, made once (text assets only: images are compressed already).
struct Encoded {
    content_type: &'static str,
    identity: Bytes,
    gzip: Option<Bytes>,
    br: Option<Bytes>,
}

static ENCODED: LazyLock<HashMap<&'static str, Encoded>> = LazyLock::new(|| {
    newsdesk_render::assets::ASSETS
        .iter()
        .map(|a| {
            let text = a.content_type.starts_with("text/") || a.content_type.starts_with("image/svg");
            let body = a.body.as_bytes();
            let encoded = Encoded {
                content_type: a.content_type,
                identity: Bytes::from_static(body),
                gzip: text.then(|| cache::gzip(body, 9)).flatten().filter(|z| z.len() < body.len()),
                br: text.then(|| cache::brotli_best(body)).flatten().filter(|z| z.len() < body.len()),
            };
            (a.name, encoded)
        })
        .collect()
});

/// Compresses the embedded assets now (at start), not on the first reader's request.
pub fn precompress() {
    LazyLock::force(&ENCODED);
}

pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    let Some(a) = ENCODED.get(name.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let common =
        [(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, IMMUTABLE), (header::VARY, "Accept-Encoding")];
    match (&a.br, &a.gzip) {
        (Some(br), _) if cache::accepts(&headers, "br") => {
            (common, [(header::CONTENT_ENCODING, "br")], br.clone()).into_response()
        }
        (_, Some(gz)) if cache::accepts(&headers, "gzip") => {
            (common, [(header::CONTENT_ENCODING, "gzip")], gz.clone()).into_response()
        }
        _ => (common, a.identity.clone()).into_response(),
    }
}

/// The built-in favicon (a Ledger-blue square); a theme overrides it with `<data>/theme/favicon.ico`.
const FAVICON: &[u8] = include_bytes!("../../../../render/assets/favicon.ico");

pub async fn favicon(State(state): State<AppState>) -> Response {
    let own = tokio::fs::read(state.theme_dir.join("favicon.ico")).await.ok();
    let body = own.map(Bytes::from).unwrap_or_else(|| Bytes::from_static(FAVICON));
    ([(header::CONTENT_TYPE, "image/x-icon"), (header::CACHE_CONTROL, "public, max-age=86400")], body).into_response()
}

/// `/media/{key}/{file}`: a library file's renditions (`{width}.jpg`, `{width}.webp`) and original
/// (`original.{ext}`; audio with ranges so players can seek). Keys and names are checked before the disk is touched.
pub async fn media(
    State(state): State<AppState>,
    Path((key, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let valid_key = match key.split_once('-') {
        Some((sha, suffix)) => hex(sha, 64) && hex(suffix, 8),
        None => hex(&key, 64),
    };
    let (stem, ext) = file.rsplit_once('.').unwrap_or(("", ""));
    let rendition = !stem.is_empty() && stem.bytes().all(|b| b.is_ascii_digit());
    let mime = match ext {
        "jpg" if rendition || stem == "original" => "image/jpeg",
        "webp" if rendition || stem == "original" => "image/webp",
        "png" | "gif" if stem == "original" => {
            if ext == "png" {
                "image/png"
            } else {
                "image/gif"
            }
        }
        "pdf" if stem == "original" => "application/pdf",
        "mp3" if stem == "original" => "audio/mpeg",
        "ogg" if stem == "original" => "audio/ogg",
        "wav" if stem == "original" => "audio/wav",
        "m4a" if stem == "original" => "audio/mp4",
        _ => "",
    };
    if !valid_key || mime.is_empty() {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.media.get(&newsdesk_services::media::media_key(&key, &file)).await {
        Ok(Some(bytes)) if mime.starts_with("audio/") => ranged(bytes, mime, &headers),
        Ok(Some(bytes)) => {
            ([(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, IMMUTABLE)], Body::from(bytes)).into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => storage_down(e),
    }
}

/// `/media/audio/{file}`: narrated audio, with single-range requests so players can seek.
pub async fn audio(
    State(state): State<AppState>,
    staff: crate::auth::MaybeStaff,
    member: crate::auth::MaybeMember,
    Path(file): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let (stem, ext) = file.rsplit_once('.').unwrap_or(("", ""));
    let valid = matches!(ext, "mp3" | "opus")
        && stem.split_once('-').is_some_and(|(id, hash)| {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && hash.len() == 16
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
        });
    if !valid {
        return StatusCode::NOT_FOUND.into_response();
    }
    // The audio of a story not for everyone reads the whole story: only for those who may read it (and never
    // kept by a shared cache). Anyone else is told it does not exist.
    let post_id = stem.split_once('-').and_then(|(id, _)| id.parse::<i64>().ok()).unwrap_or(0);
    let visibility = match state.store.post_visibility(post_id).await {
        Ok(v) => v,
        Err(e) => return crate::error::AppError::from(e).into_response(),
    };
    let Some(visibility) = visibility else { return StatusCode::NOT_FOUND.into_response() };
    let gated = !visibility.is_public();
    let access = if staff.0.is_some() { newsdesk_domain::Access::Staff } else { member.access() };
    if gated && !visibility.allows(&access) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bytes = match state.media.get(&newsdesk_services::media::audio_key(&file)).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return storage_down(e),
    };
    let mime = if ext == "mp3" { "audio/mpeg" } else { "audio/ogg; codecs=opus" };
    let mut r = ranged(bytes, mime, &headers);
    if gated {
        r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, max-age=3600"));
    }
    r
}

/// The media store did not answer: 503 with a retry hint (the page that names the file is fine; the file will be).
fn storage_down(e: newsdesk_services::storage::StorageError) -> Response {
    tracing::warn!(error = %e, "a media file could not be read");
    (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "5")], "The media store is not answering; try again.")
        .into_response()
}

/// Audio with single-range requests, so players can seek.
fn ranged(bytes: bytes::Bytes, mime: &'static str, headers: &HeaderMap) -> Response {
    let len = bytes.len() as u64;
    let range =
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()).and_then(|r| r.strip_prefix("bytes=")).and_then(|r| {
            let (a, b) = r.split_once('-')?;
            match (a.parse::<u64>().ok(), b.parse::<u64>().ok()) {
                (Some(a), Some(b)) if a <= b && a < len => Some((a, b.min(len - 1))),
                (Some(a), None) if a < len => Some((a, len - 1)),
                (None, Some(n)) if n > 0 => Some((len.saturating_sub(n), len - 1)),
                _ => None,
            }
        });
    let common = [(header::CONTENT_TYPE, mime), (header::CACHE_CONTROL, IMMUTABLE), (header::ACCEPT_RANGES, "bytes")];
    match range {
        Some((a, b)) => {
            let body = bytes.slice(a as usize..=b as usize);
            (
                StatusCode::PARTIAL_CONTENT,
                common,
                [(header::CONTENT_RANGE, format!("bytes {a}-{b}/{len}"))],
                Body::from(body),
            )
                .into_response()
        }
        None if headers.contains_key(header::RANGE) => {
            (StatusCode::RANGE_NOT_SATISFIABLE, [(header::CONTENT_RANGE, format!("bytes */{len}"))]).into_response()
        }
        None => (common, Body::from(bytes)).into_response(),
    }
}

static COVER: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();

/// `/podcast/cover.png`: a 1400×1400 cover for podcast apps (they require a square raster image).
pub async fn podcast_cover() -> Response {
    let png = tokio::task::spawn_blocking(|| {
        COVER
            .get_or_init(|| {
                let img = image::RgbImage::from_fn(1400, 1400, |x, y| {
                    let band = (620..780).contains(&y);
                    let wave = ((x as f32 / 40.0).sin() * 60.0 + 700.0) as u32;
                    if band && y.abs_diff(wave) < 14 { image::Rgb([255, 253, 248]) } else { image::Rgb([163, 23, 27]) }
                });
                let mut out = std::io::Cursor::new(Vec::new());
                let _ = img.write_to(&mut out, image::ImageFormat::Png);
                out.into_inner()
            })
            .clone()
    })
    .await
    .unwrap_or_default();
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=86400")], Body::from(png))
        .into_response()
}
