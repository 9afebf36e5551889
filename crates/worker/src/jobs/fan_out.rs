//! Writes the delivery records of a newsletter issue (one per confirmed, unsuppressed subscriber) and starts the
//! send. Idempotent: a second run adds nobody twice.

use newsdesk_store::Store;
use newsdesk_store::issues::FanOut;
use newsdesk_store::jobs::Job;

use crate::Outcome;

#[tracing::instrument(skip_all, fields(job.id = job.id))]
pub async fn run(store: &Store, job: &Job) -> Outcome {
    let issue_id = match job.payload::<FanOut>() {
        Ok(p) => p.issue_id,
        Err(e) => return Outcome::Fail(e),
    };
    match store.fan_out(issue_id).await {
        Ok(total) => {
            tracing::info!(issue.id = issue_id, recipients = total, "newsletter issue fanned out");
            Outcome::Done
        }
        Err(e) => Outcome::Retry(e.to_string()),
    }
}
