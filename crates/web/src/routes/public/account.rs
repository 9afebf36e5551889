//! A member's own page, `/account/`: their membership, newsletters, their data as JSON, signing out, and deleting
//! the account (saying what is kept and why). Never cached; the forms carry the member session's CSRF token.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::members;

use super::members::{clear_member_cookie, sign_in_first};
use super::newsletters::personal_page;
use crate::auth::csrf;
use crate::auth::{MaybeMember, SignedInMember};
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

/// Each tier the member holds, as the page states it: renews, ends, payment failed, or until a date.
fn tier_lines(subs: &[newsdesk_store::members::MemberSubscription], grace: i64) -> Vec<serde_json::Value> {
    let now = newsdesk_store::now();
    subs.iter()
        .filter(|s| s.grants_access(now, grace))
        .map(|s| {
            let (state, date) = match (s.source.as_str(), s.status.as_str()) {
                ("comp", _) => ("until", s.expires_at),
                (_, "past_due" | "unpaid") => ("failed", None),
                _ if s.cancel_at_period_end == 1 => ("ends", s.current_period_end),
                _ => ("renews", s.current_period_end),
            };
            serde_json::json!({ "name": s.tier_name, "state": state, "date": date })
        })
        .collect()
}

async fn page(
    state: &AppState,
    m: &SignedInMember,
    status: StatusCode,
    error: Option<&str>,
) -> Result<Response, AppError> {
    let subs = state.store.member_subscriptions(m.member.id).await?;
    let newsletters: Vec<String> = {
        let statuses = state.store.subscription_statuses(&m.member.email).await?;
        let names: std::collections::HashMap<String, String> =
            state.store.all_newsletters().await?.into_iter().map(|n| (n.slug, n.name)).collect();
        statuses
            .into_iter()
            .filter(|(_, s)| s == "confirmed")
            .filter_map(|(slug, _)| names.get(&slug).cloned())
            .collect()
    };
    let preferences_url = match state.store.subscriber_by_email(&m.member.email).await? {
        Some(s) => {
            let key = state.store.link_key().await?;
            Some(format!("/newsletters/preferences/{}", key.preferences_token(s.id, &s.email)))
        }
        None => None,
    };
    let payments: Vec<serde_json::Value> = state
        .store
        .member_payments(m.member.id)
        .await?
        .iter()
        .map(|p| {
            serde_json::json!({ "created_at": p.created_at, "status": p.status,
                "amount_text": newsdesk_domain::membership::format_price(p.amount, &p.currency) })
        })
        .collect();
    let donations: Vec<serde_json::Value> = state
        .store
        .member_donations(m.member.id)
        .await?
        .iter()
        .map(|d| {
            serde_json::json!({ "cadence": d.cadence, "status": d.status, "created_at": d.created_at,
                "amount_text": newsdesk_domain::membership::format_price(d.charge(), &d.currency),
                "message": d.message })
        })
        .collect();
    let mut r = personal_page(
        state,
        "account.html",
        status,
        serde_json::json!({
            "state": "account", "member": m.member, "csrf": m.csrf, "error": error,
            "tiers": tier_lines(&subs, state.options.payments.grace_seconds()),
            "newsletters": newsletters, "preferences_url": preferences_url,
            "billing": m.member.stripe_customer_id.is_some() && !state.options.payments.stripe_secret_key.is_empty(),
            "payments": payments, "donations": donations,
        }),
    )?;
    // The billing button's form goes on to Stripe's customer portal.
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, super::membership::payment_csp(state));
    Ok(r)
}

pub async fn show(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    match &member.0 {
        Some(m) => page(&state, m, StatusCode::OK, None).await,
        None => Ok(sign_in_first("/account/")),
    }
}

/// Everything we hold about the member, as a JSON download.
pub async fn data(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    let Some(m) = &member.0 else { return Ok(sign_in_first("/account/")) };
    let json = members::export_data(&state.ctx, &m.member).await?;
    let body = serde_json::to_string_pretty(&json).map_err(|e| AppError::Internal(e.into()))?;
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"my-data.json\""),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}

pub async fn sign_out(
    State(state): State<AppState>,
    member: MaybeMember,
    form: FormData,
) -> Result<Response, AppError> {
    if let Some(m) = &member.0 {
        csrf::check(&m.csrf, form.get("csrf_token"))?;
        state.store.delete_member_session(&m.token_hash).await?;
    }
    let mut r = personal_page(&state, "account.html", StatusCode::OK, serde_json::json!({ "state": "signed_out" }))?;
    r.headers_mut().append(header::SET_COOKIE, clear_member_cookie(&state));
    Ok(r)
}

pub async fn delete(State(state): State<AppState>, member: MaybeMember, form: FormData) -> Result<Response, AppError> {
    let Some(m) = &member.0 else { return Ok(sign_in_first("/account/")) };
    csrf::check(&m.csrf, form.get("csrf_token"))?;
    if form.get("confirm") != Some("yes") {
        let locale = state.templates.locales().get(&state.site.language).clone();
        let message = locale.text("account_delete_must_confirm", &[]);
        return page(&state, m, StatusCode::UNPROCESSABLE_ENTITY, Some(&message)).await;
    }
    members::delete_account(&state.ctx, &m.member).await?;
    let mut r = personal_page(&state, "account.html", StatusCode::OK, serde_json::json!({ "state": "deleted" }))?;
    r.headers_mut().append(header::SET_COOKIE, clear_member_cookie(&state));
    Ok(r)
}
