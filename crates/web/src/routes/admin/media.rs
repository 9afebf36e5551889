//! The media library (`/admin/media`): every uploaded image, audio file and document in one searchable grid, each
//! with its defaults (alt text, caption, credit), focal point, where it is used, replace and delete. The editor's
//! picker reads `/admin/media.json`.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use newsdesk_services::ServiceError;
use newsdesk_services::media as library;
use newsdesk_services::views::image_view;
use newsdesk_store::media::{MediaEntry, MediaFilter};

use super::{check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

const PER_PAGE: i64 = 48;

#[derive(Debug, Default, serde::Deserialize)]
pub struct LibraryQuery {
    q: Option<String>,
    kind: Option<String>,
    /// Upload dates, `YYYY-MM-DD`, in the site's time zone.
    from: Option<String>,
    to: Option<String>,
    page: Option<i64>,
    done: Option<String>,
}

fn day_start(s: Option<&str>, tz: &jiff::tz::TimeZone, end: bool) -> Option<i64> {
    let d: jiff::civil::Date = s?.trim().parse().ok()?;
    let t = if end { d.at(23, 59, 59, 0) } else { d.at(0, 0, 0, 0) };
    t.to_zoned(tz.clone()).ok().map(|z| z.timestamp().as_second())
}

fn filter_of(state: &AppState, q: &LibraryQuery) -> MediaFilter {
    let tz = state.site.timezone.tz();
    MediaFilter {
        search: q.q.clone(),
        kind: q.kind.clone().filter(|k| matches!(k.as_str(), "image" | "audio" | "document")),
        uploaded_by: None,
        from: day_start(q.from.as_deref(), tz, false),
        to: day_start(q.to.as_deref(), tz, true),
    }
}

/// One grid tile: the file, its thumbnail and where it is used.
fn tile(e: &MediaEntry) -> serde_json::Value {
    let m = &e.media;
    let image = (m.kind == "image").then(|| image_view(m, None, None, None));
    serde_json::json!({
        "id": m.id, "kind": m.kind, "name": m.original_name, "width": m.width, "height": m.height,
        "alt": m.alt, "caption": m.caption, "credit": m.credit, "uploader": e.uploader, "used_in": e.used_in,
        "created_at": m.created_at, "size_kb": (m.size_bytes + 999) / 1000,
        "thumb": image.as_ref().map(|i| i.thumb.clone()), "src": image.as_ref().map(|i| i.src.clone()),
        "url": if m.kind == "image" { image.as_ref().map(|i| i.src.clone()) } else {
            Some(format!("/media/{}/original.{}", m.file_key, library::original_ext(&m.mime)))
        },
        "focal_x": m.focal_x, "focal_y": m.focal_y,
    })
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    q: &LibraryQuery,
    errors: Option<serde_json::Value>,
) -> Result<Response, AppError> {
    let page_no = q.page.unwrap_or(1).max(1);
    let result = state.store.list_media(&filter_of(state, q), page_no, PER_PAGE).await?;
    let data = serde_json::json!({
        "items": result.items.iter().map(tile).collect::<Vec<_>>(),
        "total": result.total, "page": result.page, "pages": result.pages(),
        "query": { "q": q.q, "kind": q.kind, "from": q.from, "to": q.to },
        "errors": errors,
    });
    match errors {
        Some(_) => invalid(state, staff, "admin/media.html", "media", data),
        None => page(state, staff, "admin/media.html", "media", flash_text(q.done.as_deref()), data),
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    list_page(&state, &staff, &q, None).await
}

/// The editor's picker: the same search, as JSON.
pub async fn list_json(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    let result = state.store.list_media(&filter_of(&state, &q), q.page.unwrap_or(1).max(1), PER_PAGE).await?;
    Ok(Json(serde_json::json!({
        "media": result.items.iter().map(tile).collect::<Vec<_>>(), "total": result.total, "pages": result.pages() }))
    .into_response())
}

#[tracing::instrument(skip_all, name = "admin.media.upload")]
pub async fn upload(State(state): State<AppState>, staff: Staff, mut form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let Some(file) = form.file.take() else {
        let mut errors = newsdesk_services::FieldErrors::new();
        errors.insert("file", "Choose a file to upload.".into());
        return list_page(&state, &staff, &LibraryQuery::default(), Some(errors_json(&errors))).await;
    };
    match library::store_upload(
        &state.store,
        &state.media,
        &file.filename,
        file.bytes,
        "file",
        Some(staff.user.id),
        false,
    )
    .await
    {
        Ok(m) => {
            tracing::info!(media.id = m.id, user.id = staff.user.id, "file added to the library");
            Ok(see_other(&format!("/admin/media/{}?done=added", m.id)))
        }
        Err(library::UploadError::Invalid(e)) => {
            let mut errors = newsdesk_services::FieldErrors::new();
            errors.insert(e.field, e.message);
            list_page(&state, &staff, &LibraryQuery::default(), Some(errors_json(&errors))).await
        }
        Err(library::UploadError::Internal(e)) => Err(AppError::Internal(e)),
    }
}

/// The file's page again, with what was refused beside its field and the stored details in the form.
async fn refused(
    state: &AppState,
    staff: &Staff,
    id: i64,
    errors: &newsdesk_services::FieldErrors,
) -> Result<Response, AppError> {
    let m = state.store.media(id).await?.ok_or(AppError::NotFound)?;
    detail_page(state, staff, id, None, Some((errors_json(errors), stored_values(&m)))).await
}

fn stored_values(m: &newsdesk_store::media::Media) -> serde_json::Value {
    serde_json::json!({ "alt": m.alt, "caption": m.caption, "credit": m.credit, "focal_x": m.focal_x, "focal_y": m.focal_y })
}

async fn detail_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    flash: Option<&str>,
    errors: Option<(serde_json::Value, serde_json::Value)>,
) -> Result<Response, AppError> {
    let m = state.store.media(id).await?.ok_or(AppError::NotFound)?;
    let used_in = state.store.usage_counts(&[id]).await?.get(&id).copied().unwrap_or(0);
    let uploader = match m.uploaded_by {
        Some(u) => state.store.user(u).await?.map(|u| u.name),
        None => None,
    };
    let entry = MediaEntry { media: m.clone(), uploader, used_in };
    let (errors, values) = match errors {
        Some((e, v)) => (Some(e), v),
        None => (
            None,
            serde_json::json!({ "alt": m.alt, "caption": m.caption, "credit": m.credit, "focal_x": m.focal_x, "focal_y": m.focal_y }),
        ),
    };
    let data = serde_json::json!({
        "file": tile(&entry),
        "uses": state.store.media_uses(id).await?,
        "author_uses": state.store.media_author_uses(id).await?,
        "values": values,
        "errors": errors,
    });
    match &errors {
        Some(_) => invalid(state, staff, "admin/media_item.html", "media", data),
        None => page(state, staff, "admin/media_item.html", "media", flash, data),
    }
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<LibraryQuery>,
) -> Result<Response, AppError> {
    let flash = match q.done.as_deref() {
        Some("replaced") => Some("Replaced. Every story that uses the file shows the new one."),
        other => flash_text(other),
    };
    detail_page(&state, &staff, id, flash, None).await
}

#[tracing::instrument(skip_all, name = "admin.media.update", fields(media.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let meta = library::MetaForm {
        alt: form.get("alt"),
        caption: form.get("caption"),
        credit: form.get("credit"),
        focal_x: form.str("focal_x"),
        focal_y: form.str("focal_y"),
    };
    match library::update_meta(&state, &staff.actor(), id, meta).await {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other(&format!("/admin/media/{id}?done=saved")))
        }
        Err(ServiceError::Invalid { errors, .. }) => {
            let values = serde_json::json!({ "alt": form.str("alt"), "caption": form.str("caption"), "credit": form.str("credit"), "focal_x": form.str("focal_x"), "focal_y": form.str("focal_y") });
            detail_page(&state, &staff, id, None, Some((errors_json(&errors), values))).await
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.media.replace", fields(media.id = id))]
pub async fn replace(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    mut form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let result = match form.file.take() {
        Some(file) => library::replace(&state, &staff.actor(), id, &file.filename, file.bytes).await.map(|_| ()),
        None => Err(ServiceError::invalid("file", "file_missing", "Choose the new file.")),
    };
    match result {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other(&format!("/admin/media/{id}?done=replaced")))
        }
        Err(ServiceError::Invalid { errors, .. }) => refused(&state, &staff, id, &errors).await,
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.media.delete", fields(media.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    match library::delete(&state, &staff.actor(), id).await {
        Ok(()) => Ok(see_other("/admin/media?done=deleted")),
        Err(ServiceError::Invalid { errors, .. }) => refused(&state, &staff, id, &errors).await,
        Err(e) => Err(e.into()),
    }
}
