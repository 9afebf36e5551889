//! Subscriber self-service, reached from every newsletter message through signed links (no account, no cookie):
//! the preferences page (choose newsletters, change address with re-confirmation, unsubscribe from everything)
//! and RFC 8058 one-click unsubscribe. A GET only shows a page; changes are POSTs. The one-click POST needs no
//! cookie and no Origin (mail providers send it from their servers): the signature is the authority.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use newsdesk_store::links::LinkKey;
use newsdesk_store::newsletters::Consent;
use newsdesk_store::subscribers::Subscriber;

use super::newsletters::{ECHO_MAX, personal_page};
use crate::error::AppError;
use crate::forms::FormData;
use crate::state::AppState;
use newsdesk_services::{ServiceError, subscribers};

/// The subscriber a preferences token names, if its signature holds for their current address.
async fn preferences_subscriber(state: &AppState, token: &str) -> Result<Option<Subscriber>, AppError> {
    let Some((id, sig)) = LinkKey::parse_preferences(token) else { return Ok(None) };
    let Some(subscriber) = state.store.subscriber(id).await? else { return Ok(None) };
    let key = state.store.link_key().await?;
    Ok(key.check_preferences(id, &subscriber.email, sig).then_some(subscriber))
}

fn broken_link(state: &AppState, template: &str) -> Result<Response, AppError> {
    personal_page(state, template, StatusCode::NOT_FOUND, serde_json::json!({ "state": "invalid" }))
}

async fn preferences_page(
    state: &AppState,
    status: StatusCode,
    subscriber: &Subscriber,
    token: &str,
    extra: serde_json::Value,
) -> Result<Response, AppError> {
    let statuses = state.store.subscription_statuses(&subscriber.email).await?;
    let newsletters: Vec<serde_json::Value> = state
        .store
        .all_newsletters()
        .await?
        .into_iter()
        .filter_map(|n| {
            let status = statuses.iter().find(|(slug, _)| *slug == n.slug).map(|(_, s)| s.clone());
            (n.visibility == "public" || status.is_some()).then(|| {
                serde_json::json!({ "slug": n.slug, "name": n.name, "cadence": n.cadence, "description": n.description, "status": status })
            })
        })
        .collect();
    let mut ctx = serde_json::json!({ "email": subscriber.email, "token": token, "newsletters": newsletters, "page_title": "Your newsletters" });
    if let (Some(ctx), Some(extra)) = (ctx.as_object_mut(), extra.as_object()) {
        ctx.extend(extra.clone());
    }
    personal_page(state, "newsletter_preferences.html", status, ctx)
}

pub async fn preferences_form(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    match preferences_subscriber(&state, &token).await? {
        Some(s) => preferences_page(&state, StatusCode::OK, &s, &token, serde_json::json!({})).await,
        None => broken_link(&state, "newsletter_unsubscribe.html"),
    }
}

#[tracing::instrument(skip_all, name = "public.preferences.preferences")]
pub async fn preferences(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    Path(token): Path<String>,
    form: FormData,
) -> Result<Response, AppError> {
    let Some(subscriber) = preferences_subscriber(&state, &token).await? else {
        return broken_link(&state, "newsletter_unsubscribe.html");
    };
    let ip = addr.ip().to_string();
    let message = match form.str("action") {
        "unsubscribe_all" => {
            subscribers::unsubscribe_all(&state, &subscriber, Some(&ip)).await?;
            "You are unsubscribed from all our newsletters."
        }
        "address" => {
            let raw = form.str("email");
            let new_email = match subscribers::new_address(&subscriber, raw) {
                Ok(e) => e,
                Err(ServiceError::Invalid { errors, .. }) => {
                    let error = errors.into_values().next().unwrap_or_default();
                    let extra =
                        serde_json::json!({ "error": error, "new_email": crate::forms::echo(raw.trim(), ECHO_MAX) });
                    return preferences_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &subscriber, &token, extra)
                        .await;
                }
                Err(e) => return Err(e.into()),
            };
            // Over the per-address limit the answer is the same, and nothing is sent.
            if state.limiter.allow(&format!("signup-email:{new_email}"), 3, Duration::from_secs(3600)).await {
                subscribers::request_address_change(&state, &subscriber, &new_email).await?;
            }
            "We sent a link to the new address. Your newsletters move there once you confirm."
        }
        _ => {
            let chosen: Vec<String> = form.all("newsletter").into_iter().map(str::to_owned).collect();
            match subscribers::choose(&state, &subscriber, &chosen, Some(&ip)).await {
                Ok(()) => "Your choices are saved.",
                Err(ServiceError::Invalid { errors, .. }) => {
                    let message = errors.into_values().next().unwrap_or_default();
                    let extra = serde_json::json!({ "message": message });
                    return preferences_page(&state, StatusCode::UNPROCESSABLE_ENTITY, &subscriber, &token, extra)
                        .await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    tracing::info!(action = form.str("action"), "newsletter preferences changed");
    preferences_page(&state, StatusCode::OK, &subscriber, &token, serde_json::json!({ "message": message })).await
}

/// Checks an unsubscribe token: (subscriber, newsletter) when the signature holds.
async fn unsubscribe_target(
    state: &AppState,
    token: &str,
) -> Result<Option<(Subscriber, newsdesk_store::newsletters::Newsletter, LinkKey)>, AppError> {
    let Some((sid, nid, sig)) = LinkKey::parse_unsubscribe(token) else { return Ok(None) };
    let (Some(subscriber), Some(newsletter)) = (state.store.subscriber(sid).await?, state.store.newsletter(nid).await?)
    else {
        return Ok(None);
    };
    let key = state.store.link_key().await?;
    Ok(key.check_unsubscribe(sid, nid, &subscriber.email, sig).then_some((subscriber, newsletter, key)))
}

fn unsubscribe_page(
    state: &AppState,
    s: &Subscriber,
    n: &newsdesk_store::newsletters::Newsletter,
    key: &LinkKey,
    token: &str,
    done: bool,
) -> Result<Response, AppError> {
    let preferences_url = format!("/newsletters/preferences/{}", key.preferences_token(s.id, &s.email));
    personal_page(
        state,
        "newsletter_unsubscribe.html",
        StatusCode::OK,
        serde_json::json!({ "state": if done { "done" } else { "ask" }, "email": s.email, "newsletter": n, "token": token, "preferences_url": preferences_url }),
    )
}

/// The page the visible unsubscribe link opens: it asks; it never unsubscribes (link scanners fetch GETs).
pub async fn unsubscribe_form(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, AppError> {
    match unsubscribe_target(&state, &token).await? {
        Some((s, n, key)) => unsubscribe_page(&state, &s, &n, &key, &token, false),
        None => broken_link(&state, "newsletter_unsubscribe.html"),
    }
}

/// RFC 8058 one-click unsubscribe (`List-Unsubscribe=One-Click` from a mail provider) and the page's button.
#[tracing::instrument(skip_all, name = "public.preferences.unsubscribe")]
pub async fn unsubscribe(
    State(state): State<AppState>,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let Some((s, n, key)) = unsubscribe_target(&state, &token).await? else {
        return broken_link(&state, "newsletter_unsubscribe.html");
    };
    let ip = addr.ip().to_string();
    let words = format!("Unsubscribed from {} by its unsubscribe link.", n.name);
    let consent = Consent { ip: Some(&ip), form_url: Some("/newsletters/unsubscribe/"), consent_text: &words };
    let changed = state.store.unsubscribe(s.id, n.id, "unsubscribe", &consent).await?;
    tracing::info!(newsletter = %n.slug, changed, "newsletter unsubscribe");
    unsubscribe_page(&state, &s, &n, &key, &token, true)
}
