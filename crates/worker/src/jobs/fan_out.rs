//! Writes the delivery records of a newsletter issue (one per confirmed, unsuppressed subscriber) and starts the
//! send. Idempotent: a second run adds nobody twice.

use newsdesk_store::Store;
use newsdesk_store::jobs::Job;

use crate::Outcome;

pub async fn run(store: &Store, job: &Job) -> Outcome {
    let Some(issue_id) =
        serde_json::from_str::<serde_json::Value>(&job.payload).ok().and_then(|v| v["issue_id"].as_i64())
    else {
        return Outcome::Fail("bad payload: no issue_id".into());
    };
    match store.fan_out(issue_id).await {
        Ok(total) => {
            tracing::info!(issue.id = issue_id, recipients = total, "newsletter issue fanned out");
            Outcome::Done
        }
        Err(e) => Outcome::Retry(e.to_string()),
    }
}
