//! Embedded CSS/JS under `/assets/` and uploaded images under `/media/{sha256}/{width}.jpg`, both immutable.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn asset(Path(name): Path<String>) -> Response {
    match newsdesk_render::assets::find(&name) {
        Some(a) => {
            ([(header::CONTENT_TYPE, a.content_type), (header::CACHE_CONTROL, IMMUTABLE)], a.body).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

pub async fn media(State(state): State<AppState>, Path((sha, file)): Path<(String, String)>) -> Response {
    let valid_sha = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    let valid_file = file.strip_suffix(".jpg").is_some_and(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit()));
    if !valid_sha || !valid_file {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = crate::media::media_path(&state.media_dir, &sha).join(&file);
    match tokio::fs::read(&path).await {
        Ok(bytes) => ([(header::CONTENT_TYPE, "image/jpeg"), (header::CACHE_CONTROL, IMMUTABLE)], Body::from(bytes))
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/media/audio/{file}`: narrated audio, with single-range requests so players can seek.
pub async fn audio(
    State(state): State<AppState>,
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
    let Ok(bytes) = tokio::fs::read(state.media_dir.join("audio").join(&file)).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mime = if ext == "mp3" { "audio/mpeg" } else { "audio/ogg; codecs=opus" };
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
            let body = bytes[a as usize..=b as usize].to_vec();
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
