//! Members (readers' accounts), their sessions and magic sign-in links, tiers, and what gives a member a tier
//! (Stripe subscriptions and staff grants). A member is the same person as the newsletter subscriber with the same
//! address; deleting one deletes both.

use serde::Serialize;

use crate::mail::{MailPayload, enqueue_mail};
use crate::site::bump_content_version;
use crate::{Store, StoreError, StoreResult, now};

/// Slug of the free tier, which always exists (made when first needed).
pub const FREE_TIER: &str = "free";

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Tier {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    /// A JSON array of short lines; see [`Tier::benefit_lines`].
    pub benefits: String,
    pub paid: i64,
    pub currency: String,
    /// Minor units (pence, cents).
    pub monthly_price: Option<i64>,
    pub yearly_price: Option<i64>,
    pub trial_days: i64,
    pub active: i64,
    pub position: i64,
    pub stripe_product_id: Option<String>,
    pub stripe_monthly_price_id: Option<String>,
    pub stripe_yearly_price_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Tier {
    pub fn benefit_lines(&self) -> Vec<String> {
        serde_json::from_str(&self.benefits).unwrap_or_default()
    }

    pub fn is_paid(&self) -> bool {
        self.paid == 1
    }
}

/// The statuses the members list filters by: a paid tier now, none, or one granted by staff.
pub const MEMBER_STATUSES: &[&str] = &["paid", "free", "comp"];

/// How members came: signing up, added by staff, imported, through checkout, through a donation.
pub const MEMBER_SOURCES: &[&str] = &["signup", "staff", "import", "checkout", "donation"];

/// Filters of the admin's members list.
#[derive(Debug, Clone, Default)]
pub struct MemberFilter {
    /// Part of the address or the name.
    pub search: String,
    /// Members holding this paid tier now (its slug).
    pub tier: Option<String>,
    /// `paid` (a paid tier now), `free`, or `comp` (a grant by staff).
    pub status: Option<String>,
    /// `signup`, `staff`, `import` or `checkout`.
    pub source: Option<String>,
    pub joined_from: Option<i64>,
    pub joined_before: Option<i64>,
}

/// A tier as staff save it.
#[derive(Debug, Clone)]
pub struct TierInput {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub benefits: Vec<String>,
    pub currency: String,
    pub monthly_price: Option<i64>,
    pub yearly_price: Option<i64>,
    pub trial_days: i64,
    pub active: bool,
    pub position: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Member {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// "signup", "staff", "import" or "checkout".
    pub source: String,
    pub stripe_customer_id: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_seen_at: Option<i64>,
}

/// What gives a member a tier, with the tier's slug and name.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MemberSubscription {
    pub id: i64,
    pub member_id: i64,
    pub tier_id: i64,
    pub tier_slug: String,
    pub tier_name: String,
    pub tier_paid: i64,
    /// "stripe" or "comp".
    pub source: String,
    pub status: String,
    pub cadence: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: i64,
    pub past_due_since: Option<i64>,
    pub expires_at: Option<i64>,
    pub note: Option<String>,
    pub granted_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl MemberSubscription {
    /// Whether it gives its tier at `now`: a comp until it ends or is revoked; a Stripe subscription while active
    /// or trialing, and while a failed payment is within the newsroom's grace period.
    pub fn grants_access(&self, now: i64, grace_seconds: i64) -> bool {
        match self.source.as_str() {
            "comp" => self.status == "active" && self.expires_at.is_none_or(|e| e > now),
            _ => match self.status.as_str() {
                "active" | "trialing" => true,
                "past_due" | "unpaid" => self.past_due_since.is_some_and(|since| since + grace_seconds > now),
                _ => false,
            },
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberSession {
    pub token_hash: String,
    pub member_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SignIn {
    pub ip: Option<String>,
    pub created_at: i64,
}

const SUBSCRIPTION_SELECT: &str = "SELECT s.id, s.member_id, s.tier_id, t.slug AS tier_slug, t.name AS tier_name,
        t.paid AS tier_paid, s.source, s.status, s.cadence, s.amount, s.currency, s.stripe_subscription_id,
        s.current_period_end, s.cancel_at_period_end, s.past_due_since, s.expires_at, s.note, s.granted_by,
        s.created_at, s.updated_at
    FROM member_subscriptions s JOIN tiers t ON t.id = s.tier_id";

impl Store {
    /// Every tier, the free one first (made here the first time it is missing), then paid ones in their order.
    /// A read in the usual case: pages and webhooks call this.
    pub async fn tiers(&self) -> StoreResult<Vec<Tier>> {
        let list: Vec<Tier> =
            sqlx::query_as("SELECT * FROM tiers ORDER BY paid, position, id").fetch_all(&self.pool).await?;
        if list.iter().any(|t| t.slug == FREE_TIER) {
            return Ok(list);
        }
        sqlx::query(
            "INSERT INTO tiers (slug, name, description, benefits, paid, created_at, updated_at)
             VALUES ($1, 'Free', 'A free account: our newsletters and stories for members.', '[]', 0, $2, $2)
             ON CONFLICT (slug) DO NOTHING",
        )
        .bind(FREE_TIER)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as("SELECT * FROM tiers ORDER BY paid, position, id").fetch_all(&self.pool).await?)
    }

    pub async fn tier_by_slug(&self, slug: &str) -> StoreResult<Option<Tier>> {
        Ok(sqlx::query_as("SELECT * FROM tiers WHERE slug = $1").bind(slug).fetch_optional(&self.pool).await?)
    }

    pub async fn tier(&self, id: i64) -> StoreResult<Option<Tier>> {
        Ok(sqlx::query_as("SELECT * FROM tiers WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Creates (`id = None`) or changes a tier; the free tier stays free. Public pages list tiers, so the content
    /// version is bumped.
    pub async fn save_tier(&self, id: Option<i64>, t: &TierInput) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        let benefits = serde_json::to_string(&t.benefits).unwrap_or_else(|_| "[]".into());
        let stamp = now();
        let result = match id {
            None => {
                sqlx::query_scalar(
                    "INSERT INTO tiers (slug, name, description, benefits, paid, currency, monthly_price, yearly_price,
                        trial_days, active, position, created_at, updated_at)
                     VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id",
                )
                .bind(&t.slug)
                .bind(&t.name)
                .bind(&t.description)
                .bind(&benefits)
                .bind(&t.currency)
                .bind(t.monthly_price)
                .bind(t.yearly_price)
                .bind(t.trial_days)
                .bind(i64::from(t.active))
                .bind(t.position)
                .bind(stamp)
                .fetch_one(&mut *tx)
                .await
            }
            Some(id) => {
                // A price that changes needs a new Stripe plan (subscribers keep theirs): forget the old one.
                let old: Option<(Option<i64>, Option<i64>, String)> =
                    sqlx::query_as("SELECT monthly_price, yearly_price, currency FROM tiers WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some((m, y, cur)) = old {
                    for (changed, column) in [
                        (m != t.monthly_price || cur != t.currency, "stripe_monthly_price_id"),
                        (y != t.yearly_price || cur != t.currency, "stripe_yearly_price_id"),
                    ] {
                        if changed {
                            sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE tiers SET {column} = NULL WHERE id = $1")))
                                .bind(id)
                                .execute(&mut *tx)
                                .await?;
                        }
                    }
                }
                sqlx::query_scalar(
                    "UPDATE tiers SET slug = CASE WHEN paid = 1 THEN $1 ELSE slug END, name = $2, description = $3,
                        benefits = $4, currency = $5, monthly_price = CASE WHEN paid = 1 THEN $6 END,
                        yearly_price = CASE WHEN paid = 1 THEN $7 END, trial_days = $8,
                        active = CASE WHEN paid = 1 THEN $9 ELSE 1 END, position = $10, updated_at = $11
                     WHERE id = $12 RETURNING id",
                )
                .bind(&t.slug)
                .bind(&t.name)
                .bind(&t.description)
                .bind(&benefits)
                .bind(&t.currency)
                .bind(t.monthly_price)
                .bind(t.yearly_price)
                .bind(t.trial_days)
                .bind(i64::from(t.active))
                .bind(t.position)
                .bind(stamp)
                .bind(id)
                .fetch_one(&mut *tx)
                .await
            }
        };
        let id: i64 = result.map_err(|e| match e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            e => StoreError::conflict_on("slug", format!("Another tier already uses the slug \"{}\".", t.slug))(e),
        })?;
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records the Stripe product and plans made for a tier.
    pub async fn set_tier_stripe_ids(
        &self,
        tier_id: i64,
        product: &str,
        monthly: Option<&str>,
        yearly: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE tiers SET stripe_product_id = $1, stripe_monthly_price_id = COALESCE($2, stripe_monthly_price_id),
                stripe_yearly_price_id = COALESCE($3, stripe_yearly_price_id) WHERE id = $4",
        )
        .bind(product)
        .bind(monthly)
        .bind(yearly)
        .bind(tier_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Links a member to their Stripe customer (once: a customer already linked stays).
    pub async fn set_member_customer(&self, member_id: i64, customer: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE members SET stripe_customer_id = $1, updated_at = $2 WHERE id = $3 AND stripe_customer_id IS NULL",
        )
        .bind(customer)
        .bind(now())
        .bind(member_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn member(&self, id: i64) -> StoreResult<Option<Member>> {
        Ok(sqlx::query_as("SELECT * FROM members WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn member_by_email(&self, email: &str) -> StoreResult<Option<Member>> {
        Ok(sqlx::query_as("SELECT * FROM members WHERE email = $1")
            .bind(email.to_lowercase())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The member with this address, made (from `source`) when there is none; the flag says whether it was made.
    /// Two requests at once make one member.
    pub async fn find_or_create_member(&self, email: &str, source: &str) -> StoreResult<(Member, bool)> {
        let email = email.to_lowercase();
        if let Some(m) = self.member_by_email(&email).await? {
            return Ok((m, false));
        }
        let mut tx = self.write_tx().await?;
        let t = now();
        let made: Option<i64> = sqlx::query_scalar(
            "INSERT INTO members (email, source, created_at, updated_at) VALUES ($1, $2, $3, $3)
             ON CONFLICT (email) DO NOTHING RETURNING id",
        )
        .bind(&email)
        .bind(source)
        .bind(t)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = made {
            // The newsletter subscriber with this address, if any, is this person: the name carries over.
            sqlx::query(
                "UPDATE members SET name = (SELECT s.name FROM subscribers s WHERE s.email = members.email)
                 WHERE id = $1 AND name IS NULL",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let data = crate::webhooks::member_data(&mut tx, id).await?;
            crate::webhooks::emit(&mut tx, "member.created", serde_json::json!({ "member": data })).await?;
        }
        tx.commit().await?;
        let member = self.member_by_email(&email).await?.ok_or(StoreError::NotFound)?;
        Ok((member, made.is_some()))
    }

    /// Stores a sign-in link (by its token's hash) and queues the mail that carries it, in one transaction.
    pub async fn create_member_link_with_mail(
        &self,
        member_id: i64,
        token_hash: &str,
        ttl_seconds: i64,
        next_path: Option<&str>,
        mail: &MailPayload,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query(
            "INSERT INTO member_links (token_hash, member_id, next_path, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(next_path)
        .bind(t)
        .bind(t + ttl_seconds)
        .execute(&mut *tx)
        .await?;
        enqueue_mail(&mut tx, mail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address a live, unused sign-in link is for (the page the link opens shows it; it signs nobody in).
    pub async fn peek_member_link(&self, token_hash: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT m.email FROM member_links l JOIN members m ON m.id = l.member_id
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses a sign-in link once: the member and the page to go on to, or `None` when the link is unknown, used or
    /// expired. Two requests with the same link sign in once.
    pub async fn redeem_member_link(&self, token_hash: &str) -> StoreResult<Option<(i64, Option<String>)>> {
        let t = now();
        let row: Option<(i64, Option<String>)> = sqlx::query_as(
            "UPDATE member_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING member_id, next_path",
        )
        .bind(t)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// Starts a member session and records the sign-in.
    pub async fn create_member_session(
        &self,
        member_id: i64,
        token_hash: &str,
        csrf_token: &str,
        ttl_seconds: i64,
        ip: Option<&str>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let t = now();
        sqlx::query(
            "INSERT INTO member_sessions (token_hash, member_id, csrf_token, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token_hash)
        .bind(member_id)
        .bind(csrf_token)
        .bind(t)
        .bind(t + ttl_seconds)
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO member_signins (member_id, ip, created_at) VALUES ($1, $2, $3)")
            .bind(member_id)
            .bind(ip)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE members SET last_seen_at = $1 WHERE id = $2")
            .bind(t)
            .bind(member_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The live member session with this token hash, and its member.
    pub async fn member_session(&self, token_hash: &str) -> StoreResult<Option<(MemberSession, Member)>> {
        let s: Option<MemberSession> =
            sqlx::query_as("SELECT * FROM member_sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(now())
                .fetch_optional(&self.pool)
                .await?;
        let Some(s) = s else { return Ok(None) };
        Ok(self.member(s.member_id).await?.map(|m| (s, m)))
    }

    pub async fn delete_member_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM member_sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    /// Drops expired member sessions and spent or expired sign-in links.
    pub async fn purge_member_sessions(&self, now: i64) -> StoreResult<u64> {
        let a = sqlx::query("DELETE FROM member_sessions WHERE expires_at <= $1").bind(now).execute(&self.pool).await?;
        let b = sqlx::query("DELETE FROM member_links WHERE expires_at <= $1 OR used_at IS NOT NULL")
            .bind(now - 24 * 3600)
            .execute(&self.pool)
            .await?;
        Ok(a.rows_affected() + b.rows_affected())
    }

    /// What gives `member_id` tiers, newest first.
    pub async fn member_subscriptions(&self, member_id: i64) -> StoreResult<Vec<MemberSubscription>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SUBSCRIPTION_SELECT} WHERE s.member_id = $1 ORDER BY s.created_at DESC, s.id DESC"
        )))
        .bind(member_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The subscriptions and grants of several members at once (one query), by member id.
    pub async fn subscriptions_of(
        &self,
        member_ids: &[i64],
    ) -> StoreResult<std::collections::HashMap<i64, Vec<MemberSubscription>>> {
        let mut out: std::collections::HashMap<i64, Vec<MemberSubscription>> = Default::default();
        if member_ids.is_empty() {
            return Ok(out);
        }
        let sql = format!("{SUBSCRIPTION_SELECT} WHERE s.member_id IN ({})", crate::placeholders(1, member_ids.len()));
        let mut q = sqlx::query_as::<_, MemberSubscription>(sqlx::AssertSqlSafe(sql));
        for id in member_ids {
            q = q.bind(*id);
        }
        for s in q.fetch_all(&self.pool).await? {
            out.entry(s.member_id).or_default().push(s);
        }
        Ok(out)
    }

    /// For recipients' addresses (lower case): whether each is a member, and what gives them tiers; one query for
    /// a whole batch of a newsletter send.
    pub async fn subscriptions_by_email(
        &self,
        emails: &[&str],
    ) -> StoreResult<std::collections::HashMap<String, Vec<MemberSubscription>>> {
        let mut out: std::collections::HashMap<String, Vec<MemberSubscription>> = Default::default();
        if emails.is_empty() {
            return Ok(out);
        }
        let sql = format!("SELECT id, email FROM members WHERE email IN ({})", crate::placeholders(1, emails.len()));
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(sql));
        for e in emails {
            q = q.bind(*e);
        }
        let members = q.fetch_all(&self.pool).await?;
        if members.is_empty() {
            return Ok(out);
        }
        let by_id: std::collections::HashMap<i64, String> = members.into_iter().collect();
        let ids: Vec<i64> = by_id.keys().copied().collect();
        for email in by_id.values() {
            out.entry(email.clone()).or_default();
        }
        for (id, subs) in self.subscriptions_of(&ids).await? {
            if let Some(email) = by_id.get(&id) {
                out.entry(email.clone()).or_default().extend(subs);
            }
        }
        Ok(out)
    }

    /// Grants a member a tier until `expires_at` (or until revoked), as staff do for students or sources.
    pub async fn grant_comp(
        &self,
        member_id: i64,
        tier_id: i64,
        expires_at: Option<i64>,
        note: Option<&str>,
        granted_by: &str,
    ) -> StoreResult<i64> {
        let t = now();
        let mut tx = self.write_tx().await?;
        let id = sqlx::query_scalar(
            "INSERT INTO member_subscriptions (member_id, tier_id, source, status, expires_at, note, granted_by,
                created_at, updated_at)
             VALUES ($1, $2, 'comp', 'active', $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(member_id)
        .bind(tier_id)
        .bind(expires_at)
        .bind(note)
        .bind(granted_by)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        member_updated(&mut tx, member_id, "comp_granted", tier_id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Ends a comp now. Returns false when there is no such comp of this member.
    pub async fn revoke_comp(&self, member_id: i64, subscription_id: i64) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let tier: Option<i64> = sqlx::query_scalar(
            "UPDATE member_subscriptions SET status = 'revoked', updated_at = $1
             WHERE id = $2 AND member_id = $3 AND source = 'comp' AND status = 'active' RETURNING tier_id",
        )
        .bind(now())
        .bind(subscription_id)
        .bind(member_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(tier) = tier else { return Ok(false) };
        member_updated(&mut tx, member_id, "comp_revoked", tier).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The latest sign-ins of a member.
    pub async fn member_signins(&self, member_id: i64, limit: i64) -> StoreResult<Vec<SignIn>> {
        Ok(sqlx::query_as(
            "SELECT ip, created_at FROM member_signins WHERE member_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(member_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Members, newest first, filtered (address or name, tier, paid or free, source, signup dates); with the total.
    pub async fn members_page(&self, f: &MemberFilter, page: i64, per_page: i64) -> StoreResult<(Vec<Member>, i64)> {
        use crate::args::{Arg, bind_args, next};
        let mut args = Vec::new();
        let mut sql = vec!["1 = 1".to_owned()];
        let search = f.search.trim().to_lowercase();
        if !search.is_empty() {
            let p = next(&mut args, Arg::S(format!("%{}%", crate::like_escape(&search))));
            sql.push(format!("(m.email LIKE {p} ESCAPE '\\' OR lower(COALESCE(m.name, '')) LIKE {p} ESCAPE '\\')"));
        }
        // What gives a paid tier now (grace after failed payments is left to the member's page).
        let now_p = next(&mut args, Arg::I(now()));
        let live = format!(
            "FROM member_subscriptions s JOIN tiers t ON t.id = s.tier_id WHERE s.member_id = m.id AND t.paid = 1
             AND ((s.source = 'comp' AND s.status = 'active' AND (s.expires_at IS NULL OR s.expires_at > {now_p}))
               OR (s.source = 'stripe' AND s.status IN ('active', 'trialing', 'past_due', 'unpaid')))"
        );
        if let Some(tier) = f.tier.as_deref().filter(|t| !t.is_empty()) {
            let p = next(&mut args, Arg::S(tier.to_owned()));
            sql.push(format!("EXISTS (SELECT 1 {live} AND t.slug = {p})"));
        }
        match f.status.as_deref() {
            Some("paid") => sql.push(format!("EXISTS (SELECT 1 {live})")),
            Some("free") => sql.push(format!("NOT EXISTS (SELECT 1 {live})")),
            Some("comp") => sql.push(format!("EXISTS (SELECT 1 {live} AND s.source = 'comp')")),
            _ => {}
        }
        if let Some(source) = f.source.as_deref().filter(|s| !s.is_empty()) {
            sql.push(format!("m.source = {}", next(&mut args, Arg::S(source.to_owned()))));
        }
        if let Some(from) = f.joined_from {
            sql.push(format!("m.created_at >= {}", next(&mut args, Arg::I(from))));
        }
        if let Some(to) = f.joined_before {
            sql.push(format!("m.created_at < {}", next(&mut args, Arg::I(to))));
        }
        let filter = sql.join(" AND ");
        let total: i64 = bind_args!(
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM members m WHERE {filter}"))),
            &args
        )
        .fetch_one(&self.pool)
        .await?;
        let limit = next(&mut args, Arg::I(per_page));
        let offset = next(&mut args, Arg::I((page.max(1) - 1) * per_page));
        let rows = bind_args!(
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT m.* FROM members m WHERE {filter} ORDER BY m.created_at DESC, m.id DESC LIMIT {limit} OFFSET {offset}"
            ))),
            &args
        )
        .fetch_all(&self.pool)
        .await?;
        Ok((rows, total))
    }

    /// Deletes a member and everything about them: sessions, links, sign-ins, tiers given, and the newsletter
    /// subscriber with the same address (subscriptions and consent records with it). Suppressions stay: an address
    /// that bounced or complained is never mailed again.
    pub async fn delete_member(&self, id: i64) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let email: Option<String> =
            sqlx::query_scalar("SELECT email FROM members WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let Some(email) = email else { return Ok(false) };
        let subscriber: Option<i64> = sqlx::query_scalar("SELECT id FROM subscribers WHERE email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(s) = subscriber {
            crate::subscribers::erase_subscriber(&mut tx, s).await?;
        }
        sqlx::query("DELETE FROM members WHERE id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// Emits `member.updated` (a grant given or taken back) inside the caller's transaction.
async fn member_updated(conn: &mut sqlx::AnyConnection, member_id: i64, change: &str, tier_id: i64) -> StoreResult<()> {
    let tier: Option<String> =
        sqlx::query_scalar("SELECT slug FROM tiers WHERE id = $1").bind(tier_id).fetch_optional(&mut *conn).await?;
    let data = crate::webhooks::member_data(conn, member_id).await?;
    crate::webhooks::emit(conn, "member.updated", serde_json::json!({ "member": data, "change": change, "tier": tier }))
        .await
}

/// What an import of members did.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct MembersImported {
    pub added: usize,
    pub updated: usize,
    pub comps: usize,
}

/// A member as the members CSV lists them.
#[derive(Debug, Clone)]
pub struct MemberExport {
    pub member: Member,
    /// Names of the tiers the member has now.
    pub tiers: Vec<String>,
    pub complimentary: bool,
    pub subscribed_to_emails: bool,
}

impl Store {
    /// Imports members in one transaction (all or nothing): new addresses become members (`source`); existing ones
    /// keep their name and Stripe customer unless they had none. A row's grant (`complimentary_plan`, with tier
    /// names or else the first paid tier) is given once.
    pub async fn import_members(
        &self,
        rows: &[newsdesk_domain::membership::MemberRow],
        source: &str,
        granted_by: &str,
    ) -> StoreResult<MembersImported> {
        let tiers = self.tiers().await?;
        let paid: Vec<&Tier> = tiers.iter().filter(|t| t.is_paid()).collect();
        let mut tx = self.write_tx().await?;
        let mut done = MembersImported::default();
        let t = now();
        for r in rows {
            let existing: Option<i64> = sqlx::query_scalar("SELECT id FROM members WHERE email = $1")
                .bind(&r.email)
                .fetch_optional(&mut *tx)
                .await?;
            let id = match existing {
                Some(id) => {
                    sqlx::query(
                        "UPDATE members SET name = COALESCE(name, $1), note = COALESCE($2, note),
                            stripe_customer_id = COALESCE(stripe_customer_id, $3), updated_at = $4 WHERE id = $5",
                    )
                    .bind(&r.name)
                    .bind(&r.note)
                    .bind(&r.stripe_customer_id)
                    .bind(t)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    done.updated += 1;
                    id
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO members (email, name, note, source, stripe_customer_id, created_at, updated_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(&r.email)
                    .bind(&r.name)
                    .bind(&r.note)
                    .bind(source)
                    .bind(&r.stripe_customer_id)
                    .bind(t)
                    .fetch_one(&mut *tx)
                    .await?;
                    done.added += 1;
                    id
                }
            };
            if r.complimentary {
                let named: Vec<&&Tier> =
                    paid.iter().filter(|p| r.tiers.iter().any(|n| n.eq_ignore_ascii_case(&p.name))).collect();
                let chosen: Vec<i64> = if named.is_empty() {
                    paid.first().map(|p| vec![p.id]).unwrap_or_default()
                } else {
                    named.iter().map(|p| p.id).collect()
                };
                for tier in chosen {
                    let has: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM member_subscriptions WHERE member_id = $1 AND tier_id = $2 AND source = 'comp'
                            AND status = 'active'",
                    )
                    .bind(id)
                    .bind(tier)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if has.is_none() {
                        sqlx::query(
                            "INSERT INTO member_subscriptions (member_id, tier_id, source, status, note, granted_by,
                                created_at, updated_at) VALUES ($1, $2, 'comp', 'active', $3, $4, $5, $5)",
                        )
                        .bind(id)
                        .bind(tier)
                        .bind("imported")
                        .bind(granted_by)
                        .bind(t)
                        .execute(&mut *tx)
                        .await?;
                        done.comps += 1;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(done)
    }

    /// Every member with their tiers now and whether they receive a newsletter (for the members CSV), in three
    /// queries whatever the number of members.
    pub async fn members_for_export(&self, grace_seconds: i64) -> StoreResult<Vec<MemberExport>> {
        let members: Vec<Member> =
            sqlx::query_as("SELECT * FROM members ORDER BY created_at, id").fetch_all(&self.pool).await?;
        let subs: Vec<MemberSubscription> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SUBSCRIPTION_SELECT} ORDER BY s.id")))
                .fetch_all(&self.pool)
                .await?;
        let mailed: std::collections::HashSet<String> = sqlx::query_scalar(
            "SELECT DISTINCT u.email FROM subscribers u JOIN subscriptions s ON s.subscriber_id = u.id
             WHERE s.status = 'confirmed'",
        )
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .collect();
        let mut by_member: std::collections::HashMap<i64, Vec<&MemberSubscription>> = Default::default();
        for s in &subs {
            by_member.entry(s.member_id).or_default().push(s);
        }
        let t = now();
        Ok(members
            .into_iter()
            .map(|m| {
                let live: Vec<&&MemberSubscription> = by_member
                    .get(&m.id)
                    .map(|v| v.iter().filter(|s| s.tier_paid == 1 && s.grants_access(t, grace_seconds)).collect())
                    .unwrap_or_default();
                let mut tiers: Vec<String> = live.iter().map(|s| s.tier_name.clone()).collect();
                tiers.dedup();
                MemberExport {
                    complimentary: live.iter().any(|s| s.source == "comp"),
                    subscribed_to_emails: mailed.contains(&m.email),
                    tiers,
                    member: m,
                }
            })
            .collect())
    }
}
