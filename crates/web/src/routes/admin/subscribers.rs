//! Subscribers of a newsletter (editors and above): status filter and search, manual add (confirmed with a stated
//! consent source, or sent a confirmation mail) and remove, CSV import and export, and the suppression list.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use newsdesk_store::newsletters::{Consent, Newsletter};
use serde::Deserialize;

use super::{check_csrf, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::ServiceError;
use newsdesk_services::subscribers::ManualAdd;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub status: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub done: Option<String>,
}

async fn newsletter(state: &AppState, staff: &Staff, id: i64) -> Result<Newsletter, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    state.store.newsletter(id).await?.ok_or(AppError::NotFound)
}

fn staff_consent<'a>(staff: &'a Staff, source: &'a str) -> Consent<'a> {
    Consent { ip: None, form_url: Some(&staff.user.email), consent_text: source }
}

async fn list_page(
    state: &AppState,
    staff: &Staff,
    n: &Newsletter,
    q: &ListQuery,
    extra: serde_json::Value,
    status: Option<axum::http::StatusCode>,
) -> Result<Response, AppError> {
    let filter = q.status.as_deref().filter(|s| newsdesk_store::subscribers::STATUSES.contains(s));
    let page_no = q.page.unwrap_or(1).max(1);
    let search = q.q.clone().unwrap_or_default();
    let (rows, total) = state.store.subscriptions(n.id, filter, &search, PER_PAGE, (page_no - 1) * PER_PAGE).await?;
    let mut data = serde_json::json!({
        "newsletter": n,
        "rows": rows,
        "total": total,
        "statuses": newsdesk_store::subscribers::STATUSES,
        "filter": filter,
        "q": search,
        "page": page_no,
        "pages": (total + PER_PAGE - 1) / PER_PAGE,
        "issues": state.store.issues(Some(n.id), 10).await?,
    });
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    match status {
        None => page(state, staff, "admin/subscribers.html", "newsletters", flash_text(q.done.as_deref()), data),
        Some(_) => invalid(state, staff, "admin/subscribers.html", "newsletters", data),
    }
}

/// The subscribers page again, status 422, with what was wrong (`extra`).
async fn rejected(
    state: &AppState,
    staff: &Staff,
    n: &Newsletter,
    extra: serde_json::Value,
) -> Result<Response, AppError> {
    list_page(state, staff, n, &ListQuery::default(), extra, Some(axum::http::StatusCode::UNPROCESSABLE_ENTITY)).await
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let n = newsletter(&state, &staff, id).await?;
    list_page(&state, &staff, &n, &q, serde_json::json!({}), None).await
}

#[tracing::instrument(skip_all, name = "admin.subscribers.add", fields(subscribers.id = id))]
pub async fn add(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let n = newsletter(&state, &staff, id).await?;
    let confirmed = form.get("confirmed").is_some();
    let add = ManualAdd { email: form.str("email"), name: form.str("name"), confirmed, source: form.str("source") };
    match newsdesk_services::subscribers::add_by_hand(&state, &n, &add, &staff.user.email).await {
        Ok(()) => {}
        Err(ServiceError::Invalid { errors, .. }) => {
            let extra = serde_json::json!({ "add_errors": errors, "add_values": { "email": form.str("email"), "name": form.str("name"), "source": form.str("source"), "confirmed": confirmed } });
            return rejected(&state, &staff, &n, extra).await;
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other(&format!("/admin/newsletters/{id}/subscribers?done=added")))
}

#[tracing::instrument(skip_all, name = "admin.subscribers.remove")]
pub async fn remove(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, subscriber)): Path<(i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let n = newsletter(&state, &staff, id).await?;
    state.store.subscriber(subscriber).await?.ok_or(AppError::NotFound)?;
    let words = "Removed by staff.";
    state.store.unsubscribe(subscriber, n.id, "admin_remove", &staff_consent(&staff, words)).await?;
    Ok(see_other(&format!("/admin/newsletters/{id}/subscribers?done=removed")))
}

#[tracing::instrument(skip_all, name = "admin.subscribers.import", fields(subscribers.id = id))]
pub async fn import(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let n = newsletter(&state, &staff, id).await?;
    let confirmed = form.get("confirmed").is_some();
    let skip_invalid = form.get("skip_invalid").is_some();
    let source = form.str("source").trim().chars().take(500).collect::<String>();
    let bad = |message: String, errors: Vec<(usize, String)>| serde_json::json!({ "import_error": message, "import_rows": errors, "import_values": { "source": form.str("source"), "confirmed": confirmed } });
    let Some(file) = form.file.as_ref() else {
        return rejected(&state, &staff, &n, bad("Choose a CSV file.".into(), vec![])).await;
    };
    if source.is_empty() {
        let extra = bad("Say where these addresses came from (the consent source), e.g. \"Subscribers of our old Mailchimp list, exported 2 May\".".into(), vec![]);
        return rejected(&state, &staff, &n, extra).await;
    }
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        let extra =
            bad(format!("{} is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.", file.filename), vec![]);
        return rejected(&state, &staff, &n, extra).await;
    };
    let parsed = match newsdesk_domain::subscribers::parse_import(text) {
        Ok(p) => p,
        Err(e) => {
            return rejected(&state, &staff, &n, bad(format!("{}: {e}", file.filename), vec![])).await;
        }
    };
    if !parsed.errors.is_empty() && !skip_invalid {
        let message = format!(
            "{} row(s) of {} cannot be imported, so nothing was imported. Fix them, or tick \"Import the valid rows and skip the rest\".",
            parsed.errors.len(),
            file.filename
        );
        return rejected(&state, &staff, &n, bad(message, parsed.errors)).await;
    }
    let consent = staff_consent(&staff, &source);
    let report = newsdesk_services::subscribers::import(&state, &n, parsed.rows, confirmed, &consent).await?;
    let (summary, mailed) = (report.summary, report.mailed);
    let result = serde_json::json!({
        "import_result": {
            "added": summary.added, "updated": summary.updated, "suppressed": summary.suppressed,
            "skipped": parsed.errors.len(), "duplicates": parsed.duplicates, "mailed": mailed,
        },
        "import_rows": parsed.errors,
    });
    list_page(&state, &staff, &n, &ListQuery::default(), result, None).await
}

/// Every subscription of the newsletter as CSV (a spreadsheet opens it; an import reads it back).
pub async fn export(State(state): State<AppState>, staff: Staff, Path(id): Path<i64>) -> Result<Response, AppError> {
    let n = newsletter(&state, &staff, id).await?;
    let csv = newsdesk_services::subscribers::export_csv(&state, &n).await?;
    let disposition = format!("attachment; filename=\"{}-subscribers.csv\"", n.slug);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        csv,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct SuppressionQuery {
    pub q: Option<String>,
    pub done: Option<String>,
}

pub async fn suppressions(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<SuppressionQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    let search = q.q.clone().unwrap_or_default();
    let rows = state.store.suppressions(&search, 500).await?;
    page(
        &state,
        &staff,
        "admin/suppressions.html",
        "newsletters",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "rows": rows, "q": search }),
    )
}

#[tracing::instrument(skip_all, name = "admin.subscribers.suppress")]
pub async fn suppress(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    match newsdesk_services::subscribers::suppress(&state, form.str("email"), &staff.user.email).await {
        Ok(()) => {}
        Err(ServiceError::Invalid { errors, .. }) => {
            let rows = state.store.suppressions("", 500).await?;
            return invalid(
                &state,
                &staff,
                "admin/suppressions.html",
                "newsletters",
                serde_json::json!({ "rows": rows, "errors": errors, "values": { "email": form.str("email") } }),
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(see_other("/admin/suppressions?done=suppressed"))
}

#[tracing::instrument(skip_all, name = "admin.subscribers.unsuppress")]
pub async fn unsuppress(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    newsdesk_services::subscribers::unsuppress(&state, form.str("email")).await?;
    Ok(see_other("/admin/suppressions?done=unsuppressed"))
}
