//! Delivers one webhook, signed as Standard Webhooks specifies: `webhook-id` (the message id, the same on every
//! retry), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature` (`v1,` and the base64
//! HMAC-SHA256 of `{id}.{timestamp}.{body}` under the endpoint's `whsec_` secret). A 2xx answer is a delivery;
//! anything else is retried with the queue's backoff until the job's attempts run out, then the delivery is failed
//! (staff can redeliver it). Only public addresses are called unless `[webhooks] private_networks` is on.

use std::time::Duration;

use base64::Engine;
use newsdesk_store::Store;
use newsdesk_store::jobs::Job;
use newsdesk_store::webhooks::DeliverWebhook;

use crate::{JobContext, Outcome};

/// The signature of one attempt.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Result<String, String> {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap_or(secret))
        .map_err(|_| "the endpoint's secret is not a whsec_ secret".to_owned())?;
    let mac = newsdesk_store::links::hmac_sha256(&key, format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac)))
}

/// The body as sent: the stored event, with absolute URLs beside its paths.
fn body_for(stored: &str, site_url: &str) -> String {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(stored) else { return stored.to_owned() };
    if let Some(path) = v["data"]["path"].as_str().map(str::to_owned) {
        v["data"]["url"] = serde_json::Value::String(format!("{}{path}", site_url.trim_end_matches('/')));
    }
    v.to_string()
}

#[tracing::instrument(skip_all, fields(job.id = job.id))]
pub async fn run(store: &Store, ctx: &JobContext, job: &Job) -> Outcome {
    let p: DeliverWebhook = match job.payload() {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    let (delivery, hook) = match store.delivery(p.delivery_id).await {
        Ok(Some(found)) => found,
        // The endpoint was removed since: nothing to deliver.
        Ok(None) => return Outcome::Done,
        Err(e) => return Outcome::Retry(e.to_string()),
    };
    if delivery.status == "delivered" {
        return Outcome::Done;
    }
    let last_try = job.attempts + 1 >= job.max_attempts;
    let result =
        attempt(ctx, &hook.url, &hook.secret, &delivery.msg_id, &body_for(&delivery.body, &ctx.site_url)).await;
    let (delivered, status, error) = match &result {
        Ok(code) if (200..300).contains(code) => (true, Some(*code), None),
        Ok(code) => (false, Some(*code), Some(format!("the endpoint answered HTTP {code}"))),
        Err(e) => (false, None, Some(e.clone())),
    };
    if let Err(e) = store.record_delivery_attempt(delivery.id, delivered, status, error.as_deref(), last_try).await {
        return Outcome::Retry(e.to_string());
    }
    match (delivered, error) {
        (true, _) => {
            tracing::info!(webhook.id = hook.id, delivery.id = delivery.id, event = %delivery.event, "webhook delivered");
            Outcome::Done
        }
        (false, e) => {
            let e = e.unwrap_or_default();
            tracing::warn!(webhook.id = hook.id, delivery.id = delivery.id, error = %e, "webhook not delivered");
            Outcome::Retry(e)
        }
    }
}

/// One POST; the answer's status, or why there was none.
async fn attempt(ctx: &JobContext, url: &str, secret: &str, msg_id: &str, body: &str) -> Result<i64, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("{url}: {e}"))?;
    let host = parsed.host_str().ok_or("the address has no host")?.to_owned();
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addr = newsdesk_services::embeds::public_address(&host, port, ctx.webhooks_private_networks).await.map_err(
        |e| match e {
            newsdesk_services::embeds::Unreachable::NotFound => format!("{host} could not be found"),
            newsdesk_services::embeds::Unreachable::Private => {
                format!("{host} is on a private network ([webhooks] private_networks is off)")
            }
        },
    )?;
    let timestamp = jiff::Timestamp::now().as_second();
    let signature = sign(secret, msg_id, timestamp, body)?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .resolve(&host, addr)
        .user_agent("Newsdesk webhooks")
        .build()
        .map_err(|e| e.to_string())?;
    let resp = client
        .post(parsed)
        .header("content-type", "application/json")
        .header("webhook-id", msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("{host} did not answer: {}", e.without_url()))?;
    Ok(i64::from(resp.status().as_u16()))
}

#[cfg(test)]
mod tests {
    /// The example of the Standard Webhooks specification's reference libraries.
    #[test]
    fn signs_as_the_specification_does() {
        let sig = super::sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }
}
