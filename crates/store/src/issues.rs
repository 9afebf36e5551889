//! Newsletter issues and their per-recipient deliveries: the records that make sending resumable.
//!
//! Making an issue is idempotent (one per form or CLI call, by `idempotency_key`) and queues a fan-out job in the
//! same transaction. The fan-out writes one `deliveries` row per confirmed, unsuppressed subscriber (again
//! idempotent: `ON CONFLICT DO NOTHING`). Senders claim due rows in batches with a lease, deliver them, and record
//! each result as it comes back; rows whose lease ran out (their sender died) are claimed again. So after a crash
//! every recipient still gets the issue, and only messages accepted by the SMTP server but not yet recorded — the
//! in-flight window — can go out twice.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::jobs::{self, NewJob};
use crate::{Backend, Store, StoreResult, now, placeholders};

/// Job kind that writes an issue's delivery records.
pub const JOB_FAN_OUT: &str = "newsletter_fan_out";

/// The payload of a fan-out: the issue whose delivery records to write.
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct FanOut {
    pub issue_id: i64,
}

impl jobs::Payload for FanOut {
    const KIND: &'static str = JOB_FAN_OUT;
    const MAX_ATTEMPTS: i64 = 10;
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Issue {
    pub id: i64,
    pub newsletter_id: i64,
    pub idempotency_key: String,
    pub kind: String,
    pub post_ids: String,
    pub subject: String,
    #[serde(skip)]
    pub html: String,
    #[serde(skip)]
    pub text: String,
    pub status: String,
    pub total: i64,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// Why the sender stopped this send (paused it) on our side, for staff to fix before resuming.
    pub stop_reason: Option<String>,
    /// Who may get the whole story (`whole_html`): `public` for an issue everyone gets whole.
    pub visibility: String,
    #[serde(skip)]
    pub whole_html: String,
    #[serde(skip)]
    pub whole_text: String,
}

pub struct NewIssue<'a> {
    pub newsletter_id: i64,
    pub idempotency_key: &'a str,
    /// "post" or "digest".
    pub kind: &'a str,
    pub post_ids: &'a [i64],
    pub subject: &'a str,
    pub html: &'a str,
    pub text: &'a str,
    pub created_by: Option<i64>,
    /// For an issue of a story not for everyone: who gets it whole, and the whole version ("" otherwise).
    pub visibility: &'a str,
    pub whole_html: &'a str,
    pub whole_text: &'a str,
}

/// A claimed delivery: who gets which issue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub issue_id: i64,
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    pub attempts: i64,
}

/// How one delivery went.
#[derive(Debug, Clone)]
pub enum DeliveryResult {
    Sent {
        message_id: String,
    },
    /// A temporary failure (4xx, a dropped connection): tried again at `retry_at`, or failed for good when
    /// attempts are used up.
    Deferred {
        error: String,
        retry_at: i64,
        give_up: bool,
    },
    /// A permanent failure (5xx). `hard` bounces (no such mailbox) suppress the address.
    Bounced {
        error: String,
        hard: bool,
    },
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct Progress {
    pub total: i64,
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
    /// Messages per second over the last minute of sending.
    pub rate: f64,
}

/// What staff can do to a send, from the admin or the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueControl {
    Pause,
    Resume,
    Cancel,
}

impl IssueControl {
    pub fn parse(action: &str) -> Option<IssueControl> {
        match action {
            "pause" => Some(IssueControl::Pause),
            "resume" => Some(IssueControl::Resume),
            "cancel" => Some(IssueControl::Cancel),
            _ => None,
        }
    }

    /// The states it applies to, and the state it leaves. Pausing waits until the fan-out has written the records
    /// (a second or so): a queued issue has nothing to pause yet.
    fn transition(self) -> (&'static [&'static str], &'static str) {
        match self {
            IssueControl::Pause => (&["sending"], "paused"),
            IssueControl::Resume => (&["paused"], "sending"),
            IssueControl::Cancel => (&["queued", "sending", "paused"], "cancelled"),
        }
    }

    /// "paused", "resumed", "cancelled".
    pub fn done(self) -> &'static str {
        match self {
            IssueControl::Pause => "paused",
            IssueControl::Resume => "resumed",
            IssueControl::Cancel => "cancelled",
        }
    }
}

impl Progress {
    pub fn remaining(&self) -> i64 {
        self.queued + self.sending
    }
}

impl Store {
    /// Makes an issue and queues its fan-out, or finds the one made with the same key. Returns (issue, made now).
    pub async fn create_issue(&self, n: &NewIssue<'_>) -> StoreResult<(Issue, bool)> {
        let mut tx = self.write_tx().await?;
        let ids = n.post_ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let made = sqlx::query(
            "INSERT INTO newsletter_issues (newsletter_id, idempotency_key, kind, post_ids, subject, html, text, status,
                total, created_by, created_at, visibility, whole_html, whole_text)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9, $10, $11, $12)
             ON CONFLICT (idempotency_key) DO NOTHING",
        )
        .bind(n.newsletter_id)
        .bind(n.idempotency_key)
        .bind(n.kind)
        .bind(&ids)
        .bind(n.subject)
        .bind(n.html)
        .bind(n.text)
        .bind(n.created_by)
        .bind(now())
        .bind(n.visibility)
        .bind(n.whole_html)
        .bind(n.whole_text)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        let issue: Issue = sqlx::query_as("SELECT * FROM newsletter_issues WHERE idempotency_key = $1")
            .bind(n.idempotency_key)
            .fetch_one(&mut *tx)
            .await?;
        if made {
            let job = NewJob::of(&FanOut { issue_id: issue.id }, now(), Some(format!("fan-out:{}", issue.id)));
            jobs::enqueue(&mut tx, &job).await?;
        }
        tx.commit().await?;
        Ok((issue, made))
    }

    /// Writes one delivery row per confirmed, unsuppressed subscriber of the issue's newsletter and starts the
    /// send. Safe to run twice. Returns the number of recipients.
    pub async fn fan_out(&self, issue_id: i64) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query(
            "INSERT INTO deliveries (issue_id, subscriber_id, email, name, status, attempts, next_attempt_at)
             SELECT i.id, s.id, s.email, s.name, 'queued', 0, $2
             FROM newsletter_issues i
             JOIN subscriptions x ON x.newsletter_id = i.newsletter_id AND x.status = 'confirmed'
             JOIN subscribers s ON s.id = x.subscriber_id
             WHERE i.id = $1 AND i.status = 'queued'
               AND NOT EXISTS (SELECT 1 FROM suppressions p WHERE p.email = s.email)
             ON CONFLICT (issue_id, subscriber_id) DO NOTHING",
        )
        .bind(issue_id)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deliveries WHERE issue_id = $1")
            .bind(issue_id)
            .fetch_one(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE newsletter_issues SET status = 'sending', total = $1, started_at = $2 WHERE id = $3 AND status = 'queued'",
        )
        .bind(total)
        .bind(t)
        .bind(issue_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(total)
    }

    /// Claims up to `limit` due deliveries of issues that are sending, for `lease_seconds`. Rows whose lease ran
    /// out (their sender died mid-send) are claimed again.
    pub async fn claim_deliveries(&self, limit: i64, lease_seconds: i64, worker: &str) -> StoreResult<Vec<Claimed>> {
        let t = now();
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
            // SQLite has one writer at a time: the UPDATE and its sub-select are atomic.
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE deliveries SET status = 'sending', claimed_until = $1, attempts = attempts + 1, claimed_by = $4
             WHERE (issue_id, subscriber_id) IN (
                SELECT d.issue_id, d.subscriber_id FROM deliveries d
                JOIN newsletter_issues i ON i.id = d.issue_id AND i.status = 'sending'
                WHERE (d.status = 'queued' AND d.next_attempt_at <= $2) OR (d.status = 'sending' AND d.claimed_until < $2)
                LIMIT $3 {lock})
             RETURNING issue_id, subscriber_id, email, name, attempts"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql))
            .bind(t + lease_seconds)
            .bind(t)
            .bind(limit)
            .bind(worker)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Records results in one transaction. Hard bounces also suppress the address.
    pub async fn record_deliveries(&self, results: &[(Claimed, DeliveryResult)]) -> StoreResult<()> {
        let t = now();
        let sent: Vec<&(Claimed, DeliveryResult)> =
            results.iter().filter(|(_, r)| matches!(r, DeliveryResult::Sent { .. })).collect();
        // The common case, everything sent and few enough for one statement: one round trip, no transaction.
        if sent.len() == results.len() && sent.len() <= 200 {
            return self.mark_sent(&mut *self.pool.acquire().await?, &sent, t).await;
        }
        let mut tx = self.write_tx().await?;
        for chunk in sent.chunks(200) {
            self.mark_sent(&mut tx, chunk, t).await?;
        }
        for (c, r) in results {
            match r {
                DeliveryResult::Sent { .. } => {}
                DeliveryResult::Deferred { error, retry_at, give_up } => {
                    sqlx::query(
                        "UPDATE deliveries SET status = $1, next_attempt_at = $2, last_error = $3, claimed_until = NULL
                         WHERE issue_id = $4 AND subscriber_id = $5",
                    )
                    .bind(if *give_up { "failed" } else { "queued" })
                    .bind(*retry_at)
                    .bind(error.chars().take(500).collect::<String>())
                    .bind(c.issue_id)
                    .bind(c.subscriber_id)
                    .execute(&mut *tx)
                    .await?;
                }
                DeliveryResult::Bounced { error, hard } => {
                    sqlx::query(
                        "UPDATE deliveries SET status = 'bounced', last_error = $1, claimed_until = NULL
                         WHERE issue_id = $2 AND subscriber_id = $3",
                    )
                    .bind(error.chars().take(500).collect::<String>())
                    .bind(c.issue_id)
                    .bind(c.subscriber_id)
                    .execute(&mut *tx)
                    .await?;
                    if *hard {
                        sqlx::query(
                            "INSERT INTO suppressions (email, reason, detail, created_at) VALUES ($1, 'bounce', $2, $3)
                             ON CONFLICT (email) DO NOTHING",
                        )
                        .bind(&c.email)
                        .bind(error.chars().take(500).collect::<String>())
                        .bind(t)
                        .execute(&mut *tx)
                        .await?;
                        sqlx::query(
                            "UPDATE subscriptions SET status = 'bounced', unsubscribed_at = $1
                             WHERE subscriber_id = $2 AND status IN ('pending', 'confirmed', 'unsubscribed')",
                        )
                        .bind(t)
                        .bind(c.subscriber_id)
                        .execute(&mut *tx)
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Marks deliveries sent, in one statement.
    async fn mark_sent(
        &self,
        conn: &mut sqlx::AnyConnection,
        sent: &[&(Claimed, DeliveryResult)],
        t: i64,
    ) -> StoreResult<()> {
        if sent.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE deliveries SET status = 'sent', sent_at = $1, claimed_until = NULL, last_error = NULL
             WHERE (issue_id, subscriber_id) IN ({})",
            (0..sent.len()).map(|i| format!("(${}, ${})", i * 2 + 2, i * 2 + 3)).collect::<Vec<_>>().join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(t);
        for (c, _) in sent {
            q = q.bind(c.issue_id).bind(c.subscriber_id);
        }
        q.execute(conn).await?;
        Ok(())
    }

    /// Marks issues whose every delivery has ended as sent. Returns their ids.
    pub async fn finish_issues(&self) -> StoreResult<Vec<i64>> {
        let mut tx = self.write_tx().await?;
        let done: Vec<(i64, i64, String)> = sqlx::query_as(
            "UPDATE newsletter_issues SET status = 'sent', finished_at = $1
             WHERE status = 'sending'
               AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.issue_id = newsletter_issues.id AND d.status IN ('queued', 'sending'))
             RETURNING id, newsletter_id, subject",
        )
        .bind(now())
        .fetch_all(&mut *tx)
        .await?;
        for (id, newsletter_id, subject) in &done {
            let counts: Vec<(String, i64)> =
                sqlx::query_as("SELECT status, COUNT(*) FROM deliveries WHERE issue_id = $1 GROUP BY status")
                    .bind(*id)
                    .fetch_all(&mut *tx)
                    .await?;
            let counts: serde_json::Map<String, serde_json::Value> =
                counts.into_iter().map(|(s, n)| (s, serde_json::Value::from(n))).collect();
            let data = serde_json::json!({ "id": id, "newsletter_id": newsletter_id, "subject": subject, "deliveries": counts });
            crate::webhooks::emit(&mut tx, "issue.sent", data).await?;
        }
        tx.commit().await?;
        Ok(done.into_iter().map(|(id, _, _)| id).collect())
    }

    pub async fn issue(&self, id: i64) -> StoreResult<Option<Issue>> {
        Ok(sqlx::query_as("SELECT * FROM newsletter_issues WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Issues of several ids at once (a sender caches them while it works).
    pub async fn issues_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Issue>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT * FROM newsletter_issues WHERE id IN ({})", placeholders(1, ids.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Issues, newest first; of one newsletter when `newsletter_id` is set.
    pub async fn issues(&self, newsletter_id: Option<i64>, limit: i64) -> StoreResult<Vec<Issue>> {
        Ok(sqlx::query_as(
            "SELECT * FROM newsletter_issues WHERE ($1 = 0 OR newsletter_id = $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(newsletter_id.unwrap_or(0))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sent issues of a newsletter, newest first (its public archive).
    pub async fn sent_issues(&self, newsletter_id: i64, limit: i64) -> StoreResult<Vec<Issue>> {
        Ok(sqlx::query_as(
            "SELECT * FROM newsletter_issues WHERE newsletter_id = $1 AND status = 'sent' ORDER BY finished_at DESC, id DESC LIMIT $2",
        )
        .bind(newsletter_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The progress of every issue being sent now (for `/metrics`).
    pub async fn sending_progress(&self) -> StoreResult<Vec<Progress>> {
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM newsletter_issues WHERE status = 'sending'")
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.issue_progress(id).await?);
        }
        Ok(out)
    }

    pub async fn issue_progress(&self, issue_id: i64) -> StoreResult<Progress> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM deliveries WHERE issue_id = $1 GROUP BY status")
                .bind(issue_id)
                .fetch_all(&self.pool)
                .await?;
        let mut p = Progress::default();
        for (status, n) in rows {
            p.total += n;
            match status.as_str() {
                "queued" => p.queued = n,
                "sending" => p.sending = n,
                "sent" => p.sent = n,
                "failed" => p.failed = n,
                "bounced" => p.bounced = n,
                _ => p.skipped = n,
            }
        }
        let t = now();
        let (recent, first): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(sent_at) FROM deliveries WHERE issue_id = $1 AND status = 'sent' AND sent_at >= $2",
        )
        .bind(issue_id)
        .bind(t - 60)
        .fetch_one(&self.pool)
        .await?;
        if let Some(first) = first {
            p.rate = recent as f64 / ((t - first).max(1)) as f64;
        }
        Ok(p)
    }

    /// Stops a send that cannot go on until staff fix something on our side (a sender address no message can be
    /// built with): the issue is paused with the reason, and the records this sender claimed go back to the queue
    /// with their attempt uncounted — nobody is marked bounced for our mistake. Returns whether it was sending.
    pub async fn stop_issue(&self, id: i64, reason: &str, claimed: &[Claimed]) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let stopped = sqlx::query(
            "UPDATE newsletter_issues SET status = 'paused', stop_reason = $1 WHERE id = $2 AND status = 'sending'",
        )
        .bind(reason.chars().take(500).collect::<String>())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        for c in claimed.iter().filter(|c| c.issue_id == id) {
            sqlx::query(
                "UPDATE deliveries SET status = 'queued', claimed_until = NULL,
                    attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END
                 WHERE issue_id = $1 AND subscriber_id = $2 AND status = 'sending'",
            )
            .bind(c.issue_id)
            .bind(c.subscriber_id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(stopped)
    }

    /// Pauses, resumes or cancels a send. Returns whether the issue was in a state that allows it. Resuming clears
    /// the reason a stopped send was given.
    pub async fn control_issue(&self, id: i64, control: IssueControl) -> StoreResult<bool> {
        let (from, to) = control.transition();
        let sql = format!(
            "UPDATE newsletter_issues SET status = $1, finished_at = CASE WHEN $1 = 'cancelled' THEN $2 ELSE finished_at END,
                stop_reason = CASE WHEN $1 = 'sending' THEN NULL ELSE stop_reason END
             WHERE id = $3 AND status IN ({})",
            placeholders(4, from.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(to).bind(now()).bind(id);
        for f in from {
            q = q.bind(*f);
        }
        let done = q.execute(&self.pool).await?.rows_affected() > 0;
        if done && to == "cancelled" {
            sqlx::query("UPDATE deliveries SET status = 'skipped', last_error = 'send cancelled' WHERE issue_id = $1 AND status = 'queued'")
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(done)
    }

    /// Deliveries of an issue that did not arrive, or wait for another try: (email, status, last_error).
    pub async fn failed_deliveries(
        &self,
        issue_id: i64,
        limit: i64,
    ) -> StoreResult<Vec<(String, String, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT email, status, last_error FROM deliveries WHERE issue_id = $1
               AND (status IN ('failed', 'bounced') OR (status = 'queued' AND last_error IS NOT NULL))
             ORDER BY status, email LIMIT $2",
        )
        .bind(issue_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Markers the issue templates are rendered with, replaced for each recipient when the message is sent.
pub mod marker {
    pub const NAME: &str = "%%ND_NAME%%";
    pub const EMAIL: &str = "%%ND_EMAIL%%";
    pub const GREETING: &str = "%%ND_GREETING%%";
    pub const UNSUBSCRIBE_URL: &str = "%%ND_UNSUBSCRIBE_URL%%";
    pub const PREFERENCES_URL: &str = "%%ND_PREFERENCES_URL%%";
}

/// One recipient's values for the markers.
pub struct Personal<'a> {
    pub name: Option<&'a str>,
    pub email: &'a str,
    pub unsubscribe_url: &'a str,
    pub preferences_url: &'a str,
}

/// Fills the markers of a rendered issue for one recipient (`html` escapes the values).
pub fn personalise(body: &str, p: &Personal<'_>, html: bool) -> String {
    if !body.contains("%%ND_") {
        return body.to_owned();
    }
    let esc = |s: &str| {
        if html {
            s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
        } else {
            s.to_owned()
        }
    };
    let name = p.name.map(str::trim).filter(|n| !n.is_empty());
    let greeting = match name {
        Some(n) => format!("Hello {},", n.split_whitespace().next().unwrap_or(n)),
        None => "Hello,".to_owned(),
    };
    body.replace(marker::NAME, &esc(name.unwrap_or("")))
        .replace(marker::EMAIL, &esc(p.email))
        .replace(marker::GREETING, &esc(&greeting))
        .replace(marker::UNSUBSCRIBE_URL, &esc(p.unsubscribe_url))
        .replace(marker::PREFERENCES_URL, &esc(p.preferences_url))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personalises_and_escapes() {
        let p = Personal {
            name: Some("Ana <b> Lee"),
            email: "a@x.org",
            unsubscribe_url: "https://s/u?a=1&b=2",
            preferences_url: "https://s/p",
        };
        let out = personalise(&format!("{} {} {}", marker::GREETING, marker::UNSUBSCRIBE_URL, marker::EMAIL), &p, true);
        assert_eq!(out, "Hello Ana, https://s/u?a=1&amp;b=2 a@x.org");
        let anon = Personal { name: None, ..p };
        assert_eq!(personalise(marker::GREETING, &anon, false), "Hello,");
    }
}
