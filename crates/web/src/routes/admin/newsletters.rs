//! Newsletters (editors and above): name, slug, description, host, sender, reply-to, cadence, visibility and
//! order, with subscriber counts per status and the latest issues.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::text::{optional, single_line};
use newsdesk_domain::{EmailAddress, Slug};
use newsdesk_store::StoreError;
use newsdesk_store::newsletters::NewsletterInput;

use super::{DoneQuery, check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
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

fn optional_address(field: &'static str, raw: &str, errors: &mut FieldErrors) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match EmailAddress::parse(field, raw) {
        Ok(a) => Some(a.as_str().to_owned()),
        Err(e) => {
            errors.insert(e.field, e.message);
            None
        }
    }
}

async fn save(state: &AppState, staff: &Staff, id: Option<i64>, form: FormData) -> Result<Response, AppError> {
    check_csrf(staff, &form)?;
    staff.require(staff.role.can_manage_newsletters(), "manage newsletters")?;
    let mut errors = FieldErrors::new();
    let mut text = |field: &'static str, max: usize, one_line: bool| {
        let value =
            if one_line { single_line(field, form.get(field), max) } else { optional(field, form.get(field), max) };
        value.map_err(|e| errors.insert(e.field, e.message)).ok().flatten()
    };
    let name = text("name", 120, true);
    let description = text("description", 1000, false);
    let sender_name = text("sender_name", 120, true);
    let cadence = text("cadence", 60, true);
    if name.is_none() {
        errors.entry("name").or_insert_with(|| "Give the newsletter a name.".into());
    }
    let slug = match form.get("slug").map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse("slug", s).map_err(|e| errors.insert(e.field, e.message)).ok(),
        None => name.as_deref().and_then(Slug::from_text),
    };
    let sender_email = optional_address("sender_email", form.str("sender_email"), &mut errors);
    let reply_to = optional_address("reply_to", form.str("reply_to"), &mut errors);
    let visibility = match form.str("visibility") {
        v @ ("public" | "hidden") => v,
        _ => {
            errors.insert("visibility", "Choose public or hidden.".into());
            "public"
        }
    };
    let sort_order = match form.str("sort_order").trim() {
        "" => 0,
        s => s.parse::<i64>().unwrap_or_else(|_| {
            errors.insert("sort_order", "The order is a whole number.".into());
            0
        }),
    };
    let host_author_id = match form.str("host_author_id") {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(aid) if state.store.author(aid).await?.is_some() => Some(aid),
            _ => {
                errors.insert("host_author_id", "Choose a host from the list.".into());
                None
            }
        },
    };
    if let (true, Some(name), Some(slug)) = (errors.is_empty(), &name, &slug) {
        let input = NewsletterInput {
            slug: slug.as_str(),
            name,
            description: description.as_deref(),
            host_author_id,
            sender_name: sender_name.as_deref(),
            sender_email: sender_email.as_deref(),
            reply_to: reply_to.as_deref(),
            cadence: cadence.as_deref(),
            visibility,
            sort_order,
        };
        let result = match id {
            Some(id) => state.store.update_newsletter(id, &input).await,
            None => state.store.create_newsletter(&input).await.map(|_| ()),
        };
        match result {
            Ok(()) => {
                // Signup forms on cached pages list the public newsletters.
                state.refresh_version().await;
                return Ok(see_other("/admin/newsletters?done=saved"));
            }
            Err(StoreError::Conflict { field, message }) => {
                errors.insert(field, message);
            }
            Err(e) => return Err(e.into()),
        }
    }
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
