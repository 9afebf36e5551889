//! Audio editions: the narrated version of a post. The job queue creates and updates them; pages show the last
//! successful narration (`file`), which stays in place while a newer narration runs, so a player never breaks.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::site::bump_content_version;
use crate::{Store, StoreResult, now, placeholders};

/// Job kind that narrates a post.
pub const JOB_NARRATE: &str = "narrate";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct AudioEdition {
    pub post_id: i64,
    pub status: String,
    pub file: Option<String>,
    pub opus_file: Option<String>,
    pub text_hash: Option<String>,
    pub engine: Option<String>,
    pub voice: Option<String>,
    pub duration_ms: Option<i64>,
    pub bytes: Option<i64>,
    pub progress: Option<String>,
    pub error: Option<String>,
    pub updated_at: i64,
}

/// A finished narration.
pub struct ReadyAudio<'a> {
    pub file: &'a str,
    pub opus_file: Option<&'a str>,
    pub text_hash: &'a str,
    pub engine: &'a str,
    pub voice: &'a str,
    pub duration_ms: i64,
    pub bytes: i64,
}

impl Store {
    pub async fn audio_edition(&self, post_id: i64) -> StoreResult<Option<AudioEdition>> {
        Ok(sqlx::query_as("SELECT * FROM audio_editions WHERE post_id = $1")
            .bind(post_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Editions of several posts (lists, feeds), by post id.
    pub async fn audio_editions(&self, post_ids: &[i64]) -> StoreResult<HashMap<i64, AudioEdition>> {
        if post_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!("SELECT * FROM audio_editions WHERE post_id IN ({})", placeholders(1, post_ids.len()));
        let mut q = sqlx::query_as::<_, AudioEdition>(AssertSqlSafe(sql));
        for id in post_ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?.into_iter().map(|a| (a.post_id, a)).collect())
    }

    /// Published public stories with audio, newest first (the podcast feed: the audio of a story not for everyone
    /// is only for those who may read it).
    pub async fn narrated_post_ids(&self, tag_id: Option<i64>, limit: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT p.id FROM posts p JOIN audio_editions a ON a.post_id = p.id
             WHERE p.status = 'published' AND p.narration = 1 AND a.file IS NOT NULL AND p.visibility = 'public'
               AND ($1 = 0 OR EXISTS (SELECT 1 FROM post_tags pt WHERE pt.post_id = p.id AND pt.tag_id = $1))
             ORDER BY p.published_at DESC, p.id DESC LIMIT {limit}"
        )))
        .bind(tag_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records the state of the latest narration (queued, running, failed, off) with a progress note or error;
    /// the audio readers get is not touched.
    pub async fn set_audio_state(
        &self,
        post_id: i64,
        status: &str,
        progress: Option<&str>,
        error: Option<&str>,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audio_editions (post_id, status, progress, error, updated_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (post_id) DO UPDATE SET status = $2, progress = $3, error = $4, updated_at = $5",
        )
        .bind(post_id)
        .bind(status)
        .bind(progress)
        .bind(error)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Publishes a finished narration; returns the file it replaced (to delete).
    pub async fn set_audio_ready(&self, post_id: i64, a: &ReadyAudio<'_>) -> StoreResult<Option<String>> {
        let mut tx = self.write_tx().await?;
        let old: Option<Option<String>> = sqlx::query_scalar("SELECT file FROM audio_editions WHERE post_id = $1")
            .bind(post_id)
            .fetch_optional(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO audio_editions (post_id, status, file, opus_file, text_hash, engine, voice, duration_ms, bytes, progress, error, updated_at)
             VALUES ($1, 'ready', $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9)
             ON CONFLICT (post_id) DO UPDATE SET status = 'ready', file = $2, opus_file = $3, text_hash = $4, engine = $5,
                voice = $6, duration_ms = $7, bytes = $8, progress = NULL, error = NULL, updated_at = $9",
        )
        .bind(post_id)
        .bind(a.file)
        .bind(a.opus_file)
        .bind(a.text_hash)
        .bind(a.engine)
        .bind(a.voice)
        .bind(a.duration_ms)
        .bind(a.bytes)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(old.flatten().filter(|f| f != a.file))
    }

    /// Turns narration of a post on or off. Off hides the player at once; on queues a narration.
    pub async fn set_narration(&self, post_id: i64, on: bool) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE posts SET narration = $1 WHERE id = $2")
            .bind(i64::from(on))
            .bind(post_id)
            .execute(&mut *tx)
            .await?;
        if on {
            enqueue_narration(&mut tx, post_id, &format!("on-{}", now())).await?;
        } else {
            sqlx::query("UPDATE audio_editions SET status = 'off', progress = NULL, error = $1, updated_at = $2 WHERE post_id = $3")
                .bind("Narration is turned off for this article.")
                .bind(now())
                .bind(post_id)
                .execute(&mut *tx)
                .await?;
        }
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn narration_enabled(&self, post_id: i64) -> StoreResult<bool> {
        let v: Option<i64> = sqlx::query_scalar("SELECT narration FROM posts WHERE id = $1")
            .bind(post_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v == Some(1))
    }

    /// Queues a narration now (the admin's "Narrate again"); `force` re-narrates even unchanged text.
    pub async fn request_narration(&self, post_id: i64, force: bool) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        let key = format!("{}-{}", if force { "force" } else { "again" }, now());
        let job = crate::jobs::NewJob::of(&Narrate { post_id, force }, now(), Some(format!("narrate:{post_id}:{key}")));
        crate::jobs::enqueue(&mut conn, &job).await?;
        Ok(())
    }
}

/// The payload of a narration: the post, and whether to narrate even unchanged text.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Narrate {
    pub post_id: i64,
    #[serde(default)]
    pub force: bool,
}

impl crate::jobs::Payload for Narrate {
    const KIND: &'static str = JOB_NARRATE;
    const MAX_ATTEMPTS: i64 = 5;
}

/// Queues a narration inside the caller's transaction; `key` makes it unique (a revision, say).
pub async fn enqueue_narration(conn: &mut sqlx::AnyConnection, post_id: i64, key: &str) -> StoreResult<()> {
    let job =
        crate::jobs::NewJob::of(&Narrate { post_id, force: false }, now(), Some(format!("narrate:{post_id}:{key}")));
    crate::jobs::enqueue(conn, &job).await?;
    Ok(())
}
