//! Job handlers, one module per kind. Each is idempotent: running it twice has the effect of running it once.

pub mod publish_scheduled;

use newsdesk_store::Store;
use newsdesk_store::jobs::Job;

use crate::Outcome;

pub async fn run(store: &Store, job: &Job) -> Outcome {
    match job.kind.as_str() {
        newsdesk_store::posts::JOB_PUBLISH_SCHEDULED => publish_scheduled::run(store, job).await,
        other => Outcome::Fail(format!("unknown job kind \"{other}\" (is this worker older than the server?)")),
    }
}
