//! `/api/v1/curation`: the home page's slots and the Editors' Picks (token with the `taxonomy` scope, editors and
//! above).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::curation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::taxonomy::need_taxonomy;
use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// The home page's filled slots and the Editors' Picks.
#[derive(Serialize, ToSchema)]
pub struct Curation {
    /// Slot name (`lead`, `top1`…`top4`) to the id of the published story in it; empty slots are absent.
    home: std::collections::BTreeMap<String, i64>,
    /// The Editors' Picks, in order.
    picks: Vec<Pick>,
}

/// A story among the Editors' Picks.
#[derive(Serialize, ToSchema)]
pub struct Pick {
    id: i64,
    slug: String,
    title: String,
}

/// The home page's slots and the Editors' Picks, in order (editors).
#[utoipa::path(get, path = "/curation", tag = "curation", security(("token" = [])),
    responses((status = 200, description = "The curation", body = Curation)))]
pub async fn curation_state(State(state): State<AppState>, auth: ApiAuth) -> Result<Json<Curation>, ApiError> {
    need_taxonomy(&auth)?;
    let home = state.store.home_slots().await?.into_iter().collect();
    let picks = state
        .store
        .editors_picks()
        .await?
        .iter()
        .map(|p| Pick { id: p.row.id, slug: p.row.slug.clone(), title: p.row.title.clone() })
        .collect();
    Ok(Json(Curation { home, picks }))
}

/// A story to add to the Editors' Picks.
#[derive(Deserialize, ToSchema)]
pub struct PickBody {
    /// Id, slug or URL of a published story.
    post: String,
}

/// Adds a published story to the end of the Editors' Picks (editors).
#[utoipa::path(post, path = "/curation/picks", tag = "curation", request_body = PickBody, security(("token" = [])),
    responses((status = 200, description = "The curation, as `GET /curation`", body = Curation)))]
#[tracing::instrument(skip_all, name = "api.curation.add_pick")]
pub async fn add_pick(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: PickBody = json_body(&bytes, "pick")?;
    curation::add_pick(&state, &auth.actor, &b.post).await?;
    state.refresh_version().await;
    Ok(curation_state(State(state), auth).await?.into_response())
}

/// Takes a story off the Editors' Picks (editors).
#[utoipa::path(delete, path = "/curation/picks/{id}", tag = "curation", security(("token" = [])),
    params(("id" = i64, Path, description = "The story's id")),
    responses((status = 204, description = "Taken off")))]
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

/// Fills (a post id) or empties (`null`) the home page's slots given; the others stay (editors).
#[utoipa::path(put, path = "/curation/home", tag = "curation", security(("token" = [])),
    request_body(content = std::collections::BTreeMap<String, Option<i64>>, description = "Slot name (`lead`, `top1`…`top4`) to a post id or null"),
    responses((status = 200, description = "The curation, as `GET /curation`", body = Curation),
        (status = 422, description = "`invalid`: not a slot")))]
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
