//! Subscribers as staff and readers manage them: lists with status and search, manual add and remove, CSV import
//! and export, the suppression list (hard bounces, complaints, staff additions), self-service preferences and
//! unsubscribes, address changes, and the purge of signups nobody confirmed. Every change of consent is written to
//! the consent ledger in the same transaction.

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::mail::{MailPayload, enqueue_mail};
use crate::newsletters::{Consent, insert_confirmation_token, ledger};
use crate::{Backend, Store, StoreResult, now, placeholders};

pub const STATUSES: [&str; 5] = ["pending", "confirmed", "unsubscribed", "bounced", "complained"];

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub created_at: i64,
}

/// A subscriber as listed under one newsletter.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct SubscriptionRow {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub status: String,
    pub created_at: i64,
    pub confirmed_at: Option<i64>,
    pub unsubscribed_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Suppression {
    pub email: String,
    pub reason: String,
    pub detail: Option<String>,
    pub created_at: i64,
}

/// One valid row of an import.
pub struct ImportRow {
    pub email: String,
    pub name: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// New subscriptions.
    pub added: i64,
    /// Subscriptions that existed and were confirmed (or left pending) by the import.
    pub updated: i64,
    /// Suppressed, bounced or complained addresses: never imported.
    pub suppressed: i64,
}

/// The status a subscription takes when a suppression is recorded for its address.
fn suppressed_status(reason: &str) -> &'static str {
    match reason {
        "complaint" => "complained",
        "bounce" => "bounced",
        _ => "unsubscribed",
    }
}

/// Stops queued deliveries to an address (it unsubscribed or was suppressed while an issue was going out).
/// In the caller's transaction: a new confirmation link for everything `email` has pending, and its mail. The
/// newsletters' names, or `None` (nothing sent) when nothing is pending.
async fn renew_in(
    conn: &mut AnyConnection,
    email: &str,
    token_hash: &str,
    ttl_seconds: i64,
    mail: impl FnOnce(&[String]) -> MailPayload,
) -> StoreResult<Option<Vec<String>>> {
    let pending: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT s.id, n.id, n.name FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
         JOIN newsletters n ON n.id = x.newsletter_id
         WHERE s.email = lower($1) AND x.status = 'pending' ORDER BY n.sort_order, n.id",
    )
    .bind(email)
    .fetch_all(&mut *conn)
    .await?;
    let Some((subscriber_id, _, _)) = pending.first() else { return Ok(None) };
    let ids = pending.iter().map(|p| p.1.to_string()).collect::<Vec<_>>().join(",");
    insert_confirmation_token(&mut *conn, token_hash, *subscriber_id, &ids, ttl_seconds, None).await?;
    let names: Vec<String> = pending.into_iter().map(|p| p.2).collect();
    enqueue_mail(&mut *conn, &mail(&names)).await?;
    Ok(Some(names))
}

async fn skip_deliveries(conn: &mut AnyConnection, email: &str, newsletter_id: Option<i64>) -> StoreResult<()> {
    sqlx::query(
        "UPDATE deliveries SET status = 'skipped', last_error = 'unsubscribed or suppressed during the send'
         WHERE email = $1 AND status = 'queued'
           AND ($2 = 0 OR issue_id IN (SELECT id FROM newsletter_issues WHERE newsletter_id = $2))",
    )
    .bind(email)
    .bind(newsletter_id.unwrap_or(0))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn subscriber(&self, id: i64) -> StoreResult<Option<Subscriber>> {
        Ok(sqlx::query_as("SELECT id, email, name, created_at FROM subscribers WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn subscriber_by_email(&self, email: &str) -> StoreResult<Option<Subscriber>> {
        Ok(sqlx::query_as("SELECT id, email, name, created_at FROM subscribers WHERE email = lower($1)")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Subscribers of a newsletter, newest first, filtered by status and by a search in address and name.
    pub async fn subscriptions(
        &self,
        newsletter_id: i64,
        status: Option<&str>,
        search: &str,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<SubscriptionRow>, i64)> {
        let (matching, pattern) = self.subscriber_matches(search, "$3");
        let filter = format!(
            "FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
             WHERE x.newsletter_id = $1 AND ($2 = '' OR x.status = $2) AND {matching}"
        );
        let rows = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT s.id, s.email, s.name, x.status, x.created_at, x.confirmed_at, x.unsubscribed_at {filter}
             ORDER BY x.created_at DESC, s.id DESC LIMIT $4 OFFSET $5"
        )))
        .bind(newsletter_id)
        .bind(status.unwrap_or(""))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) {filter}")))
            .bind(newsletter_id)
            .bind(status.unwrap_or(""))
            .bind(&pattern)
            .fetch_one(&self.pool)
            .await?;
        Ok((rows, total))
    }

    /// The condition on `s` (subscribers) for a staff search in addresses and names, with the value to bind at
    /// `param`. Any part of either matches, through an index when the text has three characters or more: FTS5's
    /// trigram table on SQLite, pg_trgm's GIN indexes (which `LIKE '%…%'` uses) on PostgreSQL. Shorter text scans.
    fn subscriber_matches(&self, search: &str, param: &str) -> (String, String) {
        let text = search.trim().to_lowercase();
        if text.is_empty() {
            return (format!("{param} = ''"), String::new());
        }
        if self.backend == Backend::Sqlite && text.chars().count() >= 3 {
            return (
                format!("s.id IN (SELECT rowid FROM subscriber_search WHERE subscriber_search MATCH {param})"),
                format!("\"{}\"", text.replace('"', "\"\"")),
            );
        }
        (
            format!(
                "s.id IN (SELECT id FROM subscribers
                          WHERE email LIKE {param} ESCAPE '\\' OR lower(COALESCE(name, '')) LIKE {param} ESCAPE '\\')"
            ),
            format!("%{}%", crate::like_escape(&text)),
        )
    }

    /// One subscriber's subscription to a newsletter.
    pub async fn subscription(&self, newsletter_id: i64, subscriber_id: i64) -> StoreResult<Option<SubscriptionRow>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.email, s.name, x.status, x.created_at, x.confirmed_at, x.unsubscribed_at
             FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
             WHERE x.newsletter_id = $1 AND x.subscriber_id = $2",
        )
        .bind(newsletter_id)
        .bind(subscriber_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Sets (or, with `None`, clears) a subscriber's name.
    pub async fn rename_subscriber(&self, subscriber_id: i64, name: Option<&str>) -> StoreResult<()> {
        sqlx::query("UPDATE subscribers SET name = $1 WHERE id = $2")
            .bind(name)
            .bind(subscriber_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many confirmed subscribers a newsletter has (on the `(newsletter_id, status)` index).
    pub async fn confirmed_count(&self, newsletter_id: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM subscriptions WHERE newsletter_id = $1 AND status = 'confirmed'")
            .bind(newsletter_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Subscription counts per newsletter and status: (newsletter id, status, count).
    pub async fn subscription_counts(&self) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(sqlx::query_as("SELECT newsletter_id, status, COUNT(*) FROM subscriptions GROUP BY newsletter_id, status")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Imports rows in one transaction, in chunks. Pre-confirmed rows become confirmed subscriptions; others are
    /// left pending for a confirmation mail (see `pending_confirmations`). Suppressed addresses and those that
    /// bounced or complained are skipped. Each address gets a ledger entry with `consent.consent_text` as source.
    pub async fn import_subscribers(
        &self,
        newsletter_id: i64,
        rows: &[ImportRow],
        confirmed: bool,
        consent: &Consent<'_>,
    ) -> StoreResult<ImportSummary> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let mut summary = ImportSummary::default();
        let status = if confirmed { "confirmed" } else { "pending" };
        let slug: String = sqlx::query_scalar("SELECT slug FROM newsletters WHERE id = $1")
            .bind(newsletter_id)
            .fetch_one(&mut *tx)
            .await?;
        for chunk in rows.chunks(400) {
            let emails: Vec<String> = chunk.iter().map(|r| r.email.to_lowercase()).collect();
            let suppressed: Vec<String> = {
                let sql = format!("SELECT email FROM suppressions WHERE email IN ({})", placeholders(1, emails.len()));
                let mut q = sqlx::query_scalar(AssertSqlSafe(sql));
                for e in &emails {
                    q = q.bind(e.clone());
                }
                q.fetch_all(&mut *tx).await?
            };
            let keep: Vec<(&String, Option<&str>)> = emails
                .iter()
                .zip(chunk)
                .filter(|(e, _)| !suppressed.contains(e))
                .map(|(e, r)| (e, r.name.as_deref()))
                .collect();
            summary.suppressed += (emails.len() - keep.len()) as i64;
            if keep.is_empty() {
                continue;
            }
            let values = (0..keep.len()).map(|i| format!("(${}, ${}, ${})", i * 3 + 1, i * 3 + 2, i * 3 + 3));
            let sql = format!(
                "INSERT INTO subscribers (email, name, created_at) VALUES {}
                 ON CONFLICT (email) DO UPDATE SET name = COALESCE(subscribers.name, excluded.name)",
                values.collect::<Vec<_>>().join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (e, n) in &keep {
                q = q.bind((*e).clone()).bind(n.map(str::to_owned)).bind(t);
            }
            q.execute(&mut *tx).await?;
            let sql = format!(
                "SELECT s.id, s.email, x.status FROM subscribers s
                 LEFT JOIN subscriptions x ON x.subscriber_id = s.id AND x.newsletter_id = $1
                 WHERE s.email IN ({})",
                placeholders(2, keep.len())
            );
            let mut q = sqlx::query_as(AssertSqlSafe(sql)).bind(newsletter_id);
            for (e, _) in &keep {
                q = q.bind((*e).clone());
            }
            let existing: Vec<(i64, String, Option<String>)> = q.fetch_all(&mut *tx).await?;
            let mut new_ids = Vec::new();
            for (id, _, current) in &existing {
                match current.as_deref() {
                    None => new_ids.push(*id),
                    Some("bounced" | "complained") => summary.suppressed += 1,
                    Some(s) if s == status || s == "confirmed" => {}
                    Some(_) => {
                        sqlx::query(
                            "UPDATE subscriptions SET status = $1, confirmed_at = CASE WHEN $1 = 'confirmed' THEN $2 ELSE confirmed_at END,
                             unsubscribed_at = NULL WHERE subscriber_id = $3 AND newsletter_id = $4",
                        )
                        .bind(status)
                        .bind(t)
                        .bind(*id)
                        .bind(newsletter_id)
                        .execute(&mut *tx)
                        .await?;
                        summary.updated += 1;
                    }
                }
            }
            if !new_ids.is_empty() {
                let values = (0..new_ids.len()).map(|i| format!("(${}, $1, $2, $3, $4)", i + 5));
                let sql = format!(
                    "INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, confirmed_at) VALUES {}",
                    values.collect::<Vec<_>>().join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql))
                    .bind(newsletter_id)
                    .bind(status)
                    .bind(t)
                    .bind(if confirmed { Some(t) } else { None });
                for id in &new_ids {
                    q = q.bind(*id);
                }
                q.execute(&mut *tx).await?;
                summary.added += new_ids.len() as i64;
            }
            let values =
                (0..existing.len()).map(|i| format!("(${}, ${}, $1, $2, $3, $4, $5, $6)", i * 2 + 7, i * 2 + 8));
            let sql = format!(
                "INSERT INTO consent_ledger (subscriber_id, email, action, newsletters, ip, form_url, consent_text, created_at) VALUES {}",
                values.collect::<Vec<_>>().join(", ")
            );
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(if confirmed { "import_confirmed" } else { "import" })
                .bind(&slug)
                .bind(consent.ip)
                .bind(consent.form_url)
                .bind(consent.consent_text)
                .bind(t);
            for (id, email, _) in &existing {
                q = q.bind(*id).bind(email.clone());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(summary)
    }

    /// Subscribers with pending subscriptions to a newsletter that have no live confirmation link: (id, email).
    /// After an unconfirmed import, each gets a confirmation mail.
    pub async fn pending_without_link(&self, newsletter_id: i64) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.email FROM subscriptions x JOIN subscribers s ON s.id = x.subscriber_id
             WHERE x.newsletter_id = $1 AND x.status = 'pending'
               AND NOT EXISTS (SELECT 1 FROM confirmation_tokens c WHERE c.subscriber_id = s.id AND c.used_at IS NULL AND c.expires_at > $2)
             ORDER BY s.id",
        )
        .bind(newsletter_id)
        .bind(now())
        .fetch_all(&self.pool)
        .await?)
    }

    /// A new confirmation link for everything an address has pending, and the mail carrying it. Returns the names
    /// of the newsletters, or `None` (and sends nothing) when nothing is pending.
    pub async fn renew_confirmation(
        &self,
        email: &str,
        token_hash: &str,
        ttl_seconds: i64,
        mail: impl FnOnce(&[String]) -> MailPayload,
    ) -> StoreResult<Option<Vec<String>>> {
        let mut tx = self.write_tx().await?;
        let names = renew_in(&mut tx, email, token_hash, ttl_seconds, mail).await?;
        tx.commit().await?;
        Ok(names)
    }

    /// [`Store::renew_confirmation`] for many addresses (after an import), 500 to a transaction instead of one
    /// each. `mail` makes the message for (address, newsletter names, token). Returns how many were sent.
    pub async fn renew_confirmations(
        &self,
        emails: &[String],
        ttl_seconds: i64,
        mail: impl Fn(&str, &[String], &str) -> MailPayload,
    ) -> StoreResult<usize> {
        let mut sent = 0;
        for chunk in emails.chunks(500) {
            let mut tx = self.write_tx().await?;
            for email in chunk {
                let (token, hash) = crate::new_token();
                let renewed = renew_in(&mut tx, email, &hash, ttl_seconds, |names| mail(email, names, &token)).await?;
                sent += usize::from(renewed.is_some());
            }
            tx.commit().await?;
        }
        Ok(sent)
    }

    /// Unsubscribes from one newsletter (one-click, the preferences page, or staff). Returns whether anything
    /// changed; `action` names it in the ledger.
    pub async fn unsubscribe(
        &self,
        subscriber_id: i64,
        newsletter_id: i64,
        action: &str,
        consent: &Consent<'_>,
    ) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let email: String = sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1")
            .bind(subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
        let done = sqlx::query(
            "UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = $1
             WHERE subscriber_id = $2 AND newsletter_id = $3 AND status IN ('pending', 'confirmed')",
        )
        .bind(now())
        .bind(subscriber_id)
        .bind(newsletter_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() > 0 {
            skip_deliveries(&mut tx, &email, Some(newsletter_id)).await?;
            ledger(&mut tx, Some(subscriber_id), &email, action, &newsletter_id.to_string(), consent).await?;
            let data = serde_json::json!({ "subscriber_id": subscriber_id, "email": email, "newsletter_id": newsletter_id, "via": action });
            crate::webhooks::emit(&mut tx, "subscriber.unsubscribed", data).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// The preferences page's save: the chosen newsletters become confirmed (the signed link proved the address),
    /// the others the subscriber had are unsubscribed. Bounced and complained subscriptions are left alone.
    pub async fn set_preferences(&self, subscriber_id: i64, chosen: &[i64], consent: &Consent<'_>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let email: String = sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1")
            .bind(subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
        let current: Vec<(i64, String)> =
            sqlx::query_as("SELECT newsletter_id, status FROM subscriptions WHERE subscriber_id = $1")
                .bind(subscriber_id)
                .fetch_all(&mut *tx)
                .await?;
        for (nid, status) in &current {
            if !chosen.contains(nid) && (status == "confirmed" || status == "pending") {
                sqlx::query("UPDATE subscriptions SET status = 'unsubscribed', unsubscribed_at = $1 WHERE subscriber_id = $2 AND newsletter_id = $3")
                    .bind(t)
                    .bind(subscriber_id)
                    .bind(*nid)
                    .execute(&mut *tx)
                    .await?;
                skip_deliveries(&mut tx, &email, Some(*nid)).await?;
                let data = serde_json::json!({ "subscriber_id": subscriber_id, "email": email, "newsletter_id": nid, "via": "preferences" });
                crate::webhooks::emit(&mut tx, "subscriber.unsubscribed", data).await?;
            }
        }
        for nid in chosen {
            match current.iter().find(|(n, _)| n == nid).map(|(_, s)| s.as_str()) {
                Some("confirmed" | "bounced" | "complained") => {}
                Some(_) => {
                    sqlx::query("UPDATE subscriptions SET status = 'confirmed', confirmed_at = $1, unsubscribed_at = NULL WHERE subscriber_id = $2 AND newsletter_id = $3")
                        .bind(t)
                        .bind(subscriber_id)
                        .bind(*nid)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query("INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at, confirmed_at) VALUES ($1, $2, 'confirmed', $3, $3)")
                        .bind(subscriber_id)
                        .bind(*nid)
                        .bind(t)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let ids = chosen.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        ledger(&mut tx, Some(subscriber_id), &email, "preferences", &ids, consent).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a requested change of address: a token (stored hashed) that, once confirmed from the new address,
    /// moves the subscriber there; and the mail that carries it.
    pub async fn request_address_change(
        &self,
        subscriber_id: i64,
        new_email: &str,
        token_hash: &str,
        ttl_seconds: i64,
        mail: &MailPayload,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let new_email = new_email.to_lowercase();
        insert_confirmation_token(&mut tx, token_hash, subscriber_id, "", ttl_seconds, Some(&new_email)).await?;
        enqueue_mail(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an address to the suppression list and stops all mail to it: its subscriptions become bounced,
    /// complained or unsubscribed, and queued deliveries are skipped. A complaint outranks a bounce, which outranks
    /// a manual entry.
    pub async fn suppress(&self, email: &str, reason: &str, detail: Option<&str>) -> StoreResult<()> {
        let email = email.trim().to_lowercase();
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query(
            "INSERT INTO suppressions (email, reason, detail, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO UPDATE SET reason = CASE
                 WHEN suppressions.reason = 'complaint' THEN 'complaint'
                 WHEN excluded.reason = 'manual' THEN suppressions.reason
                 ELSE excluded.reason END,
               detail = COALESCE(excluded.detail, suppressions.detail)",
        )
        .bind(&email)
        .bind(reason)
        .bind(detail.map(|d| d.chars().take(500).collect::<String>()))
        .bind(t)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE subscriptions SET status = $1, unsubscribed_at = $2
             WHERE subscriber_id IN (SELECT id FROM subscribers WHERE email = $3)
               AND status NOT IN ('complained', $1)",
        )
        .bind(suppressed_status(reason))
        .bind(t)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
        skip_deliveries(&mut tx, &email, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes an address off the suppression list. Its subscriptions stay as they are: it must sign up again.
    pub async fn unsuppress(&self, email: &str) -> StoreResult<bool> {
        let done =
            sqlx::query("DELETE FROM suppressions WHERE email = lower($1)").bind(email).execute(&self.pool).await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn suppressions(&self, search: &str, limit: i64) -> StoreResult<Vec<Suppression>> {
        let pattern = format!("%{}%", crate::like_escape(&search.trim().to_lowercase()));
        Ok(sqlx::query_as(
            r"SELECT * FROM suppressions WHERE email LIKE $1 ESCAPE '\' ORDER BY created_at DESC, email LIMIT $2",
        )
        .bind(pattern)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn is_suppressed(&self, email: &str) -> StoreResult<bool> {
        Ok(sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM suppressions WHERE email = lower($1)")
            .bind(email)
            .fetch_one(&self.pool)
            .await?
            > 0)
    }

    /// Deletes signups nobody confirmed before `cutoff` (Unix seconds), the spent or expired links, and
    /// subscribers left with no subscription. The consent ledger keeps its record of the request.
    /// Returns how many pending subscriptions were removed.
    pub async fn purge_unconfirmed(&self, cutoff: i64) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM subscriptions WHERE status = 'pending' AND created_at < $1")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM confirmation_tokens WHERE expires_at < $1 OR (used_at IS NOT NULL AND used_at < $1)")
            .bind(cutoff)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "DELETE FROM subscribers WHERE created_at < $1
               AND NOT EXISTS (SELECT 1 FROM subscriptions x WHERE x.subscriber_id = subscribers.id)",
        )
        .bind(cutoff)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Every subscription of a newsletter, for export: (email, name, status, created_at, confirmed_at).
    pub async fn export_subscriptions(
        &self,
        newsletter_id: i64,
    ) -> StoreResult<Vec<(String, Option<String>, String, i64, Option<i64>)>> {
        Ok(sqlx::query_as(
            "SELECT s.email, s.name, x.status, x.created_at, x.confirmed_at FROM subscriptions x
             JOIN subscribers s ON s.id = x.subscriber_id WHERE x.newsletter_id = $1 ORDER BY s.email",
        )
        .bind(newsletter_id)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// Erases a subscriber inside the caller's transaction: the row and its subscriptions and confirmation links, its
/// queued and past deliveries (no further mail goes out), and the address in the consent ledger, which keeps the
/// fact of each consent under a one-way hash of the address instead.
pub(crate) async fn erase_subscriber(conn: &mut sqlx::AnyConnection, id: i64) -> StoreResult<()> {
    let email: Option<String> =
        sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    let Some(email) = email else { return Ok(()) };
    let erased = format!("erased:{}", &crate::hash_token(&email)[..16]);
    sqlx::query(
        "UPDATE consent_ledger SET email = $1, ip = NULL, subscriber_id = NULL WHERE email = $2 OR subscriber_id = $3",
    )
    .bind(&erased)
    .bind(&email)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM deliveries WHERE subscriber_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM subscribers WHERE id = $1").bind(id).execute(&mut *conn).await?;
    Ok(())
}
