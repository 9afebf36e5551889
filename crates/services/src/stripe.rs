//! A small client for the parts of Stripe's API Newsdesk uses: customers, products and plans for tiers, Checkout
//! sessions, customer-portal sessions, and reading subscriptions back (reconciliation). Form-encoded requests to
//! `[payments] stripe_api_base` with the secret key; writes carry an `Idempotency-Key`, so a retried or
//! double-clicked request makes one object at Stripe. The key is never logged.

use std::time::Duration;

use serde_json::Value;

use crate::members::PaymentsConfig;

/// Why a call to Stripe failed.
#[derive(Debug)]
pub enum StripeError {
    /// Stripe could not be reached or answered 5xx/429: try again later.
    Unavailable(String),
    /// Stripe refused the request (4xx): its message.
    Refused(String),
}

impl std::fmt::Display for StripeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StripeError::Unavailable(m) => write!(f, "Stripe is unavailable: {m}"),
            StripeError::Refused(m) => write!(f, "Stripe refused the request: {m}"),
        }
    }
}

pub struct Stripe {
    base: String,
    key: String,
    http: reqwest::Client,
}

impl Stripe {
    /// A client, or `None` while `[payments] stripe_secret_key` is empty (payments are off).
    pub fn new(config: &PaymentsConfig) -> Option<Stripe> {
        if config.stripe_secret_key.trim().is_empty() {
            return None;
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().ok()?;
        Some(Stripe {
            base: config.stripe_api_base.trim_end_matches('/').to_owned(),
            key: config.stripe_secret_key.trim().to_owned(),
            http,
        })
    }

    async fn send(&self, request: reqwest::RequestBuilder, what: &str) -> Result<Value, StripeError> {
        let r = request.bearer_auth(&self.key).send().await.map_err(|e| StripeError::Unavailable(e.to_string()))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let message = body["error"]["message"].as_str().unwrap_or("no message").to_owned();
        tracing::warn!(stripe.call = what, http.status = status.as_u16(), message, "Stripe call failed");
        if status.is_server_error() || status.as_u16() == 429 {
            Err(StripeError::Unavailable(format!("{status}: {message}")))
        } else {
            Err(StripeError::Refused(message))
        }
    }

    /// `POST` a form; `idempotency` makes a repeat of the same request return the first answer.
    pub async fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut req = self.http.post(format!("{}{path}", self.base)).form(form);
        if let Some(k) = idempotency {
            req = req.header("Idempotency-Key", k);
        }
        self.send(req, path).await
    }

    pub async fn get(&self, path: &str) -> Result<Value, StripeError> {
        self.send(self.http.get(format!("{}{path}", self.base)), path).await
    }
}

/// Form pairs from `(&str, String)` tuples.
pub fn form(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}
