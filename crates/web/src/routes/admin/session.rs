//! Sign-in, sign-out, and one-time links (owner setup on a new site, invitations, password resets).

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::EmailAddress;
use serde::Deserialize;

use super::{errors_json, render, see_other};
use crate::auth::csrf::{self, ANON_COOKIE};
use crate::auth::session::{SESSION_COOKIE, SESSION_TTL, set_cookie};
use crate::auth::{MaybeStaff, Staff};
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::ServiceError;
use newsdesk_services::passwords as password;
use newsdesk_services::staff::{self, SetupForm};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only paths of this site are followed after sign-in (see [`crate::redirect::local_path`]).
fn safe_next(next: Option<&str>) -> String {
    next.and_then(crate::redirect::local_path).unwrap_or_else(|| "/admin/posts".to_owned())
}

fn anon_page(
    state: &AppState,
    headers: &HeaderMap,
    status: StatusCode,
    template: &str,
    data: serde_json::Value,
) -> Result<Response, AppError> {
    let (token, fresh) = csrf::anon_token(headers);
    let html = render(state, None, &token, template, "", None, data)?;
    let mut resp = (status, html).into_response();
    if fresh {
        resp.headers_mut().append(SET_COOKIE, set_cookie(ANON_COOKIE, &token, 86_400, state.secure_cookies));
    }
    Ok(resp)
}

fn check_anon_csrf(headers: &HeaderMap, form: &FormData) -> Result<(), AppError> {
    let cookie = crate::auth::session::cookie(headers, ANON_COOKIE).unwrap_or_default();
    csrf::check(&cookie, form.get("csrf_token"))
}

pub async fn signin_form(
    State(state): State<AppState>,
    staff: MaybeStaff,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if staff.0.is_some() {
        return Ok(see_other(&safe_next(q.next.as_deref())));
    }
    anon_page(
        &state,
        &headers,
        StatusCode::OK,
        "admin/signin.html",
        serde_json::json!({ "next": q.next, "values": {} }),
    )
}

/// Starts a session for `user_id` and redirects to `to`.
pub async fn start_session(state: &AppState, user_id: i64, to: &str) -> Result<Response, AppError> {
    let (token, hash) = newsdesk_store::new_token();
    let (csrf_token, _) = newsdesk_store::new_token();
    state.store.create_session(user_id, &hash, &csrf_token, SESSION_TTL).await?;
    let mut resp = see_other(to);
    resp.headers_mut().append(SET_COOKIE, set_cookie(SESSION_COOKIE, &token, SESSION_TTL, state.secure_cookies));
    Ok(resp)
}

#[tracing::instrument(skip_all, name = "admin.session.signin")]
pub async fn signin(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    check_anon_csrf(&headers, &form)?;
    let email = form.str("email").trim().to_owned();
    let next = form.get("next").filter(|n| !n.is_empty()).map(str::to_owned);
    let again = |status: StatusCode, message: &str| {
        anon_page(
            &state,
            &headers,
            status,
            "admin/signin.html",
            serde_json::json!({ "next": next, "values": { "email": email }, "errors": { "form": message } }),
        )
    };
    let window = Duration::from_secs(300);
    if !state.limiter.allow(&format!("signin-ip:{}", addr.ip()), 20, window).await
        || !state.limiter.allow(&format!("signin-email:{}", email.to_lowercase()), 10, window).await
    {
        tracing::warn!(client.ip = %addr.ip(), "sign-in rate limit reached");
        return again(StatusCode::TOO_MANY_REQUESTS, "Too many attempts. Wait five minutes and try again.");
    }
    let password = form.str("password").to_owned();
    let user = state.store.user_by_email(&email).await?;
    let ok = match user.as_ref().and_then(|u| u.password_hash.clone()) {
        Some(hash) => password::verify(password, hash).await,
        None => {
            password::verify_dummy(password).await;
            false
        }
    };
    match user {
        Some(u) if ok => {
            tracing::info!(user.id = u.id, "signed in");
            start_session(&state, u.id, &safe_next(next.as_deref())).await
        }
        _ => again(StatusCode::UNAUTHORIZED, "That email and password do not match an account."),
    }
}

#[tracing::instrument(skip_all, name = "admin.session.signout")]
pub async fn signout(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    super::check_csrf(&staff, &form)?;
    state.store.delete_session(&staff.token_hash).await?;
    let mut resp = see_other("/");
    resp.headers_mut().append(SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0, state.secure_cookies));
    Ok(resp)
}

fn link_text(purpose: &str) -> (&'static str, &'static str, &'static str) {
    match purpose {
        "owner_setup" => (
            "Create the owner account",
            "This account owns the site and can do everything, including adding staff.",
            "Create account",
        ),
        "invite" => {
            ("Welcome to the newsroom", "Choose a password to finish setting up your staff account.", "Set password")
        }
        _ => ("Choose a new password", "Enter a new password for your account.", "Set password"),
    }
}

pub async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some(link) = state.store.peek_login_link(&newsdesk_store::hash_token(&token)).await? else {
        return dead_link(&state, &headers);
    };
    let (heading, intro, button) = link_text(&link.purpose);
    anon_page(
        &state,
        &headers,
        StatusCode::OK,
        "admin/setup.html",
        serde_json::json!({ "heading": heading, "intro": intro, "button": button, "action": format!("/admin/setup/{token}"),
            "ask_identity": link.purpose == "owner_setup", "values": {} }),
    )
}

fn dead_link(state: &AppState, headers: &HeaderMap) -> Result<Response, AppError> {
    anon_page(
        state,
        headers,
        StatusCode::GONE,
        "admin/message.html",
        serde_json::json!({ "heading": "This link has expired", "message": "Links like this work once and for a limited time. Ask an administrator for a new one (or run `newsdesk user add`).", "link": { "href": "/admin/signin", "text": "Sign in" } }),
    )
}

#[tracing::instrument(skip_all, name = "admin.session.setup")]
pub async fn setup(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    headers: HeaderMap,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    check_anon_csrf(&headers, &form)?;
    if !state.limiter.allow(&format!("setup-ip:{}", addr.ip()), 20, Duration::from_secs(300)).await {
        return Err(AppError::BadRequest("Too many attempts. Wait five minutes and try again.".into()));
    }
    let setup = SetupForm {
        name: form.str("name"),
        email: form.str("email"),
        password: form.str("password"),
        password_confirm: form.str("password_confirm"),
    };
    match staff::use_link(&state, &token, &setup).await {
        Ok(user_id) => start_session(&state, user_id, "/admin/posts").await,
        Err(ServiceError::NotFound) => dead_link(&state, &headers),
        Err(ServiceError::Invalid { errors, .. }) => {
            let purpose = state.store.peek_login_link(&newsdesk_store::hash_token(&token)).await?.map(|l| l.purpose);
            let purpose = purpose.unwrap_or_default();
            let (heading, intro, button) = link_text(&purpose);
            anon_page(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/setup.html",
                serde_json::json!({ "heading": heading, "intro": intro, "button": button, "action": format!("/admin/setup/{token}"),
                    "ask_identity": purpose == "owner_setup", "values": { "name": form.str("name").trim(), "email": form.str("email").trim() }, "errors": errors_json(&errors) }),
            )
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn forgot_form(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    anon_page(&state, &headers, StatusCode::OK, "admin/forgot.html", serde_json::json!({ "values": {} }))
}

/// Emails a reset link when the address has an account. The answer is the same either way, so the form does not
/// reveal who works here; attempts are rate-limited per client and per address.
#[tracing::instrument(skip_all, name = "admin.session.forgot")]
pub async fn forgot(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    check_anon_csrf(&headers, &form)?;
    let email = form.str("email").trim().to_owned();
    let Ok(parsed) = EmailAddress::parse("email", &email) else {
        return anon_page(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            "admin/forgot.html",
            serde_json::json!({ "values": { "email": email }, "errors": { "email": newsdesk_services::subscribers::BAD_ADDRESS } }),
        );
    };
    let window = Duration::from_secs(3600);
    let allowed = state.limiter.allow(&format!("forgot-ip:{}", addr.ip()), 10, window).await
        && state.limiter.allow(&format!("forgot-email:{}", parsed.as_str().to_lowercase()), 3, window).await;
    if allowed {
        staff::send_reset_link(&state, &parsed).await?;
    } else if !allowed {
        tracing::warn!(client.ip = %addr.ip(), "password reset rate limit reached");
    }
    anon_page(
        &state,
        &headers,
        StatusCode::OK,
        "admin/forgot.html",
        serde_json::json!({ "sent": true, "values": { "email": parsed.as_str() } }),
    )
}
