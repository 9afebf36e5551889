//! Outbound webhooks staff register (admins and the owner): an endpoint, the events it wants, and a signing secret
//! shown once. Deliveries are emitted by the store in the transaction of each change and sent by the worker.

use base64::Engine;
use newsdesk_store::Store;
use newsdesk_store::webhooks::{EVENTS, Webhook};

use crate::{Actor, ServiceError};

fn allowed(actor: &Actor) -> Result<(), ServiceError> {
    if actor.role.can_manage_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("Your role ({}) cannot manage webhooks.", actor.role.as_str())))
    }
}

/// A new Standard Webhooks secret: `whsec_` and 24 random bytes in base64.
fn new_secret() -> String {
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 24]>()))
}

/// Registers an endpoint; returns it and its secret (shown once).
pub async fn create(
    store: &Store,
    actor: &Actor,
    url: &str,
    description: &str,
    events: &[&str],
) -> Result<(Webhook, String), ServiceError> {
    allowed(actor)?;
    let url = url.trim();
    let parsed = url::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if parsed.is_none() || url.len() > 2000 {
        return Err(ServiceError::invalid(
            "url",
            "url_invalid",
            "Give the endpoint's full address, starting with https://.",
        ));
    }
    let description = description.trim();
    if description.chars().count() > 200 {
        return Err(ServiceError::invalid("description", "too_long", "Keep the description under 200 characters."));
    }
    if events.is_empty() {
        return Err(ServiceError::invalid("events", "webhook_events_invalid", "Choose at least one event."));
    }
    if let Some(bad) = events.iter().find(|e| !EVENTS.iter().any(|(name, _)| name == *e)) {
        return Err(ServiceError::invalid(
            "events",
            "webhook_events_invalid",
            format!("\u{201c}{bad}\u{201d} is not an event."),
        ));
    }
    let secret = new_secret();
    let hook =
        store.create_webhook(url, Some(description).filter(|d| !d.is_empty()), events, &secret, actor.user_id).await?;
    tracing::info!(webhook.id = hook.id, user.id = actor.user_id, events = %hook.events, "webhook registered");
    Ok((hook, secret))
}

pub async fn delete(store: &Store, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    allowed(actor)?;
    store.delete_webhook(id).await?;
    Ok(())
}

pub async fn set_active(store: &Store, actor: &Actor, id: i64, active: bool) -> Result<(), ServiceError> {
    allowed(actor)?;
    store.set_webhook_active(id, active).await?;
    Ok(())
}

/// Sends a delivery again (its message id and body unchanged).
pub async fn redeliver(store: &Store, actor: &Actor, delivery_id: i64) -> Result<i64, ServiceError> {
    allowed(actor)?;
    let (_, hook) = store.delivery(delivery_id).await?.ok_or(ServiceError::NotFound)?;
    store.redeliver(delivery_id).await?;
    Ok(hook.id)
}
