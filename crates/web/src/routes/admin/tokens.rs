//! API tokens (admins and the owner). A token is shown once; only its hash is kept.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::Role;
use newsdesk_domain::author::parse_name;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;

fn grantable(staff: &Staff) -> Vec<&'static str> {
    Role::ALL.iter().filter(|r| staff.role.can_grant(**r)).map(|r| r.as_str()).collect()
}

/// The tokens page again, 422, with the messages beside the fields.
async fn refused(state: &AppState, staff: &Staff, form: &FormData, errors: &FieldErrors) -> Result<Response, AppError> {
    invalid(
        state,
        staff,
        "admin/tokens.html",
        "tokens",
        serde_json::json!({
        "tokens": state.store.api_tokens().await?, "grantable": grantable(staff), "scopes": scopes_json(),
        "values": { "name": form.str("name"), "expires_days": form.str("expires_days") }, "errors": errors_json(errors) }),
    )
}

fn scopes_json() -> Vec<serde_json::Value> {
    newsdesk_services::staff::SCOPES.iter().map(|(n, what)| serde_json::json!({ "name": n, "what": what })).collect()
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage API tokens")?;
    page(
        &state,
        &staff,
        "admin/tokens.html",
        "tokens",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "tokens": state.store.api_tokens().await?, "grantable": grantable(&staff), "scopes": scopes_json(), "values": {} }),
    )
}

#[tracing::instrument(skip_all, name = "admin.tokens.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "manage API tokens")?;
    let mut errors = FieldErrors::new();
    let name = parse_name("name", form.str("name")).map_err(|e| errors.insert(e.field, e.message)).ok();
    let role = Role::parse("role", form.str("role")).ok().filter(|r| staff.role.can_grant(*r));
    if role.is_none() {
        errors.insert("role", "Choose a role you are allowed to give.".into());
    }
    let (Some(name), Some(role)) = (name, role) else {
        return refused(&state, &staff, &form, &errors).await;
    };
    let scopes = form.all("scopes");
    let days = form.get("expires_days").map(str::trim).filter(|d| !d.is_empty()).map(|d| d.parse::<i64>().unwrap_or(0));
    let made = match form.str("kind") {
        "content" => newsdesk_services::staff::create_content_key(&state, &name).await,
        _ => newsdesk_services::staff::create_limited_token(&state, &name, role, &scopes, days).await,
    };
    let token = match made {
        Ok(t) => t,
        Err(newsdesk_services::ServiceError::Invalid { errors, .. }) => {
            return refused(&state, &staff, &form, &errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(by.user.id = staff.user.id, token.name = %name, "API token created by staff");
    page(
        &state,
        &staff,
        "admin/tokens.html",
        "tokens",
        None,
        serde_json::json!({
        "tokens": state.store.api_tokens().await?, "grantable": grantable(&staff), "scopes": scopes_json(), "values": {}, "new_token": token }),
    )
}

#[tracing::instrument(skip_all, name = "admin.tokens.delete", fields(tokens.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "manage API tokens")?;
    state.store.revoke_api_token(id).await?;
    crate::routes::ghost::forget_keys(&state);
    Ok(see_other("/admin/tokens?done=revoked"))
}
