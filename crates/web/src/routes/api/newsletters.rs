//! `/api/v1/newsletters` and their subscribers (token with the `newsletters` scope, editors and above): what a CRM
//! or a signup tool needs — list with filters, add (confirmed on a stated consent source, or sent a confirmation),
//! unsubscribe, and CSV in and out.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::subscribers::{self, ManualAdd};
use newsdesk_store::newsletters::{Consent, Newsletter};
use serde::Deserialize;

use super::{ApiAuth, ApiPath, ApiQuery, json_body};
use crate::error::ApiError;
use crate::state::AppState;

async fn newsletter(state: &AppState, auth: &ApiAuth, slug: &str) -> Result<Newsletter, ApiError> {
    if !auth.actor.role.can_manage_newsletters() {
        return Err(ApiError::forbidden(format!(
            "A token with the role {} cannot manage newsletters.",
            auth.actor.role.as_str()
        )));
    }
    state.store.newsletter_by_slug(slug).await?.ok_or_else(|| ApiError::not_found("newsletter"))
}

/// `GET /newsletters`: every newsletter with its confirmed subscribers.
pub async fn newsletters(State(state): State<AppState>, auth: ApiAuth) -> Result<Json<serde_json::Value>, ApiError> {
    if !auth.actor.role.can_manage_newsletters() {
        return Err(ApiError::forbidden("This token's role cannot manage newsletters."));
    }
    let mut out = Vec::new();
    for n in state.store.all_newsletters().await? {
        let confirmed = state.store.confirmed_count(n.id).await?;
        out.push(serde_json::json!({
            "id": n.id, "slug": n.slug, "name": n.name, "description": n.description, "visibility": n.visibility,
            "cadence": n.cadence, "confirmed_subscribers": confirmed,
        }));
    }
    Ok(Json(serde_json::json!({ "newsletters": out })))
}

#[derive(Deserialize, Default)]
struct NewsletterBody {
    name: Option<String>,
    slug: Option<String>,
    description: Option<String>,
    sender_name: Option<String>,
    sender_email: Option<String>,
    reply_to: Option<String>,
    cadence: Option<String>,
    /// "public" or "hidden".
    visibility: Option<String>,
    sort_order: Option<i64>,
}

async fn save_newsletter(
    state: &AppState,
    auth: &ApiAuth,
    old: Option<&Newsletter>,
    b: &NewsletterBody,
) -> Result<i64, ApiError> {
    let or = |new: &Option<String>, old: Option<&str>| new.clone().or_else(|| old.map(str::to_owned));
    let name = or(&b.name, old.map(|n| n.name.as_str()));
    let slug = or(&b.slug, old.map(|n| n.slug.as_str()));
    let description = or(&b.description, old.and_then(|n| n.description.as_deref()));
    let sender_name = or(&b.sender_name, old.and_then(|n| n.sender_name.as_deref()));
    let sender_email = or(&b.sender_email, old.and_then(|n| n.sender_email.as_deref())).unwrap_or_default();
    let reply_to = or(&b.reply_to, old.and_then(|n| n.reply_to.as_deref())).unwrap_or_default();
    let cadence = or(&b.cadence, old.and_then(|n| n.cadence.as_deref()));
    let visibility = or(&b.visibility, old.map(|n| n.visibility.as_str())).unwrap_or_else(|| "public".into());
    let sort_order = b.sort_order.or(old.map(|n| n.sort_order)).unwrap_or(0).to_string();
    let host = old.and_then(|n| n.host_author_id).map(|h| h.to_string()).unwrap_or_default();
    let form = newsdesk_services::newsletters::NewsletterForm {
        name: name.as_deref(),
        slug: slug.as_deref(),
        description: description.as_deref(),
        sender_name: sender_name.as_deref(),
        sender_email: &sender_email,
        reply_to: &reply_to,
        cadence: cadence.as_deref(),
        visibility: &visibility,
        sort_order: &sort_order,
        host_author_id: &host,
    };
    Ok(newsdesk_services::newsletters::save(state, &auth.actor, old.map(|n| n.id), &form).await?)
}

fn newsletter_json(n: &Newsletter) -> serde_json::Value {
    serde_json::json!({
        "id": n.id, "slug": n.slug, "name": n.name, "description": n.description, "visibility": n.visibility,
        "cadence": n.cadence, "sender_name": n.sender_name, "sender_email": n.sender_email, "reply_to": n.reply_to,
        "sort_order": n.sort_order,
    })
}

/// `POST /newsletters` `{"name", "slug", "description", "sender_name", "sender_email", "reply_to", "cadence",
/// "visibility": "public"|"hidden", "sort_order"}`.
#[tracing::instrument(skip_all, name = "api.newsletters.create")]
pub async fn create_newsletter(
    State(state): State<AppState>,
    auth: ApiAuth,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let b: NewsletterBody = json_body(&bytes, "newsletter")?;
    let id = save_newsletter(&state, &auth, None, &b).await?;
    state.refresh_version().await;
    let n = state.store.newsletter(id).await?.ok_or_else(|| ApiError::not_found("newsletter"))?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "newsletter": newsletter_json(&n) }))).into_response())
}

/// `PATCH /newsletters/{slug}`: absent fields keep their values.
#[tracing::instrument(skip_all, name = "api.newsletters.update")]
pub async fn update_newsletter(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let b: NewsletterBody = json_body(&bytes, "newsletter")?;
    let old = newsletter(&state, &auth, &slug).await?;
    let id = save_newsletter(&state, &auth, Some(&old), &b).await?;
    state.refresh_version().await;
    let n = state.store.newsletter(id).await?.ok_or_else(|| ApiError::not_found("newsletter"))?;
    Ok(Json(serde_json::json!({ "newsletter": newsletter_json(&n) })))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// `GET /newsletters/{slug}/subscribers?status=confirmed&q=&page=&limit=`.
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = status
        && !newsdesk_store::subscribers::STATUSES.contains(&s)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("status is one of {}", newsdesk_store::subscribers::STATUSES.join(", ")),
        ));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let page = q.page.unwrap_or(1).max(1);
    let (rows, total) =
        state.store.subscriptions(n.id, status, q.q.as_deref().unwrap_or(""), limit, (page - 1) * limit).await?;
    let rows: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id, "email": r.email, "name": r.name, "status": r.status,
                "created_at": super::rfc3339(Some(r.created_at)), "confirmed_at": super::rfc3339(r.confirmed_at),
                "unsubscribed_at": super::rfc3339(r.unsubscribed_at),
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "subscribers": rows, "meta": { "page": page, "limit": limit, "pages": ((total + limit - 1) / limit).max(1), "total": total },
    })))
}

#[derive(Deserialize)]
struct AddBody {
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    confirmed: bool,
    #[serde(default)]
    source: String,
}

/// `POST /newsletters/{slug}/subscribers` `{"email", "name", "confirmed", "source"}`.
#[tracing::instrument(skip_all, name = "api.subscribers.add")]
pub async fn add(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let b: AddBody = json_body(&bytes, "subscriber")?;
    let add = ManualAdd { email: &b.email, name: &b.name, confirmed: b.confirmed, source: &b.source };
    subscribers::add_by_hand(&state, &n, &add, &format!("API token \u{201c}{}\u{201d}", auth.token_name)).await?;
    let statuses = state.store.subscription_statuses(&b.email).await?;
    let status = statuses.iter().find(|(s, _)| *s == n.slug).map(|(_, st)| st.clone());
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({ "subscriber": { "email": b.email.trim().to_lowercase(), "status": status } })),
    )
        .into_response())
}

#[derive(Deserialize)]
struct UnsubscribeBody {
    email: String,
}

/// `POST /newsletters/{slug}/subscribers/unsubscribe` `{"email"}`.
#[tracing::instrument(skip_all, name = "api.subscribers.unsubscribe")]
pub async fn unsubscribe(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let b: UnsubscribeBody = json_body(&bytes, "unsubscribe")?;
    let who = state
        .store
        .subscriber_by_email(&b.email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found("subscriber"))?;
    let words = format!("Unsubscribed through the API (token \u{201c}{}\u{201d}).", auth.token_name);
    let consent = Consent { ip: None, form_url: None, consent_text: &words };
    let changed = state.store.unsubscribe(who.id, n.id, "api_unsubscribe", &consent).await?;
    Ok(Json(serde_json::json!({ "unsubscribed": changed })))
}

#[derive(Deserialize, Default)]
pub struct ImportQuery {
    source: Option<String>,
    confirmed: Option<bool>,
    skip_invalid: Option<bool>,
}

/// `POST /newsletters/{slug}/subscribers/import?source=…&confirmed=true` with a CSV body (`email[,name]`).
#[tracing::instrument(skip_all, name = "api.subscribers.import")]
pub async fn import(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    bytes: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let source = q.source.unwrap_or_default();
    if source.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "source: say where these addresses came from (the consent source), e.g. ?source=Old%20Mailchimp%20list.",
        ));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "csv_invalid", "The body is not UTF-8 CSV text."))?;
    let parsed = newsdesk_domain::subscribers::parse_import(text)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "csv_invalid", e))?;
    if !parsed.errors.is_empty() && !q.skip_invalid.unwrap_or(false) {
        let lines: Vec<String> = parsed.errors.iter().map(|(l, m)| format!("line {l}: {m}")).collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "csv_invalid",
            format!("nothing was imported: {}", lines.join("; ")),
        ));
    }
    let by = format!("API token \u{201c}{}\u{201d}", auth.token_name);
    let consent = Consent { ip: None, form_url: Some(&by), consent_text: source.trim() };
    let report = subscribers::import(&state, &n, parsed.rows, q.confirmed.unwrap_or(false), &consent).await?;
    Ok(Json(serde_json::json!({
        "added": report.summary.added, "updated": report.summary.updated, "suppressed": report.summary.suppressed,
        "skipped": parsed.errors.len(), "duplicates": parsed.duplicates, "mailed": report.mailed,
    })))
}

/// `GET /newsletters/{slug}/subscribers/export`: CSV, as the admin's export.
pub async fn export(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let csv = subscribers::export_csv(&state, &n).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}
