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
