//! The revenue page's figures, each one aggregate query (never a row per member on the request path): recurring
//! revenue, paying and granted members, this month's joins, cancellations, donations and failed payments, and
//! month-by-month series for the charts. Amounts are in minor units of the site's currency; payments in another
//! currency are counted apart (`other_currencies`).

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Store, StoreResult};

#[derive(Debug, Clone, Default, Serialize)]
pub struct RevenueSummary {
    /// Monthly recurring revenue of memberships: live paid subscriptions, yearly ones as a twelfth.
    pub mrr: i64,
    /// What monthly donations bring each month.
    pub monthly_donations: i64,
    /// Members with a live paid subscription (within the grace period after a failed payment).
    pub paid_members: i64,
    /// Of them, in a free trial.
    pub trialing: i64,
    /// Members with a granted (comp) tier and no paid one.
    pub comped_members: i64,
    pub new_this_month: i64,
    pub cancelled_this_month: i64,
    /// Donations paid this month: their sum and how many.
    pub donations_this_month: i64,
    pub donations_count_this_month: i64,
    pub failed_this_month: i64,
    /// Payments this month in another currency than the site's (not in the sums).
    pub other_currencies: i64,
}

/// One month of the charts.
#[derive(Debug, Clone, Serialize)]
pub struct MonthFigures {
    /// The month's first second (in the site's time zone).
    pub start: i64,
    pub memberships: i64,
    pub donations: i64,
    /// Paid subscriptions live at the month's end (or now, for this month).
    pub paid_members: i64,
}

/// `CASE WHEN col < b1 THEN 0 WHEN col < b2 THEN 1 … END`, with the bounds as placeholders from `$first`.
fn bucket(col: &str, bounds: usize, first: usize) -> String {
    let mut s = String::from("CASE");
    for i in 0..bounds {
        s.push_str(&format!(" WHEN {col} < ${} THEN {i}", first + i));
    }
    s.push_str(" END");
    s
}

impl Store {
    /// The figures at `now`, for `currency`; `months` are the charts' month starts, oldest first (the last is this
    /// month's), and `grace_seconds` how long a failed payment keeps a member.
    pub async fn revenue(
        &self,
        currency: &str,
        months: &[i64],
        now: i64,
        grace_seconds: i64,
    ) -> StoreResult<(RevenueSummary, Vec<MonthFigures>)> {
        let month_start = months.last().copied().unwrap_or(now);
        let live = "(s.status IN ('active', 'trialing') OR (s.status IN ('past_due', 'unpaid')
            AND s.past_due_since IS NOT NULL AND s.past_due_since > $2))";
        let (mrr, paid, trialing): (Option<i64>, i64, Option<i64>) = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(SUM(CASE WHEN s.status = 'trialing' THEN 0 WHEN s.cadence = 'year' THEN COALESCE(s.amount, 0) / 12
                    ELSE COALESCE(s.amount, 0) END) AS BIGINT),
                COUNT(DISTINCT s.member_id), CAST(SUM(CASE WHEN s.status = 'trialing' THEN 1 ELSE 0 END) AS BIGINT)
             FROM member_subscriptions s
             WHERE s.source = 'stripe' AND LOWER(COALESCE(s.currency, $1)) = $1 AND {live}"
        )))
        .bind(currency)
        .bind(now - grace_seconds)
        .fetch_one(&self.pool)
        .await?;
        let comped: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(DISTINCT c.member_id) FROM member_subscriptions c
             WHERE c.source = 'comp' AND c.status = 'active' AND (c.expires_at IS NULL OR c.expires_at > $1)
               AND NOT EXISTS (SELECT 1 FROM member_subscriptions s WHERE s.member_id = c.member_id
                    AND s.source = 'stripe' AND {live})"
        )))
        .bind(now)
        .bind(now - grace_seconds)
        .fetch_one(&self.pool)
        .await?;
        let monthly_donations: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(amount + fee) AS BIGINT) FROM donations WHERE cadence = 'month' AND status = 'active' AND currency = $1",
        )
        .bind(currency)
        .fetch_one(&self.pool)
        .await?;
        let (new, cancelled): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(SUM(CASE WHEN created_at >= $1 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN status = 'canceled' AND updated_at >= $1 THEN 1 ELSE 0 END) AS BIGINT)
             FROM member_subscriptions WHERE source = 'stripe' AND (created_at >= $1 OR updated_at >= $1)",
        )
        .bind(month_start)
        .fetch_one(&self.pool)
        .await?;
        let (donated, donations, failed, other): (Option<i64>, Option<i64>, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT CAST(SUM(CASE WHEN status = 'paid' AND donation_id IS NOT NULL AND currency = $2 THEN amount END) AS BIGINT),
                    CAST(SUM(CASE WHEN status = 'paid' AND donation_id IS NOT NULL AND currency = $2 THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN currency <> $2 THEN 1 ELSE 0 END) AS BIGINT)
                 FROM payments WHERE created_at >= $1",
            )
            .bind(month_start)
            .bind(currency)
            .fetch_one(&self.pool)
            .await?;
        let summary = RevenueSummary {
            mrr: mrr.unwrap_or(0),
            monthly_donations: monthly_donations.unwrap_or(0),
            paid_members: paid,
            trialing: trialing.unwrap_or(0),
            comped_members: comped,
            new_this_month: new.unwrap_or(0),
            cancelled_this_month: cancelled.unwrap_or(0),
            donations_this_month: donated.unwrap_or(0),
            donations_count_this_month: donations.unwrap_or(0),
            failed_this_month: failed.unwrap_or(0),
            other_currencies: other.unwrap_or(0),
        };
        let mut series: Vec<MonthFigures> =
            months.iter().map(|&start| MonthFigures { start, memberships: 0, donations: 0, paid_members: 0 }).collect();
        if months.is_empty() {
            return Ok((summary, series));
        }
        // Month ends: the next month's start, and now for the last.
        let ends: Vec<i64> = months.iter().skip(1).copied().chain(std::iter::once(now + 1)).collect();
        let sql = format!(
            "SELECT {} AS month, CAST(SUM(CASE WHEN donation_id IS NULL THEN amount ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN donation_id IS NOT NULL THEN amount ELSE 0 END) AS BIGINT)
             FROM payments WHERE status = 'paid' AND currency = $1 AND created_at >= $2 AND created_at < ${}
             GROUP BY 1",
            bucket("created_at", ends.len(), 3),
            2 + ends.len()
        );
        let mut q = sqlx::query_as::<_, (Option<i64>, Option<i64>, Option<i64>)>(AssertSqlSafe(sql))
            .bind(currency)
            .bind(months[0]);
        for e in &ends {
            q = q.bind(*e);
        }
        for (month, memberships, donations) in q.fetch_all(&self.pool).await? {
            if let Some(m) = month.and_then(|m| series.get_mut(m as usize)) {
                m.memberships = memberships.unwrap_or(0);
                m.donations = donations.unwrap_or(0);
            }
        }
        // Paid members at each month's end: subscriptions begun by then and not ended by then (an ended one's last
        // change is its end). One query: a sum per month end.
        let cols: Vec<String> = (0..ends.len())
            .map(|i| {
                format!(
                    "CAST(SUM(CASE WHEN created_at < ${p} AND (status NOT IN ('canceled', 'incomplete', 'incomplete_expired')
                        OR updated_at >= ${p}) THEN 1 ELSE 0 END) AS BIGINT)",
                    p = i + 1
                )
            })
            .collect();
        let sql = format!(
            "SELECT {} FROM member_subscriptions WHERE source = 'stripe' AND status <> 'incomplete'",
            cols.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for e in &ends {
            q = q.bind(*e);
        }
        let row = q.fetch_one(&self.pool).await?;
        for (i, m) in series.iter_mut().enumerate() {
            m.paid_members = sqlx::Row::try_get::<Option<i64>, _>(&row, i)?.unwrap_or(0);
        }
        Ok((summary, series))
    }
}
