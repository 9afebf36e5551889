//! Curation (editors and above): the ordered Editors' Picks, and the home page's lead and top-story slots.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_services::{ServiceError, curation};
use newsdesk_store::curation::HOME_SLOTS;
use newsdesk_store::posts::PostFilter;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;

async fn data(state: &AppState, errors: &FieldErrors) -> Result<serde_json::Value, AppError> {
    let picks: Vec<_> = state
        .store
        .editors_picks_all()
        .await?
        .into_iter()
        .map(|(id, title, status)| serde_json::json!({ "id": id, "title": title, "status": status }))
        .collect();
    let slots = state.store.home_slots().await?;
    let filter = PostFilter { kind: Some("post".into()), status: Some("published".into()), ..Default::default() };
    let recent: Vec<_> = state
        .store
        .top_posts(&filter, 50)
        .await?
        .iter()
        .map(|p| serde_json::json!({ "id": p.row.id, "title": p.row.title, "slug": p.row.slug }))
        .collect();
    let slots: Vec<_> = HOME_SLOTS
        .iter()
        .map(|s| serde_json::json!({ "name": s, "post": slots.iter().find(|(n, _)| n == s).map(|(_, id)| *id) }))
        .collect();
    Ok(serde_json::json!({ "picks": picks, "slots": slots, "recent": recent, "errors": errors_json(errors) }))
}

fn require(staff: &Staff) -> Result<(), AppError> {
    staff.require(staff.role.can_manage_taxonomy(), "curate the home page and Editors' Picks")
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    require(&staff)?;
    let d = data(&state, &FieldErrors::new()).await?;
    page(&state, &staff, "admin/curation.html", "curation", flash_text(q.done.as_deref()), d)
}

/// After a change: pages see it at once; a refusal re-renders the page with its message.
async fn done(state: &AppState, staff: &Staff, result: Result<(), ServiceError>) -> Result<Response, AppError> {
    match result {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other("/admin/curation?done=saved"))
        }
        Err(ServiceError::Invalid { errors, .. }) => {
            let d = data(state, &errors).await?;
            invalid(state, staff, "admin/curation.html", "curation", d)
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.curation.add_pick")]
pub async fn add_pick(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let result = curation::add_pick(&state, &staff.actor(), form.str("post")).await;
    done(&state, &staff, result).await
}

#[tracing::instrument(skip_all, name = "admin.curation.move_pick", fields(curation.id = id))]
pub async fn move_pick(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let result = curation::move_pick(&state, &staff.actor(), id, form.get("direction") == Some("up")).await;
    done(&state, &staff, result).await
}

#[tracing::instrument(skip_all, name = "admin.curation.remove_pick", fields(curation.id = id))]
pub async fn remove_pick(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let result = curation::remove_pick(&state, &staff.actor(), id).await;
    done(&state, &staff, result).await
}

#[tracing::instrument(skip_all, name = "admin.curation.save_slots")]
pub async fn save_slots(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let slots: Vec<(&'static str, Option<i64>)> =
        HOME_SLOTS.iter().filter_map(|slot| form.get(slot).map(|v| (*slot, v.parse::<i64>().ok()))).collect();
    let result = curation::set_home_slots(&state, &staff.actor(), &slots).await;
    done(&state, &staff, result).await
}
