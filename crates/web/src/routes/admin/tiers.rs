//! Membership tiers (admins and the owner): the free tier's text, and paid tiers with their prices, benefits and
//! trial. A tier members hold is archived (inactive), never deleted.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_services::ServiceError;
use newsdesk_services::members::TierDraft;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;

fn draft_of(form: &FormData) -> TierDraft {
    TierDraft {
        slug: form.str("slug").to_owned(),
        name: form.str("name").to_owned(),
        description: form.str("description").to_owned(),
        benefits: form.str("benefits").to_owned(),
        monthly_price: form.str("monthly_price").to_owned(),
        yearly_price: form.str("yearly_price").to_owned(),
        trial_days: form.str("trial_days").to_owned(),
        active: form.get("active").is_some(),
        position: form.str("position").to_owned(),
    }
}

fn values_of(t: &newsdesk_store::members::Tier) -> serde_json::Value {
    let amount = |p: Option<i64>| p.map(|m| format!("{}.{:02}", m / 100, m % 100)).unwrap_or_default();
    serde_json::json!({
        "slug": t.slug, "name": t.name, "description": t.description, "benefits": t.benefit_lines().join("\n"),
        "monthly_price": amount(t.monthly_price), "yearly_price": amount(t.yearly_price), "trial_days": t.trial_days,
        "active": t.active == 1, "position": t.position,
    })
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    flash: Option<&str>,
    editing: Option<&newsdesk_store::members::Tier>,
    values: serde_json::Value,
    errors: Option<&FieldErrors>,
) -> Result<Response, AppError> {
    let tiers: Vec<serde_json::Value> = state
        .store
        .tiers()
        .await?
        .iter()
        .map(|t| {
            let price = |p: Option<i64>| p.map(|m| newsdesk_domain::membership::format_price(m, &t.currency));
            serde_json::json!({ "tier": t, "monthly": price(t.monthly_price), "yearly": price(t.yearly_price),
                "benefits": t.benefit_lines() })
        })
        .collect();
    let data = serde_json::json!({
        "tiers": tiers, "editing": editing, "values": values, "currency": state.options.payments.currency.to_uppercase(),
        "errors": errors.map(errors_json),
    });
    match errors {
        Some(_) => invalid(state, staff, "admin/tiers.html", "tiers", data),
        None => page(state, staff, "admin/tiers.html", "tiers", flash, data),
    }
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage membership tiers")?;
    list_page(&state, &staff, flash_text(q.done.as_deref()), None, serde_json::json!({ "active": true }), None).await
}

pub async fn edit_form(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage membership tiers")?;
    let tier = state.store.tier(id).await?.ok_or(AppError::NotFound)?;
    list_page(&state, &staff, None, Some(&tier), values_of(&tier), None).await
}

pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    save(state, staff, None, form).await
}

pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    save(state, staff, Some(id), form).await
}

/// Creates a tier (`id` absent) or saves one.
#[tracing::instrument(skip_all, name = "admin.tiers.save")]
async fn save(state: AppState, staff: Staff, id: Option<i64>, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "manage membership tiers")?;
    let existing = match id {
        Some(id) => Some(state.store.tier(id).await?.ok_or(AppError::NotFound)?),
        None => None,
    };
    let values = serde_json::json!({
        "slug": form.str("slug"), "name": form.str("name"), "description": form.str("description"),
        "benefits": form.str("benefits"), "monthly_price": form.str("monthly_price"),
        "yearly_price": form.str("yearly_price"), "trial_days": form.str("trial_days"),
        "active": form.get("active").is_some(), "position": form.str("position"),
    });
    match newsdesk_services::members::save_tier(&state.ctx, &staff.actor(), id, &draft_of(&form)).await {
        Ok(_) => {
            state.refresh_version().await;
            Ok(see_other("/admin/tiers?done=saved"))
        }
        Err(ServiceError::Invalid { errors, .. }) => {
            list_page(&state, &staff, None, existing.as_ref(), values, Some(&errors)).await
        }
        Err(e) => Err(e.into()),
    }
}
