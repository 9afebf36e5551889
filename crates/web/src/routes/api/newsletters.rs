//! `/api/v1/newsletters` and their subscribers (token with the `newsletters` scope, editors and above): what a CRM
//! or a signup tool needs — list with filters, add (confirmed on a stated consent source, or sent a confirmation),
//! unsubscribe, and CSV in and out.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{self, ApiNewsletter, ApiSubscriber, PageMeta};
use newsdesk_services::subscribers::{self, ManualAdd};
use newsdesk_store::newsletters::{Consent, Newsletter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiAuth, ApiPath, ApiQuery, json_body};
use crate::error::ApiError;
use crate::state::AppState;

/// Who made a change, as the consent ledger records it.
fn by_token(auth: &ApiAuth) -> String {
    format!("API token \u{201c}{}\u{201d}", auth.token_name)
}

async fn newsletter(state: &AppState, auth: &ApiAuth, slug: &str) -> Result<Newsletter, ApiError> {
    if !auth.actor.role.can_manage_newsletters() {
        return Err(ApiError::forbidden(format!(
            "A token with the role {} cannot manage newsletters.",
            auth.actor.role.as_str()
        )));
    }
    state.store.newsletter_by_slug(slug).await?.ok_or_else(|| ApiError::not_found("newsletter"))
}

/// Every newsletter.
#[derive(Serialize, ToSchema)]
pub struct NewsletterList {
    newsletters: Vec<ApiNewsletter>,
}

/// One newsletter.
#[derive(Serialize, ToSchema)]
pub struct NewsletterAnswer {
    newsletter: ApiNewsletter,
}

/// A page of a newsletter's subscribers.
#[derive(Serialize, ToSchema)]
pub struct SubscriberList {
    subscribers: Vec<ApiSubscriber>,
    meta: PageMeta,
}

/// One subscriber of the newsletter.
#[derive(Serialize, ToSchema)]
pub struct SubscriberAnswer {
    subscriber: ApiSubscriber,
}

/// Whether an unsubscribe changed anything.
#[derive(Serialize, ToSchema)]
pub struct Unsubscribed {
    /// False when the address had nothing to end.
    unsubscribed: bool,
}

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportAnswer {
    added: i64,
    updated: i64,
    suppressed: i64,
    /// Rows with errors left out (with `skip_invalid`).
    skipped: usize,
    /// Addresses that appeared more than once.
    duplicates: usize,
    /// Confirmation mails queued (imports that are not confirmed).
    mailed: usize,
}

/// Every newsletter with its count of confirmed subscribers (editors).
#[utoipa::path(get, path = "/newsletters", tag = "newsletters", security(("token" = [])),
    responses((status = 200, description = "Newsletters", body = NewsletterList)))]
pub async fn newsletters(State(state): State<AppState>, auth: ApiAuth) -> Result<Json<NewsletterList>, ApiError> {
    if !auth.actor.role.can_manage_newsletters() {
        return Err(ApiError::forbidden("This token's role cannot manage newsletters."));
    }
    let mut newsletters = Vec::new();
    for n in state.store.all_newsletters().await? {
        let confirmed = state.store.confirmed_count(n.id).await?;
        newsletters.push(api_views::newsletter(&state, &n, Some(confirmed)));
    }
    Ok(Json(NewsletterList { newsletters }))
}

/// A newsletter's fields; on a change, absent fields keep their value.
#[derive(Deserialize, Default, ToSchema)]
pub struct NewsletterBody {
    name: Option<String>,
    /// Made from the name when absent.
    slug: Option<String>,
    description: Option<String>,
    sender_name: Option<String>,
    sender_email: Option<String>,
    reply_to: Option<String>,
    cadence: Option<String>,
    /// "public" or "hidden".
    visibility: Option<String>,
    sort_order: Option<i64>,
    /// BCP 47: the site's language (or "") or one of `[site] languages`; kept when absent.
    language: Option<String>,
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
        language: b.language.as_deref(),
    };
    Ok(newsdesk_services::newsletters::save(state, &auth.actor, old.map(|n| n.id), &form).await?)
}

/// A new newsletter (editors); a hidden one is not offered on the signup forms.
#[utoipa::path(post, path = "/newsletters", tag = "newsletters", request_body = NewsletterBody, security(("token" = [])),
    responses((status = 201, description = "Made", body = NewsletterAnswer), (status = 422, description = "A field is not valid")))]
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
    Ok((StatusCode::CREATED, Json(NewsletterAnswer { newsletter: api_views::newsletter(&state, &n, None) }))
        .into_response())
}

/// Changes a newsletter (editors); absent fields keep their value.
#[utoipa::path(patch, path = "/newsletters/{slug}", tag = "newsletters", request_body = NewsletterBody, security(("token" = [])),
    params(("slug" = String, Path, description = "The newsletter's slug")),
    responses((status = 200, description = "Changed", body = NewsletterAnswer)))]
#[tracing::instrument(skip_all, name = "api.newsletters.update")]
pub async fn update_newsletter(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Json<NewsletterAnswer>, ApiError> {
    let b: NewsletterBody = json_body(&bytes, "newsletter")?;
    let old = newsletter(&state, &auth, &slug).await?;
    let id = save_newsletter(&state, &auth, Some(&old), &b).await?;
    state.refresh_version().await;
    let n = state.store.newsletter(id).await?.ok_or_else(|| ApiError::not_found("newsletter"))?;
    Ok(Json(NewsletterAnswer { newsletter: api_views::newsletter(&state, &n, None) }))
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// "pending", "confirmed", "unsubscribed", "bounced" or "complained".
    status: Option<String>,
    /// Any part of the address or name (`_` and `%` are plain characters).
    q: Option<String>,
    page: Option<i64>,
    limit: Option<i64>,
}

/// A newsletter's subscribers, newest first, by status and search (editors).
#[utoipa::path(get, path = "/newsletters/{slug}/subscribers", tag = "subscribers", params(ListQuery,
        ("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 200, description = "A page of subscribers", body = SubscriberList)))]
pub async fn list(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<SubscriberList>, ApiError> {
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
    let subscribers = rows.iter().map(api_views::subscriber).collect();
    Ok(Json(SubscriberList { subscribers, meta: PageMeta::new(page, limit, total) }))
}

/// Someone to add to the newsletter.
#[derive(Deserialize, ToSchema)]
pub struct AddBody {
    email: String,
    #[serde(default)]
    name: String,
    /// True adds them confirmed (say where they agreed in `source`); false sends a confirmation mail.
    #[serde(default)]
    confirmed: bool,
    /// Where they agreed to receive it: the consent ledger keeps it.
    #[serde(default)]
    source: String,
}

async fn subscriber_answer(state: &AppState, n: &Newsletter, id: i64) -> Result<SubscriberAnswer, ApiError> {
    let row = state.store.subscription(n.id, id).await?.ok_or_else(|| ApiError::not_found("subscriber"))?;
    Ok(SubscriberAnswer { subscriber: api_views::subscriber(&row) })
}

/// Adds someone: confirmed on a stated consent source, or sent a confirmation mail (editors).
#[utoipa::path(post, path = "/newsletters/{slug}/subscribers", tag = "subscribers", request_body = AddBody,
    params(("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 201, description = "Added (or, for an address already there, updated)", body = SubscriberAnswer),
        (status = 422, description = "`email_invalid`; `invalid` for a confirmed add without a source, or a suppressed address")))]
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
    subscribers::add_by_hand(&state, &n, &add, &by_token(&auth)).await?;
    let who = state
        .store
        .subscriber_by_email(&b.email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found("subscriber"))?;
    Ok((StatusCode::CREATED, Json(subscriber_answer(&state, &n, who.id).await?)).into_response())
}

/// A change to a subscriber; absent fields keep their value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriberChange {
    /// The name; "" clears it.
    name: Option<String>,
    /// "confirmed" (needs `source`) or "unsubscribed".
    status: Option<String>,
    /// For "confirmed": where they agreed to receive it.
    source: Option<String>,
}

/// Changes a subscriber's name, confirms them on a stated consent source, or unsubscribes them (editors).
#[utoipa::path(patch, path = "/newsletters/{slug}/subscribers/{id}", tag = "subscribers", request_body = SubscriberChange,
    params(("slug" = String, Path, description = "The newsletter's slug"), ("id" = i64, Path, description = "The subscriber's id")),
    security(("token" = [])),
    responses((status = 200, description = "Changed", body = SubscriberAnswer),
        (status = 422, description = "`invalid`: an unknown status, a confirmation without a source, a suppressed address")))]
#[tracing::instrument(skip_all, name = "api.subscribers.update")]
pub async fn update(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath((slug, id)): ApiPath<(String, i64)>,
    bytes: Bytes,
) -> Result<Json<SubscriberAnswer>, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let b: SubscriberChange = json_body(&bytes, "subscriber")?;
    let row = state.store.subscription(n.id, id).await?.ok_or_else(|| ApiError::not_found("subscriber"))?;
    let name = b.name.as_deref().map(str::trim).map(|s| s.chars().take(200).collect::<String>());
    if let Some(s) = name.as_deref()
        && s.chars().any(char::is_control)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "control_characters",
            "name: one line, no control characters.",
        ));
    }
    let by = by_token(&auth);
    match b.status.as_deref() {
        None => {}
        Some("confirmed") => {
            let source = b.source.as_deref().unwrap_or("");
            let add = ManualAdd { email: &row.email, name: name.as_deref().unwrap_or(""), confirmed: true, source };
            subscribers::add_by_hand(&state, &n, &add, &by).await?;
        }
        Some("unsubscribed") => {
            unsubscribe_for(&state, &auth, id, &n).await?;
        }
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!(
                    "status: \u{201c}{other}\u{201d} cannot be set; send \"confirmed\" (with a source) or \"unsubscribed\"."
                ),
            ));
        }
    }
    if let Some(name) = name {
        state.store.rename_subscriber(id, Some(name.as_str()).filter(|s| !s.is_empty())).await?;
    }
    Ok(Json(subscriber_answer(&state, &n, id).await?))
}

/// The address to unsubscribe.
#[derive(Deserialize, ToSchema)]
pub struct UnsubscribeBody {
    email: String,
}

/// Unsubscribes an address from the newsletter (editors); the ledger records the token.
#[utoipa::path(post, path = "/newsletters/{slug}/subscribers/unsubscribe", tag = "subscribers", request_body = UnsubscribeBody,
    params(("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 200, description = "Done", body = Unsubscribed)))]
#[tracing::instrument(skip_all, name = "api.subscribers.unsubscribe")]
pub async fn unsubscribe(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Json<Unsubscribed>, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let b: UnsubscribeBody = json_body(&bytes, "unsubscribe")?;
    let who = state
        .store
        .subscriber_by_email(&b.email.trim().to_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found("subscriber"))?;
    let changed = unsubscribe_for(&state, &auth, who.id, &n).await?;
    Ok(Json(Unsubscribed { unsubscribed: changed }))
}

/// Ends a subscription on the token's behalf; the ledger names the token. Whether anything changed.
async fn unsubscribe_for(
    state: &AppState,
    auth: &ApiAuth,
    subscriber_id: i64,
    n: &Newsletter,
) -> Result<bool, ApiError> {
    let words = format!("Unsubscribed through the API (token \u{201c}{}\u{201d}).", auth.token_name);
    let consent = Consent { ip: None, form_url: None, consent_text: &words };
    Ok(state.store.unsubscribe(subscriber_id, n.id, "api_unsubscribe", &consent).await?)
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Where these addresses agreed to receive the newsletter (required): the consent ledger keeps it.
    source: Option<String>,
    /// True imports them confirmed; false sends each a confirmation mail.
    confirmed: Option<bool>,
    /// Import the good rows when some are bad (they are counted in `skipped`).
    skip_invalid: Option<bool>,
}

/// Imports a CSV body (`email[,name]`); a bad row imports nothing unless `skip_invalid` (editors).
#[utoipa::path(post, path = "/newsletters/{slug}/subscribers/import", tag = "subscribers", params(ImportQuery,
        ("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, description = "Imported", body = ImportAnswer), (status = 422, description = "`csv_invalid`, naming the lines")))]
#[tracing::instrument(skip_all, name = "api.subscribers.import")]
pub async fn import(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    bytes: Bytes,
) -> Result<Json<ImportAnswer>, ApiError> {
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
    let by = by_token(&auth);
    let consent = Consent { ip: None, form_url: Some(&by), consent_text: source.trim() };
    let report = subscribers::import(&state, &n, parsed.rows, q.confirmed.unwrap_or(false), &consent).await?;
    Ok(Json(ImportAnswer {
        added: report.summary.added,
        updated: report.summary.updated,
        suppressed: report.summary.suppressed,
        skipped: parsed.errors.len(),
        duplicates: parsed.duplicates,
        mailed: report.mailed,
    }))
}

/// Every subscriber as CSV, as the admin's export (editors).
#[utoipa::path(get, path = "/newsletters/{slug}/subscribers/export", tag = "subscribers",
    params(("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv")))]
pub async fn export(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
) -> Result<Response, ApiError> {
    let n = newsletter(&state, &auth, &slug).await?;
    let csv = subscribers::export_csv(&state, &n).await?;
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response())
}
