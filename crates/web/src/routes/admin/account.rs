//! The signed-in user's own account: password change (which signs out their other sessions).

use axum::extract::{Query, State};
use axum::response::Response;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_services::passwords as password;

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
    let mut errors = FieldErrors::new();
    let current_ok = match staff.user.password_hash.clone() {
        Some(h) => password::verify(form.str("current_password").to_owned(), h).await,
        None => false,
    };
    if !current_ok {
        errors.insert("current_password", "That is not your current password.".into());
    }
    if let Err(e) = password::check_new(form.str("password"), form.str("password_confirm")) {
        errors.insert(e.field, e.message);
    }
    if !errors.is_empty() {
        return invalid(
            &state,
            &staff,
            "admin/account.html",
            "account",
            serde_json::json!({ "errors": errors_json(&errors) }),
        );
    }
    let hash = password::hash(form.str("password").to_owned()).await?;
    state.store.set_password(staff.user.id, &hash, Some(&staff.token_hash)).await?;
    tracing::info!(user.id = staff.user.id, "password changed");
    Ok(see_other("/admin/account?done=password"))
}
