//! `/api/v1/media`: upload an image (multipart field `file`; answers its id for `feature_image`), list and search
//! the library, change a file's defaults and focal point, delete a file no story uses.

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

/// A library file as the API shows it.
fn media_json(state: &AppState, m: &newsdesk_store::media::Media, used_in: Option<i64>) -> serde_json::Value {
    let url = if m.kind == "image" {
        absolute(state, &image_view(m, None, None, None).src)
    } else {
        absolute(state, &format!("/media/{}/original.{}", m.file_key, newsdesk_services::media::original_ext(&m.mime)))
    };
    serde_json::json!({
        "id": m.id, "kind": m.kind, "mime": m.mime, "url": url, "width": m.width, "height": m.height,
        "size_bytes": m.size_bytes, "name": m.original_name, "alt": m.alt, "caption": m.caption, "credit": m.credit,
        "focal": { "x": m.focal_x, "y": m.focal_y }, "used_in": used_in,
        "created_at": super::rfc3339(Some(m.created_at)),
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    kind: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `GET /media?q=&kind=image|audio|document&page=&limit=`: the library, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiQuery(q): super::ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let _ = auth;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let filter = newsdesk_store::media::MediaFilter { search: q.q, kind: q.kind, ..Default::default() };
    let page = state.store.list_media(&filter, q.page.unwrap_or(1), limit).await?;
    Ok(Json(serde_json::json!({
        "media": page.items.iter().map(|e| media_json(&state, &e.media, Some(e.used_in))).collect::<Vec<_>>(),
        "meta": { "page": page.page, "limit": limit, "pages": page.pages(), "total": page.total },
    })))
}

/// `GET /media/{id}`.
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let _ = auth;
    let m = state.store.media(id).await?.ok_or_else(|| ApiError::not_found("file"))?;
    Ok(Json(serde_json::json!({ "media": media_json(&state, &m, None) })))
}

#[derive(serde::Deserialize)]
struct MetaBody {
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    focal_x: Option<i64>,
    focal_y: Option<i64>,
}

/// `PATCH /media/{id}` `{"alt", "caption", "credit", "focal_x", "focal_y"}`: the defaults stories take, and the
/// focal point; absent fields keep their values. Stories that use the file are drawn again.
#[tracing::instrument(skip_all, name = "api.media.update", fields(media.id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let b: MetaBody = super::json_body(&bytes, "media")?;
    let m = state.store.media(id).await?.ok_or_else(|| ApiError::not_found("file"))?;
    let (fx, fy) = (b.focal_x.unwrap_or(m.focal_x).to_string(), b.focal_y.unwrap_or(m.focal_y).to_string());
    let form = newsdesk_services::media::MetaForm {
        alt: b.alt.as_deref().or(m.alt.as_deref()),
        caption: b.caption.as_deref().or(m.caption.as_deref()),
        credit: b.credit.as_deref().or(m.credit.as_deref()),
        focal_x: &fx,
        focal_y: &fy,
    };
    newsdesk_services::media::update_meta(&state, &auth.actor, id, form).await?;
    state.refresh_version().await;
    let m = state.store.media(id).await?.ok_or_else(|| ApiError::not_found("file"))?;
    Ok(Json(serde_json::json!({ "media": media_json(&state, &m, None) })))
}

/// `DELETE /media/{id}`: refused (`422 media_in_use`) while a story uses it.
#[tracing::instrument(skip_all, name = "api.media.delete", fields(media.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    newsdesk_services::media::delete(&state, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
