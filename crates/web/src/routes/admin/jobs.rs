//! The job queue as staff see it: counts, recent jobs, errors, and retrying a failed job.

use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::{DoneQuery, check_csrf, flash_text, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let status = q.status.filter(|s| matches!(s.as_str(), "queued" | "running" | "done" | "failed"));
    let jobs = state.store.jobs(status.as_deref(), 200).await?;
    let counts = state.store.job_counts().await?;
    page(
        &state,
        &staff,
        "admin/jobs.html",
        "jobs",
        flash_text(q.done.as_deref()),
        serde_json::json!({ "jobs": jobs, "counts": counts, "status": status }),
    )
}

#[tracing::instrument(skip_all, name = "admin.jobs.retry", fields(jobs.id = id))]
pub async fn retry(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_staff(), "retry jobs")?;
    state.store.retry_job(id).await?;
    Ok(see_other("/admin/jobs?done=retried"))
}
