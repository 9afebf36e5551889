//! `/api/v1/curation`: the home page's slots and the Editors' Picks (token with the `taxonomy` scope, editors and
//! above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::curation;
use serde::Deserialize;

use super::taxonomy::need_taxonomy;
use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// `GET /curation`: the home page's slots and the Editors' Picks, in order.
pub async fn curation_state(State(state): State<AppState>, auth: ApiAuth) -> Result<Json<serde_json::Value>, ApiError> {
    need_taxonomy(&auth)?;
    let slots: serde_json::Map<String, serde_json::Value> =
        state.store.home_slots().await?.into_iter().map(|(slot, id)| (slot, id.into())).collect();
    let picks: Vec<serde_json::Value> = state
        .store
        .editors_picks()
        .await?
        .iter()
        .map(|p| serde_json::json!({ "id": p.row.id, "slug": p.row.slug, "title": p.row.title }))
        .collect();
    Ok(Json(serde_json::json!({ "home": slots, "picks": picks })))
}

#[derive(Deserialize)]
struct PickBody {
    /// Id, slug or URL of a published story.
    post: String,
}

/// `POST /curation/picks` `{"post"}`: adds a story to the end of the Editors' Picks.
#[tracing::instrument(skip_all, name = "api.curation.add_pick")]
pub async fn add_pick(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: PickBody = json_body(&bytes, "pick")?;
    curation::add_pick(&state, &auth.actor, &b.post).await?;
    state.refresh_version().await;
    Ok(curation_state(State(state), auth).await?.into_response())
}

/// `DELETE /curation/picks/{post_id}`.
#[tracing::instrument(skip_all, name = "api.curation.remove_pick")]
pub async fn remove_pick(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    curation::remove_pick(&state, &auth.actor, id).await?;
    state.refresh_version().await;
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT /curation/home` `{"lead": 12, "top_1": null, …}`: the slots given are set (a post id) or emptied (`null`).
#[tracing::instrument(skip_all, name = "api.curation.home")]
pub async fn set_home(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: serde_json::Map<String, serde_json::Value> = json_body(&bytes, "home slots")?;
    let mut slots = Vec::new();
    for (name, v) in &b {
        let Some(slot) = newsdesk_store::curation::HOME_SLOTS.iter().find(|s| **s == name.as_str()) else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "\u{201c}{name}\u{201d} is not a slot; the slots are {}",
                    newsdesk_store::curation::HOME_SLOTS.join(", ")
                ),
            ));
        };
        slots.push((*slot, v.as_i64()));
    }
    curation::set_home_slots(&state, &auth.actor, &slots).await?;
    state.refresh_version().await;
    Ok(curation_state(State(state), auth).await?.into_response())
}
