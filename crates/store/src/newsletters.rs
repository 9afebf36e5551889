//! Newsletters and their subscribers: double opt-in with single-use hashed tokens, and a consent ledger that
//! records every signup and confirmation (time, address, IP, form, the consent words, the newsletters).

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::mail::{MailPayload, enqueue_mail};
use crate::{Store, StoreError, StoreResult, now, placeholders};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Newsletter {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub host_author_id: Option<i64>,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub reply_to: Option<String>,
    pub cadence: Option<String>,
    pub visibility: String,
    pub sort_order: i64,
    pub created_at: i64,
    /// A canonical tag from `[site] languages`; `None` for the site's own language.
    pub language: Option<String>,
}

#[derive(Default)]
pub struct NewsletterInput<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub host_author_id: Option<i64>,
    pub sender_name: Option<&'a str>,
    pub sender_email: Option<&'a str>,
    pub reply_to: Option<&'a str>,
    pub cadence: Option<&'a str>,
    pub visibility: &'a str,
    pub sort_order: i64,
    pub language: Option<&'a str>,
}

/// One row of the consent ledger, as written.
pub struct Consent<'a> {
    pub ip: Option<&'a str>,
    pub form_url: Option<&'a str>,
    pub consent_text: &'a str,
}

/// What a confirmation link did.
#[derive(Debug, PartialEq, Eq)]
pub enum Confirmation {
    /// Pending subscriptions to these newsletters are confirmed.
    Subscribed { email: String, names: Vec<String> },
    /// The subscriber now receives mail at this address.
    AddressChanged { email: String },
    /// Another subscriber already has the new address; nothing changed.
    AddressTaken { email: String },
}

/// What a signup led to. Callers answer every case the same way to the reader.
#[derive(Debug, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A confirmation mail was queued for these newsletters.
    ConfirmationSent,
    /// The address was already confirmed for everything chosen; nothing was sent.
    AlreadySubscribed,
}

pub(crate) async fn ledger(
    conn: &mut AnyConnection,
    subscriber_id: Option<i64>,
    email: &str,
    action: &str,
    newsletters: &str,
    c: &Consent<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO consent_ledger (subscriber_id, email, action, newsletters, ip, form_url, consent_text, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(subscriber_id)
    .bind(email)
    .bind(action)
    .bind(newsletters)
    .bind(c.ip)
    .bind(c.form_url)
    .bind(c.consent_text)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

/// A single-use confirmation link (stored as its hash) for these newsletters, or for a move to `new_email`.
pub(crate) async fn insert_confirmation_token(
    conn: &mut AnyConnection,
    token_hash: &str,
    subscriber_id: i64,
    newsletter_ids: &str,
    ttl_seconds: i64,
    new_email: Option<&str>,
) -> StoreResult<()> {
    let t = now();
    sqlx::query(
        "INSERT INTO confirmation_tokens (token_hash, subscriber_id, newsletter_ids, created_at, expires_at, new_email)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(subscriber_id)
    .bind(newsletter_ids)
    .bind(t)
    .bind(t + ttl_seconds)
    .bind(new_email)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Adds a newsletter. Public pages list public newsletters in their signup forms, so the content version moves.
    pub async fn create_newsletter(&self, n: &NewsletterInput<'_>) -> StoreResult<Newsletter> {
        let mut tx = self.write_tx().await?;
        let made: Newsletter = sqlx::query_as(
            "INSERT INTO newsletters (slug, name, description, host_author_id, sender_name, sender_email, reply_to,
                cadence, visibility, sort_order, created_at, language)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *",
        )
        .bind(n.slug)
        .bind(n.name)
        .bind(n.description)
        .bind(n.host_author_id)
        .bind(n.sender_name)
        .bind(n.sender_email)
        .bind(n.reply_to)
        .bind(n.cadence)
        .bind(n.visibility)
        .bind(n.sort_order)
        .bind(now())
        .bind(n.language)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::conflict_on(
            "slug",
            format!("A newsletter with the slug \"{}\" already exists.", n.slug),
        ))?;
        crate::site::bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(made)
    }

    /// Changes a newsletter (its name and description show in every page's signup forms: the version moves).
    pub async fn update_newsletter(&self, id: i64, n: &NewsletterInput<'_>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE newsletters SET slug = $1, name = $2, description = $3, host_author_id = $4, sender_name = $5,
                sender_email = $6, reply_to = $7, cadence = $8, visibility = $9, sort_order = $10, language = $12
             WHERE id = $11",
        )
        .bind(n.slug)
        .bind(n.name)
        .bind(n.description)
        .bind(n.host_author_id)
        .bind(n.sender_name)
        .bind(n.sender_email)
        .bind(n.reply_to)
        .bind(n.cadence)
        .bind(n.visibility)
        .bind(n.sort_order)
        .bind(id)
        .bind(n.language)
        .execute(&mut *tx)
        .await
        .map_err(StoreError::conflict_on(
            "slug",
            format!("A newsletter with the slug \"{}\" already exists.", n.slug),
        ))?;
        crate::site::bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn newsletter(&self, id: i64) -> StoreResult<Option<Newsletter>> {
        Ok(sqlx::query_as("SELECT * FROM newsletters WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn newsletter_by_slug(&self, slug: &str) -> StoreResult<Option<Newsletter>> {
        Ok(sqlx::query_as("SELECT * FROM newsletters WHERE slug = $1").bind(slug).fetch_optional(&self.pool).await?)
    }

    /// Every newsletter, hidden ones included, in the editors' order (admin).
    pub async fn all_newsletters(&self) -> StoreResult<Vec<Newsletter>> {
        Ok(sqlx::query_as("SELECT * FROM newsletters ORDER BY sort_order, id").fetch_all(&self.pool).await?)
    }

    /// Public newsletters in the editors' order (signup forms).
    pub async fn public_newsletters(&self) -> StoreResult<Vec<Newsletter>> {
        Ok(sqlx::query_as("SELECT * FROM newsletters WHERE visibility = 'public' ORDER BY sort_order, id")
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn newsletters_by_slugs(&self, slugs: &[String]) -> StoreResult<Vec<Newsletter>> {
        if slugs.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT * FROM newsletters WHERE slug IN ({}) ORDER BY sort_order, id",
            placeholders(1, slugs.len())
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for s in slugs {
            q = q.bind(s.clone());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Records a signup and, unless everything chosen is already confirmed, a pending subscription per newsletter,
    /// a confirmation token (stored hashed) and the mail that carries it — all in one transaction.
    /// `mail` builds the message from the token and the newsletters awaiting confirmation.
    pub async fn sign_up(
        &self,
        email: &str,
        newsletters: &[Newsletter],
        token_hash: &str,
        token_ttl_seconds: i64,
        consent: &Consent<'_>,
        mail: impl FnOnce(&[&Newsletter]) -> MailPayload,
    ) -> StoreResult<SignupOutcome> {
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query("INSERT INTO subscribers (email, created_at) VALUES ($1, $2) ON CONFLICT (email) DO NOTHING")
            .bind(email)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        let subscriber_id: i64 =
            sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1").bind(email).fetch_one(&mut *tx).await?;
        let names = newsletters.iter().map(|n| n.slug.as_str()).collect::<Vec<_>>().join(",");
        ledger(&mut tx, Some(subscriber_id), email, "signup", &names, consent).await?;
        let mut pending: Vec<&Newsletter> = Vec::new();
        for n in newsletters {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM subscriptions WHERE subscriber_id = $1 AND newsletter_id = $2")
                    .bind(subscriber_id)
                    .bind(n.id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match status.as_deref() {
                Some("confirmed") => continue,
                // Hard bounces and complaints never get mail again (suppression).
                Some("bounced" | "complained") => continue,
                Some(_) => {
                    sqlx::query("UPDATE subscriptions SET status = 'pending', unsubscribed_at = NULL WHERE subscriber_id = $1 AND newsletter_id = $2")
                        .bind(subscriber_id)
                        .bind(n.id)
                        .execute(&mut *tx)
                        .await?;
                }
                None => {
                    sqlx::query("INSERT INTO subscriptions (subscriber_id, newsletter_id, status, created_at) VALUES ($1, $2, 'pending', $3)")
                        .bind(subscriber_id)
                        .bind(n.id)
                        .bind(t)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            pending.push(n);
        }
        if pending.is_empty() {
            tx.commit().await?;
            return Ok(SignupOutcome::AlreadySubscribed);
        }
        let ids = pending.iter().map(|n| n.id.to_string()).collect::<Vec<_>>().join(",");
        insert_confirmation_token(&mut tx, token_hash, subscriber_id, &ids, token_ttl_seconds, None).await?;
        enqueue_mail(&mut tx, &mail(&pending)).await?;
        tx.commit().await?;
        Ok(SignupOutcome::ConfirmationSent)
    }

    /// The address and newsletters a still-valid, unused token confirms (for the confirmation page).
    /// For a change of address, the address is the new one and the list is empty.
    pub async fn peek_confirmation(&self, token_hash: &str) -> StoreResult<Option<(String, Vec<Newsletter>)>> {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT COALESCE(c.new_email, s.email), c.newsletter_ids FROM confirmation_tokens c
             JOIN subscribers s ON s.id = c.subscriber_id
             WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some((email, ids)) = row else { return Ok(None) };
        if ids.is_empty() {
            return Ok(Some((email, Vec::new())));
        }
        let ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
        let sql = format!(
            "SELECT * FROM newsletters WHERE id IN ({}) ORDER BY sort_order, id",
            placeholders(1, ids.len().max(1))
        );
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in if ids.is_empty() { vec![-1] } else { ids } {
            q = q.bind(id);
        }
        Ok(Some((email, q.fetch_all(&self.pool).await?)))
    }

    /// Confirms, once: the token is used atomically, its pending subscriptions become confirmed (or the subscriber
    /// moves to the new address it was made for), and the ledger records it. `None` when the token is unknown, used
    /// or expired.
    pub async fn confirm(&self, token_hash: &str, consent: &Consent<'_>) -> StoreResult<Option<Confirmation>> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let row: Option<(i64, String, Option<String>)> = sqlx::query_as(
            "UPDATE confirmation_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING subscriber_id, newsletter_ids, new_email",
        )
        .bind(t)
        .bind(token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((subscriber_id, ids, new_email)) = row else { return Ok(None) };
        if let Some(new_email) = new_email {
            let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
                .bind(&new_email)
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_some_and(|id| id != subscriber_id) {
                tx.commit().await?;
                return Ok(Some(Confirmation::AddressTaken { email: new_email }));
            }
            let old: String = sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1")
                .bind(subscriber_id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query("UPDATE subscribers SET email = $1 WHERE id = $2")
                .bind(&new_email)
                .bind(subscriber_id)
                .execute(&mut *tx)
                .await?;
            ledger(&mut tx, Some(subscriber_id), &old, "address_change", "", consent).await?;
            ledger(&mut tx, Some(subscriber_id), &new_email, "address_change", "", consent).await?;
            tx.commit().await?;
            return Ok(Some(Confirmation::AddressChanged { email: new_email }));
        }
        let ids: Vec<i64> = ids.split(',').filter_map(|i| i.parse().ok()).collect();
        let mut names = Vec::new();
        for id in &ids {
            sqlx::query(
                "UPDATE subscriptions SET status = 'confirmed', confirmed_at = $1 WHERE subscriber_id = $2 AND newsletter_id = $3 AND status = 'pending'",
            )
            .bind(t)
            .bind(subscriber_id)
            .bind(*id)
            .execute(&mut *tx)
            .await?;
            let name: Option<String> = sqlx::query_scalar("SELECT name FROM newsletters WHERE id = $1")
                .bind(*id)
                .fetch_optional(&mut *tx)
                .await?;
            names.extend(name);
        }
        let email: String = sqlx::query_scalar("SELECT email FROM subscribers WHERE id = $1")
            .bind(subscriber_id)
            .fetch_one(&mut *tx)
            .await?;
        let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        ledger(&mut tx, Some(subscriber_id), &email, "confirm", &joined, consent).await?;
        let data = serde_json::json!({ "subscriber_id": subscriber_id, "email": email, "newsletter_ids": ids, "newsletters": names });
        crate::webhooks::emit(&mut tx, "subscriber.confirmed", data).await?;
        tx.commit().await?;
        Ok(Some(Confirmation::Subscribed { email, names }))
    }

    /// A subscriber's status per newsletter slug.
    pub async fn subscription_statuses(&self, email: &str) -> StoreResult<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT n.slug, s.status FROM subscriptions s JOIN subscribers u ON u.id = s.subscriber_id
             JOIN newsletters n ON n.id = s.newsletter_id WHERE u.email = lower($1) ORDER BY n.sort_order",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ledger entries for an address, oldest first: (action, newsletters, ip, form_url, consent_text).
    pub async fn consent_entries(
        &self,
        email: &str,
    ) -> StoreResult<Vec<(String, String, Option<String>, Option<String>, Option<String>)>> {
        Ok(sqlx::query_as(
            "SELECT action, newsletters, ip, form_url, consent_text FROM consent_ledger WHERE email = lower($1) ORDER BY id",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An address's consent ledger for staff, newest first (at most 100 entries).
    pub async fn consent_ledger_for(&self, email: &str) -> StoreResult<Vec<ConsentEntry>> {
        Ok(sqlx::query_as(
            "SELECT action, newsletters, ip, form_url, consent_text, created_at FROM consent_ledger
             WHERE email = lower($1) ORDER BY id DESC LIMIT 100",
        )
        .bind(email)
        .fetch_all(&self.pool)
        .await?)
    }
}

/// One consent ledger entry, as staff see it.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct ConsentEntry {
    pub action: String,
    pub newsletters: String,
    pub ip: Option<String>,
    pub form_url: Option<String>,
    pub consent_text: Option<String>,
    pub created_at: i64,
}
