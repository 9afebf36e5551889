//! Bounce and complaint reports from a mail provider or an MTA script: `POST /api/v1/mail/events` with
//! `Authorization: Bearer <[newsletters] webhook_secret>` and a JSON body (docs/api.md):
//!
//! ```json
//! {"events": [{"type": "bounce", "email": "a@example.org", "bounce_type": "hard", "detail": "550 5.1.1 no such user"},
//!             {"type": "complaint", "email": "b@example.org"}]}
//! ```
//!
//! Hard bounces and complaints put the address on the suppression list: it never gets newsletter mail again, and
//! deliveries still queued for it are skipped. Soft bounces are only counted (the sender retries those itself).
//! The whole body is checked before anything changes.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::EmailAddress;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// A bounce or a complaint.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// "bounce" or "complaint".
    #[serde(rename = "type")]
    kind: String,
    email: String,
    /// "hard" (the default) or "soft", for a bounce.
    #[serde(default)]
    bounce_type: Option<String>,
    /// The server's words, kept with the suppression.
    #[serde(default)]
    detail: Option<String>,
}

/// Up to 1,000 events, or one event on its own.
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Body {
    Many { events: Vec<Event> },
    One(Event),
}

/// What was received.
#[derive(Serialize, ToSchema)]
pub struct Received {
    received: usize,
    /// Hard bounces and complaints: addresses now on the suppression list.
    suppressed: usize,
}

fn authorised(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let secret = &state.options.webhook_secret;
    if secret.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "webhook_disabled",
            "The mail events webhook is off: set [newsletters] webhook_secret to turn it on.",
        ));
    }
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .trim();
    let same = given.len() == secret.len() && given.bytes().zip(secret.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
    if same {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authorization: Bearer <webhook secret> is missing or wrong.",
        ))
    }
}

/// Bounces and complaints from a mail provider or an MTA script, with the `[newsletters] webhook_secret` as the
/// Bearer token. The body is checked whole before anything changes.
#[utoipa::path(post, path = "/mail/events", tag = "mail", request_body = Body, security(("webhook_secret" = [])),
    responses((status = 200, description = "Applied", body = Received), (status = 404, description = "`webhook_disabled`: no secret is set"),
        (status = 413, description = "`too_many_events`"), (status = 422, description = "`invalid_event`, naming its index")))]
#[tracing::instrument(skip_all, name = "api.mail_events.receive")]
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, bytes: Bytes) -> Result<Response, ApiError> {
    authorised(&state, &headers)?;
    let body: Body = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", format!("The body is not a mail event report: {e}"))
    })?;
    let events = match body {
        Body::Many { events } => events,
        Body::One(e) => vec![e],
    };
    if events.len() > 1000 {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_events",
            "Send at most 1,000 events at a time.",
        ));
    }
    let mut checked = Vec::new();
    for (i, e) in events.iter().enumerate() {
        let bad =
            |m: &str| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_event", format!("events[{i}]: {m}"));
        let address = EmailAddress::parse("email", &e.email).map_err(|_| bad("email is not an address"))?;
        let reason = match (e.kind.as_str(), e.bounce_type.as_deref()) {
            ("complaint", _) => Some("complaint"),
            ("bounce", None | Some("hard")) => Some("bounce"),
            ("bounce", Some("soft")) => None,
            ("bounce", Some(_)) => return Err(bad("bounce_type must be \"hard\" or \"soft\"")),
            _ => return Err(bad("type must be \"bounce\" or \"complaint\"")),
        };
        checked.push((address.as_str().to_lowercase(), reason, e.detail.as_deref()));
    }
    let mut suppressed = 0;
    for (email, reason, detail) in &checked {
        if let Some(reason) = reason {
            state.store.suppress(email, reason, *detail).await?;
            suppressed += 1;
        }
    }
    tracing::info!(events = checked.len(), suppressed, "mail events received");
    Ok((StatusCode::OK, Json(Received { received: checked.len(), suppressed })).into_response())
}
