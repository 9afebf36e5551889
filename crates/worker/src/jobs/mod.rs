//! Job handlers, one module per kind. Each is idempotent: running it twice has the effect of running it once.

pub mod deliver_webhook;
pub mod fan_out;
pub mod narrate;
pub mod publish_scheduled;
pub mod send_mail;

use newsdesk_store::Store;
use newsdesk_store::jobs::Job;

use crate::{JobContext, Outcome};

pub async fn run(store: &Store, ctx: &JobContext, job: &Job) -> Outcome {
    match job.kind.as_str() {
        newsdesk_store::posts::JOB_PUBLISH_SCHEDULED => publish_scheduled::run(store, job).await,
        newsdesk_store::audio::JOB_NARRATE => narrate::run(store, ctx, job).await,
        crate::mail::JOB_SEND_MAIL => send_mail::run(ctx, job).await,
        newsdesk_store::issues::JOB_FAN_OUT => fan_out::run(store, job).await,
        newsdesk_store::webhooks::JOB_DELIVER_WEBHOOK => deliver_webhook::run(store, ctx, job).await,
        other => Outcome::Fail(format!("unknown job kind \"{other}\" (is this worker older than the server?)")),
    }
}
