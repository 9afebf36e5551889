//! Members signing in: the form (`/members/signin`), the magic link's page (`/members/signin/{token}`, a button
//! that POSTs, so link scanners sign nobody in), and its POST, which starts a member session.
//!
//! The forms are on pages anyone reaches: a cross-site POST is refused by the `auth::origin` middleware, a honeypot
//! catches simple bots, and requests are limited per client and per address so nobody can flood a stranger's inbox.
//! The answer is the same whether or not the address had an account.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::EmailAddress;
use newsdesk_services::members::{self, SESSION_TTL, local_next};
use serde::Deserialize;

use super::newsletters::{ECHO_MAX, personal_page};
use crate::auth::member::MEMBER_COOKIE;
use crate::auth::session::set_cookie;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn signin_page(state: &AppState, status: StatusCode, ctx: serde_json::Value) -> Result<Response, AppError> {
    personal_page(state, "member_signin.html", status, ctx)
}

pub async fn signin_form(State(state): State<AppState>, Query(q): Query<NextQuery>) -> Result<Response, AppError> {
    signin_page(&state, StatusCode::OK, serde_json::json!({ "state": "form", "next": local_next(q.next.as_deref()) }))
}

#[tracing::instrument(skip_all, name = "public.members.signin")]
pub async fn request_signin(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let email = form.str("email").trim().to_owned();
    let next = local_next(form.get("next"));
    let locale = state.templates.locales().get(form.str("lang")).clone();
    let fail = |status: StatusCode, message: String| {
        signin_page(
            &state,
            status,
            serde_json::json!({ "state": "form", "error": message, "email": crate::forms::echo(&email, ECHO_MAX), "next": next }),
        )
    };
    let Ok(address) = EmailAddress::parse("email", &email) else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, locale.text("signup_invalid_email", &[]));
    };
    let sent = serde_json::json!({ "state": "sent", "email": address.as_str() });
    if !form.str("website").is_empty() {
        tracing::info!(client.ip = %addr.ip(), "member sign-in honeypot filled");
        return signin_page(&state, StatusCode::OK, sent);
    }
    if !state.limiter.allow(&format!("member-signin-ip:{}", addr.ip()), 20, Duration::from_secs(3600)).await {
        return fail(StatusCode::TOO_MANY_REQUESTS, locale.text("signin_too_many", &[]));
    }
    // Per address: over the limit, answer as usual but send nothing.
    if state
        .limiter
        .allow(&format!("member-signin-email:{}", address.as_str().to_lowercase()), 5, Duration::from_secs(3600))
        .await
    {
        members::request_sign_in(&state.ctx, &address, next.as_deref()).await?;
    } else {
        tracing::warn!(client.ip = %addr.ip(), "member sign-in: per-address limit reached; no mail sent");
    }
    signin_page(&state, StatusCode::OK, sent)
}

/// The page the mailed link opens: who will be signed in, and a button. Signs nobody in.
pub async fn link_form(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    match state.store.peek_member_link(&newsdesk_store::hash_token(&token)).await? {
        Some(email) => {
            signin_page(&state, StatusCode::OK, serde_json::json!({ "state": "ask", "email": email, "token": token }))
        }
        None => signin_page(&state, StatusCode::GONE, serde_json::json!({ "state": "expired" })),
    }
}

/// Uses the link once and starts a member session; on to the page the reader came from, else their account.
#[tracing::instrument(skip_all, name = "public.members.redeem")]
pub async fn redeem(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some((member_id, next)) = state.store.redeem_member_link(&newsdesk_store::hash_token(&token)).await? else {
        return signin_page(&state, StatusCode::GONE, serde_json::json!({ "state": "expired" }));
    };
    let (session, hash) = newsdesk_store::new_token();
    let (csrf, _) = newsdesk_store::new_token();
    let ip = addr.ip().to_string();
    state.store.create_member_session(member_id, &hash, &csrf, SESSION_TTL, Some(&ip)).await?;
    tracing::info!(member.id = member_id, "member signed in");
    let to = next.as_deref().and_then(crate::redirect::local_path).unwrap_or_else(|| "/account/".into());
    let mut response = crate::redirect::see_other(&to);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(MEMBER_COOKIE, &session, SESSION_TTL, state.secure_cookies));
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

/// A cookie that ends the member session in the browser.
pub fn clear_member_cookie(state: &AppState) -> header::HeaderValue {
    set_cookie(MEMBER_COOKIE, "", 0, state.secure_cookies)
}

/// The answer to a personal request whose session is gone: back to signing in.
pub fn sign_in_first(next: &str) -> Response {
    let mut r = crate::redirect::see_other(&format!("/members/signin?next={}", crate::auth::session::urlencode(next)));
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r.into_response()
}

/// `POST /members/webhooks/stripe`: an event from Stripe, verified by its `Stripe-Signature` and applied once.
/// Forged, replayed and unsigned requests get 400 and change nothing; an event for a customer we do not know yet is
/// recorded and applied when their checkout completes.
#[tracing::instrument(skip_all, name = "public.members.stripe_webhook")]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let signature = headers.get("stripe-signature").and_then(|v| v.to_str().ok());
    match newsdesk_services::payments::receive(&state.ctx, signature, &body).await? {
        Ok(outcome) => {
            if outcome == newsdesk_store::payments::EventOutcome::Processed {
                state.refresh_version().await;
            }
            Ok((StatusCode::OK, axum::Json(serde_json::json!({ "received": true, "outcome": outcome })))
                .into_response())
        }
        Err((code, message)) => {
            Ok((StatusCode::BAD_REQUEST, axum::Json(serde_json::json!({ "error": code, "message": message })))
                .into_response())
        }
    }
}
