//! `/api/v1/tiers`: membership tiers. Reading the active ones is public (they are on the membership page); a token
//! of an admin or the owner also sees archived ones, and creates and changes tiers (scope `members`). A tier members
//! hold is archived (`active: false`), never deleted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{ApiTier, tier as tier_json};
use newsdesk_services::members::{TierDraft, save_tier};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiAuth, ApiPath, MaybeApiAuth, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// The tiers, in the membership page's order.
#[derive(Serialize, ToSchema)]
pub struct TierList {
    tiers: Vec<ApiTier>,
}

/// One tier.
#[derive(Serialize, ToSchema)]
pub struct TierAnswer {
    tier: ApiTier,
}

/// Whether the caller manages tiers (and so sees archived ones).
fn manages(auth: &MaybeApiAuth) -> bool {
    auth.0.as_ref().is_some_and(|a| a.actor.role.can_manage_staff())
}

/// The tiers: the active ones for anyone, every one for admins and the owner.
#[utoipa::path(get, path = "/tiers", tag = "tiers",
    responses((status = 200, description = "The tiers", body = TierList)))]
pub async fn list(State(state): State<AppState>, auth: MaybeApiAuth) -> Result<Json<TierList>, ApiError> {
    let all = manages(&auth);
    let tiers = state.store.tiers().await?;
    Ok(Json(TierList { tiers: tiers.iter().filter(|t| all || t.active == 1).map(tier_json).collect() }))
}

/// A tier (an archived one only for admins and the owner).
#[utoipa::path(get, path = "/tiers/{id}", tag = "tiers",
    params(("id" = i64, Path, description = "The tier's id")),
    responses((status = 200, description = "The tier", body = TierAnswer)))]
pub async fn show(
    State(state): State<AppState>,
    auth: MaybeApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<TierAnswer>, ApiError> {
    let t = state.store.tier(id).await?.filter(|t| t.active == 1 || manages(&auth));
    let t = t.ok_or_else(|| ApiError::not_found("tier"))?;
    Ok(Json(TierAnswer { tier: tier_json(&t) }))
}

/// A tier as the API takes it: prices in minor units (pence, cents) of the site's currency.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields, default)]
pub struct TierBody {
    /// Required for a new tier.
    name: Option<String>,
    /// Made from the name when absent.
    slug: Option<String>,
    description: Option<String>,
    /// Up to 12 short lines.
    benefits: Option<Vec<String>>,
    /// A paid tier needs a monthly or a yearly price (or both).
    monthly_price: Option<i64>,
    yearly_price: Option<i64>,
    /// 0 to 365.
    trial_days: Option<i64>,
    /// False archives it.
    active: Option<bool>,
    /// Its place on the membership page.
    position: Option<i64>,
}

/// The admin form's draft of `b`, over the tier as it is (`current`) for a change.
fn draft(b: TierBody, current: Option<&newsdesk_store::members::Tier>) -> TierDraft {
    let amount = |p: Option<i64>| p.map(|m| format!("{}.{:02}", m / 100, m % 100)).unwrap_or_default();
    let text = |new: Option<String>, old: Option<&str>| new.unwrap_or_else(|| old.unwrap_or_default().to_owned());
    TierDraft {
        slug: text(b.slug, current.map(|t| t.slug.as_str())),
        name: text(b.name, current.map(|t| t.name.as_str())),
        description: text(b.description, current.map(|t| t.description.as_str())),
        benefits: b.benefits.unwrap_or_else(|| current.map(|t| t.benefit_lines()).unwrap_or_default()).join("\n"),
        monthly_price: amount(b.monthly_price.or(current.and_then(|t| t.monthly_price))),
        yearly_price: amount(b.yearly_price.or(current.and_then(|t| t.yearly_price))),
        trial_days: b.trial_days.or(current.map(|t| t.trial_days)).unwrap_or(0).to_string(),
        active: b.active.unwrap_or_else(|| current.is_none_or(|t| t.active == 1)),
        position: b.position.or(current.map(|t| t.position)).unwrap_or(0).to_string(),
    }
}

/// Creates a paid tier (admins and the owner). Joining it needs Stripe keys; staff can grant it without.
#[utoipa::path(post, path = "/tiers", tag = "tiers", request_body = TierBody, security(("token" = [])),
    responses((status = 201, description = "Created", body = TierAnswer), (status = 409, description = "`slug_taken`"),
        (status = 422, description = "`name_empty`, `amount_invalid`, `too_long`, `invalid` (trial days)")))]
#[tracing::instrument(skip_all, name = "api.tiers.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: TierBody = json_body(&bytes, "tier")?;
    let t = save_tier(&state.ctx, &auth.actor, None, &draft(b, None)).await?;
    state.refresh_version().await;
    Ok((StatusCode::CREATED, Json(TierAnswer { tier: tier_json(&t) })).into_response())
}

/// Changes a tier: only the fields given (admins and the owner). The free tier keeps no prices.
#[utoipa::path(patch, path = "/tiers/{id}", tag = "tiers", request_body = TierBody, security(("token" = [])),
    params(("id" = i64, Path, description = "The tier's id")),
    responses((status = 200, description = "Saved", body = TierAnswer)))]
#[tracing::instrument(skip_all, name = "api.tiers.update", fields(tier.id = id))]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
    bytes: Bytes,
) -> Result<Json<TierAnswer>, ApiError> {
    let b: TierBody = json_body(&bytes, "tier")?;
    newsdesk_services::members::may_manage(&auth.actor, "manage membership tiers")?;
    let current = state.store.tier(id).await?.ok_or_else(|| ApiError::not_found("tier"))?;
    let t = save_tier(&state.ctx, &auth.actor, Some(id), &draft(b, Some(&current))).await?;
    state.refresh_version().await;
    Ok(Json(TierAnswer { tier: tier_json(&t) }))
}
