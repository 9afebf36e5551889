//! Members (admins and the owner): the list with search, a member's page (tiers and where they come from, grants
//! by staff, newsletters, sign-ins), adding a member by hand, granting and revoking a tier ("comp"), deleting.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::{DoneQuery, check_csrf, flash_text, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_store::members::{MEMBER_SOURCES, MEMBER_STATUSES};

const PER_PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    tier: Option<String>,
    status: Option<String>,
    source: Option<String>,
    /// Joined on or after (YYYY-MM-DD, the site's time zone).
    from: Option<String>,
    /// Joined on or before.
    to: Option<String>,
    page: Option<i64>,
    done: Option<String>,
    error: Option<String>,
}

/// A day's start in the site's zone (`next_day`: the day after's), or `None` for an empty or malformed date.
fn day(state: &AppState, text: Option<&str>, next_day: bool) -> Option<i64> {
    let d: jiff::civil::Date = text?.trim().parse().ok()?;
    let d = if next_day { d.tomorrow().ok()? } else { d };
    d.to_zoned(state.site.timezone.tz().clone()).ok().map(|z| z.timestamp().as_second())
}

fn require(staff: &Staff) -> Result<(), AppError> {
    staff.require(staff.role.can_manage_staff(), "manage members")
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    require(&staff)?;
    let search = q.q.clone().unwrap_or_default();
    let page_no = q.page.unwrap_or(1).max(1);
    let filter = newsdesk_store::members::MemberFilter {
        search: search.clone(),
        tier: q.tier.clone().filter(|t| !t.is_empty()),
        status: q.status.clone().filter(|s| MEMBER_STATUSES.contains(&s.as_str())),
        source: q.source.clone().filter(|s| MEMBER_SOURCES.contains(&s.as_str())),
        joined_from: day(&state, q.from.as_deref(), false),
        joined_before: day(&state, q.to.as_deref(), true),
    };
    let (members, total) = state.store.members_page(&filter, page_no, PER_PAGE).await?;
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let paid_tiers: Vec<_> = state.store.tiers().await?.into_iter().filter(|t| t.is_paid()).collect();
    // The filters again, for the pages' links.
    let query: String = [
        ("q", &q.q),
        ("tier", &q.tier),
        ("status", &q.status),
        ("source", &q.source),
        ("from", &q.from),
        ("to", &q.to),
    ]
    .iter()
    .filter_map(|(k, v)| {
        v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("&{k}={}", crate::auth::session::urlencode(v)))
    })
    .collect();
    page(
        &state,
        &staff,
        "admin/members.html",
        "members",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "members": members, "total": total, "q": search, "page": page_no, "pages": pages,
            "error": q.error, "paid_tiers": paid_tiers, "query": query,
            "f": { "tier": q.tier, "status": q.status, "source": q.source, "from": q.from, "to": q.to } }),
    )
}

/// Adds a member by hand (an account with only an address; they sign in with a link when they want to).
#[tracing::instrument(skip_all, name = "admin.members.add")]
pub async fn add(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let Ok(address) = newsdesk_domain::EmailAddress::parse("email", form.str("email")) else {
        return Ok(see_other("/admin/members?error=email"));
    };
    let (m, _) = state.store.find_or_create_member(address.as_str(), "staff").await?;
    tracing::info!(member.id = m.id, by.user.id = staff.user.id, "member added by staff");
    Ok(see_other(&format!("/admin/members/{}?done=added", m.id)))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    require(&staff)?;
    member_page(&state, &staff, id, flash_text(q.done.as_deref()), None).await
}

/// A member's page; with `errors`, the grant form's messages beside its fields (422).
async fn member_page(
    state: &AppState,
    staff: &Staff,
    id: i64,
    flash: Option<&str>,
    errors: Option<(&crate::forms::FieldErrors, serde_json::Value)>,
) -> Result<Response, AppError> {
    let member = state.store.member(id).await?.ok_or(AppError::NotFound)?;
    let subs = state.store.member_subscriptions(id).await?;
    let now = newsdesk_store::now();
    let grace = state.options.payments.grace_seconds();
    let subscriptions: Vec<serde_json::Value> =
        subs.iter().map(|s| serde_json::json!({ "s": s, "gives_access": s.grants_access(now, grace) })).collect();
    let access = newsdesk_services::members::access_from(&subs, grace);
    let paid_tiers: Vec<_> = state.store.tiers().await?.into_iter().filter(|t| t.is_paid()).collect();
    let data = serde_json::json!({
        "member": member, "subscriptions": subscriptions, "paid_tiers": paid_tiers,
        "access": match access { newsdesk_domain::Access::Member { paid_tiers } => paid_tiers, _ => Vec::new() },
        "newsletters": state.store.subscription_statuses(&member.email).await?,
        "signins": state.store.member_signins(id, 20).await?,
        "payments": state.store.member_payments(id).await?.iter().map(|p| serde_json::json!({
            "p": p, "amount": newsdesk_domain::membership::format_price(p.amount, &p.currency) })).collect::<Vec<_>>(),
        "donations": state.store.member_donations(id).await?.iter().map(|d| serde_json::json!({
            "d": d, "amount": newsdesk_domain::membership::format_price(d.charge(), &d.currency),
            "fee": newsdesk_domain::membership::format_price(d.fee, &d.currency) })).collect::<Vec<_>>(),
        "consent": state.store.consent_ledger_for(&member.email).await?,
        "errors": errors.as_ref().map(|(e, _)| super::errors_json(e)),
        "values": errors.as_ref().map(|(_, v)| v.clone()).unwrap_or_default(),
    });
    match errors {
        Some(_) => super::invalid(state, staff, "admin/member.html", "members", data),
        None => page(state, staff, "admin/member.html", "members", flash, data),
    }
}

/// Grants a paid tier, until a date (in the site's time zone) or until revoked, with a note saying why.
#[tracing::instrument(skip_all, name = "admin.members.comp")]
pub async fn grant(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let values = serde_json::json!({ "tier": form.str("tier"), "until": form.str("until"), "note": form.str("note") });
    let tier = form.get("tier").and_then(|t| t.parse::<i64>().ok());
    let granted = newsdesk_services::members::grant_tier(
        &state.ctx,
        &staff.actor(),
        id,
        tier,
        form.str("until"),
        form.str("note"),
        &staff.user.email,
    )
    .await;
    match granted {
        Ok(()) => {}
        Err(newsdesk_services::ServiceError::Invalid { errors, .. }) => {
            return member_page(&state, &staff, id, None, Some((&errors, values))).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/admin/members/{id}?done=added")))
}

pub async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, sid)): Path<(i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    if !state.store.revoke_comp(id, sid).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(member.id = id, subscription.id = sid, by.user.id = staff.user.id, "granted tier revoked");
    Ok(see_other(&format!("/admin/members/{id}?done=revoked")))
}

pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let member = state.store.member(id).await?.ok_or(AppError::NotFound)?;
    newsdesk_services::members::delete_account(&state.ctx, &member).await?;
    Ok(see_other("/admin/members?done=deleted"))
}

/// Every member as Ghost's members CSV.
pub async fn export(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    use axum::response::IntoResponse;
    require(&staff)?;
    let csv = newsdesk_services::members::export_csv(&state.ctx).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"members.csv\""),
        ],
        csv,
    )
        .into_response())
}

/// Imports a members CSV (Ghost's export, or a file with an `email` column). A file with a bad row imports
/// nothing unless told to skip bad rows; each is listed by its line.
#[tracing::instrument(skip_all, name = "admin.members.import")]
pub async fn import(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    require(&staff)?;
    let again = |message: String, rows: Vec<(usize, String)>| {
        let state = state.clone();
        let staff = staff.clone();
        async move {
            let (members, total) = state.store.members_page(&Default::default(), 1, PER_PAGE).await?;
            super::invalid(
                &state,
                &staff,
                "admin/members.html",
                "members",
                serde_json::json!({ "members": members, "total": total, "q": "", "page": 1, "pages": 1,
                    "import_error": message, "import_rows": rows }),
            )
        }
    };
    let Some(file) = form.file.as_ref() else { return again("Choose a CSV file.".into(), vec![]).await };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        return again(format!("{} is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.", file.filename), vec![])
            .await;
    };
    let parsed = match newsdesk_domain::membership::parse_members_csv(text) {
        Ok(p) => p,
        Err(e) => return again(format!("{}: {e}", file.filename), vec![]).await,
    };
    if !parsed.errors.is_empty() && form.get("skip_invalid").is_none() {
        let n = parsed.errors.len();
        return again(
            format!("{n} row(s) have problems; nothing was imported. Fix them, or tick “skip bad rows”."),
            parsed.errors,
        )
        .await;
    }
    let done = state.store.import_members(&parsed.rows, "import", &staff.user.email).await?;
    tracing::info!(
        added = done.added,
        updated = done.updated,
        comps = done.comps,
        by.user.id = staff.user.id,
        "members imported"
    );
    let (members, total) = state.store.members_page(&Default::default(), 1, PER_PAGE).await?;
    page(
        &state,
        &staff,
        "admin/members.html",
        "members",
        None,
        serde_json::json!({ "members": members, "total": total, "q": "", "page": 1, "pages": ((total + PER_PAGE - 1) / PER_PAGE).max(1),
            "import_done": { "added": done.added, "updated": done.updated, "comps": done.comps,
                "skipped": parsed.errors.len(), "duplicates": parsed.duplicates } }),
    )
}
