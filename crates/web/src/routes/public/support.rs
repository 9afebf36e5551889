//! Donations: `/support/` offers one-off and monthly gifts (suggested amounts, a custom one, "cover the fees", a
//! message); `POST /support/checkout` records the gift and goes on to Stripe Checkout; `/support/thanks` thanks the
//! donor (the receipt is mailed once Stripe confirms the payment). A bad field re-renders the form with the message
//! beside it; Stripe being down says so and charges nothing.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use newsdesk_domain::membership::{covering_fee, format_price};
use newsdesk_services::donations;
use newsdesk_services::payments::CheckoutError;

use super::membership::payment_csp;
use super::newsletters::{ECHO_MAX, personal_page};
use crate::auth::MaybeMember;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

/// What the form had, to draw it again.
#[derive(Default)]
struct Echo {
    amount: String,
    custom: String,
    cadence: String,
    cover_fees: bool,
    message: String,
    email: String,
}

async fn page(
    state: &AppState,
    member: &MaybeMember,
    status: StatusCode,
    error: Option<(&str, String)>,
    echo: &Echo,
) -> Result<Response, AppError> {
    let p = &state.options.payments;
    let amounts: Vec<serde_json::Value> = p
        .donation_amounts
        .iter()
        .filter(|a| **a > 0)
        .map(|a| serde_json::json!({ "value": a.to_string(), "text": format_price(a * 100, &p.currency) }))
        .collect();
    // The fee on a typical gift, so the reader sees what "cover the fees" adds.
    let example = p.donation_amounts.first().copied().unwrap_or(10).max(1) * 100;
    let fee_example = format_price(covering_fee(example, p.donation_fee_percent, p.donation_fee_fixed), &p.currency);
    let chosen = if echo.amount.is_empty() && echo.custom.is_empty() {
        p.donation_amounts.get(1).or(p.donation_amounts.first()).map(|a| a.to_string()).unwrap_or_default()
    } else {
        echo.amount.clone()
    };
    let (field, message) = match &error {
        Some((f, m)) => (Some(*f), Some(m.clone())),
        None => (None, None),
    };
    let mut r = personal_page(
        state,
        "support.html",
        status,
        serde_json::json!({
            "state": "form", "amounts": amounts, "chosen": chosen, "custom": echo.custom,
            "cadence": if echo.cadence == "month" { "month" } else { "once" }, "cover_fees": echo.cover_fees,
            "message": echo.message, "email": echo.email, "signed_in": member.0.is_some(),
            "member_email": member.0.as_ref().map(|m| m.member.email.clone()),
            "error_field": field, "error": message, "fee_example": fee_example,
            "example": format_price(example, &p.currency), "currency": p.currency.to_uppercase(),
            "payments": !p.stripe_secret_key.is_empty(), "message_max": donations::MESSAGE_MAX,
        }),
    )?;
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, payment_csp(state));
    Ok(r)
}

pub async fn index(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    page(&state, &member, StatusCode::OK, None, &Echo::default()).await
}

#[tracing::instrument(skip_all, name = "public.support.checkout")]
pub async fn checkout(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    member: MaybeMember,
    form: FormData,
) -> Result<Response, AppError> {
    let locale = state.templates.locales().get(form.str("lang")).clone();
    let echo = Echo {
        amount: crate::forms::echo(form.str("amount"), 20),
        custom: crate::forms::echo(form.str("custom"), 20),
        cadence: form.str("cadence").to_owned(),
        cover_fees: form.get("cover_fees") == Some("yes"),
        message: crate::forms::echo(form.str("message"), donations::MESSAGE_MAX + 10),
        email: crate::forms::echo(form.str("email").trim(), ECHO_MAX),
    };
    let refuse = |status: StatusCode, field: &'static str, message: String| {
        let state = state.clone();
        let member = &member;
        let echo = &echo;
        async move { page(&state, member, status, Some((field, message)), echo).await }
    };
    if !form.str("website").is_empty() {
        tracing::info!(client.ip = %addr.ip(), "donation honeypot filled");
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "form", locale.text("join_try_again", &[])).await;
    }
    if !state.limiter.allow(&format!("donate-ip:{}", addr.ip()), 30, Duration::from_secs(3600)).await {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "form", locale.text("join_too_many", &[])).await;
    }
    let draft = match donations::parse_donation(
        &state.options.payments,
        form.str("amount"),
        form.str("custom"),
        form.str("cadence"),
        echo.cover_fees,
        form.str("message"),
    ) {
        Ok(d) => d,
        Err(e) => {
            let message = match e.code {
                "amount_invalid" => locale.text("donate_amount_invalid", &[]) + " " + &e.message,
                "message_too_long" => locale.text("donate_message_too_long", &[]),
                _ => e.message,
            };
            return refuse(StatusCode::UNPROCESSABLE_ENTITY, e.field, message).await;
        }
    };
    let who = match &member.0 {
        Some(m) => m.member.clone(),
        None => {
            let Ok(address) = newsdesk_domain::EmailAddress::parse("email", form.str("email")) else {
                return refuse(StatusCode::UNPROCESSABLE_ENTITY, "email", locale.text("signup_invalid_email", &[]))
                    .await;
            };
            state.store.find_or_create_member(address.as_str(), "donation").await?.0
        }
    };
    match donations::donate(&state.ctx, &who, &draft).await {
        Ok(url) => Ok(super::membership::to_stripe(&url)),
        Err(CheckoutError::Off) => {
            refuse(StatusCode::SERVICE_UNAVAILABLE, "form", locale.text("donate_payments_off", &[])).await
        }
        Err(CheckoutError::NotOffered) => {
            refuse(StatusCode::UNPROCESSABLE_ENTITY, "form", locale.text("join_try_again", &[])).await
        }
        Err(CheckoutError::Stripe(e)) => {
            tracing::warn!(error = %e, "donation checkout could not start");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "form", locale.text("join_try_again", &[])).await
        }
        Err(CheckoutError::Store(e)) => Err(e.into()),
    }
}

pub async fn thanks(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    personal_page(
        &state,
        "support.html",
        StatusCode::OK,
        serde_json::json!({ "state": "thanks", "signed_in": member.0.is_some() }),
    )
}
