//! Newsletter signups for readers: the forms' endpoint, the `/newsletters/` page, and double opt-in confirmation.
//!
//! The forms sit on cached pages, so they cannot carry a per-visitor CSRF token; a cross-site POST is refused by
//! the `auth::origin` middleware (by `Sec-Fetch-Site` and `Origin`, before any handler), a honeypot field catches simple bots, and signups
//! are rate-limited per client and per address, so nobody can use the form to mail-bomb a stranger. The answer never
//! reveals whether an address was already subscribed. Confirmation is a POST from the page the emailed link opens:
//! link scanners that prefetch GETs confirm no one.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use newsdesk_domain::EmailAddress;
use newsdesk_render::minijinja::Value;
use newsdesk_store::newsletters::{Confirmation, Consent};

use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::ServiceError;

pub const THANKS: &str = "Thank you for signing up for this newsletter. We've sent you a confirmation email.";
pub use newsdesk_services::subscribers::BAD_ADDRESS;
/// The most of a typed address shown back in a form (the longest address there can be).
pub const ECHO_MAX: usize = 254;

pub use newsdesk_services::subscribers::consent_text;

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"))
}

/// The `/newsletters/` page, optionally with a message or an error beside the address field.
async fn page(
    state: &AppState,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
    email: &str,
    chosen: &[String],
) -> Result<Response, AppError> {
    let chrome = super::chrome(state).await?;
    let ctx = serde_json::json!({
        "newsletters": chrome.newsletters,
        "signup": { "message": message, "error": error, "email": email, "chosen": chosen },
        "consent_text": consent_text(&state.site.title),
        "nav": chrome.nav,
        "canonical_path": "/newsletters/",
        "year": jiff::Timestamp::now().to_zoned(state.site.timezone.tz().clone()).year(),
        "page_title": "Newsletters",
    });
    let html = state.templates.render("newsletters.html", Value::from_serialize(&ctx))?;
    Ok((status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response())
}

pub async fn index(State(state): State<AppState>) -> Result<Response, AppError> {
    page(&state, StatusCode::OK, None, None, "", &[]).await
}

fn answer(headers: &HeaderMap, status: StatusCode, field: Option<&str>, message: &str) -> Option<Response> {
    wants_json(headers).then(|| {
        let body = match field {
            Some(f) => serde_json::json!({ "error": if status == StatusCode::TOO_MANY_REQUESTS { "rate_limited" } else { "invalid" }, "field": f, "message": message }),
            None => serde_json::json!({ "ok": true, "message": message }),
        };
        (status, Json(body)).into_response()
    })
}

#[tracing::instrument(skip_all, name = "public.newsletters.subscribe")]
pub async fn subscribe(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, AppError> {
    let email = form.str("email").trim().to_owned();
    let chosen: Vec<String> = form.all("newsletter").into_iter().map(str::to_owned).collect();
    // The answers in the language of the page the form was on.
    let locale = state.templates.locales().get(form.str("lang")).clone();
    let thanks = locale.text("signup_thanks", &[]);
    let thanks = thanks.as_str();
    let fail = |status: StatusCode, field: &str, message: &str| {
        let state = state.clone();
        let headers = headers.clone();
        let email = email.clone();
        let chosen = chosen.clone();
        let field = field.to_owned();
        let message = message.to_owned();
        async move {
            match answer(&headers, status, Some(&field), &message) {
                Some(r) => Ok(r),
                None => {
                    let email = crate::forms::echo(&email, ECHO_MAX);
                    page(&state, status, None, Some(&message), &email, &chosen).await
                }
            }
        }
    };
    // A filled honeypot: answer as if all went well, do nothing.
    if !form.str("website").is_empty() {
        tracing::info!(client.ip = %addr.ip(), "newsletter signup honeypot filled");
        return match answer(&headers, StatusCode::OK, None, thanks) {
            Some(r) => Ok(r),
            None => page(&state, StatusCode::OK, Some(thanks), None, "", &[]).await,
        };
    }
    let Ok(address) = EmailAddress::parse("email", &email) else {
        return fail(StatusCode::UNPROCESSABLE_ENTITY, "email", &locale.text("signup_invalid_email", &[])).await;
    };
    let newsletters = match newsdesk_services::subscribers::chosen_public(&state, &chosen).await {
        Ok(n) => n,
        Err(ServiceError::Invalid { errors, .. }) => {
            let message = errors.into_values().next().unwrap_or_default();
            return fail(StatusCode::UNPROCESSABLE_ENTITY, "newsletter", &message).await;
        }
        Err(e) => return Err(e.into()),
    };
    if !state.limiter.allow(&format!("signup-ip:{}", addr.ip()), 20, Duration::from_secs(3600)).await {
        return fail(
            StatusCode::TOO_MANY_REQUESTS,
            "email",
            "Too many signups from your connection. Please try again in an hour.",
        )
        .await;
    }
    // Per address: over the limit, answer as usual but send nothing (a stranger's inbox is not flooded).
    if state
        .limiter
        .allow(&format!("signup-email:{}", address.as_str().to_lowercase()), 3, Duration::from_secs(3600))
        .await
    {
        let ip = addr.ip().to_string();
        let outcome =
            newsdesk_services::subscribers::sign_up(&state, &address, &newsletters, Some(&ip), form.get("form_url"))
                .await?;
        tracing::info!(newsletters = chosen.join(","), outcome = ?outcome, "newsletter signup");
    } else {
        tracing::warn!(client.ip = %addr.ip(), "newsletter signup: per-address limit reached; no mail sent");
    }
    match answer(&headers, StatusCode::OK, None, thanks) {
        Some(r) => Ok(r),
        None => page(&state, StatusCode::OK, Some(thanks), None, "", &[]).await,
    }
}

/// A personal page (confirmation, preferences, unsubscribe): never cached, and its URL — which carries a token —
/// is not sent on as a referrer.
pub(super) fn personal_page(
    state: &AppState,
    template: &str,
    status: StatusCode,
    mut ctx: serde_json::Value,
) -> Result<Response, AppError> {
    ctx["year"] = serde_json::json!(jiff::Timestamp::now().to_zoned(state.site.timezone.tz().clone()).year());
    let html = state.templates.render(template, Value::from_serialize(&ctx))?;
    Ok((status, [(header::CACHE_CONTROL, "no-store"), (header::REFERRER_POLICY, "no-referrer")], Html(html))
        .into_response())
}

fn confirm_page(state: &AppState, status: StatusCode, ctx: serde_json::Value) -> Result<Response, AppError> {
    personal_page(state, "newsletter_confirm.html", status, ctx)
}

/// The page an emailed link opens: shows what will be confirmed and a button that POSTs. Confirms nothing.
pub async fn confirm_form(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    match state.store.peek_confirmation(&newsdesk_store::hash_token(&token)).await? {
        Some((email, newsletters)) => confirm_page(
            &state,
            StatusCode::OK,
            serde_json::json!({ "state": "ask", "email": email, "newsletters": newsletters, "token": token }),
        ),
        None => confirm_page(&state, StatusCode::GONE, serde_json::json!({ "state": "expired" })),
    }
}

#[tracing::instrument(skip_all, name = "public.newsletters.confirm")]
pub async fn confirm(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let ip = addr.ip().to_string();
    let consent = consent_text(&state.site.title);
    match state
        .store
        .confirm(
            &newsdesk_store::hash_token(&token),
            &Consent { ip: Some(&ip), form_url: Some("/newsletters/confirm/"), consent_text: &consent },
        )
        .await?
    {
        Some(Confirmation::Subscribed { email, names }) => {
            tracing::info!("newsletter subscription confirmed");
            confirm_page(
                &state,
                StatusCode::OK,
                serde_json::json!({ "state": "done", "email": email, "names": newsdesk_domain::byline_names(&names) }),
            )
        }
        Some(Confirmation::AddressChanged { email }) => {
            tracing::info!("subscriber address changed");
            confirm_page(&state, StatusCode::OK, serde_json::json!({ "state": "moved", "email": email }))
        }
        Some(Confirmation::AddressTaken { email }) => {
            confirm_page(&state, StatusCode::CONFLICT, serde_json::json!({ "state": "taken", "email": email }))
        }
        None => confirm_page(&state, StatusCode::GONE, serde_json::json!({ "state": "expired" })),
    }
}

/// A new confirmation link for an address whose link expired. The answer is the same whether or not anything was
/// pending, and the per-address limit of signups applies, so the form cannot be used to probe or flood.
#[tracing::instrument(skip_all, name = "public.newsletters.resend")]
pub async fn resend(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    form: FormData,
) -> Result<Response, AppError> {
    let raw = form.str("email").trim().to_owned();
    let Ok(address) = EmailAddress::parse("email", &raw) else {
        return confirm_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            serde_json::json!({ "state": "expired", "email": crate::forms::echo(&raw, ECHO_MAX), "error": BAD_ADDRESS }),
        );
    };
    let email = address.as_str().to_lowercase();
    if !state.limiter.allow(&format!("signup-ip:{}", addr.ip()), 20, Duration::from_secs(3600)).await {
        return confirm_page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({ "state": "expired", "email": crate::forms::echo(&raw, ECHO_MAX), "error": "Too many requests from your connection. Please try again in an hour." }),
        );
    }
    if state.limiter.allow(&format!("signup-email:{email}"), 3, Duration::from_secs(3600)).await {
        let sent = newsdesk_services::subscribers::renew_confirmation(&state, &email).await?;
        tracing::info!(sent, "newsletter confirmation link re-requested");
    }
    confirm_page(
        &state,
        StatusCode::OK,
        serde_json::json!({ "state": "expired", "email": crate::forms::echo(&raw, ECHO_MAX), "message": "If a signup for this address is waiting for confirmation, a new link is on its way." }),
    )
}

/// A newsletter's public archive: the issues sent, newest first; hidden newsletters have none.
pub async fn archive(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, AppError> {
    let newsletter = state.store.newsletter_by_slug(&slug).await?.filter(|n| n.visibility == "public");
    let newsletter = newsletter.ok_or(AppError::NotFound)?;
    let issues = state.store.sent_issues(newsletter.id, 200).await?;
    archive_page(&state, serde_json::json!({ "newsletter": newsletter, "issues": issues }))
}

/// One sent issue as a web page (the copy any reader gets, with no one's personal links).
pub async fn archived_issue(
    State(state): State<AppState>,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    let newsletter = state.store.newsletter_by_slug(&slug).await?.filter(|n| n.visibility == "public");
    let newsletter = newsletter.ok_or(AppError::NotFound)?;
    let issue = state.store.issue(id).await?;
    let issue = issue.filter(|i| i.newsletter_id == newsletter.id && i.status == "sent").ok_or(AppError::NotFound)?;
    let rendered = newsdesk_services::newsletter_mail::RenderedIssue::from(&issue);
    let copy = newsdesk_services::newsletter_mail::sample(&rendered, &state.site.url, None);
    archive_page(&state, serde_json::json!({ "newsletter": newsletter, "issue": issue, "html": copy.html }))
}

fn archive_page(state: &AppState, ctx: serde_json::Value) -> Result<Response, AppError> {
    let mut response = personal_page(state, "newsletter_archive.html", StatusCode::OK, ctx)?;
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    /// The English catalogue says what the constants other code and tests compare with.
    #[test]
    fn english_answers_match_the_constants() {
        let site = newsdesk_domain::SiteSettings {
            title: "T".into(),
            description: String::new(),
            url: "http://x".into(),
            timezone: newsdesk_domain::Timezone::parse("timezone", "UTC").unwrap(),
            language: "en".into(),
            languages: vec!["uk".into()],
        };
        let locales = newsdesk_render::locale::Locales::new(&site, None).unwrap();
        assert_eq!(locales.get("en").text("signup_thanks", &[]), super::THANKS);
        assert_eq!(locales.get("en").text("signup_invalid_email", &[]), super::BAD_ADDRESS);
        assert_ne!(locales.get("uk").text("signup_thanks", &[]), super::THANKS);
    }
}
