//! What Stripe tells us, applied once and in the right order: each webhook event is recorded by its id in the same
//! transaction as its effect (a repeat changes nothing), a subscription's row keeps the Stripe time of the newest
//! event applied (an older one arriving late never overwrites a newer state), and an event for a customer we do not
//! know yet is kept, unmatched, and applied when the customer's checkout links them to a member.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::{Store, StoreResult, now};

/// A subscription as a Stripe event describes it.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionState {
    pub stripe_subscription_id: String,
    pub customer: String,
    /// Our tier's slug, from the subscription's metadata (set at checkout).
    pub tier_slug: Option<String>,
    /// The price (or plan) id, to find the tier when the metadata is missing.
    pub price_id: Option<String>,
    pub status: String,
    pub cadence: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// What an event changes.
#[derive(Debug, Clone)]
pub enum StripeChange {
    /// `customer.subscription.created|updated|deleted`.
    Subscription(SubscriptionState),
    /// `checkout.session.completed`: the customer is this member (our `client_reference_id`).
    CheckoutCompleted { customer: String, member_id: Option<i64>, email: Option<String> },
    /// `invoice.paid` (and `invoice.payment_succeeded`), `invoice.payment_failed`.
    Invoice {
        invoice_id: String,
        customer: String,
        subscription_id: Option<String>,
        amount: i64,
        currency: String,
        paid: bool,
    },
    /// `checkout.session.completed` of a donation (our `metadata[donation]`): a one-off gift paid (`paid`, its
    /// payment intent as `reference`), or a monthly one begun (its `subscription_id`).
    DonationCompleted {
        donation_id: i64,
        customer: Option<String>,
        reference: String,
        subscription_id: Option<String>,
        amount: i64,
        currency: String,
        paid: bool,
    },
    /// `customer.subscription.*` of a monthly donation.
    DonationSubscription { donation_id: i64, subscription_id: String, status: String },
    /// Not an event: what a donor's receipt says (made by the store for the mail).
    DonationPaid { reference: String, amount: i64, currency: String, cadence: String, at: i64 },
    /// A type we do not act on.
    Ignored,
}

/// One webhook event as received: Stripe's id, type and time, what it changes, and its raw JSON.
#[derive(Debug, Clone, Copy)]
pub struct StripeEvent<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub created: i64,
    pub change: &'a StripeChange,
    pub payload: &'a str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum EventOutcome {
    /// Seen before: nothing done.
    Duplicate,
    Processed,
    /// For a customer no member has yet: kept for later.
    Unmatched,
    Ignored,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Payment {
    pub id: i64,
    pub member_id: Option<i64>,
    pub stripe_invoice_id: String,
    pub stripe_subscription_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub created_at: i64,
    /// The donation this payment is (none: a membership's).
    pub donation_id: Option<i64>,
}

async fn member_of_customer(conn: &mut AnyConnection, customer: &str) -> StoreResult<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM members WHERE stripe_customer_id = $1")
        .bind(customer)
        .fetch_optional(&mut *conn)
        .await?)
}

async fn tier_for(conn: &mut AnyConnection, s: &SubscriptionState) -> StoreResult<Option<i64>> {
    if let Some(slug) = &s.tier_slug {
        let id: Option<i64> = sqlx::query_scalar("SELECT id FROM tiers WHERE slug = $1 AND paid = 1")
            .bind(slug)
            .fetch_optional(&mut *conn)
            .await?;
        if id.is_some() {
            return Ok(id);
        }
    }
    let Some(price) = &s.price_id else { return Ok(None) };
    Ok(sqlx::query_scalar(
        "SELECT id FROM tiers WHERE stripe_monthly_price_id = $1 OR stripe_yearly_price_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(price)
    .fetch_optional(&mut *conn)
    .await?)
}

/// What applying a change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    /// The subscription names no tier of ours.
    NoTier,
    /// Nothing new: an older event than the state we have, or an invoice already recorded so.
    Stale,
    Changed,
}

/// Applies a change for `member_id` at Stripe time `created`.
async fn apply(conn: &mut AnyConnection, member_id: i64, created: i64, change: &StripeChange) -> StoreResult<Applied> {
    let t = now();
    let mut applied = Applied::Changed;
    match change {
        StripeChange::Subscription(s) => {
            let Some(tier_id) = tier_for(conn, s).await? else { return Ok(Applied::NoTier) };
            let before: Option<String> =
                sqlx::query_scalar("SELECT status FROM member_subscriptions WHERE stripe_subscription_id = $1")
                    .bind(&s.stripe_subscription_id)
                    .fetch_optional(&mut *conn)
                    .await?;
            let failing = matches!(s.status.as_str(), "past_due" | "unpaid");
            let done = sqlx::query(
                "INSERT INTO member_subscriptions (member_id, tier_id, source, status, cadence, amount, currency,
                    stripe_subscription_id, current_period_end, cancel_at_period_end, past_due_since, stripe_event_at,
                    created_at, updated_at)
                 VALUES ($1, $2, 'stripe', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)
                 ON CONFLICT (stripe_subscription_id) DO UPDATE SET tier_id = excluded.tier_id,
                    status = excluded.status, cadence = excluded.cadence, amount = excluded.amount,
                    currency = excluded.currency, current_period_end = excluded.current_period_end,
                    cancel_at_period_end = excluded.cancel_at_period_end,
                    past_due_since = CASE WHEN excluded.past_due_since IS NULL THEN NULL
                        ELSE COALESCE(member_subscriptions.past_due_since, excluded.past_due_since) END,
                    stripe_event_at = excluded.stripe_event_at, updated_at = excluded.updated_at
                 WHERE member_subscriptions.stripe_event_at IS NULL
                    OR member_subscriptions.stripe_event_at <= excluded.stripe_event_at",
            )
            .bind(member_id)
            .bind(tier_id)
            .bind(&s.status)
            .bind(&s.cadence)
            .bind(s.amount)
            .bind(&s.currency)
            .bind(&s.stripe_subscription_id)
            .bind(s.current_period_end)
            .bind(i64::from(s.cancel_at_period_end))
            .bind(failing.then_some(created))
            .bind(created)
            .bind(t)
            .execute(&mut *conn)
            .await?;
            if done.rows_affected() == 0 {
                applied = Applied::Stale;
            } else {
                let live = |st: &str| matches!(st, "active" | "trialing" | "past_due" | "unpaid");
                let event = match (before.as_deref(), s.status.as_str()) {
                    (None | Some("incomplete" | "incomplete_expired" | "canceled"), now) if live(now) => {
                        Some("subscription.started")
                    }
                    (Some(was), "canceled") if was != "canceled" => Some("subscription.cancelled"),
                    _ => None,
                };
                if let Some(event) = event {
                    let tier: Option<String> = sqlx::query_scalar("SELECT slug FROM tiers WHERE id = $1")
                        .bind(tier_id)
                        .fetch_optional(&mut *conn)
                        .await?;
                    let member = crate::webhooks::member_data(conn, member_id).await?;
                    let data = serde_json::json!({ "member": member, "tier": tier, "status": s.status,
                        "cadence": s.cadence, "amount": s.amount, "currency": s.currency,
                        "stripe_subscription_id": s.stripe_subscription_id });
                    crate::webhooks::emit(conn, event, data).await?;
                }
            }
        }
        StripeChange::Invoice { invoice_id, subscription_id, amount, currency, paid, .. } => {
            let status = if *paid { "paid" } else { "failed" };
            // Stripe reports a payment more than once (`invoice.paid` and `invoice.payment_succeeded`, each retry of a
            // failing card): only the first report of each outcome is news.
            let before: Option<String> = sqlx::query_scalar("SELECT status FROM payments WHERE stripe_invoice_id = $1")
                .bind(invoice_id)
                .fetch_optional(&mut *conn)
                .await?;
            if before.as_deref() == Some("paid") || (!*paid && before.is_some()) {
                applied = Applied::Stale;
            }
            sqlx::query(
                "INSERT INTO payments (member_id, stripe_invoice_id, stripe_subscription_id, amount, currency, status,
                    created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (stripe_invoice_id) DO UPDATE SET status = CASE WHEN payments.status = 'paid' THEN 'paid'
                    ELSE excluded.status END",
            )
            .bind(member_id)
            .bind(invoice_id)
            .bind(subscription_id)
            .bind(amount)
            .bind(currency)
            .bind(status)
            .bind(created)
            .execute(&mut *conn)
            .await?;
            if let Some(sub) = subscription_id {
                // A failed payment starts the grace period (once); a paid one ends it.
                let sql = if *paid {
                    "UPDATE member_subscriptions SET past_due_since = NULL, updated_at = $2
                     WHERE stripe_subscription_id = $1"
                } else {
                    "UPDATE member_subscriptions SET past_due_since = COALESCE(past_due_since, $3), updated_at = $2
                     WHERE stripe_subscription_id = $1"
                };
                let q = sqlx::query(sql).bind(sub).bind(t);
                let q = if *paid { q } else { q.bind(created) };
                q.execute(&mut *conn).await?;
            }
        }
        _ => {}
    }
    Ok(applied)
}

/// Applies a change and, when it is news, queues the mail `mail` makes of it for the member, in the same transaction.
async fn apply_and_tell(
    conn: &mut AnyConnection,
    member_id: i64,
    created: i64,
    change: &StripeChange,
    mail: &MailFor<'_>,
) -> StoreResult<Applied> {
    // A monthly donation's invoice is the donation's payment, with the donor's receipt instead of a member's.
    if let Some(receipt) = crate::donations::apply_donation_invoice(conn, created, change).await? {
        enqueue_receipt(conn, receipt, mail).await?;
        return Ok(Applied::Changed);
    }
    // An invoice of a subscription we do not know yet (Stripe may send it before the subscription's own events):
    // kept until the subscription says whether it is a membership or a donation.
    if let StripeChange::Invoice { subscription_id: Some(sub), .. } = change {
        let known: Option<i64> =
            sqlx::query_scalar("SELECT id FROM member_subscriptions WHERE stripe_subscription_id = $1")
                .bind(sub)
                .fetch_optional(&mut *conn)
                .await?;
        if known.is_none() {
            return Ok(Applied::NoTier);
        }
    }
    let applied = apply(conn, member_id, created, change).await?;
    if applied == Applied::Changed {
        let email: Option<String> = sqlx::query_scalar("SELECT email FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut *conn)
            .await?;
        if let Some(m) = email.and_then(|e| mail(&e, change)) {
            crate::mail::enqueue_mail(conn, &m).await?;
        }
    }
    Ok(applied)
}

/// Applies, in Stripe-time order, the events of `customer` that were waiting (for the customer's member, or for the
/// subscription an invoice belongs to), as far as they can be now; each pass may unblock the next.
async fn replay_waiting(
    conn: &mut AnyConnection,
    member_id: i64,
    customer: &str,
    replay: &Replay<'_>,
    mail: &MailFor<'_>,
) -> StoreResult<()> {
    for _ in 0..3 {
        let waiting: Vec<(String, String)> = sqlx::query_as(
            "SELECT id, COALESCE(payload, '') FROM stripe_events
             WHERE customer = $1 AND status = 'unmatched' ORDER BY created, received_at",
        )
        .bind(customer)
        .fetch_all(&mut *conn)
        .await?;
        let mut progress = false;
        for (event_id, body) in waiting {
            let Some((at, c)) = replay(&body) else { continue };
            if apply_and_tell(conn, member_id, at, &c, mail).await? != Applied::NoTier {
                sqlx::query("UPDATE stripe_events SET status = 'processed', note = NULL, payload = NULL WHERE id = $1")
                    .bind(&event_id)
                    .execute(&mut *conn)
                    .await?;
                progress = true;
            }
        }
        if !progress {
            break;
        }
    }
    Ok(())
}

/// Reads a kept event's JSON back into its time and change.
pub type Replay<'a> = dyn Fn(&str) -> Option<(i64, StripeChange)> + Sync + 'a;

async fn enqueue_receipt(
    conn: &mut AnyConnection,
    receipt: Option<(String, StripeChange)>,
    mail: &MailFor<'_>,
) -> StoreResult<()> {
    if let Some(m) = receipt.and_then(|(email, change)| mail(&email, &change)) {
        crate::mail::enqueue_mail(conn, &m).await?;
    }
    Ok(())
}

/// Makes the mail a change brings a member (welcome, receipt, payment failed, cancellation), if any.
pub type MailFor<'a> = dyn Fn(&str, &StripeChange) -> Option<crate::mail::MailPayload> + Sync + 'a;

impl Store {
    /// Applies one Stripe event (its id, type, Stripe time and the raw JSON) exactly once, in one transaction with
    /// its record. A checkout that completes links the customer to the member and applies the events that were
    /// waiting for that customer.
    pub async fn apply_stripe_event(
        &self,
        event: &StripeEvent<'_>,
        replay: &Replay<'_>,
        mail: &MailFor<'_>,
    ) -> StoreResult<EventOutcome> {
        let StripeEvent { id, kind, created, change, payload } = *event;
        let mut tx = self.write_tx().await?;
        // One event at a time, as SQLite's write lock gives: on PostgreSQL two concurrent events of one customer
        // (a subscription's and its invoice's) would each miss the other's uncommitted row, and the invoice would
        // wait with nothing left to release it.
        if self.backend == crate::Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(7342001)").execute(&mut *tx).await?;
        }
        let customer = match change {
            StripeChange::Subscription(s) => Some(s.customer.clone()),
            StripeChange::CheckoutCompleted { customer, .. } | StripeChange::Invoice { customer, .. } => {
                Some(customer.clone())
            }
            StripeChange::DonationCompleted { customer, .. } => customer.clone(),
            StripeChange::DonationSubscription { .. } | StripeChange::DonationPaid { .. } | StripeChange::Ignored => {
                None
            }
        };
        let fresh = sqlx::query(
            "INSERT INTO stripe_events (id, type, created, received_at, status, customer)
             VALUES ($1, $2, $3, $4, 'received', $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id)
        .bind(kind)
        .bind(created)
        .bind(now())
        .bind(&customer)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !fresh {
            return Ok(EventOutcome::Duplicate);
        }
        let (outcome, note) = match change {
            StripeChange::Ignored | StripeChange::DonationPaid { .. } => (EventOutcome::Ignored, None),
            StripeChange::DonationCompleted { .. } | StripeChange::DonationSubscription { .. } => {
                let done = crate::donations::apply_donation_event(&mut tx, created, change).await?;
                if done.found {
                    enqueue_receipt(&mut tx, done.receipt, mail).await?;
                    if let Some((m, customer)) = &done.donor {
                        replay_waiting(&mut tx, *m, customer, replay, mail).await?;
                    }
                    (EventOutcome::Processed, None)
                } else {
                    (EventOutcome::Ignored, Some("no donation of ours has this id"))
                }
            }
            StripeChange::CheckoutCompleted { customer, member_id, email } => {
                let member: Option<i64> = match (member_id, email) {
                    (Some(m), _) => {
                        sqlx::query_scalar("SELECT id FROM members WHERE id = $1")
                            .bind(m)
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    (None, Some(e)) => {
                        sqlx::query_scalar("SELECT id FROM members WHERE email = $1")
                            .bind(e.to_lowercase())
                            .fetch_optional(&mut *tx)
                            .await?
                    }
                    (None, None) => None,
                };
                match member {
                    Some(m) => {
                        sqlx::query("UPDATE members SET stripe_customer_id = $1, updated_at = $2 WHERE id = $3")
                            .bind(customer)
                            .bind(now())
                            .bind(m)
                            .execute(&mut *tx)
                            .await?;
                        // The welcome first, then what was waiting (the first receipt among it).
                        apply_and_tell(&mut tx, m, created, change, mail).await?;
                        // Events for this customer that came before the checkout's own.
                        replay_waiting(&mut tx, m, customer, replay, mail).await?;
                        (EventOutcome::Processed, None)
                    }
                    None => (EventOutcome::Unmatched, Some("no member for the checkout's reference")),
                }
            }
            other => {
                let customer = customer.clone().unwrap_or_default();
                match member_of_customer(&mut tx, &customer).await? {
                    Some(m) => match apply_and_tell(&mut tx, m, created, other, mail).await? {
                        Applied::NoTier => (EventOutcome::Unmatched, Some("no tier or donation of ours has this yet")),
                        _ => {
                            // What waited for this (an invoice that came before its subscription) can go now.
                            replay_waiting(&mut tx, m, &customer, replay, mail).await?;
                            (EventOutcome::Processed, None)
                        }
                    },
                    None => (EventOutcome::Unmatched, Some("no member has this customer yet")),
                }
            }
        };
        let status = match outcome {
            EventOutcome::Processed => "processed",
            EventOutcome::Unmatched => "unmatched",
            _ => "ignored",
        };
        sqlx::query("UPDATE stripe_events SET status = $1, note = $2, payload = $3 WHERE id = $4")
            .bind(status)
            .bind(note)
            .bind((outcome == EventOutcome::Unmatched).then_some(payload))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Members with a Stripe customer: (member id, customer id).
    pub async fn stripe_customers(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT id, stripe_customer_id FROM members WHERE stripe_customer_id IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Applies a subscription's state as Stripe's API gives it now (reconciliation after downtime), at time `at`:
    /// newer than any event sent before, so an old event arriving later changes nothing. No mail is sent for what
    /// reconciliation finds. Returns whether a member's tiers changed.
    pub async fn reconcile_subscription(
        &self,
        member_id: i64,
        state: &SubscriptionState,
        at: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let change = StripeChange::Subscription(state.clone());
        let applied = apply(&mut tx, member_id, at, &change).await?;
        tx.commit().await?;
        Ok(applied == Applied::Changed)
    }

    /// Events still waiting for their customer, oldest first (for the admin and reconciliation).
    pub async fn unmatched_stripe_events(&self) -> StoreResult<Vec<(String, String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT id, type, customer FROM stripe_events WHERE status = 'unmatched' ORDER BY received_at LIMIT 500",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// A member's payments, newest first (their receipts).
    pub async fn member_payments(&self, member_id: i64) -> StoreResult<Vec<Payment>> {
        Ok(sqlx::query_as("SELECT * FROM payments WHERE member_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200")
            .bind(member_id)
            .fetch_all(&self.pool)
            .await?)
    }
}
