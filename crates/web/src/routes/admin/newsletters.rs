//! Newsletters (editors and above): name, slug, description, host, sender, reply-to, cadence, visibility and
//! order, with subscriber counts per status and the latest issues.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_services::ServiceError;
use newsdesk_services::newsletters::{self, NewsletterForm};

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;

async fn list_data(
    state: &AppState,
    editing: Option<i64>,
    values: serde_json::Value,
    errors: serde_json::Value,
) -> Result<serde_json::Value, AppError> {
    let counts = state.store.subscription_counts().await?;
    let newsletters: Vec<serde_json::Value> = state
        .store
        .all_newsletters()
        .await?
        .into_iter()
        .map(|n| {
            let mut by_status = serde_json::Map::new();
            for (_, status, count) in counts.iter().filter(|(id, _, _)| *id == n.id) {
                by_status.insert(status.clone(), (*count).into());
            }
            serde_json::json!({ "n": n, "counts": by_status })
        })
        .collect();
    let issues = state.store.issues(None, 20).await?;
    Ok(serde_json::json!({
        "newsletters": newsletters,
        "issues": issues,
        "authors": state.store.authors().await?,
        "site_languages": super::site_languages(&state.site),
        "editing": editing,
        "values": values,
        "errors": errors,
    }))
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    let values = match q.edit {
        Some(id) => serde_json::to_value(state.store.newsletter(id).await?.ok_or(AppError::NotFound)?)
            .map_err(anyhow::Error::from)?,
        None => serde_json::json!({ "visibility": "public" }),
    };
    let data = list_data(&state, q.edit, values, serde_json::json!({})).await?;
    page(&state, &staff, "admin/newsletters.html", "newsletters", flash_text(q.done.as_deref()), data)
}

async fn save(state: &AppState, staff: &Staff, id: Option<i64>, form: FormData) -> Result<Response, AppError> {
    check_csrf(staff, &form)?;
    let newsletter = NewsletterForm {
        name: form.get("name"),
        slug: form.get("slug"),
        description: form.get("description"),
        sender_name: form.get("sender_name"),
        sender_email: form.str("sender_email"),
        reply_to: form.str("reply_to"),
        cadence: form.get("cadence"),
        visibility: form.str("visibility"),
        sort_order: form.str("sort_order"),
        host_author_id: form.str("host_author_id"),
        // Sent only when the site has other languages (the form shows the field then).
        language: form.get("language"),
    };
    let errors = match newsletters::save(state, &staff.actor(), id, &newsletter).await {
        Ok(_) => {
            // Signup forms on cached pages list the public newsletters.
            state.refresh_version().await;
            return Ok(see_other("/admin/newsletters?done=saved"));
        }
        Err(ServiceError::Invalid { errors, .. }) => errors,
        Err(e) => return Err(e.into()),
    };
    let values: serde_json::Map<String, serde_json::Value> =
        form.fields.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect();
    let data = list_data(state, id, serde_json::Value::Object(values), errors_json(&errors)).await?;
    invalid(state, staff, "admin/newsletters.html", "newsletters", data)
}

#[tracing::instrument(skip_all, name = "admin.newsletters.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    save(&state, &staff, None, form).await
}

#[tracing::instrument(skip_all, name = "admin.newsletters.update", fields(newsletters.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    state.store.newsletter(id).await?.ok_or(AppError::NotFound)?;
    save(&state, &staff, Some(id), form).await
}
