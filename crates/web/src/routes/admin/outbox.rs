//! The outbox (admins): messages the `outbox` mail transport wrote to `<data>/outbox/` instead of sending them.

use axum::extract::{Path, State};
use axum::response::Response;

use super::page;
use crate::auth::Staff;
use crate::error::AppError;
use crate::state::AppState;

fn header(raw: &str, name: &str) -> Option<String> {
    let head = raw.split("\r\n\r\n").next().unwrap_or(raw);
    let prefix = format!("{}:", name.to_lowercase());
    head.lines().find(|l| l.to_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim().to_owned())
}

fn valid(name: &str) -> bool {
    name.ends_with(".eml")
        && !name.starts_with('.')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

pub async fn list(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "read the outbox")?;
    let mut messages = Vec::new();
    if let Ok(mut dir) = tokio::fs::read_dir(&state.outbox_dir).await {
        while let Ok(Some(entry)) = dir.next_entry().await {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !valid(&name) {
                continue;
            }
            let raw = tokio::fs::read_to_string(entry.path()).await.unwrap_or_default();
            messages.push(serde_json::json!({ "file": name, "to": header(&raw, "To"), "subject": header(&raw, "Subject"), "date": header(&raw, "Date") }));
        }
    }
    messages.sort_by(|a, b| b["file"].as_str().cmp(&a["file"].as_str()));
    messages.truncate(500);
    page(
        &state,
        &staff,
        "admin/outbox.html",
        "outbox",
        None,
        serde_json::json!({ "transport": state.options.mail_transport, "messages": messages }),
    )
}

pub async fn show(State(state): State<AppState>, staff: Staff, Path(file): Path<String>) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_staff(), "read the outbox")?;
    if !valid(&file) {
        return Err(AppError::NotFound);
    }
    let raw = tokio::fs::read_to_string(state.outbox_dir.join(&file)).await.map_err(|_| AppError::NotFound)?;
    page(
        &state,
        &staff,
        "admin/outbox.html",
        "outbox",
        None,
        serde_json::json!({
        "transport": state.options.mail_transport, "message": { "subject": header(&raw, "Subject"), "raw": raw } }),
    )
}
