//! The job runner: claims due jobs from the database queue, runs each by kind, and records success or failure
//! (retried with backoff by the store). Runs inside `newsdesk serve` or alone as `newsdesk worker`; any number of
//! runners may share one database.

pub mod cdn;
pub mod delivery;
pub mod identity;
pub mod jobs;
pub mod mail;
pub mod narration;
pub mod smtp;

use std::time::Duration;

use newsdesk_store::Store;
use newsdesk_store::jobs::Job;
use tokio::sync::watch;

/// How a job ended, as far as the queue is concerned.
#[derive(Debug)]
pub enum Outcome {
    Done,
    /// Worth another try later (network, lock, a server that is down).
    Retry(String),
    /// Will never work (bad payload, unknown kind): fail now.
    Fail(String),
}

/// What jobs need besides the database.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// `[mail]` settings (the sender address).
    pub mail: mail::MailConfig,
    /// The transport, built once; `None` when `[mail]` is unusable (then `mail_error` says why).
    pub mailer: Option<std::sync::Arc<mail::Mailer>>,
    pub mail_error: Option<String>,
    /// The media store (`[storage]`): library files, and narrated audio under `audio/`.
    pub media: newsdesk_services::storage::MediaStore,
    /// Scratch space on this machine for work on files before they go into the store (`<data>/work`, absolute).
    pub work_dir: std::path::PathBuf,
    /// `[narration]` settings.
    pub narration: narration::NarrationConfig,
    /// The site's language (`[site] language`), which picks the narration voice.
    pub language: String,
    /// `[newsletters]`: how issues are delivered.
    pub newsletters: delivery::NewsletterConfig,
    /// The public base URL, for links in mail.
    pub site_url: String,
    /// `[webhooks] private_networks`: whether webhooks may be delivered to private and loopback addresses.
    pub webhooks_private_networks: bool,
    /// `[payments] grace_days` in seconds: how long a member whose payment failed still gets paid stories whole
    /// (newsletters too).
    pub grace_seconds: i64,
    /// `[payments]`: Stripe, for reconciling subscriptions in housekeeping.
    pub payments: newsdesk_services::members::PaymentsConfig,
    /// `[cdn]`: where to send purges when content changes.
    pub cdn: cdn::CdnConfig,
    /// `[jobs]`: how long a job a worker took stays reserved for it.
    pub jobs: JobsConfig,
}

/// `[jobs]`: background jobs (narration, webhooks, mail, scheduled publishing).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobsConfig {
    /// How long a claimed job is reserved without word from its worker. A running job renews it every third of
    /// this, so a long job keeps it; a worker that dies on another machine loses its jobs to the others this long
    /// after its last renewal (on the same machine they are taken back at once: `identity`).
    pub lease_seconds: i64,
}

impl Default for JobsConfig {
    fn default() -> Self {
        JobsConfig { lease_seconds: 60 }
    }
}

impl JobsConfig {
    pub fn check(&self) -> Result<(), String> {
        if self.lease_seconds < 3 {
            return Err(format!("[jobs] lease_seconds must be 3 or more, got {}", self.lease_seconds));
        }
        Ok(())
    }
}

/// How often the upkeep runs, across all workers.
pub const UPKEEP_EVERY_SECONDS: i64 = 3600;

/// How long finished jobs stay listed in the admin before housekeeping deletes them (failed ones stay).
pub const DONE_JOBS_KEPT_SECONDS: i64 = 7 * 86_400;

/// Runs a job's future on its own task, so a panic in it ends that job, not the worker: the panic becomes a
/// permanent failure with its message, recorded like any other.
pub async fn caught<F>(job: F) -> Outcome
where
    F: std::future::Future<Output = Outcome> + Send + 'static,
{
    match tokio::spawn(job).await {
        Ok(outcome) => outcome,
        Err(e) if e.is_panic() => {
            let panic = e.into_panic();
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            tracing::error!(panic = %message, "job panicked");
            Outcome::Fail(format!("the job panicked: {message}"))
        }
        Err(e) => Outcome::Retry(format!("the job was cancelled: {e}")),
    }
}

pub struct Worker {
    store: Store,
    ctx: JobContext,
    /// Identifies this runner in `jobs.locked_by`: host, process and a random suffix.
    id: String,
    /// How long a claimed job is reserved before another runner may take it.
    lease_seconds: i64,
}

impl Worker {
    pub fn new(store: Store, ctx: JobContext) -> Worker {
        let lease_seconds = ctx.jobs.lease_seconds.max(3);
        Worker { store, ctx, id: identity::new_id(), lease_seconds }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Runs one due job if there is one. Returns whether a job ran.
    pub async fn run_once(&self) -> anyhow::Result<bool> {
        let Some(job) = self.store.claim_job(&self.id, self.lease_seconds).await? else {
            return Ok(false);
        };
        let start = std::time::Instant::now();
        let (store, ctx, claimed) = (self.store.clone(), self.ctx.clone(), job.clone());
        let work = caught(async move { jobs::run(&store, &ctx, &claimed).await });
        let outcome = self.keeping_lease(&job, work).await;
        let duration_ms = start.elapsed().as_secs_f64() * 1000.0;
        match outcome {
            Outcome::Done => {
                self.store.complete_job(job.id, &self.id).await?;
                tracing::info!(job.id = job.id, job.kind = %job.kind, duration_ms, "job done");
            }
            Outcome::Retry(e) => self.failed(&job, &e, false, duration_ms).await?,
            Outcome::Fail(e) => self.failed(&job, &e, true, duration_ms).await?,
        }
        Ok(true)
    }

    /// Runs `work`, renewing the job's lease every third of it meanwhile, so that a job longer than the lease is
    /// not taken by another worker while this one is alive.
    async fn keeping_lease(&self, job: &Job, work: impl std::future::Future<Output = Outcome>) -> Outcome {
        let every = Duration::from_secs((self.lease_seconds / 3).max(1) as u64);
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tokio::pin!(work);
        loop {
            tokio::select! {
                outcome = &mut work => return outcome,
                _ = renew.tick() => match self.store.renew_job_lease(job.id, &self.id, self.lease_seconds).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(job.id = job.id, job.kind = %job.kind,
                        "another worker took this job (its lease ran out); it finishes here too, unrecorded"),
                    Err(e) => tracing::warn!(job.id = job.id, error = %e, "could not renew a job's lease"),
                },
            }
        }
    }

    async fn failed(&self, job: &Job, error: &str, permanent: bool, duration_ms: f64) -> anyhow::Result<()> {
        tracing::warn!(job.id = job.id, job.kind = %job.kind, job.attempts = job.attempts, permanent, duration_ms, error, "job failed");
        self.store.fail_job(job, &self.id, error, permanent).await?;
        Ok(())
    }

    /// Takes back at once the jobs and delivery records held by workers of this host that provably died (see
    /// [`identity`]); a worker elsewhere loses its leases only when they run out. Returns how many were freed.
    pub async fn reclaim_from_the_dead(&self) -> anyhow::Result<u64> {
        let host = identity::host();
        let mut freed = 0;
        for holder in self.store.lease_holders(&format!("{host}:")).await? {
            if holder != self.id && identity::provably_dead(&holder) {
                let n = self.store.release_leases_of(&holder).await?;
                tracing::warn!(worker.id = %holder, released = n, "took back the leases of a worker that died");
                freed += n;
            }
        }
        Ok(freed)
    }

    /// The newsletter sender, when mail is configured.
    pub async fn sender(&self) -> anyhow::Result<Option<delivery::Sender>> {
        let Some(mailer) = self.ctx.mailer.clone() else { return Ok(None) };
        Ok(Some(
            delivery::Sender::new(
                self.store.clone(),
                mailer,
                self.ctx.newsletters.clone(),
                &self.ctx.site_url,
                &self.ctx.mail.from,
                &self.id,
            )
            .await?
            .with_grace(self.ctx.grace_seconds),
        ))
    }

    /// Periodic upkeep: deletes signups nobody confirmed in time, jobs done more than a week ago, expired
    /// sessions (staff and members'), login links that were used or ran out, and rate-limit windows that ended;
    /// reconciles with Stripe.
    pub async fn housekeeping(&self) -> anyhow::Result<()> {
        let now = newsdesk_store::now();
        let days = self.ctx.newsletters.purge_unconfirmed_after_days;
        if days > 0 {
            let purged = self.store.purge_unconfirmed(now - days * 86_400).await?;
            if purged > 0 {
                tracing::info!(purged, days, "unconfirmed newsletter signups purged");
            }
        }
        let jobs = self.store.purge_done_jobs(now - DONE_JOBS_KEPT_SECONDS).await?;
        let sessions = self.store.purge_expired_sessions(now).await?;
        let links = self.store.purge_spent_login_links(now).await?;
        let member_sessions = self.store.purge_member_sessions(now).await?;
        // The longest limit's window is an hour.
        let windows = self.store.purge_rate_limits(now - 2 * 3600).await?;
        if jobs + sessions + links + member_sessions + windows > 0 {
            tracing::info!(
                jobs,
                sessions,
                login_links = links,
                member_sessions,
                rate_windows = windows,
                "housekeeping purged"
            );
        }
        // Subscriptions as Stripe has them now (what webhooks missed while down); Stripe unreachable is not fatal.
        if let Err(e) = newsdesk_services::payments::reconcile(&self.store, &self.ctx.payments).await {
            tracing::warn!(error = format!("{e:#}"), "could not reconcile with Stripe");
        }
        Ok(())
    }

    /// Runs [`Worker::housekeeping`] when an hour has passed since any worker last did; returns whether this one did.
    pub async fn upkeep_if_due(&self) -> anyhow::Result<bool> {
        if !self.store.claim_periodic("housekeeping", UPKEEP_EVERY_SECONDS, newsdesk_store::now()).await? {
            return Ok(false);
        }
        self.housekeeping().await?;
        Ok(true)
    }

    /// Runs every job and newsletter delivery that is due now, then returns how many jobs and delivery batches
    /// ran. For tests and `newsdesk worker --once`.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        self.reclaim_from_the_dead().await?;
        self.housekeeping().await?;
        if let Err(e) = cdn::purge_if_changed(&self.store, &self.ctx.cdn, &reqwest::Client::new()).await {
            tracing::warn!(error = format!("{e:#}"), "could not purge the CDN");
        }
        let sender = self.sender().await?;
        let mut n = 0;
        loop {
            let mut worked = false;
            while self.run_once().await? {
                n += 1;
                worked = true;
            }
            if let Some(sender) = &sender {
                while sender.run_batch().await? > 0 {
                    n += 1;
                    worked = true;
                }
            }
            if !worked {
                return Ok(n);
            }
        }
    }

    /// Runs jobs, and delivers newsletters beside them, until `shutdown` turns true; work in progress is finished
    /// first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        tracing::info!(worker.id = %self.id, "worker started");
        if let Err(e) = self.reclaim_from_the_dead().await {
            tracing::error!(error = format!("{e:#}"), "could not take back the leases of dead workers");
        }
        let sender = match self.sender().await {
            Ok(Some(sender)) => Some(tokio::spawn(sender.run(shutdown.clone()))),
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "newsletter sender could not start");
                None
            }
        };
        let mut last_check: Option<std::time::Instant> = None;
        let http = reqwest::Client::new();
        let mut next_purge = std::time::Instant::now();
        loop {
            if *shutdown.borrow() {
                break;
            }
            // The CDN hears of changes within about a second; one that does not answer is asked again in 5 s.
            if !self.ctx.cdn.purge_url.is_empty() && std::time::Instant::now() >= next_purge {
                next_purge = std::time::Instant::now() + Duration::from_secs(1);
                if let Err(e) = cdn::purge_if_changed(&self.store, &self.ctx.cdn, &http).await {
                    tracing::warn!(error = format!("{e:#}"), "could not purge the CDN; trying again in 5 s");
                    next_purge = std::time::Instant::now() + Duration::from_secs(5);
                }
            }
            // Upkeep runs hourly, by one worker of however many there are; each looks a minute after the last.
            if last_check.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                if let Err(e) = self.upkeep_if_due().await {
                    tracing::error!(error = format!("{e:#}"), "housekeeping failed");
                }
                last_check = Some(std::time::Instant::now());
            }
            let ran = match self.run_once().await {
                Ok(ran) => ran,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "worker could not reach the queue");
                    false
                }
            };
            if !ran {
                // Idle: sleep until the next job is due (at most a second, so new work starts quickly).
                let wait = match self.store.next_job_due().await {
                    Ok(Some(at)) => (at - newsdesk_store::now()).clamp(0, 1) as u64,
                    _ => 1,
                };
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(if wait == 0 { 200 } else { wait * 1000 })) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
        if let Some(sender) = sender {
            let _ = sender.await;
        }
        tracing::info!(worker.id = %self.id, "worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::{Outcome, caught};

    /// Regression: a job that panicked silently stopped the worker inside `serve` while the site kept running.
    #[tokio::test]
    async fn a_panicking_job_becomes_a_failure_with_its_message() {
        let outcome = caught(async { panic!("the narration engine returned nonsense") }).await;
        match outcome {
            Outcome::Fail(m) => assert_eq!(m, "the job panicked: the narration engine returned nonsense"),
            other => panic!("expected a failure, got {other:?}"),
        }
        let formatted = caught(async {
            let n = 3;
            panic!("chunk {n} of 2")
        })
        .await;
        assert!(matches!(formatted, Outcome::Fail(m) if m.ends_with("chunk 3 of 2")));
        assert!(matches!(caught(async { Outcome::Done }).await, Outcome::Done), "the worker goes on");
    }
}
