//! Delivers one queued message through the configured transport.

use newsdesk_store::jobs::Job;

use crate::mail::MailPayload;
use crate::{JobContext, Outcome};

#[tracing::instrument(skip_all, fields(job.id = job.id))]
pub async fn run(ctx: &JobContext, job: &Job) -> Outcome {
    let m: MailPayload = match job.payload() {
        Ok(m) => m,
        Err(e) => return Outcome::Fail(e),
    };
    let Some(mailer) = ctx.mailer.as_ref() else {
        return Outcome::Fail(ctx.mail_error.clone().unwrap_or_else(|| "mail is not configured".into()));
    };
    match mailer.send(&ctx.mail.from, &m).await {
        Ok(id) => {
            tracing::info!(job.id = job.id, mail.message_id = %id, "mail sent");
            Outcome::Done
        }
        Err(e) if e.transient => Outcome::Retry(e.message),
        Err(e) => Outcome::Fail(e.message),
    }
}
