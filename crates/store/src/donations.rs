//! Donations: a row is made when the reader leaves `/support/` for Stripe Checkout (`pending`), and settled by
//! Stripe's webhooks — a one-off gift is `paid` by its checkout, a monthly one is `active` from its checkout (or its
//! subscription's first event, whichever comes first) until the subscription ends (`cancelled`). Each payment is a
//! row of `payments` with the donation's id, and each is announced once as `donation.received`.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::payments::StripeChange;
use crate::{Store, StoreResult, now};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Donation {
    pub id: i64,
    pub member_id: Option<i64>,
    pub amount: i64,
    pub fee: i64,
    pub currency: String,
    pub cadence: String,
    pub message: Option<String>,
    pub status: String,
    pub stripe_subscription_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Donation {
    /// What the donor is charged (each month, for a monthly gift).
    pub fn charge(&self) -> i64 {
        self.amount + self.fee
    }
}

/// A donation as the reader chose it.
#[derive(Debug, Clone)]
pub struct NewDonation<'a> {
    pub member_id: i64,
    pub amount: i64,
    pub fee: i64,
    pub currency: &'a str,
    pub cadence: &'a str,
    pub message: Option<&'a str>,
}

/// A donation's fields in its events and exports.
async fn donation_data(conn: &mut AnyConnection, d: &Donation) -> StoreResult<serde_json::Value> {
    let member = match d.member_id {
        Some(m) => crate::webhooks::member_data(conn, m).await?,
        None => serde_json::Value::Null,
    };
    Ok(serde_json::json!({ "id": d.id, "amount": d.amount, "fee": d.fee, "currency": d.currency,
        "cadence": d.cadence, "message": d.message, "status": d.status, "member": member }))
}

async fn donation_by_id(conn: &mut AnyConnection, id: i64) -> StoreResult<Option<Donation>> {
    Ok(sqlx::query_as("SELECT * FROM donations WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?)
}

/// Records a payment of `donation` (once per Stripe reference), and when it is a new paid one announces it as
/// `donation.received`. Returns whether it was news.
async fn record_payment(
    conn: &mut AnyConnection,
    d: &Donation,
    reference: &str,
    amount: i64,
    currency: &str,
    paid: bool,
    created: i64,
) -> StoreResult<bool> {
    let before: Option<String> = sqlx::query_scalar("SELECT status FROM payments WHERE stripe_invoice_id = $1")
        .bind(reference)
        .fetch_optional(&mut *conn)
        .await?;
    let status = if paid { "paid" } else { "failed" };
    sqlx::query(
        "INSERT INTO payments (member_id, stripe_invoice_id, stripe_subscription_id, amount, currency, status,
            created_at, donation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (stripe_invoice_id) DO UPDATE SET donation_id = excluded.donation_id,
            status = CASE WHEN payments.status = 'paid' THEN 'paid' ELSE excluded.status END",
    )
    .bind(d.member_id)
    .bind(reference)
    .bind(&d.stripe_subscription_id)
    .bind(amount)
    .bind(currency)
    .bind(status)
    .bind(created)
    .bind(d.id)
    .execute(&mut *conn)
    .await?;
    let news = paid && before.as_deref() != Some("paid");
    if news {
        let mut data = donation_data(conn, d).await?;
        data["payment"] = serde_json::json!({ "amount": amount, "currency": currency, "reference": reference });
        crate::webhooks::emit(conn, "donation.received", data).await?;
    }
    Ok(news)
}

/// Links a monthly donation to its Stripe subscription. Its invoices that came first waited for this (the store's
/// `replay_waiting` applies them once the event that links it is processed).
async fn link_subscription(conn: &mut AnyConnection, d: &mut Donation, subscription: &str) -> StoreResult<()> {
    if d.stripe_subscription_id.as_deref() == Some(subscription) {
        return Ok(());
    }
    sqlx::query("UPDATE donations SET stripe_subscription_id = $1, updated_at = $2 WHERE id = $3")
        .bind(subscription)
        .bind(now())
        .bind(d.id)
        .execute(&mut *conn)
        .await?;
    d.stripe_subscription_id = Some(subscription.to_owned());
    Ok(())
}

async fn set_status(conn: &mut AnyConnection, d: &mut Donation, status: &str) -> StoreResult<bool> {
    if d.status == status {
        return Ok(false);
    }
    sqlx::query("UPDATE donations SET status = $1, updated_at = $2 WHERE id = $3")
        .bind(status)
        .bind(now())
        .bind(d.id)
        .execute(&mut *conn)
        .await?;
    d.status = status.to_owned();
    Ok(true)
}

/// What a donation event did, and the mail it brings the donor (a receipt), if any.
pub(crate) struct DonationApplied {
    pub found: bool,
    pub receipt: Option<(String, StripeChange)>,
    /// The donor and their Stripe customer: events of theirs that waited may apply now.
    pub donor: Option<(i64, String)>,
}

/// Applies a donation's checkout or subscription event inside the webhook's transaction.
pub(crate) async fn apply_donation_event(
    conn: &mut AnyConnection,
    created: i64,
    change: &StripeChange,
) -> StoreResult<DonationApplied> {
    let (donation_id, subscription) = match change {
        StripeChange::DonationCompleted { donation_id, subscription_id, .. } => (*donation_id, subscription_id.clone()),
        StripeChange::DonationSubscription { donation_id, subscription_id, .. } => {
            (*donation_id, Some(subscription_id.clone()))
        }
        _ => return Ok(DonationApplied { found: false, receipt: None, donor: None }),
    };
    let Some(mut d) = donation_by_id(conn, donation_id).await? else {
        return Ok(DonationApplied { found: false, receipt: None, donor: None });
    };
    let mut receipt = None;
    match change {
        StripeChange::DonationCompleted { customer, reference, amount, currency, paid, .. } => {
            if let (Some(c), Some(m)) = (customer, d.member_id) {
                sqlx::query(
                    "UPDATE members SET stripe_customer_id = $1, updated_at = $2
                     WHERE id = $3 AND stripe_customer_id IS NULL",
                )
                .bind(c)
                .bind(now())
                .bind(m)
                .execute(&mut *conn)
                .await?;
            }
            match (&subscription, *paid) {
                // Monthly: giving from now; each month's payment comes as an invoice.
                (Some(sub), _) => {
                    if d.status == "pending" {
                        set_status(conn, &mut d, "active").await?;
                    }
                    link_subscription(conn, &mut d, sub).await?;
                }
                (None, true) => {
                    set_status(conn, &mut d, "paid").await?;
                    if record_payment(conn, &d, reference, *amount, currency, true, created).await? {
                        receipt = Some((reference.clone(), *amount));
                    }
                }
                // Checkout finished but the money has not moved (a delayed method): settled by a later event.
                (None, false) => {}
            }
        }
        StripeChange::DonationSubscription { subscription_id, status, .. } => {
            link_subscription(conn, &mut d, subscription_id).await?;
            let ours = match status.as_str() {
                "canceled" | "incomplete_expired" => "cancelled",
                "active" | "trialing" | "past_due" => "active",
                _ => "",
            };
            // A subscription ended before its checkout completed leaves the gift as never given (pending).
            let never_began = d.status == "pending" && ours == "cancelled";
            if !ours.is_empty() && !never_began {
                set_status(conn, &mut d, ours).await?;
            }
        }
        _ => {}
    }
    let receipt = match (receipt, d.member_id) {
        (Some((reference, amount)), Some(m)) => donor_receipt(conn, m, &d, reference, amount, created).await?,
        _ => None,
    };
    let donor = match d.member_id {
        Some(m) => sqlx::query_scalar::<_, Option<String>>("SELECT stripe_customer_id FROM members WHERE id = $1")
            .bind(m)
            .fetch_optional(&mut *conn)
            .await?
            .flatten()
            .map(|c| (m, c)),
        None => None,
    };
    Ok(DonationApplied { found: true, receipt, donor })
}

async fn donor_receipt(
    conn: &mut AnyConnection,
    member_id: i64,
    d: &Donation,
    reference: String,
    amount: i64,
    created: i64,
) -> StoreResult<Option<(String, StripeChange)>> {
    let email: Option<String> = sqlx::query_scalar("SELECT email FROM members WHERE id = $1")
        .bind(member_id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(email.map(|e| {
        (
            e,
            StripeChange::DonationPaid {
                reference,
                amount,
                currency: d.currency.clone(),
                cadence: d.cadence.clone(),
                at: created,
            },
        )
    }))
}

/// An invoice of a monthly donation's subscription, if it is one: recorded as that donation's payment. Returns the
/// receipt to mail when it is a new paid one; `None` when the subscription is no donation's.
pub(crate) async fn apply_donation_invoice(
    conn: &mut AnyConnection,
    created: i64,
    change: &StripeChange,
) -> StoreResult<Option<Option<(String, StripeChange)>>> {
    let StripeChange::Invoice { invoice_id, subscription_id: Some(sub), amount, currency, paid, .. } = change else {
        return Ok(None);
    };
    let d: Option<Donation> = sqlx::query_as("SELECT * FROM donations WHERE stripe_subscription_id = $1")
        .bind(sub)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(d) = d else { return Ok(None) };
    let news = record_payment(conn, &d, invoice_id, *amount, currency, *paid, created).await?;
    Ok(Some(match (news, d.member_id) {
        (true, Some(m)) if *amount > 0 => donor_receipt(conn, m, &d, invoice_id.clone(), *amount, created).await?,
        _ => None,
    }))
}

impl Store {
    /// Records a donation the reader is about to pay (`pending`).
    pub async fn create_donation(&self, d: &NewDonation<'_>) -> StoreResult<i64> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO donations (member_id, amount, fee, currency, cadence, message, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7) RETURNING id",
        )
        .bind(d.member_id)
        .bind(d.amount)
        .bind(d.fee)
        .bind(d.currency)
        .bind(d.cadence)
        .bind(d.message)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// A pending donation of the same gift by the same member made since `since` (a double click): its id.
    pub async fn pending_donation_like(&self, d: &NewDonation<'_>, since: i64) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM donations WHERE member_id = $1 AND amount = $2 AND fee = $3 AND cadence = $4
                AND currency = $5 AND COALESCE(message, '') = $6 AND status = 'pending' AND created_at >= $7
             ORDER BY id DESC LIMIT 1",
        )
        .bind(d.member_id)
        .bind(d.amount)
        .bind(d.fee)
        .bind(d.cadence)
        .bind(d.currency)
        .bind(d.message.unwrap_or(""))
        .bind(since)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn donation(&self, id: i64) -> StoreResult<Option<Donation>> {
        Ok(sqlx::query_as("SELECT * FROM donations WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// A member's donations that went ahead (not abandoned at Checkout), newest first.
    pub async fn member_donations(&self, member_id: i64) -> StoreResult<Vec<Donation>> {
        Ok(sqlx::query_as(
            "SELECT * FROM donations WHERE member_id = $1 AND status <> 'pending'
             ORDER BY created_at DESC, id DESC LIMIT 200",
        )
        .bind(member_id)
        .fetch_all(&self.pool)
        .await?)
    }
}
