//! The revenue page (admins and the owner): recurring revenue, paying members, this month's joins, cancellations,
//! donations and failed payments, and twelve months of charts drawn on the server.

use axum::extract::State;
use axum::response::Response;

use super::page;
use crate::auth::Staff;
use crate::error::AppError;
use crate::state::AppState;

pub async fn show(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "see revenue")?;
    let revenue =
        newsdesk_services::revenue::revenue(&state.ctx, newsdesk_store::now()).await.map_err(AppError::Internal)?;
    page(&state, &staff, "admin/revenue.html", "revenue", None, serde_json::json!({ "r": revenue }))
}
