//! Staff accounts (admins and the owner): invite with a one-time link, change roles and bylines, remove.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::Role;
use newsdesk_services::ServiceError;
use newsdesk_services::staff::{self, Inviter, NewStaff};

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

fn grantable(staff: &Staff) -> Vec<&'static str> {
    Role::ALL.iter().filter(|r| staff.role.can_grant(**r)).map(|r| r.as_str()).collect()
}

async fn data(state: &AppState, staff: &Staff, extra: serde_json::Value) -> Result<serde_json::Value, AppError> {
    let mut d = serde_json::json!({
        "users": state.store.users().await?,
        "authors": state.store.authors().await?,
        "grantable": grantable(staff),
        "values": {},
    });
    if let (Some(d), Some(extra)) = (d.as_object_mut(), extra.as_object()) {
        d.extend(extra.clone());
    }
    Ok(d)
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage staff")?;
    let d = data(&state, &staff, serde_json::json!({})).await?;
    page(&state, &staff, "admin/users.html", "users", flash_text(q.done.as_deref()), d)
}

#[tracing::instrument(skip_all, name = "admin.users.invite")]
pub async fn invite(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "manage staff")?;
    let new = NewStaff { email: form.str("email"), name: form.str("name"), role: form.str("role"), password: None };
    let errors = match staff::add(&state, new, Some(Inviter { user: &staff.user, role: staff.role })).await {
        Ok(added) => {
            let link = added.setup_link.unwrap_or_default();
            let extra = serde_json::json!({ "invite_link": link, "invited": added.user.email });
            let d = data(&state, &staff, extra).await?;
            return page(&state, &staff, "admin/users.html", "users", None, d);
        }
        Err(ServiceError::Invalid { errors, .. }) => errors,
        Err(e) => return Err(e.into()),
    };
    let values = serde_json::json!({ "name": form.str("name"), "email": form.str("email"), "role": form.str("role") });
    let d = data(&state, &staff, serde_json::json!({ "values": values, "errors": errors_json(&errors) })).await?;
    invalid(&state, &staff, "admin/users.html", "users", d)
}

#[tracing::instrument(skip_all, name = "admin.users.update", fields(users.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let author_id = form.get("author_id").and_then(|a| a.parse::<i64>().ok());
    let by = Inviter { user: &staff.user, role: staff.role };
    staff::change(&state, &by, id, form.str("role"), author_id).await?;
    Ok(see_other("/admin/users?done=saved"))
}

#[tracing::instrument(skip_all, name = "admin.users.delete", fields(users.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff::remove(&state, &Inviter { user: &staff.user, role: staff.role }, id).await?;
    Ok(see_other("/admin/users?done=deleted"))
}
