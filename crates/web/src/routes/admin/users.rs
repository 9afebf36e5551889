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

async fn target(state: &AppState, staff: &Staff, id: i64) -> Result<newsdesk_store::users::User, AppError> {
    staff.require(staff.role.can_manage_staff(), "manage staff")?;
    let user = state.store.user(id).await?.ok_or(AppError::NotFound)?;
    let their_role = Role::parse("role", &user.role).unwrap_or(Role::Contributor);
    if user.id == staff.user.id || their_role == Role::Owner || their_role > staff.role {
        return Err(AppError::Forbidden("You cannot change this account.".into()));
    }
    Ok(user)
}

#[tracing::instrument(skip_all, name = "admin.users.update", fields(users.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let user = target(&state, &staff, id).await?;
    let role = Role::parse("role", form.str("role")).map_err(|e| AppError::BadRequest(e.message))?;
    if !staff.role.can_grant(role) {
        return Err(AppError::Forbidden(format!("You cannot give the role {}.", role.as_str())));
    }
    let author_id = form.get("author_id").and_then(|a| a.parse::<i64>().ok());
    if let Some(a) = author_id {
        state.store.author(a).await?.ok_or_else(|| AppError::BadRequest("That author does not exist.".into()))?;
    }
    state.store.update_user(user.id, &user.name, role.as_str(), author_id).await?;
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
    let user = target(&state, &staff, id).await?;
    state.store.delete_user(user.id).await?;
    tracing::info!(user.id = user.id, by.user.id = staff.user.id, "staff removed");
    Ok(see_other("/admin/users?done=deleted"))
}
