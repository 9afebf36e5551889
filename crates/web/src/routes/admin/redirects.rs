//! Redirects (editors and above): old addresses that lead to new ones — those importers and slug changes added, and
//! those staff add here one by one or as CSV.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use newsdesk_services::ServiceError;
use newsdesk_services::redirects;
use serde::Deserialize;

use super::{check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

const PER_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    pub q: Option<String>,
    pub page: Option<i64>,
    pub done: Option<String>,
}

async fn list_data(state: &AppState, q: &ListQuery, extra: serde_json::Value) -> Result<serde_json::Value, AppError> {
    let list = state.store.list_redirects(q.q.as_deref(), q.page.unwrap_or(1), PER_PAGE).await?;
    let rows: Vec<serde_json::Value> = list
        .items
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id, "from": r.from_path, "to": r.target_label(), "live": r.target_path().is_some(),
                "status": r.status, "source": r.source,
            })
        })
        .collect();
    let mut data = serde_json::json!({
        "redirects": rows, "total": list.total, "page": list.page, "pages": list.pages(), "q": q.q.clone().unwrap_or_default(),
    });
    if let (Some(d), serde_json::Value::Object(extra)) = (data.as_object_mut(), extra) {
        d.extend(extra);
    }
    Ok(data)
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_taxonomy(), "manage redirects")?;
    let flash = match q.done.as_deref() {
        Some(d) if d.starts_with("imported-") => Some("Redirects imported."),
        other => flash_text(other),
    };
    let data = list_data(&state, &q, serde_json::json!({ "values": {} })).await?;
    page(&state, &staff, "admin/redirects.html", "redirects", flash, data)
}

#[tracing::instrument(skip_all, name = "admin.redirects.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    match redirects::add(&state.store, &staff.actor(), form.str("from_path"), form.str("to_path"), form.str("status"))
        .await
    {
        Ok(_) => Ok(see_other("/admin/redirects?done=added")),
        Err(ServiceError::Invalid { errors, .. }) => {
            let values = serde_json::json!({ "from_path": form.str("from_path"), "to_path": form.str("to_path"), "status": form.str("status") });
            let extra = serde_json::json!({ "values": values, "errors": errors_json(&errors) });
            invalid(
                &state,
                &staff,
                "admin/redirects.html",
                "redirects",
                list_data(&state, &ListQuery::default(), extra).await?,
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[tracing::instrument(skip_all, name = "admin.redirects.delete", fields(redirects.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    redirects::remove(&state.store, &staff.actor(), id).await?;
    Ok(see_other("/admin/redirects?done=removed"))
}

/// Every redirect as CSV (`from,to,status,source`), which the import reads back.
pub async fn export(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_taxonomy(), "manage redirects")?;
    let csv = redirects::export_csv(&state.store).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"redirects.csv\""),
        ],
        csv,
    )
        .into_response())
}

#[tracing::instrument(skip_all, name = "admin.redirects.import")]
pub async fn import(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let refuse = |message: String, rows: Vec<(usize, String)>| serde_json::json!({ "values": {}, "import_error": message, "import_rows": rows });
    let Some(file) = form.file.as_ref() else {
        let data = list_data(&state, &ListQuery::default(), refuse("Choose a CSV file.".into(), vec![])).await?;
        return invalid(&state, &staff, "admin/redirects.html", "redirects", data);
    };
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        let msg = format!("{} is not UTF-8 text. Save it as \"CSV UTF-8\" and try again.", file.filename);
        let data = list_data(&state, &ListQuery::default(), refuse(msg, vec![])).await?;
        return invalid(&state, &staff, "admin/redirects.html", "redirects", data);
    };
    let extra = match redirects::import_csv(&state.store, &staff.actor(), text).await {
        Ok(Ok(n)) => return Ok(see_other(&format!("/admin/redirects?done=imported-{n}"))),
        Ok(Err(refused)) => refuse(
            format!(
                "{} row(s) of {} cannot be read, so nothing was imported. Each row is from,to[,status].",
                refused.rows.len(),
                file.filename
            ),
            refused.rows,
        ),
        Err(ServiceError::Invalid { errors, .. }) => {
            refuse(format!("{}: {}", file.filename, errors.into_values().next().unwrap_or_default()), vec![])
        }
        Err(e) => return Err(e.into()),
    };
    let data = list_data(&state, &ListQuery::default(), extra).await?;
    invalid(&state, &staff, "admin/redirects.html", "redirects", data)
}
