//! Fixed-window rate limits per key (client address and action). On PostgreSQL they are counted in the database,
//! so a limit holds across every node behind a load balancer (`store::rate_limits`); on SQLite (one machine) in
//! this process's memory. Should the database fail to count, the node's own memory decides for the moment.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use newsdesk_store::Store;

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (u32, Instant)>>,
    /// Where the counts are shared (PostgreSQL), if anywhere.
    shared: Option<Store>,
}

impl RateLimiter {
    /// Limits counted in `store` when it is PostgreSQL, else in memory.
    pub fn for_store(store: &Store) -> RateLimiter {
        let shared = (store.backend == newsdesk_store::Backend::Postgres).then(|| store.clone());
        RateLimiter { windows: Default::default(), shared }
    }

    /// Counts one attempt; false when `limit` attempts were already made within `window`.
    pub async fn allow(&self, key: &str, limit: u32, window: Duration) -> bool {
        if let Some(store) = &self.shared {
            match store.count_attempt(key, window.as_secs() as i64, newsdesk_store::now()).await {
                Ok(hits) => return hits <= i64::from(limit),
                Err(e) => tracing::warn!(error = %e, "rate limit: cannot count in the database; counting locally"),
            }
        }
        self.allow_here(key, limit, window)
    }

    fn allow_here(&self, key: &str, limit: u32, window: Duration) -> bool {
        let now = Instant::now();
        let Ok(mut map) = self.windows.lock() else {
            return true;
        };
        if map.len() > 100_000 {
            map.retain(|_, (_, start)| now.duration_since(*start) < window);
        }
        let entry = map.entry(key.to_owned()).or_insert((0, now));
        if now.duration_since(entry.1) >= window {
            *entry = (0, now);
        }
        entry.0 += 1;
        entry.0 <= limit
    }
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn blocks_after_the_limit_and_keeps_keys_apart() {
        let r = super::RateLimiter::default();
        let w = std::time::Duration::from_secs(60);
        assert!(r.allow("a", 2, w).await);
        assert!(r.allow("a", 2, w).await);
        assert!(!r.allow("a", 2, w).await);
        assert!(r.allow("b", 2, w).await);
    }
}
