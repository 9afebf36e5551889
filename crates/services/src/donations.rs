//! Donations from `/support/`: the reader's choice (a suggested or custom amount, once or monthly, optionally
//! covering the processing fee, with a message) read and checked, recorded as pending, and sent to Stripe Checkout:
//! a one-off gift as a payment, a monthly one as a subscription. Stripe's webhooks settle them
//! (`store::donations`). A double click within ten minutes reuses the same donation and session.

use newsdesk_domain::ValidationError;
use newsdesk_domain::membership::{DONATION_MAX, DONATION_MIN, covering_fee, format_price, parse_amount};
use newsdesk_store::donations::NewDonation;
use newsdesk_store::members::Member;

use crate::Context;
use crate::members::PaymentsConfig;
use crate::payments::{CheckoutError, customer_of};

/// The longest message a donor may leave.
pub const MESSAGE_MAX: usize = 1000;

/// A donation as the reader chose it, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct DonationDraft {
    /// The gift, in minor units.
    pub amount: i64,
    /// Added to cover the fee (0 unless asked for).
    pub fee: i64,
    /// "once" or "month".
    pub cadence: &'static str,
    pub message: Option<String>,
}

/// Reads the `/support/` form: `amount` (a suggested amount in whole units, or "other"), `custom` (typed),
/// `cadence` ("once" or "month"), `cover_fees` ("yes"), `message`.
pub fn parse_donation(
    config: &PaymentsConfig,
    amount: &str,
    custom: &str,
    cadence: &str,
    cover_fees: bool,
    message: &str,
) -> Result<DonationDraft, ValidationError> {
    let typed = custom.trim();
    let chosen = amount.trim();
    let minor = if !typed.is_empty() && (chosen.is_empty() || chosen == "other") {
        parse_amount("custom", typed).map_err(|e| ValidationError::new("custom", e.code, e.message))?
    } else if chosen.is_empty() || chosen == "other" {
        return Err(ValidationError::new("amount", "amount_invalid", "Choose an amount, or type one."));
    } else {
        parse_amount("amount", chosen)?
    };
    let field = if typed.is_empty() || chosen != "other" && !chosen.is_empty() { "amount" } else { "custom" };
    if minor < DONATION_MIN {
        return Err(ValidationError::new(
            field,
            "amount_invalid",
            format!("The smallest donation we can take online is {}.", format_price(DONATION_MIN, &config.currency)),
        ));
    }
    if minor > DONATION_MAX {
        return Err(ValidationError::new(
            field,
            "amount_invalid",
            format!(
                "For gifts over {}, please write to us: we will arrange it without card fees.",
                format_price(DONATION_MAX, &config.currency)
            ),
        ));
    }
    let cadence = match cadence {
        "month" => "month",
        "once" | "" => "once",
        _ => return Err(ValidationError::new("cadence", "cadence_invalid", "Choose once or monthly.")),
    };
    let message = message.trim();
    if message.chars().count() > MESSAGE_MAX {
        return Err(ValidationError::new(
            "message",
            "message_too_long",
            format!("Please keep the message under {MESSAGE_MAX} characters."),
        ));
    }
    let fee = if cover_fees { covering_fee(minor, config.donation_fee_percent, config.donation_fee_fixed) } else { 0 };
    Ok(DonationDraft { amount: minor, fee, cadence, message: (!message.is_empty()).then(|| message.to_owned()) })
}

/// Records the donation and starts its Stripe Checkout; returns the page to send the reader to.
pub async fn donate(ctx: &Context, member: &Member, draft: &DonationDraft) -> Result<String, CheckoutError> {
    use crate::stripe::form;
    let Some(stripe) = crate::stripe::Stripe::new(&ctx.options.payments) else { return Err(CheckoutError::Off) };
    let currency = ctx.options.payments.currency.to_lowercase();
    let now = newsdesk_store::now();
    let new = NewDonation {
        member_id: member.id,
        amount: draft.amount,
        fee: draft.fee,
        currency: &currency,
        cadence: draft.cadence,
        message: draft.message.as_deref(),
    };
    // A double click (the same gift within ten minutes) is the same donation, and so the same Checkout session.
    let id = match ctx.store.pending_donation_like(&new, now - 600).await? {
        Some(id) => id,
        None => ctx.store.create_donation(&new).await?,
    };
    let customer = customer_of(ctx, &stripe, member).await?;
    let site = ctx.site.url.trim_end_matches('/');
    let charge = draft.amount + draft.fee;
    let name = if draft.cadence == "month" {
        format!("Monthly donation to {}", ctx.site.title)
    } else {
        format!("Donation to {}", ctx.site.title)
    };
    let mut fields = vec![
        ("customer", customer),
        ("client_reference_id", member.id.to_string()),
        ("line_items[0][quantity]", "1".to_owned()),
        ("line_items[0][price_data][currency]", currency.clone()),
        ("line_items[0][price_data][unit_amount]", charge.to_string()),
        ("line_items[0][price_data][product_data][name]", name),
        ("metadata[donation]", id.to_string()),
        ("success_url", format!("{site}/support/thanks?session_id={{CHECKOUT_SESSION_ID}}")),
        ("cancel_url", format!("{site}/support/")),
    ];
    if draft.cadence == "month" {
        fields.push(("mode", "subscription".to_owned()));
        fields.push(("line_items[0][price_data][recurring][interval]", "month".to_owned()));
        fields.push(("subscription_data[metadata][donation]", id.to_string()));
    } else {
        fields.push(("mode", "payment".to_owned()));
        fields.push(("submit_type", "donate".to_owned()));
        fields.push(("payment_intent_data[metadata][donation]", id.to_string()));
    }
    let key = format!("newsdesk-donation-{id}");
    let session = stripe.post("/v1/checkout/sessions", &form(&fields), Some(&key)).await?;
    let url = session["url"].as_str().unwrap_or_default().to_owned();
    if url.is_empty() {
        return Err(CheckoutError::Stripe(crate::stripe::StripeError::Refused("the session has no url".into())));
    }
    tracing::info!(member.id = member.id, donation.id = id, cadence = draft.cadence, "donation checkout started");
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_support_form() {
        let c = PaymentsConfig::default();
        let d = parse_donation(&c, "10", "", "once", false, "  ").unwrap();
        assert_eq!((d.amount, d.fee, d.cadence, d.message), (1000, 0, "once", None));
        let d = parse_donation(&c, "other", "7.50", "month", true, "Keep going").unwrap();
        assert_eq!((d.amount, d.cadence), (750, "month"));
        assert!(d.fee > 0, "covering the fee adds to the charge");
        assert_eq!(d.message.as_deref(), Some("Keep going"));
        assert_eq!(parse_donation(&c, "other", "", "once", false, "").unwrap_err().field, "amount");
        assert_eq!(parse_donation(&c, "other", "abc", "once", false, "").unwrap_err().field, "custom");
        assert_eq!(parse_donation(&c, "other", "0.50", "once", false, "").unwrap_err().field, "custom");
        assert_eq!(parse_donation(&c, "5", "", "weekly", false, "").unwrap_err().code, "cadence_invalid");
        let long = "x".repeat(MESSAGE_MAX + 1);
        assert_eq!(parse_donation(&c, "5", "", "once", false, &long).unwrap_err().code, "message_too_long");
    }
}
