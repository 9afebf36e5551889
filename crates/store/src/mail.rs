//! Outgoing mail as queued jobs. Whatever causes a message (an invitation, a password reset) enqueues it here in
//! its own transaction; a worker delivers it (see the worker crate's `mail` module).

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::jobs::{self, NewJob};
use crate::{Store, StoreResult, now};

/// Job kind that delivers one message.
pub const JOB_SEND_MAIL: &str = "send_mail";

/// One message, as queued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MailPayload {
    pub to: String,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Extra headers, e.g. List-Unsubscribe.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
}

impl jobs::Payload for MailPayload {
    const KIND: &'static str = JOB_SEND_MAIL;
    const MAX_ATTEMPTS: i64 = 8;
}

/// Queues a message inside the caller's transaction.
pub async fn enqueue_mail(conn: &mut AnyConnection, m: &MailPayload) -> StoreResult<()> {
    jobs::enqueue(conn, &NewJob::of(m, now(), None)).await?;
    Ok(())
}

impl Store {
    pub async fn enqueue_mail(&self, m: &MailPayload) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        enqueue_mail(&mut conn, m).await
    }

    /// Creates a one-time sign-in link and queues the mail that carries it, in one transaction: either both
    /// happen or neither. `url_of` turns the token into the link.
    pub async fn create_login_link_with_mail(
        &self,
        purpose: &str,
        user_id: i64,
        token_hash: &str,
        ttl_seconds: i64,
        mail: &MailPayload,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query("INSERT INTO login_links (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(purpose)
            .bind(user_id)
            .bind(t)
            .bind(t + ttl_seconds)
            .execute(&mut *tx)
            .await?;
        enqueue_mail(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(())
    }
}
