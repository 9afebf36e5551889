//! `/api/v1/media`: upload an image (multipart field `file`; answers its id for `feature_image`), list and search
//! the library, change a file's defaults and focal point, delete a file no story uses.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use newsdesk_services::api_views::{ApiMedia, PageMeta, media as media_json};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use super::ApiAuth;
use crate::error::ApiError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::media::store_image;

/// One library file.
#[derive(Serialize, ToSchema)]
pub struct MediaAnswer {
    media: ApiMedia,
}

/// A page of the library.
#[derive(Serialize, ToSchema)]
pub struct MediaList {
    media: Vec<ApiMedia>,
    meta: PageMeta,
}

/// An upload: the image in the multipart field `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Upload {
    /// JPEG, PNG, WebP or GIF, up to 25 MB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Uploads an image into the library; its id is what `feature_image` takes.
#[utoipa::path(post, path = "/media", tag = "media", security(("token" = [])),
    request_body(content = Upload, content_type = "multipart/form-data"),
    responses((status = 201, description = "Stored, with its renditions", body = MediaAnswer),
        (status = 400, description = "`file_missing`"), (status = 422, description = "`image_invalid`, `image_too_large`, `file_too_large`")))]
#[tracing::instrument(skip_all, name = "api.media.upload")]
pub async fn upload(State(state): State<AppState>, auth: ApiAuth, form: FormData) -> Result<Response, ApiError> {
    let _ = auth;
    let file = form.file.ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "file_missing", "Send the image as multipart field \"file\".")
    })?;
    let media = store_image(&state.store, &state.media, &file.filename, file.bytes, "file")
        .await
        .map_err(newsdesk_services::ServiceError::from)?;
    Ok((StatusCode::CREATED, Json(MediaAnswer { media: media_json(&state, &media, None) })).into_response())
}

#[derive(serde::Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words in the name, alt text, caption or credit.
    q: Option<String>,
    /// "image", "audio" or "document".
    kind: Option<String>,
    page: Option<i64>,
    /// 1 to 200; 50 when absent.
    limit: Option<i64>,
}

/// The library, newest first.
#[utoipa::path(get, path = "/media", tag = "media", params(ListQuery), security(("token" = [])),
    responses((status = 200, description = "A page of the library", body = MediaList)))]
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiQuery(q): super::ApiQuery<ListQuery>,
) -> Result<Json<MediaList>, ApiError> {
    let _ = auth;
    let limit = q.limit.unwrap_or(50).clamp(1, 200);
    let filter = newsdesk_store::media::MediaFilter { search: q.q, kind: q.kind, ..Default::default() };
    let page = state.store.list_media(&filter, q.page.unwrap_or(1), limit).await?;
    Ok(Json(MediaList {
        media: page.items.iter().map(|e| media_json(&state, &e.media, Some(e.used_in))).collect(),
        meta: PageMeta::new(page.page, limit, page.total),
    }))
}

/// One library file.
#[utoipa::path(get, path = "/media/{id}", tag = "media", security(("token" = [])),
    params(("id" = i64, Path, description = "The file's id")),
    responses((status = 200, description = "The file", body = MediaAnswer)))]
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
) -> Result<Json<MediaAnswer>, ApiError> {
    let _ = auth;
    let m = state.store.media(id).await?.ok_or_else(|| ApiError::not_found("file"))?;
    Ok(Json(MediaAnswer { media: media_json(&state, &m, None) }))
}

/// The defaults stories take when they use the file, and its focal point; absent fields keep their value.
#[derive(serde::Deserialize, ToSchema)]
pub struct MetaBody {
    alt: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    focal_x: Option<i64>,
    focal_y: Option<i64>,
}

/// Changes a file's defaults and focal point (per cent, 0 to 100); stories that use it are drawn again.
#[utoipa::path(patch, path = "/media/{id}", tag = "media", request_body = MetaBody, security(("token" = [])),
    params(("id" = i64, Path, description = "The file's id")),
    responses((status = 200, description = "Changed", body = MediaAnswer), (status = 422, description = "`focal_invalid`")))]
#[tracing::instrument(skip_all, name = "api.media.update", fields(media.id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
    bytes: axum::body::Bytes,
) -> Result<Json<MediaAnswer>, ApiError> {
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
    Ok(Json(MediaAnswer { media: media_json(&state, &m, None) }))
}

/// Deletes a file; refused (`422 media_in_use`) while a story uses it.
#[utoipa::path(delete, path = "/media/{id}", tag = "media", security(("token" = [])),
    params(("id" = i64, Path, description = "The file's id")),
    responses((status = 204, description = "Deleted"), (status = 422, description = "`media_in_use`")))]
#[tracing::instrument(skip_all, name = "api.media.delete", fields(media.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    super::ApiPath(id): super::ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    newsdesk_services::media::delete(&state, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
