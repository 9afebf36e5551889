//! Corrections and revisions of a post.
//!
//! Corrections: appended to a published article, never edited or deleted. Revisions: every save is kept; staff see
//! the list, a line diff between any two, and restore one — which saves it again as a new revision, so nothing in
//! between is lost.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::diff::diff_lines;
use serde::Deserialize;

use super::{check_csrf, flash_text, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::posts::{self as content, SaveError};

#[tracing::instrument(skip_all, name = "admin.revisions.add_correction", fields(revisions.id = id))]
pub async fn add_correction(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    content::add_correction(&state.store, &staff.actor(), id, form.str("kind"), form.str("body")).await?;
    state.refresh_version().await;
    Ok(see_other(&format!("/admin/posts/{id}/edit?done=corrected")))
}

#[derive(Deserialize)]
pub struct DiffQuery {
    a: Option<i64>,
    b: Option<i64>,
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<Response, AppError> {
    let post = state.store.post(id).await?.ok_or(AppError::NotFound)?;
    if !content::can_edit(&staff.actor(), &post) {
        return Err(AppError::Forbidden("You cannot see this post's history.".into()));
    }
    let revisions = state.store.revisions(id).await?;
    // Default comparison: the previous revision against the current one.
    let b = q.b.or_else(|| revisions.first().map(|r| r.revision));
    let a = q.a.or_else(|| revisions.get(1).map(|r| r.revision)).or(b);
    let find = |n: Option<i64>| n.and_then(|n| revisions.iter().find(|r| r.revision == n));
    let diff = match (find(a), find(b)) {
        (Some(ra), Some(rb)) => {
            let text = |r: &newsdesk_store::revisions::Revision| {
                format!("# {}\n\n{}\n\n{}", r.title, r.excerpt.clone().unwrap_or_default(), r.body_md)
            };
            Some(diff_lines(&text(ra), &text(rb)))
        }
        _ => None,
    };
    page(
        &state,
        &staff,
        "admin/revisions.html",
        "posts",
        flash_text(q.done.as_deref()),
        serde_json::json!({
            "post": { "id": post.row.id, "title": post.row.title, "revision": post.row.revision, "status": post.row.status },
            "revisions": revisions, "a": a, "b": b, "diff": diff,
        }),
    )
}

#[tracing::instrument(skip_all, name = "admin.revisions.restore")]
pub async fn restore(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, revision)): Path<(i64, i64)>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    if state.store.post(id).await?.is_none() {
        return Err(AppError::BadRequest("That post was deleted, so its revisions cannot be restored.".into()));
    }
    let based_on = form.get("revision").and_then(|r| r.parse().ok());
    match content::restore_revision(&state.store, &state.site, &staff.actor(), id, revision, based_on).await {
        Ok(()) => {
            state.refresh_version().await;
            Ok(see_other(&format!("/admin/posts/{id}/revisions?done=restored")))
        }
        Err(SaveError::Invalid(errs, _)) => Err(AppError::BadRequest(errs.into_values().collect::<Vec<_>>().join(" "))),
        Err(SaveError::Forbidden(m)) => Err(AppError::Forbidden(m)),
        Err(SaveError::NotFound) => {
            Err(AppError::BadRequest(format!("Revision {revision} of this post does not exist.")))
        }
        Err(SaveError::Internal(e)) => Err(AppError::Internal(e)),
    }
}
