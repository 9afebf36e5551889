//! Staff accounts (admins and the owner): invite with a one-time link, change roles and bylines, remove.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::author::parse_name;
use newsdesk_domain::{EmailAddress, Role};
use newsdesk_store::StoreError;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;

/// Invitations are valid for a week.
pub const INVITE_TTL: i64 = 7 * 24 * 3600;

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

pub async fn invite(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "manage staff")?;
    let mut errors = FieldErrors::new();
    let name = parse_name("name", form.str("name")).map_err(|e| errors.insert(e.field, e.message)).ok();
    let email = EmailAddress::parse("email", form.str("email")).map_err(|e| errors.insert(e.field, e.message)).ok();
    let role = match Role::parse("role", form.str("role")) {
        Ok(r) if staff.role.can_grant(r) => Some(r),
        Ok(r) => {
            errors.insert("role", format!("You cannot give the role {}.", r.as_str()));
            None
        }
        Err(e) => {
            errors.insert(e.field, e.message);
            None
        }
    };
    if let (Some(name), Some(email), Some(role)) = (&name, &email, role) {
        match state.store.create_user(email.as_str(), name, role.as_str(), None, None).await {
            Ok(user) => {
                let (token, hash) = newsdesk_store::new_token();
                let link = format!("{}/admin/setup/{token}", state.site.url);
                let mail = newsdesk_store::mail::MailPayload {
                    to: user.email.clone(),
                    subject: format!("You are invited to {}", state.site.title),
                    text: format!(
                        "Hello {},\n\n{} invited you to work on {} as {} {}.\n\nChoose your password here (the link works once, for 7 days):\n{link}\n\nIf you did not expect this, ignore this message.\n",
                        user.name,
                        staff.user.name,
                        state.site.title,
                        if role.as_str().starts_with(['a', 'e', 'o']) { "an" } else { "a" },
                        role.as_str()
                    ),
                    html: None,
                    reply_to: Some(staff.user.email.clone()),
                    headers: Vec::new(),
                };
                state.store.create_login_link_with_mail("invite", user.id, &hash, INVITE_TTL, &mail).await?;
                tracing::info!(user.id = user.id, by.user.id = staff.user.id, "staff invited");
                let d = data(&state, &staff, serde_json::json!({ "invite_link": link, "invited": user.email })).await?;
                return page(&state, &staff, "admin/users.html", "users", None, d);
            }
            Err(StoreError::Conflict { field, message }) => {
                errors.insert(field, message);
            }
            Err(e) => return Err(e.into()),
        }
    }
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
