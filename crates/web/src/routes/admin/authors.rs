//! Bylines: people and desks (editors and above).

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_services::ServiceError;
use newsdesk_services::taxonomy::{self, AuthorForm};
use newsdesk_store::StoreError;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_render::views::ImageView;
use newsdesk_services::media::{UploadError, store_image};
use newsdesk_services::views::image_view;

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_taxonomy(), "manage authors")?;
    let authors = state.store.authors().await?;
    let (values, photo) = match q.edit {
        Some(id) => {
            let author = state.store.author(id).await?.ok_or(AppError::NotFound)?;
            (serde_json::to_value(&author).map_err(anyhow::Error::from)?, photo_view(&state, author.image_id).await?)
        }
        None => (serde_json::json!({}), None),
    };
    page(
        &state,
        &staff,
        "admin/authors.html",
        "authors",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "authors": authors, "editing": q.edit, "values": values, "photo": photo }),
    )
}

async fn photo_view(state: &AppState, id: Option<i64>) -> Result<Option<ImageView>, AppError> {
    Ok(match id {
        Some(id) => state.store.media(id).await?.map(|m| image_view(&m, None, None, None)),
        None => None,
    })
}

async fn save(state: &AppState, staff: &Staff, id: Option<i64>, mut form: FormData) -> Result<Response, AppError> {
    check_csrf(staff, &form)?;
    staff.require(staff.role.can_manage_taxonomy(), "manage authors")?;
    let mut errors = FieldErrors::new();
    let mut image_id =
        form.get("image_id").and_then(|v| v.parse::<i64>().ok()).filter(|_| form.get("remove_photo").is_none());
    if let Some(upload) = form.file.take() {
        match store_image(&state.store, &state.media, &upload.filename, upload.bytes, "photo").await {
            Ok(m) => image_id = Some(m.id),
            Err(UploadError::Invalid(e)) => {
                errors.insert(e.field, e.message);
            }
            Err(UploadError::Internal(e)) => return Err(AppError::Internal(e)),
        }
    }
    if errors.is_empty() {
        let author = AuthorForm {
            name: form.str("name"),
            slug: form.get("slug"),
            kind: form.str("kind"),
            bio: form.get("bio"),
            image_id,
        };
        match taxonomy::save_author(state, &staff.actor(), id, &author).await {
            Ok(_) => {
                state.refresh_version().await;
                return Ok(see_other("/admin/authors?done=saved"));
            }
            Err(ServiceError::Invalid { errors: found, .. }) => errors.extend(found),
            Err(e) => return Err(e.into()),
        }
    }
    let values = serde_json::json!({ "name": form.str("name"), "slug": form.str("slug"), "kind": form.str("kind"), "bio": form.str("bio") });
    invalid(
        state,
        staff,
        "admin/authors.html",
        "authors",
        serde_json::json!({ "authors": state.store.authors().await?, "editing": id, "values": values,
            "photo": photo_view(state, image_id).await?, "errors": errors_json(&errors) }),
    )
}

#[tracing::instrument(skip_all, name = "admin.authors.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    save(&state, &staff, None, form).await
}

#[tracing::instrument(skip_all, name = "admin.authors.update", fields(authors.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    save(&state, &staff, Some(id), form).await
}

#[tracing::instrument(skip_all, name = "admin.authors.delete", fields(authors.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_taxonomy(), "manage authors")?;
    match state.store.delete_author(id).await {
        Ok(()) => Ok(see_other("/admin/authors?done=deleted")),
        Err(StoreError::Conflict { field, message }) => {
            let author = state.store.author(id).await?.ok_or(AppError::NotFound)?;
            let mut errors = FieldErrors::new();
            errors.insert(field, message);
            invalid(
                &state,
                &staff,
                "admin/authors.html",
                "authors",
                serde_json::json!({
                "authors": state.store.authors().await?, "editing": id, "values": author, "errors": errors_json(&errors) }),
            )
        }
        Err(e) => Err(e.into()),
    }
}
