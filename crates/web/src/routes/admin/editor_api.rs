//! What the rich-text editor asks the server while a story is written: an image dropped or pasted into the story
//! (`POST /admin/editor/upload`, multipart `file` with the `csrf_token` field), and the body converted between the
//! document model and Markdown for the editor's Markdown mode, and pasted HTML read into the model by the server's
//! one sanitiser and HTML reader (`POST /admin/editor/convert`, CSRF in `X-CSRF-Token`). Both answer JSON, errors as `{"error", "message"}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use newsdesk_render::document::to_markdown;
use newsdesk_services::media::store_upload;
use newsdesk_services::views::image_view;

use crate::auth::Staff;
use crate::error::ApiError;
use crate::forms::FormData;
use crate::state::AppState;

#[tracing::instrument(skip_all, name = "admin.editor.upload")]
pub async fn upload(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, ApiError> {
    crate::auth::csrf::check(&staff.csrf, form.get("csrf_token")).map_err(|_| {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "The form's security token is missing or old; reload the editor.",
        )
    })?;
    let file = form.file.ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, "file_missing", "Send the image as multipart field \"file\".")
    })?;
    let media = store_upload(&state.store, &state.media, &file.filename, file.bytes, "file", Some(staff.user.id), true)
        .await
        .map_err(newsdesk_services::ServiceError::from)?;
    let view = image_view(&media, None, None, None);
    tracing::info!(media.id = media.id, user.id = staff.user.id, "image uploaded from the editor");
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "media": {
            "id": media.id, "src": view.src, "width": media.width, "height": media.height,
            "alt": media.alt, "caption": media.caption, "credit": media.credit } })),
    )
        .into_response())
}

/// The editor's JSON requests carry the page's CSRF token in `X-CSRF-Token`.
fn csrf_header(staff: &Staff, headers: &HeaderMap) -> Result<(), ApiError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    crate::auth::csrf::check(&staff.csrf, token).map_err(|_| {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", "The security token is missing or old; reload the editor.")
    })
}

#[derive(serde::Deserialize)]
pub struct Convert {
    /// "markdown" or "document".
    to: String,
    markdown: Option<String>,
    /// HTML pasted into the editor: read by the same sanitiser and HTML reader as imports.
    html: Option<String>,
    document: Option<serde_json::Value>,
}

#[tracing::instrument(skip_all, name = "admin.editor.convert")]
pub async fn convert(staff: Staff, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    csrf_header(&staff, &headers)?;
    let req: Convert = serde_json::from_slice(&body).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The request is not a conversion: {e}"))
    })?;
    match req.to.as_str() {
        "markdown" => {
            let json = req.document.map(|d| d.to_string()).unwrap_or_default();
            let doc = newsdesk_domain::Document::from_json("document", &json)?;
            Ok(Json(serde_json::json!({ "markdown": to_markdown(&doc) })).into_response())
        }
        "document" => {
            let doc = match req.html {
                Some(html) if html.len() > newsdesk_domain::document::MAX_JSON_BYTES => {
                    return Err(ApiError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "That paste is too large.",
                    ));
                }
                Some(html) => newsdesk_render::document::from_html(&html),
                None => newsdesk_services::documents::parse_body(None, &req.markdown.unwrap_or_default())?,
            };
            Ok(Json(serde_json::json!({ "document": doc })).into_response())
        }
        other => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("Convert to \"markdown\" or \"document\", not \"{other}\"."),
        )),
    }
}

#[derive(serde::Deserialize)]
pub struct EmbedLookup {
    url: String,
}

/// `POST /admin/editor/embed` `{"url"}`: the provider, title and kind of an address to embed (CSRF in
/// `X-CSRF-Token`).
#[tracing::instrument(skip_all, name = "admin.editor.embed")]
pub async fn embed(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    csrf_header(&staff, &headers)?;
    let req: EmbedLookup = serde_json::from_slice(&body)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("Send {{\"url\": …}}: {e}")))?;
    let info = newsdesk_services::embeds::look_up(&state, &req.url).await?;
    Ok(Json(serde_json::json!({ "embed": info })).into_response())
}
