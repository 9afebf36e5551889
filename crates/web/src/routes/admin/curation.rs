//! Curation (editors and above): the ordered Editors' Picks, and the home page's lead and top-story slots.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_store::StoreError;
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

async fn fail(state: &AppState, staff: &Staff, field: &'static str, message: String) -> Result<Response, AppError> {
    let errors = FieldErrors::from([(field, message)]);
    let d = data(state, &errors).await?;
    invalid(state, staff, "admin/curation.html", "curation", d)
}

async fn post_id_from(state: &AppState, key: &str) -> Result<Option<i64>, AppError> {
    let key = key.trim().trim_matches('/');
    Ok(match key.parse::<i64>() {
        Ok(id) => state.store.post(id).await?.map(|p| p.row.id),
        Err(_) if key.is_empty() => None,
        Err(_) => state.store.post_by_slug(key.rsplit('/').next().unwrap_or(key)).await?.map(|p| p.row.id),
    })
}

#[tracing::instrument(skip_all, name = "admin.curation.add_pick")]
pub async fn add_pick(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let Some(id) = post_id_from(&state, form.str("post")).await? else {
        return fail(&state, &staff, "pick", "Choose a published post to add.".into()).await;
    };
    match state.store.add_pick(id, Some(staff.user.id)).await {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other("/admin/curation?done=saved"))
        }
        Err(StoreError::Conflict { message, .. }) => fail(&state, &staff, "pick", message).await,
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.curation.move_pick", fields(curation.id = id))]
pub async fn move_pick(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let delta = if form.get("direction") == Some("up") { -1 } else { 1 };
    match state.store.move_pick(id, delta).await {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other("/admin/curation?done=saved"))
        }
        Err(StoreError::NotFound) => {
            fail(
                &state,
                &staff,
                "pick",
                "That post is no longer an Editors' Pick (someone removed it); the list below is current.".into(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.curation.remove_pick", fields(curation.id = id))]
pub async fn remove_pick(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    match state.store.remove_pick(id).await {
        Ok(()) | Err(StoreError::NotFound) => {
            state.refresh_version().await;
            Ok(see_other("/admin/curation?done=saved"))
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.curation.save_slots")]
pub async fn save_slots(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    for slot in HOME_SLOTS {
        let id = match form.get(slot) {
            None => continue,
            Some(v) => v.parse::<i64>().ok(),
        };
        match state.store.set_home_slot(slot, id).await {
            Ok(()) => {}
            Err(StoreError::Conflict { message, .. }) => return fail(&state, &staff, "slots", message).await,
            Err(e) => return Err(e.into()),
        }
    }
    state.refresh_version().await;
    Ok(see_other("/admin/curation?done=saved"))
}
