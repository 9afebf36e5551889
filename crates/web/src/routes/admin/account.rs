//! The signed-in user's own account: password change (which signs out their other sessions).

use axum::extract::{Query, State};
use axum::response::Response;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::ServiceError;
use newsdesk_services::staff;

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    page(&state, &staff, "admin/account.html", "account", flash_text(q.done.as_deref()), serde_json::json!({}))
}

#[tracing::instrument(skip_all, name = "admin.account.change_password")]
pub async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let (current, new, confirm) = (form.str("current_password"), form.str("password"), form.str("password_confirm"));
    match staff::change_password(&state, &staff.user, current, new, confirm, &staff.token_hash).await {
        Ok(()) => Ok(see_other("/admin/account?done=password")),
        Err(ServiceError::Invalid { errors, .. }) => invalid(
            &state,
            &staff,
            "admin/account.html",
            "account",
            serde_json::json!({ "errors": errors_json(&errors) }),
        ),
        Err(e) => Err(e.into()),
    }
}
