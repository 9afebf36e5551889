//! Tags (editors and above). A post's first tag is its kicker.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_services::ServiceError;
use newsdesk_services::taxonomy::{self, TagForm};

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_taxonomy(), "manage tags")?;
    let values = match q.edit {
        Some(id) => {
            serde_json::to_value(state.store.tag(id).await?.ok_or(AppError::NotFound)?).map_err(anyhow::Error::from)?
        }
        None => serde_json::json!({}),
    };
    page(
        &state,
        &staff,
        "admin/tags.html",
        "tags",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "tags": state.store.tags_with_counts().await?, "editing": q.edit, "values": values }),
    )
}

async fn save(state: &AppState, staff: &Staff, id: Option<i64>, form: FormData) -> Result<Response, AppError> {
    check_csrf(staff, &form)?;
    let tag = TagForm { name: form.str("name"), slug: form.get("slug"), description: form.get("description") };
    let errors = match taxonomy::save_tag(state, &staff.actor(), id, &tag).await {
        Ok(_) => {
            state.refresh_version().await;
            return Ok(see_other("/admin/tags?done=saved"));
        }
        Err(ServiceError::Invalid { errors, .. }) => errors,
        Err(e) => return Err(e.into()),
    };
    let values = serde_json::json!({ "name": form.str("name"), "slug": form.str("slug"), "description": form.str("description") });
    invalid(
        state,
        staff,
        "admin/tags.html",
        "tags",
        serde_json::json!({ "tags": state.store.tags_with_counts().await?, "editing": id, "values": values, "errors": errors_json(&errors) }),
    )
}

#[tracing::instrument(skip_all, name = "admin.tags.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    save(&state, &staff, None, form).await
}

#[tracing::instrument(skip_all, name = "admin.tags.update", fields(tags.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    save(&state, &staff, Some(id), form).await
}

#[tracing::instrument(skip_all, name = "admin.tags.delete", fields(tags.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_taxonomy(), "manage tags")?;
    state.store.delete_tag(id).await?;
    state.refresh_version().await;
    Ok(see_other("/admin/tags?done=deleted"))
}
