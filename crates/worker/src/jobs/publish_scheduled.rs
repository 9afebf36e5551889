//! Publishes a scheduled post when its time comes. Does nothing if the post was rescheduled, unpublished or
//! deleted since (the job names the exact time it was queued for).

use newsdesk_store::Store;
use newsdesk_store::jobs::Job;
use newsdesk_store::posts::PublishScheduled;

use crate::Outcome;

#[tracing::instrument(skip_all, fields(job.id = job.id))]
pub async fn run(store: &Store, job: &Job) -> Outcome {
    let p: PublishScheduled = match job.payload() {
        Ok(p) => p,
        Err(e) => return Outcome::Fail(e),
    };
    match store.publish_if_due(p.post_id, p.scheduled_for).await {
        Ok(true) => {
            tracing::info!(post.id = p.post_id, "scheduled post published");
            // Related-story cards that name it appear now (the publish itself is done; a failure here is retried).
            match newsdesk_services::documents::rerender_linking(store, p.post_id, None).await {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
        Ok(false) => Outcome::Done,
        Err(e) => Outcome::Retry(e.to_string()),
    }
}
