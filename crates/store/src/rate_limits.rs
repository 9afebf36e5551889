//! Rate limits shared by every node (PostgreSQL): one row per key and fixed window, counted by an upsert, so a
//! limit holds however a load balancer spreads the requests. Keys are stored as SHA-256, never as addresses.

use sha2::{Digest, Sha256};

use crate::{Store, StoreResult};

impl Store {
    /// Counts one attempt at `key` in the current window of `window_seconds` and returns the attempts in it so far.
    pub async fn count_attempt(&self, key: &str, window_seconds: i64, now: i64) -> StoreResult<i64> {
        let window = window_seconds.max(1);
        let start = now - now.rem_euclid(window);
        let hashed = hex::encode(Sha256::digest(key.as_bytes()));
        let hits: i64 = sqlx::query_scalar(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)
             ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits",
        )
        .bind(hashed)
        .bind(start)
        .fetch_one(&self.pool)
        .await?;
        Ok(hits)
    }

    /// Drops windows that started before `before`.
    pub async fn purge_rate_limits(&self, before: i64) -> StoreResult<u64> {
        let r = sqlx::query("DELETE FROM rate_limits WHERE window_start < $1").bind(before).execute(&self.pool).await?;
        Ok(r.rows_affected())
    }
}
