//! `/api/v1/redirects`: old addresses and where they lead (token with the `taxonomy` scope, editors and above):
//! list and search, add, remove, and CSV in and out, as the admin's Redirects page does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{ApiRedirect, PageMeta, redirect as redirect_json};
use newsdesk_services::redirects;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiAuth, ApiPath, ApiQuery, json_body};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Words in the old or new address.
    q: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

fn allowed(auth: &ApiAuth) -> Result<(), ApiError> {
    if auth.actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("A token with the role {} cannot manage redirects.", auth.actor.role.as_str())))
    }
}

/// A page of redirects.
#[derive(Serialize, ToSchema)]
pub struct RedirectList {
    redirects: Vec<ApiRedirect>,
    meta: PageMeta,
}

/// One redirect.
#[derive(Serialize, ToSchema)]
pub struct RedirectAnswer {
    redirect: Option<ApiRedirect>,
}

/// How many rows an import added.
#[derive(Serialize, ToSchema)]
pub struct Imported {
    imported: u64,
}

/// Redirects, newest first (editors).
#[utoipa::path(get, path = "/redirects", tag = "redirects", params(ListQuery), security(("token" = [])),
    responses((status = 200, description = "A page of redirects", body = RedirectList)))]
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<RedirectList>, ApiError> {
    allowed(&auth)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let page = state.store.list_redirects(q.q.as_deref(), q.page.unwrap_or(1), limit).await?;
    Ok(Json(RedirectList {
        redirects: page.items.iter().map(redirect_json).collect(),
        meta: PageMeta::new(page.page, limit, page.total),
    }))
}

/// A new redirect.
#[derive(Deserialize, ToSchema)]
pub struct NewRedirect {
    /// The old address: a path, or a full URL of the old site.
    from: String,
    /// A path of this site.
    to: String,
    /// 301 (the default), 302, 307 or 308.
    #[serde(default)]
    status: Option<i64>,
}

/// Adds a redirect (editors).
#[utoipa::path(post, path = "/redirects", tag = "redirects", request_body = NewRedirect, security(("token" = [])),
    responses((status = 201, description = "Added", body = RedirectAnswer), (status = 409, description = "`redirect_taken`"),
        (status = 422, description = "`redirect_from_invalid`, `redirect_to_invalid`, `redirect_loop`, `redirect_status_invalid`")))]
#[tracing::instrument(skip_all, name = "api.redirects.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: NewRedirect = json_body(&bytes, "redirect")?;
    let status = b.status.map(|s| s.to_string()).unwrap_or_default();
    let from = redirects::add(&state.store, &auth.actor, &b.from, &b.to, &status).await?;
    let found = state.store.redirect_from(&from).await?;
    Ok((StatusCode::CREATED, Json(RedirectAnswer { redirect: found.as_ref().map(redirect_json) })).into_response())
}

/// Removes a redirect (editors).
#[utoipa::path(delete, path = "/redirects/{id}", tag = "redirects", security(("token" = [])),
    params(("id" = i64, Path, description = "The redirect's id")),
    responses((status = 204, description = "Removed")))]
#[tracing::instrument(skip_all, name = "api.redirects.delete", fields(redirects.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    redirects::remove(&state.store, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every redirect as CSV: `from,to,status,source` (editors).
#[utoipa::path(get, path = "/redirects/export", tag = "redirects", security(("token" = [])),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv")))]
pub async fn export(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    allowed(&auth)?;
    let csv = redirects::export_csv(&state.store).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// Adds the redirects of a CSV body (`from,to[,status]`; a header row is skipped): all rows or none (editors).
#[utoipa::path(post, path = "/redirects/import", tag = "redirects", security(("token" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "Imported", body = Imported), (status = 422, description = "`csv_invalid`, naming the lines")))]
#[tracing::instrument(skip_all, name = "api.redirects.import")]
pub async fn import(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "csv_invalid", "The body is not UTF-8 CSV text."))?;
    match redirects::import_csv(&state.store, &auth.actor, text).await? {
        Ok(n) => Ok(Json(Imported { imported: n }).into_response()),
        Err(refused) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "csv_invalid",
            refused.rows.iter().map(|(line, m)| format!("line {line}: {m}")).collect::<Vec<_>>().join("; "),
        )),
    }
}
