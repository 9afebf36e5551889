//! The revenue page: this month's figures and the last twelve months as server-drawn SVG charts (membership and
//! donation income stacked; paid members at each month's end). Months are the site's time zone's.

use newsdesk_domain::membership::format_price;
use newsdesk_render::charts::{Bar, bar_chart};
use newsdesk_store::revenue::RevenueSummary;

use crate::Context;

/// What the page shows.
#[derive(Debug, serde::Serialize)]
pub struct Revenue {
    pub summary: RevenueSummary,
    /// The summary's sums as money.
    pub mrr: String,
    pub monthly_donations: String,
    pub donations_this_month: String,
    pub currency: String,
    /// The charts, as SVG markup made here (labels escaped).
    pub income_chart: String,
    pub members_chart: String,
    /// The same figures as a table, month by month, for those who cannot see the charts.
    pub months: Vec<serde_json::Value>,
}

/// The starts of the last `n` months up to this one (oldest first), in `tz`, at `now`.
pub fn month_starts(tz: &jiff::tz::TimeZone, now: i64, n: usize) -> Vec<i64> {
    let Ok(ts) = jiff::Timestamp::from_second(now) else { return Vec::new() };
    let today = ts.to_zoned(tz.clone()).date();
    let first = today.first_of_month();
    let mut out: Vec<i64> = (0..n as i32)
        .filter_map(|back| first.checked_sub(jiff::Span::new().months(back)).ok())
        .filter_map(|d| d.to_zoned(tz.clone()).ok())
        .map(|z| z.timestamp().as_second())
        .collect();
    out.reverse();
    out
}

pub async fn revenue(ctx: &Context, now: i64) -> anyhow::Result<Revenue> {
    let tz = ctx.site.timezone.tz().clone();
    let currency = ctx.options.payments.currency.to_lowercase();
    let months = month_starts(&tz, now, 12);
    let (summary, series) = ctx.store.revenue(&currency, &months, now, ctx.options.payments.grace_seconds()).await?;
    let label = |start: i64| {
        jiff::Timestamp::from_second(start)
            .map(|t| t.to_zoned(tz.clone()).strftime("%b %y").to_string())
            .unwrap_or_default()
    };
    let labels: Vec<String> = series.iter().map(|m| label(m.start)).collect();
    let money = |v: i64| format_price(v, &currency);
    let memberships: Vec<Bar> = series
        .iter()
        .zip(&labels)
        .map(|(m, l)| Bar { label: l, value: m.memberships, text: money(m.memberships) })
        .collect();
    let donations: Vec<Bar> = series
        .iter()
        .zip(&labels)
        .map(|(m, l)| Bar { label: l, value: m.donations, text: money(m.donations) })
        .collect();
    let members: Vec<Bar> = series
        .iter()
        .zip(&labels)
        .map(|(m, l)| Bar { label: l, value: m.paid_members, text: m.paid_members.to_string() })
        .collect();
    let income_chart = bar_chart(
        "income",
        "Income by month: memberships and donations",
        &memberships,
        Some((&donations, ["Memberships", "Donations"])),
    );
    let members_chart = bar_chart("members", "Paid members at each month's end", &members, None);
    let months_table = series
        .iter()
        .zip(&labels)
        .map(|(m, l)| {
            serde_json::json!({ "label": l, "memberships": money(m.memberships), "donations": money(m.donations),
                "paid_members": m.paid_members })
        })
        .collect();
    Ok(Revenue {
        mrr: money(summary.mrr),
        monthly_donations: money(summary.monthly_donations),
        donations_this_month: money(summary.donations_this_month),
        summary,
        currency: currency.to_uppercase(),
        income_chart,
        members_chart,
        months: months_table,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn months_start_at_midnight_in_the_site_zone() {
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        // 2026-03-15 12:00 UTC.
        let starts = super::month_starts(&tz, 1_773_576_000, 3);
        let days: Vec<String> = starts
            .iter()
            .map(|s| jiff::Timestamp::from_second(*s).unwrap().to_zoned(tz.clone()).strftime("%F %T").to_string())
            .collect();
        assert_eq!(days, ["2026-01-01 00:00:00", "2026-02-01 00:00:00", "2026-03-01 00:00:00"]);
    }
}
