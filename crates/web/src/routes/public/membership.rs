//! Joining: `/membership/` lists the tiers with their prices and benefits; `POST /membership/checkout` starts a
//! Stripe Checkout for the chosen tier and cadence (signed-in members, or a reader giving an address, who becomes a
//! member); `/membership/welcome` thanks them. `POST /account/billing` opens Stripe's customer portal. If Stripe is
//! down, the reader is told to try again and nothing is charged; a double click makes one session.

use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::payments::{self, CheckoutError};

use super::newsletters::personal_page;
use crate::auth::MaybeMember;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

/// The public pages' policy, letting forms go on to Stripe's hosted pages (Checkout, the customer portal): a
/// form's redirect is checked against `form-action` too. With `stripe_api_base` pointing elsewhere (a stand-in),
/// its origin as well.
pub fn payment_csp(state: &AppState) -> HeaderValue {
    let mut origins = String::from("'self' https://checkout.stripe.com https://billing.stripe.com");
    if let Ok(u) = url::Url::parse(&state.options.payments.stripe_api_base)
        && u.host_str() != Some("api.stripe.com")
    {
        let origin = u.origin().ascii_serialization();
        if !origin.contains(['\'', ';', ' ']) {
            origins.push(' ');
            origins.push_str(&origin);
        }
    }
    let csp = crate::routes::PUBLIC_CSP.replace("form-action 'self'", &format!("form-action {origins}"));
    HeaderValue::from_str(&csp).unwrap_or_else(|_| HeaderValue::from_static(crate::routes::PUBLIC_CSP))
}

/// A redirect to Stripe's own page (Checkout), from Stripe's answer, never from the request.
pub(super) fn to_stripe(url: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(url) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn page(
    state: &AppState,
    member: &MaybeMember,
    status: StatusCode,
    error: Option<String>,
    email: &str,
) -> Result<Response, AppError> {
    let tiers: Vec<serde_json::Value> = state
        .store
        .tiers()
        .await?
        .iter()
        .filter(|t| t.active == 1)
        .map(|t| {
            let price = |p: Option<i64>| p.map(|m| newsdesk_domain::membership::format_price(m, &t.currency));
            serde_json::json!({ "slug": t.slug, "name": t.name, "description": t.description, "paid": t.is_paid(),
                "benefits": t.benefit_lines(), "monthly": price(t.monthly_price), "yearly": price(t.yearly_price),
                "trial_days": t.trial_days })
        })
        .collect();
    let held: Vec<String> = match &member.0 {
        Some(m) => match &m.access {
            newsdesk_domain::Access::Member { paid_tiers } => paid_tiers.clone(),
            _ => Vec::new(),
        },
        None => Vec::new(),
    };
    let mut r = personal_page(
        state,
        "membership.html",
        status,
        serde_json::json!({
            "state": "tiers", "tiers": tiers, "signed_in": member.0.is_some(), "held": held, "error": error,
            "email": email, "payments": !state.options.payments.stripe_secret_key.is_empty(),
        }),
    )?;
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, payment_csp(state));
    Ok(r)
}

pub async fn index(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    page(&state, &member, StatusCode::OK, None, "").await
}

#[tracing::instrument(skip_all, name = "public.membership.checkout")]
pub async fn checkout(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    member: MaybeMember,
    form: FormData,
) -> Result<Response, AppError> {
    let locale = state.templates.locales().get(form.str("lang")).clone();
    let email = crate::forms::echo(form.str("email").trim(), super::newsletters::ECHO_MAX);
    let refuse = |status: StatusCode, key: &str| {
        let message = locale.text(key, &[]);
        let state = state.clone();
        let email = email.clone();
        let member = &member;
        async move { page(&state, member, status, Some(message), &email).await }
    };
    if !state.limiter.allow(&format!("checkout-ip:{}", addr.ip()), 30, Duration::from_secs(3600)).await {
        return refuse(StatusCode::TOO_MANY_REQUESTS, "join_too_many").await;
    }
    let Some(tier) = state.store.tier_by_slug(form.str("tier")).await?.filter(|t| t.is_paid() && t.active == 1) else {
        return refuse(StatusCode::UNPROCESSABLE_ENTITY, "join_no_tier").await;
    };
    let cadence = if form.str("cadence") == "year" { "year" } else { "month" };
    let who = match &member.0 {
        Some(m) => m.member.clone(),
        None => {
            let Ok(address) = newsdesk_domain::EmailAddress::parse("email", form.str("email")) else {
                return refuse(StatusCode::UNPROCESSABLE_ENTITY, "signup_invalid_email").await;
            };
            state.store.find_or_create_member(address.as_str(), "checkout").await?.0
        }
    };
    match payments::checkout(&state.ctx, &who, &tier, cadence).await {
        Ok(url) => Ok(to_stripe(&url)),
        Err(CheckoutError::Off) => refuse(StatusCode::SERVICE_UNAVAILABLE, "join_payments_off").await,
        Err(CheckoutError::NotOffered) => refuse(StatusCode::UNPROCESSABLE_ENTITY, "join_no_tier").await,
        Err(CheckoutError::Stripe(e)) => {
            tracing::warn!(error = %e, "checkout could not start");
            refuse(StatusCode::SERVICE_UNAVAILABLE, "join_try_again").await
        }
        Err(CheckoutError::Store(e)) => Err(e.into()),
    }
}

pub async fn welcome(State(state): State<AppState>, member: MaybeMember) -> Result<Response, AppError> {
    personal_page(
        &state,
        "membership.html",
        StatusCode::OK,
        serde_json::json!({ "state": "welcome", "signed_in": member.0.is_some() }),
    )
}

/// Stripe's customer portal for the signed-in member: cards, invoices, cancelling.
pub async fn billing(State(state): State<AppState>, member: MaybeMember, form: FormData) -> Result<Response, AppError> {
    let Some(m) = &member.0 else { return Ok(super::members::sign_in_first("/account/")) };
    crate::auth::csrf::check(&m.csrf, form.get("csrf_token"))?;
    match payments::portal(&state.ctx, &m.member).await {
        Ok(Some(url)) => {
            let mut r = StatusCode::SEE_OTHER.into_response();
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            Ok(r)
        }
        Ok(None) => Ok(crate::redirect::see_other("/account/")),
        Err(CheckoutError::Store(e)) => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = ?e, "customer portal could not open");
            Err(AppError::BadRequest("Billing is not available just now; please try again in a minute.".into()))
        }
    }
}
