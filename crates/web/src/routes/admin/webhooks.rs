//! Outbound webhooks (admins and the owner): register an endpoint for events, see its deliveries, redeliver one,
//! pause or remove it. The signing secret is shown once, when the endpoint is registered.

use axum::extract::{Path, State};
use axum::response::Response;
use newsdesk_services::ServiceError;
use newsdesk_services::webhooks;
use newsdesk_store::webhooks::EVENTS;

use super::{check_csrf, errors_json, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

fn events() -> Vec<serde_json::Value> {
    EVENTS.iter().map(|(name, what)| serde_json::json!({ "name": name, "what": what })).collect()
}

async fn list_data(state: &AppState) -> Result<serde_json::Value, AppError> {
    let hooks: Vec<serde_json::Value> = state
        .store
        .webhooks()
        .await?
        .iter()
        .map(|h| serde_json::json!({ "id": h.id, "url": h.url, "description": h.description, "events": h.event_list(), "active": h.active == 1, "created_at": h.created_at }))
        .collect();
    Ok(serde_json::json!({ "hooks": hooks, "events": events(), "values": {} }))
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    axum::extract::Query(q): axum::extract::Query<super::DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage webhooks")?;
    let data = list_data(&state).await?;
    page(&state, &staff, "admin/webhooks.html", "webhooks", super::flash_text(q.done.as_deref()), data)
}

#[tracing::instrument(skip_all, name = "admin.webhooks.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let chosen = form.all("events");
    match webhooks::create(&state.store, &staff.actor(), form.str("url"), form.str("description"), &chosen).await {
        Ok((hook, secret)) => {
            let mut data = list_data(&state).await?;
            data["new_secret"] = serde_json::json!({ "id": hook.id, "secret": secret });
            page(&state, &staff, "admin/webhooks.html", "webhooks", None, data)
        }
        Err(ServiceError::Invalid { errors, .. }) => {
            let mut data = list_data(&state).await?;
            data["values"] =
                serde_json::json!({ "url": form.str("url"), "description": form.str("description"), "events": chosen });
            data["errors"] = errors_json(&errors);
            invalid(&state, &staff, "admin/webhooks.html", "webhooks", data)
        }
        Err(e) => Err(e.into()),
    }
}

/// One endpoint and its newest deliveries.
pub async fn show(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage webhooks")?;
    let hook = state.store.webhook(id).await?.ok_or(AppError::NotFound)?;
    let deliveries = state.store.webhook_deliveries(id, 100).await?;
    let data = serde_json::json!({
        "hook": { "id": hook.id, "url": hook.url, "description": hook.description, "events": hook.event_list(), "active": hook.active == 1 },
        "deliveries": deliveries,
    });
    page(&state, &staff, "admin/webhook.html", "webhooks", None, data)
}

#[tracing::instrument(skip_all, name = "admin.webhooks.toggle", fields(webhooks.id = id))]
pub async fn toggle(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    webhooks::set_active(&state.store, &staff.actor(), id, form.get("active") == Some("1")).await?;
    Ok(see_other(&format!("/admin/webhooks/{id}")))
}

#[tracing::instrument(skip_all, name = "admin.webhooks.delete", fields(webhooks.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    webhooks::delete(&state.store, &staff.actor(), id).await?;
    Ok(see_other("/admin/webhooks?done=deleted"))
}

#[tracing::instrument(skip_all, name = "admin.webhooks.redeliver", fields(delivery.id = id))]
pub async fn redeliver(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let hook = webhooks::redeliver(&state.store, &staff.actor(), id).await?;
    Ok(see_other(&format!("/admin/webhooks/{hook}")))
}
