//! `POST /api/v1/media`: upload an image (multipart field `file`); answers its id for `feature_image`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{ApiAuth, absolute};
use crate::error::ApiError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::media::store_image;
use newsdesk_services::views::image_view;

#[tracing::instrument(skip_all, name = "api.media.upload")]
pub async fn upload(State(state): State<AppState>, auth: ApiAuth, form: FormData) -> Result<Response, ApiError> {
    let _ = auth;
    let file = form.file.ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "file_missing", "Send the image as multipart field \"file\".")
    })?;
    let media = store_image(&state.store, &state.media_dir, &file.filename, file.bytes, "file")
        .await
        .map_err(newsdesk_services::ServiceError::from)?;
    let view = image_view(&media, None, None, None);
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "media": {
        "id": media.id, "url": absolute(&state, &view.src), "width": media.width, "height": media.height, "srcset": view.srcset } }))).into_response())
}
