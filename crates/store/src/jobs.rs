//! The durable job queue.
//!
//! A job is enqueued in the same transaction as its cause, so it exists exactly when the cause committed. Workers
//! claim a due job by taking a lease (`locked_until`); a worker that dies loses its lease and the job is claimed
//! again. Failures are retried with exponential backoff until `max_attempts`, then the job stays `failed`, visible in
//! the admin. Handlers must be idempotent: a job can run more than once if a worker dies after the work and before
//! `complete`.

use serde::Serialize;
use sqlx::AnyConnection;

use sqlx::AssertSqlSafe;

use crate::{Backend, Store, StoreResult, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// JSON text.
    pub payload: String,
    pub dedupe_key: Option<String>,
    /// "queued", "running", "done" or "failed".
    pub status: String,
    pub run_at: i64,
    pub attempts: i64,
    pub max_attempts: i64,
    pub locked_by: Option<String>,
    pub locked_until: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

/// A job's payload: one type per kind. The code that enqueues a job and the job that runs it share this one
/// definition (`NewJob::of` writes it, `Job::payload` reads it back), so the two cannot drift apart.
pub trait Payload: Serialize + serde::de::DeserializeOwned {
    /// The `jobs.kind` it is stored under.
    const KIND: &'static str;
    /// Attempts before the job is failed for good.
    const MAX_ATTEMPTS: i64;
}

impl NewJob<'static> {
    /// A job carrying `payload`, due at `run_at`; `dedupe_key` keeps a second one from being queued.
    pub fn of<P: Payload>(payload: &P, run_at: i64, dedupe_key: Option<String>) -> NewJob<'static> {
        NewJob {
            kind: P::KIND,
            payload: serde_json::to_value(payload).unwrap_or_default(),
            run_at,
            dedupe_key,
            max_attempts: P::MAX_ATTEMPTS,
        }
    }
}

impl Job {
    /// The job's payload as the type its kind says; an error names what is wrong.
    pub fn payload<P: Payload>(&self) -> Result<P, String> {
        if self.kind != P::KIND {
            return Err(format!("a \"{}\" job read as \"{}\"", self.kind, P::KIND));
        }
        serde_json::from_str(&self.payload).map_err(|e| format!("bad payload: {e}"))
    }
}

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub run_at: i64,
    /// When set, a second job with the same key is not created (double-clicks, repeated saves).
    pub dedupe_key: Option<String>,
    pub max_attempts: i64,
}

/// Enqueues inside the caller's transaction. Returns false when a job with the same dedupe key already exists.
pub async fn enqueue(conn: &mut AnyConnection, job: &NewJob<'_>) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO jobs (kind, payload, dedupe_key, status, run_at, attempts, max_attempts, created_at)
         VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(job.kind)
    .bind(job.payload.to_string())
    .bind(job.dedupe_key.as_deref())
    .bind(job.run_at)
    .bind(job.max_attempts)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Seconds to wait before attempt `attempts + 1`: 10 s, 20 s, 40 s … capped at one hour.
pub fn backoff_seconds(attempts: i64) -> i64 {
    (10i64 << attempts.clamp(0, 20) as u32 >> 1).clamp(10, 3600)
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct JobCounts {
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// The job queue of one kind of job, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub struct QueueDepth {
    pub kind: String,
    /// Queued and due now.
    pub due: i64,
    /// Held by a worker.
    pub running: i64,
    /// Seconds the oldest due job has waited past its time.
    pub oldest_wait: i64,
}

impl Store {
    /// Claims the periodic work `name` for this run if it last ran `every` seconds ago or more (or never): true for
    /// exactly one of the workers asking at once, which then does it.
    pub async fn claim_periodic(&self, name: &str, every: i64, now: i64) -> StoreResult<bool> {
        let claimed: Option<String> = sqlx::query_scalar(
            "INSERT INTO periodic_runs (name, last_run) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run WHERE periodic_runs.last_run <= $3
             RETURNING name",
        )
        .bind(name)
        .bind(now)
        .bind(now - every)
        .fetch_optional(&self.pool)
        .await?;
        Ok(claimed.is_some())
    }

    /// What the CDN in front was last told to purge (`worker::cdn`): the versions it is current to, kept in
    /// `periodic_runs` as `cdn:content`, `cdn:feed` and `cdn:picks` (0 when never told).
    pub async fn cdn_told(&self) -> StoreResult<crate::site::Versions> {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT name, last_run FROM periodic_runs WHERE name IN ('cdn:content', 'cdn:feed', 'cdn:picks')",
        )
        .fetch_all(&self.pool)
        .await?;
        let of = |n: &str| rows.iter().find(|(name, _)| name == n).map_or(0, |(_, v)| *v);
        Ok(crate::site::Versions { content: of("cdn:content"), feed: of("cdn:feed"), picks: of("cdn:picks") })
    }

    /// Records that the CDN was told of everything up to `told` (never moving any version back, when two workers
    /// purge at once).
    pub async fn set_cdn_told(&self, told: &crate::site::Versions) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for (name, v) in [("cdn:content", told.content), ("cdn:feed", told.feed), ("cdn:picks", told.picks)] {
            sqlx::query(
                "INSERT INTO periodic_runs (name, last_run) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run
                 WHERE periodic_runs.last_run < excluded.last_run",
            )
            .bind(name)
            .bind(v)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The queue by kind of job: how many are due and running, and how long the oldest due one has waited (two
    /// queries on the `(status, run_at)` index, over waiting and running jobs only).
    pub async fn job_queue(&self, now: i64) -> StoreResult<Vec<QueueDepth>> {
        let due: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*), MIN(run_at) FROM jobs WHERE status = 'queued' AND run_at <= $1 GROUP BY kind",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        let running: Vec<(String, i64)> =
            sqlx::query_as("SELECT kind, COUNT(*) FROM jobs WHERE status = 'running' GROUP BY kind")
                .fetch_all(&self.pool)
                .await?;
        let mut out: std::collections::BTreeMap<String, QueueDepth> = Default::default();
        for (kind, n, oldest) in due {
            out.insert(kind.clone(), QueueDepth { kind, due: n, running: 0, oldest_wait: (now - oldest).max(0) });
        }
        for (kind, n) in running {
            out.entry(kind.clone()).or_insert_with(|| QueueDepth { kind, ..Default::default() }).running = n;
        }
        Ok(out.into_values().collect())
    }

    pub async fn enqueue(&self, job: &NewJob<'_>) -> StoreResult<bool> {
        let mut conn = self.pool.acquire().await?;
        enqueue(&mut conn, job).await
    }

    /// Workers whose id starts with `prefix` (a host) and that hold a lease now: on a running job or a delivery
    /// record being sent.
    pub async fn lease_holders(&self, prefix: &str) -> StoreResult<Vec<String>> {
        let pattern = format!("{}%", prefix.replace('%', "").replace('_', "\\_"));
        Ok(sqlx::query_scalar(
            "SELECT locked_by FROM jobs WHERE status = 'running' AND locked_by LIKE $1 ESCAPE '\\'
             UNION SELECT claimed_by FROM deliveries WHERE status = 'sending' AND claimed_by LIKE $1 ESCAPE '\\'",
        )
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Frees everything `worker` holds (it died): its running jobs are due again (the attempt counts), its claimed
    /// delivery records go back to the queue. Returns how many.
    pub async fn release_leases_of(&self, worker: &str) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let jobs = sqlx::query(
            "UPDATE jobs SET status = 'queued', locked_by = NULL, locked_until = NULL, run_at = $1
             WHERE status = 'running' AND locked_by = $2",
        )
        .bind(now())
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let records = sqlx::query(
            "UPDATE deliveries SET status = 'queued', claimed_until = NULL, claimed_by = NULL
             WHERE status = 'sending' AND claimed_by = $1",
        )
        .bind(worker)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(jobs + records)
    }

    /// Deletes jobs that finished successfully before `before` (failed jobs stay for the admin). Returns how many.
    pub async fn purge_done_jobs(&self, before: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM jobs WHERE status = 'done' AND finished_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Claims the next due job (or one whose lease expired) for `lease_seconds`.
    pub async fn claim_job(&self, worker: &str, lease_seconds: i64) -> StoreResult<Option<Job>> {
        let t = now();
        let pick = match self.backend {
            Backend::Postgres => {
                "SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3)
                    OR (status = 'running' AND locked_until < $3)
                ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
            }
            // SQLite has one writer at a time, so the UPDATE below is atomic with its sub-select.
            Backend::Sqlite => {
                "SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3)
                    OR (status = 'running' AND locked_until < $3)
                ORDER BY run_at, id LIMIT 1"
            }
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1
             WHERE id = ({pick}) RETURNING *"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql.clone()))
            .bind(worker)
            .bind(t + lease_seconds)
            .bind(t)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Extends `worker`'s lease on a running job to `lease_seconds` from now; false when it is no longer that
    /// worker's (the lease ran out and another took it, or it ended).
    pub async fn renew_job_lease(&self, id: i64, worker: &str, lease_seconds: i64) -> StoreResult<bool> {
        let done =
            sqlx::query("UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND status = 'running'")
                .bind(now() + lease_seconds)
                .bind(id)
                .bind(worker)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a claimed job done. Ignored when the lease was lost to another worker in the meantime.
    pub async fn complete_job(&self, id: i64, worker: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'done', finished_at = $1, locked_by = NULL, locked_until = NULL, last_error = NULL
             WHERE id = $2 AND locked_by = $3",
        )
        .bind(now())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a failure: retried after a backoff, or `failed` for good once attempts are used up
    /// (or at once when `permanent`).
    pub async fn fail_job(&self, job: &Job, worker: &str, error: &str, permanent: bool) -> StoreResult<()> {
        let t = now();
        let give_up = permanent || job.attempts >= job.max_attempts;
        let error: String = error.chars().take(2000).collect();
        sqlx::query(
            "UPDATE jobs SET status = $1, run_at = $2, last_error = $3, locked_by = NULL, locked_until = NULL,
                finished_at = $4
             WHERE id = $5 AND locked_by = $6",
        )
        .bind(if give_up { "failed" } else { "queued" })
        .bind(t + backoff_seconds(job.attempts))
        .bind(error)
        .bind(if give_up { Some(t) } else { None })
        .bind(job.id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Puts a failed job back in the queue (from the admin).
    pub async fn retry_job(&self, id: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE jobs SET status = 'queued', run_at = $1, attempts = 0, finished_at = NULL WHERE id = $2 AND status = 'failed'",
        )
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn jobs(&self, status: Option<&str>, limit: i64) -> StoreResult<Vec<Job>> {
        Ok(sqlx::query_as("SELECT * FROM jobs WHERE ($1 = '' OR status = $1) ORDER BY id DESC LIMIT $2")
            .bind(status.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn job_counts(&self) -> StoreResult<JobCounts> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(&self.pool).await?;
        let mut c = JobCounts::default();
        for (s, n) in rows {
            match s.as_str() {
                "queued" => c.queued = n,
                "running" => c.running = n,
                "done" => c.done = n,
                _ => c.failed = n,
            }
        }
        Ok(c)
    }

    /// When the next queued job is due, so an idle worker can sleep until then.
    pub async fn next_job_due(&self) -> StoreResult<Option<i64>> {
        Ok(sqlx::query_scalar("SELECT MIN(run_at) FROM jobs WHERE status = 'queued'").fetch_one(&self.pool).await?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(super::backoff_seconds(1), 10);
        assert_eq!(super::backoff_seconds(2), 20);
        assert_eq!(super::backoff_seconds(3), 40);
        assert_eq!(super::backoff_seconds(30), 3600);
    }
}
