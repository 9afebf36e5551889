//! Stripe webhooks: checking the `Stripe-Signature` header (HMAC-SHA256 of `t.payload` with the endpoint's
//! secret, within a tolerance window so a captured request cannot be replayed later), and reading an event into the
//! change it makes (`store::payments`), which the store applies once and in order.

use newsdesk_store::payments::{EventOutcome, StripeChange, SubscriptionState};
use serde_json::Value;

use crate::{Context, ServiceError};

/// How old a signed request may be (Stripe's libraries use the same five minutes).
pub const TOLERANCE_SECONDS: i64 = 300;

/// Why a webhook request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    Missing,
    Malformed,
    TooOld,
    Mismatch,
}

impl SignatureError {
    pub fn message(&self) -> &'static str {
        match self {
            SignatureError::Missing => "The request has no Stripe-Signature header.",
            SignatureError::Malformed => "The Stripe-Signature header is not t=…,v1=….",
            SignatureError::TooOld => "The signature's time is outside the five-minute tolerance (a replay?).",
            SignatureError::Mismatch => "The signature does not match the payload and the endpoint's secret.",
        }
    }
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…]`) for `payload` at time `now`.
pub fn verify_signature(header: Option<&str>, payload: &[u8], secret: &str, now: i64) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut t: Option<i64> = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse().ok(),
            Some(("v1", v)) => signatures.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - t).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::TooOld);
    }
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(payload);
    let expected = hex::encode(newsdesk_store::links::hmac_sha256(secret.as_bytes(), &message));
    let matches = signatures.iter().any(|s| {
        s.len() == expected.len() && s.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    });
    if matches { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Signs `payload` at `t` as Stripe does (for tests and tools that stand in for Stripe).
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(payload);
    format!("t={t},v1={}", hex::encode(newsdesk_store::links::hmac_sha256(secret.as_bytes(), &message)))
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        // An expanded object: its id.
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// A subscription object (as events and the API give it) as our state. Reads both the current API's shape (price,
/// the period on the item) and the older one (plan, the period on the subscription).
pub fn subscription_state(o: &Value) -> Option<SubscriptionState> {
    let item = &o["items"]["data"][0];
    let price = if item["price"].is_object() { &item["price"] } else { &item["plan"] };
    let cadence = price["recurring"]["interval"].as_str().or_else(|| price["interval"].as_str()).map(str::to_owned);
    let amount = price["unit_amount"].as_i64().or_else(|| price["amount"].as_i64());
    Some(SubscriptionState {
        stripe_subscription_id: o["id"].as_str()?.to_owned(),
        customer: text(&o["customer"])?,
        tier_slug: o["metadata"]["tier"].as_str().map(str::to_owned),
        price_id: price["id"].as_str().map(str::to_owned),
        status: o["status"].as_str().unwrap_or("incomplete").to_owned(),
        cadence,
        amount,
        currency: price["currency"].as_str().map(str::to_owned),
        current_period_end: o["current_period_end"].as_i64().or_else(|| item["current_period_end"].as_i64()),
        cancel_at_period_end: o["cancel_at_period_end"].as_bool().unwrap_or(false),
    })
}

/// What an event changes, and its Stripe time; `None` when it is not an event.
pub fn change_of(event: &Value) -> Option<(i64, StripeChange)> {
    let created = event["created"].as_i64()?;
    let o = &event["data"]["object"];
    // Our donation's id, which its checkout and subscription carry in their metadata.
    let donation = o["metadata"]["donation"].as_str().and_then(|d| d.parse::<i64>().ok());
    let change = match event["type"].as_str()? {
        "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted"
            if donation.is_some() =>
        {
            let status =
                if event["type"] == "customer.subscription.deleted" { "canceled" } else { o["status"].as_str()? };
            StripeChange::DonationSubscription {
                donation_id: donation?,
                subscription_id: o["id"].as_str()?.to_owned(),
                status: status.to_owned(),
            }
        }
        "checkout.session.completed" if donation.is_some() => StripeChange::DonationCompleted {
            donation_id: donation?,
            customer: text(&o["customer"]),
            reference: text(&o["payment_intent"]).or_else(|| text(&o["id"]))?,
            subscription_id: text(&o["subscription"]),
            amount: o["amount_total"].as_i64().unwrap_or(0),
            currency: o["currency"].as_str().unwrap_or("").to_owned(),
            paid: o["payment_status"].as_str() == Some("paid"),
        },
        "customer.subscription.created" | "customer.subscription.updated" | "customer.subscription.deleted" => {
            let mut s = subscription_state(o)?;
            if event["type"] == "customer.subscription.deleted" {
                s.status = "canceled".into();
            }
            StripeChange::Subscription(s)
        }
        "checkout.session.completed" => StripeChange::CheckoutCompleted {
            customer: text(&o["customer"])?,
            member_id: o["client_reference_id"].as_str().and_then(|r| r.parse().ok()),
            email: o["customer_details"]["email"].as_str().or_else(|| o["customer_email"].as_str()).map(str::to_owned),
        },
        kind @ ("invoice.paid" | "invoice.payment_succeeded" | "invoice.payment_failed") => StripeChange::Invoice {
            invoice_id: o["id"].as_str()?.to_owned(),
            customer: text(&o["customer"])?,
            subscription_id: text(&o["subscription"])
                .or_else(|| text(&o["parent"]["subscription_details"]["subscription"])),
            amount: o["amount_paid"].as_i64().filter(|a| *a > 0).or_else(|| o["amount_due"].as_i64()).unwrap_or(0),
            currency: o["currency"].as_str().unwrap_or("").to_owned(),
            paid: kind != "invoice.payment_failed",
        },
        _ => StripeChange::Ignored,
    };
    Some((created, change))
}

/// Handles one webhook request: verified, then applied once. `Err` carries a 400's code and message.
pub async fn receive(
    ctx: &Context,
    signature: Option<&str>,
    payload: &[u8],
) -> Result<Result<EventOutcome, (&'static str, String)>, ServiceError> {
    let secret = &ctx.options.payments.stripe_webhook_secret;
    if secret.is_empty() {
        return Ok(Err((
            "payments_off",
            "Stripe webhooks are not configured here ([payments] stripe_webhook_secret).".into(),
        )));
    }
    if let Err(e) = verify_signature(signature, payload, secret, newsdesk_store::now()) {
        tracing::warn!(reason = ?e, "Stripe webhook refused");
        return Ok(Err(("signature_invalid", e.message().into())));
    }
    let Ok(event) = serde_json::from_slice::<Value>(payload) else {
        return Ok(Err(("invalid_json", "The event is not JSON.".into())));
    };
    let (Some(id), Some(kind), Some((created, change))) =
        (event["id"].as_str(), event["type"].as_str(), change_of(&event))
    else {
        return Ok(Err((
            "event_invalid",
            "The event has no id, type or time, or its object is not what its type says.".into(),
        )));
    };
    let body = String::from_utf8_lossy(payload);
    let replay = |stored: &str| serde_json::from_str::<Value>(stored).ok().and_then(|e| change_of(&e));
    let tiers: std::collections::HashMap<String, String> =
        ctx.store.tiers().await?.into_iter().map(|t| (t.slug, t.name)).collect();
    let grace_days = ctx.options.payments.grace_days.max(0);
    let mail = |email: &str, change: &StripeChange| -> Option<newsdesk_store::mail::MailPayload> {
        let made = match change {
            StripeChange::CheckoutCompleted { .. } => {
                crate::members::member_mail(ctx, "email/member_welcome.txt", email, serde_json::json!({}))
            }
            StripeChange::Invoice { paid: true, amount, currency, invoice_id, .. } if *amount > 0 => {
                let amount = newsdesk_domain::membership::format_price(*amount, currency);
                crate::members::member_mail(
                    ctx,
                    "email/member_receipt.txt",
                    email,
                    serde_json::json!({ "amount": amount, "at": created, "reference": invoice_id }),
                )
            }
            StripeChange::DonationPaid { amount, currency, reference, cadence, at } => crate::members::member_mail(
                ctx,
                "email/donation_receipt.txt",
                email,
                serde_json::json!({ "amount": newsdesk_domain::membership::format_price(*amount, currency),
                    "at": at, "reference": reference, "monthly": cadence == "month" }),
            ),
            StripeChange::Invoice { paid: false, amount, currency, .. } => crate::members::member_mail(
                ctx,
                "email/member_payment_failed.txt",
                email,
                serde_json::json!({ "amount": newsdesk_domain::membership::format_price(*amount, currency),
                    "grace_days": grace_days }),
            ),
            StripeChange::Subscription(s) if s.status == "canceled" => {
                let tier = s.tier_slug.as_ref().and_then(|t| tiers.get(t)).cloned().unwrap_or_default();
                crate::members::member_mail(
                    ctx,
                    "email/member_cancelled.txt",
                    email,
                    serde_json::json!({ "tier": tier }),
                )
            }
            _ => return None,
        };
        made.map_err(|e| tracing::error!(error = %e, "member mail could not be rendered")).ok()
    };
    let event = newsdesk_store::payments::StripeEvent { id, kind, created, change: &change, payload: &body };
    let outcome = ctx.store.apply_stripe_event(&event, &replay, &mail).await?;
    tracing::info!(stripe.event = id, stripe.type = kind, outcome = ?outcome, "Stripe event");
    Ok(Ok(outcome))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_checked_with_a_tolerance() {
        let body = br#"{"id":"evt_1"}"#;
        let header = sign(body, "whsec_test", 1_000_000);
        assert_eq!(verify_signature(Some(&header), body, "whsec_test", 1_000_100), Ok(()));
        assert_eq!(verify_signature(Some(&header), body, "whsec_other", 1_000_100), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(Some(&header), b"{}", "whsec_test", 1_000_100), Err(SignatureError::Mismatch));
        assert_eq!(verify_signature(Some(&header), body, "whsec_test", 1_000_301), Err(SignatureError::TooOld));
        assert_eq!(verify_signature(None, body, "whsec_test", 0), Err(SignatureError::Missing));
        assert_eq!(verify_signature(Some("v1=abc"), body, "whsec_test", 0), Err(SignatureError::Malformed));
        // Several v1 signatures (a secret being rolled): any one may match.
        let two = format!("{header},v1=00ff");
        assert_eq!(verify_signature(Some(&two), body, "whsec_test", 1_000_000), Ok(()));
    }

    #[test]
    fn reads_subscriptions_of_both_api_shapes() {
        let old: Value = serde_json::json!({ "id": "sub_1", "customer": "cus_1", "status": "active",
            "current_period_end": 1_900_000_000, "cancel_at_period_end": true, "metadata": { "tier": "supporter" },
            "items": { "data": [{ "plan": { "id": "plan_1", "amount": 500, "currency": "gbp", "interval": "month" } }] } });
        let s = subscription_state(&old).unwrap();
        assert_eq!(
            (s.amount, s.cadence.as_deref(), s.current_period_end),
            (Some(500), Some("month"), Some(1_900_000_000))
        );
        assert!(s.cancel_at_period_end);
        let new: Value = serde_json::json!({ "id": "sub_2", "customer": { "id": "cus_2" }, "status": "trialing",
            "items": { "data": [{ "current_period_end": 1_800_000_000,
                "price": { "id": "price_1", "unit_amount": 5000, "currency": "eur", "recurring": { "interval": "year" } } }] } });
        let s = subscription_state(&new).unwrap();
        assert_eq!(
            (s.customer.as_str(), s.price_id.as_deref(), s.cadence.as_deref()),
            ("cus_2", Some("price_1"), Some("year"))
        );
        assert_eq!(s.current_period_end, Some(1_800_000_000));
    }
}

/// Why a checkout could not start.
#[derive(Debug)]
pub enum CheckoutError {
    /// Payments are not configured here.
    Off,
    /// The tier has no price for that cadence, or is archived.
    NotOffered,
    /// Stripe is down or refused: the reader is asked to try again; nothing was charged.
    Stripe(crate::stripe::StripeError),
    Store(newsdesk_store::StoreError),
}

impl From<crate::stripe::StripeError> for CheckoutError {
    fn from(e: crate::stripe::StripeError) -> Self {
        CheckoutError::Stripe(e)
    }
}

impl From<newsdesk_store::StoreError> for CheckoutError {
    fn from(e: newsdesk_store::StoreError) -> Self {
        CheckoutError::Store(e)
    }
}

/// The Stripe plan for `tier` at `cadence` ("month" or "year"), made (with the tier's product) when missing.
async fn plan_for(
    ctx: &Context,
    stripe: &crate::stripe::Stripe,
    tier: &newsdesk_store::members::Tier,
    cadence: &str,
) -> Result<String, CheckoutError> {
    use crate::stripe::form;
    let (amount, existing) = match cadence {
        "year" => (tier.yearly_price, tier.stripe_yearly_price_id.clone()),
        _ => (tier.monthly_price, tier.stripe_monthly_price_id.clone()),
    };
    let Some(amount) = amount.filter(|_| tier.is_paid() && tier.active == 1) else {
        return Err(CheckoutError::NotOffered);
    };
    if let Some(id) = existing {
        return Ok(id);
    }
    let product = match &tier.stripe_product_id {
        Some(p) => p.clone(),
        None => {
            let p = stripe
                .post(
                    "/v1/products",
                    &form(&[("name", tier.name.clone()), ("metadata[tier]", tier.slug.clone())]),
                    Some(&format!("newsdesk-product-{}", tier.id)),
                )
                .await?;
            p["id"].as_str().unwrap_or_default().to_owned()
        }
    };
    let plan = stripe
        .post(
            "/v1/plans",
            &form(&[
                ("amount", amount.to_string()),
                ("currency", tier.currency.clone()),
                ("interval", cadence.to_owned()),
                ("product", product.clone()),
                ("metadata[tier]", tier.slug.clone()),
            ]),
            Some(&format!("newsdesk-plan-{}-{cadence}-{amount}-{}", tier.id, tier.currency)),
        )
        .await?;
    let plan_id = plan["id"].as_str().unwrap_or_default().to_owned();
    let (m, y) = if cadence == "year" { (None, Some(plan_id.as_str())) } else { (Some(plan_id.as_str()), None) };
    ctx.store.set_tier_stripe_ids(tier.id, &product, m, y).await?;
    Ok(plan_id)
}

/// The member's Stripe customer, made (once: the idempotency key is the member's) when they have none.
pub(crate) async fn customer_of(
    ctx: &Context,
    stripe: &crate::stripe::Stripe,
    member: &newsdesk_store::members::Member,
) -> Result<String, CheckoutError> {
    if let Some(c) = &member.stripe_customer_id {
        return Ok(c.clone());
    }
    let c = stripe
        .post(
            "/v1/customers",
            &crate::stripe::form(&[("email", member.email.clone()), ("metadata[member_id]", member.id.to_string())]),
            Some(&format!("newsdesk-customer-{}", member.id)),
        )
        .await?;
    let id = c["id"].as_str().unwrap_or_default().to_owned();
    ctx.store.set_member_customer(member.id, &id).await?;
    Ok(id)
}

/// Starts a Stripe Checkout for `member` joining `tier` at `cadence`, and returns the page to send the reader to.
/// A double click within ten minutes gets the same session (the idempotency key says which).
pub async fn checkout(
    ctx: &Context,
    member: &newsdesk_store::members::Member,
    tier: &newsdesk_store::members::Tier,
    cadence: &str,
) -> Result<String, CheckoutError> {
    use crate::stripe::form;
    let Some(stripe) = crate::stripe::Stripe::new(&ctx.options.payments) else { return Err(CheckoutError::Off) };
    let plan = plan_for(ctx, &stripe, tier, cadence).await?;
    let customer = customer_of(ctx, &stripe, member).await?;
    let site = ctx.site.url.trim_end_matches('/');
    let mut fields = vec![
        ("mode", "subscription".to_owned()),
        ("customer", customer),
        ("client_reference_id", member.id.to_string()),
        ("line_items[0][price]", plan),
        ("line_items[0][quantity]", "1".to_owned()),
        ("subscription_data[metadata][tier]", tier.slug.clone()),
        ("metadata[tier]", tier.slug.clone()),
        ("success_url", format!("{site}/membership/welcome?session_id={{CHECKOUT_SESSION_ID}}")),
        ("cancel_url", format!("{site}/membership/")),
    ];
    if tier.trial_days > 0 {
        fields.push(("subscription_data[trial_period_days]", tier.trial_days.to_string()));
    }
    let window = newsdesk_store::now() / 600;
    let key = format!("newsdesk-checkout-{}-{}-{cadence}-{window}", member.id, tier.id);
    let session = stripe.post("/v1/checkout/sessions", &form(&fields), Some(&key)).await?;
    let url = session["url"].as_str().unwrap_or_default().to_owned();
    if url.is_empty() {
        return Err(CheckoutError::Stripe(crate::stripe::StripeError::Refused("the session has no url".into())));
    }
    tracing::info!(member.id = member.id, tier = %tier.slug, cadence, "Stripe checkout started");
    Ok(url)
}

/// A Stripe customer-portal page for the member (cards, invoices, cancelling), or `None` without a customer.
pub async fn portal(ctx: &Context, member: &newsdesk_store::members::Member) -> Result<Option<String>, CheckoutError> {
    let Some(stripe) = crate::stripe::Stripe::new(&ctx.options.payments) else { return Err(CheckoutError::Off) };
    let Some(customer) = &member.stripe_customer_id else { return Ok(None) };
    let return_url = format!("{}/account/", ctx.site.url.trim_end_matches('/'));
    let s = stripe
        .post(
            "/v1/billing_portal/sessions",
            &crate::stripe::form(&[("customer", customer.clone()), ("return_url", return_url)]),
            None,
        )
        .await?;
    Ok(s["url"].as_str().map(str::to_owned))
}

/// Re-reads every member's subscriptions from Stripe and applies their state now: what webhooks missed while this
/// site was down (or while Stripe could not reach it) is caught up. Runs at a worker's start and hourly. Returns how
/// many subscriptions changed.
pub async fn reconcile(
    store: &newsdesk_store::Store,
    payments: &crate::members::PaymentsConfig,
) -> anyhow::Result<usize> {
    let Some(stripe) = crate::stripe::Stripe::new(payments) else { return Ok(0) };
    let mut changed = 0;
    for (member_id, customer) in store.stripe_customers().await? {
        let list = match stripe.get(&format!("/v1/subscriptions?customer={customer}&status=all&limit=100")).await {
            Ok(l) => l,
            Err(crate::stripe::StripeError::Refused(m)) => {
                tracing::warn!(member.id = member_id, message = m, "Stripe refused to list a customer's subscriptions");
                continue;
            }
            Err(e) => anyhow::bail!("reconciliation stopped: {e}"),
        };
        let now = newsdesk_store::now();
        for o in list["data"].as_array().into_iter().flatten() {
            if let Some(s) = subscription_state(o)
                && store.reconcile_subscription(member_id, &s, now).await?
            {
                changed += 1;
            }
        }
    }
    if changed > 0 {
        tracing::info!(subscriptions = changed, "reconciled with Stripe");
    }
    Ok(changed)
}
