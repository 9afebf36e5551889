//! Outbound webhooks: endpoints, and their deliveries. An event is emitted inside the transaction of the change that
//! caused it — one delivery row per subscribed endpoint and the job that sends it — so an event is sent exactly when
//! its change is kept, and never lost to a crash in between.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::jobs::{self, NewJob};
use crate::{Store, StoreError, StoreResult, now};

/// Job kind that delivers one webhook.
pub const JOB_DELIVER_WEBHOOK: &str = "deliver_webhook";

/// Every event an endpoint can subscribe to.
pub const EVENTS: &[(&str, &str)] = &[
    ("post.published", "a story or page went live (published now, or its scheduled time came)"),
    ("post.updated", "a published story or page was changed"),
    ("post.unpublished", "a published story or page went back to draft"),
    ("post.deleted", "a story or page was deleted"),
    ("feed_item.created", "a News Feed item was posted"),
    ("feed_item.updated", "a News Feed item was edited"),
    ("feed_item.retracted", "a News Feed item was retracted"),
    ("correction.added", "a correction or update was appended to a story"),
    ("subscriber.confirmed", "a reader confirmed a newsletter subscription"),
    ("subscriber.unsubscribed", "a reader left a newsletter"),
    ("issue.sent", "a newsletter issue finished sending"),
    ("member.created", "a reader made an account (signing in, joining, or added by staff)"),
    ("member.updated", "a member was granted a tier, or a grant was revoked"),
    ("subscription.started", "a member's paid subscription began (Stripe)"),
    ("subscription.cancelled", "a member's paid subscription ended (Stripe)"),
    ("donation.received", "a donation was paid: a one-off gift, or one month of a monthly one (Stripe)"),
];

/// A member's fields in its events.
pub(crate) async fn member_data(conn: &mut AnyConnection, member_id: i64) -> StoreResult<serde_json::Value> {
    let m: Option<(i64, String, Option<String>, String, i64)> =
        sqlx::query_as("SELECT id, email, name, source, created_at FROM members WHERE id = $1")
            .bind(member_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(match m {
        Some((id, email, name, source, created)) => serde_json::json!({
            "id": id, "email": email, "name": name, "source": source,
            "created_at": jiff::Timestamp::from_second(created).map(|t| t.to_string()).unwrap_or_default(),
        }),
        None => serde_json::Value::Null,
    })
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub description: Option<String>,
    /// Comma-separated event names.
    pub events: String,
    #[serde(skip)]
    pub secret: String,
    pub active: i64,
    pub created_at: i64,
}

impl Webhook {
    pub fn event_list(&self) -> Vec<&str> {
        self.events.split(',').map(str::trim).filter(|e| !e.is_empty()).collect()
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub msg_id: String,
    pub event: String,
    pub body: String,
    pub status: String,
    pub attempts: i64,
    pub response_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// The payload of the delivery job.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct DeliverWebhook {
    pub delivery_id: i64,
}

impl jobs::Payload for DeliverWebhook {
    const KIND: &'static str = JOB_DELIVER_WEBHOOK;
    /// With the queue's doubling backoff from one minute, the last try is about two days after the first.
    const MAX_ATTEMPTS: i64 = 12;
}

/// Emits `event` with `data` inside the caller's transaction: a delivery and its job for each active endpoint
/// that subscribed to it. The body is the Standard Webhooks envelope `{"type", "timestamp", "data"}`.
pub async fn emit(conn: &mut AnyConnection, event: &str, data: serde_json::Value) -> StoreResult<()> {
    let hooks: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, events FROM webhooks WHERE active = 1").fetch_all(&mut *conn).await?;
    let subscribed: Vec<i64> = hooks
        .into_iter()
        .filter(|(_, events)| events.split(',').any(|e| e.trim() == event))
        .map(|(id, _)| id)
        .collect();
    if subscribed.is_empty() {
        return Ok(());
    }
    let t = now();
    let timestamp = jiff::Timestamp::from_second(t).map(|ts| ts.to_string()).unwrap_or_default();
    let body = serde_json::json!({ "type": event, "timestamp": timestamp, "data": data }).to_string();
    for hook in subscribed {
        let msg_id = format!("msg_{}", hex::encode(rand::random::<[u8; 12]>()));
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_deliveries (webhook_id, msg_id, event, body, created_at) VALUES ($1, $2, $3, $4, $5)
             RETURNING id",
        )
        .bind(hook)
        .bind(&msg_id)
        .bind(event)
        .bind(&body)
        .bind(t)
        .fetch_one(&mut *conn)
        .await?;
        jobs::enqueue(conn, &NewJob::of(&DeliverWebhook { delivery_id: id }, t, Some(format!("webhook:{id}:0"))))
            .await?;
    }
    Ok(())
}

/// A story's fields in its events.
pub(crate) async fn emit_post(conn: &mut AnyConnection, event: &str, post_id: i64) -> StoreResult<()> {
    let row: Option<(String, String, String, String, Option<i64>)> =
        sqlx::query_as("SELECT kind, slug, title, status, published_at FROM posts WHERE id = $1")
            .bind(post_id)
            .fetch_optional(&mut *conn)
            .await?;
    let Some((kind, slug, title, status, published_at)) = row else { return Ok(()) };
    let data = serde_json::json!({
        "id": post_id, "type": kind, "slug": slug, "title": title, "status": status, "path": format!("/{slug}/"),
        "published_at": published_at.and_then(|t| jiff::Timestamp::from_second(t).ok()).map(|t| t.to_string()),
    });
    emit(conn, event, data).await
}

impl Store {
    pub async fn create_webhook(
        &self,
        url: &str,
        description: Option<&str>,
        events: &[&str],
        secret: &str,
        created_by: Option<i64>,
    ) -> StoreResult<Webhook> {
        Ok(sqlx::query_as(
            "INSERT INTO webhooks (url, description, events, secret, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             RETURNING id, url, description, events, secret, active, created_at",
        )
        .bind(url)
        .bind(description)
        .bind(events.join(","))
        .bind(secret)
        .bind(created_by)
        .bind(now())
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
        Ok(sqlx::query_as("SELECT id, url, description, events, secret, active, created_at FROM webhooks ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn webhook(&self, id: i64) -> StoreResult<Option<Webhook>> {
        Ok(sqlx::query_as(
            "SELECT id, url, description, events, secret, active, created_at FROM webhooks WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_webhook_active(&self, id: i64, active: bool) -> StoreResult<()> {
        let done = sqlx::query("UPDATE webhooks SET active = $1 WHERE id = $2")
            .bind(i64::from(active))
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn delete_webhook(&self, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM webhooks WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// The newest deliveries of an endpoint.
    pub async fn webhook_deliveries(&self, webhook_id: i64, limit: i64) -> StoreResult<Vec<Delivery>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM webhook_deliveries WHERE webhook_id = $1 ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 500)
        )))
        .bind(webhook_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A delivery with its endpoint.
    pub async fn delivery(&self, id: i64) -> StoreResult<Option<(Delivery, Webhook)>> {
        let d: Option<Delivery> = sqlx::query_as("SELECT * FROM webhook_deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(d) = d else { return Ok(None) };
        Ok(self.webhook(d.webhook_id).await?.map(|w| (d, w)))
    }

    /// Records one attempt: delivered, or not (with the response status or error), and whether it is given up.
    pub async fn record_delivery_attempt(
        &self,
        id: i64,
        delivered: bool,
        response_status: Option<i64>,
        error: Option<&str>,
        final_failure: bool,
    ) -> StoreResult<()> {
        let status = if delivered {
            "delivered"
        } else if final_failure {
            "failed"
        } else {
            "pending"
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $1, response_status = $2, last_error = $3,
                delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END
             WHERE id = $5",
        )
        .bind(status)
        .bind(response_status)
        .bind(error)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sends a delivery again (the same message id and body, so a receiver that saw it can tell).
    pub async fn redeliver(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let attempts: Option<i64> = sqlx::query_scalar("SELECT attempts FROM webhook_deliveries WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let attempts = attempts.ok_or(StoreError::NotFound)?;
        sqlx::query("UPDATE webhook_deliveries SET status = 'pending' WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let key = format!("webhook:{id}:{attempts}:{}", now());
        jobs::enqueue(&mut tx, &NewJob::of(&DeliverWebhook { delivery_id: id }, now(), Some(key))).await?;
        tx.commit().await?;
        Ok(())
    }
}
