//! `/api/v1/redirects`: old addresses and where they lead (token with the `taxonomy` scope, editors and above):
//! list and search, add, remove, and CSV in and out, as the admin's Redirects page does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::redirects;
use serde::Deserialize;

use super::{ApiAuth, ApiPath, ApiQuery, json_body};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub struct ListQuery {
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

fn redirect_json(r: &newsdesk_store::redirects::Redirect) -> serde_json::Value {
    serde_json::json!({
        "id": r.id, "from": r.from_path, "to": r.target_path(), "status": r.status, "source": r.source,
        "created_at": super::rfc3339(Some(r.created_at)),
    })
}

/// `GET /redirects?q=&page=&limit=`: newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    allowed(&auth)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let page = state.store.list_redirects(q.q.as_deref(), q.page.unwrap_or(1), limit).await?;
    Ok(Json(serde_json::json!({
        "redirects": page.items.iter().map(redirect_json).collect::<Vec<_>>(),
        "meta": { "page": page.page, "limit": limit, "pages": page.pages(), "total": page.total },
    })))
}

#[derive(Deserialize)]
struct NewRedirect {
    from: String,
    to: String,
    #[serde(default)]
    status: Option<i64>,
}

/// `POST /redirects` `{"from", "to", "status"}`.
#[tracing::instrument(skip_all, name = "api.redirects.create")]
pub async fn create(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let b: NewRedirect = json_body(&bytes, "redirect")?;
    let status = b.status.map(|s| s.to_string()).unwrap_or_default();
    let from = redirects::add(&state.store, &auth.actor, &b.from, &b.to, &status).await?;
    let found = state.store.redirect_from(&from).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "redirect": found.as_ref().map(redirect_json) })))
        .into_response())
}

/// `DELETE /redirects/{id}`.
#[tracing::instrument(skip_all, name = "api.redirects.delete", fields(redirects.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, ApiError> {
    redirects::remove(&state.store, &auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /redirects/export`: every redirect as CSV (`from,to,status,source`).
pub async fn export(State(state): State<AppState>, auth: ApiAuth) -> Result<Response, ApiError> {
    allowed(&auth)?;
    let csv = redirects::export_csv(&state.store).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}

/// `POST /redirects/import` with a CSV body (`from,to[,status]`): all rows or none.
#[tracing::instrument(skip_all, name = "api.redirects.import")]
pub async fn import(State(state): State<AppState>, auth: ApiAuth, bytes: Bytes) -> Result<Response, ApiError> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "csv_invalid", "The body is not UTF-8 CSV text."))?;
    match redirects::import_csv(&state.store, &auth.actor, text).await? {
        Ok(n) => Ok(Json(serde_json::json!({ "imported": n })).into_response()),
        Err(refused) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "csv_invalid",
            refused.rows.iter().map(|(line, m)| format!("line {line}: {m}")).collect::<Vec<_>>().join("; "),
        )),
    }
}
