//! Fixed-window rate limits per key (client address and action), kept in memory per node. Good enough to stop
//! password guessing and form floods; a CDN or proxy limits in front of several nodes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<String, (u32, Instant)>>,
}

impl RateLimiter {
    /// Counts one attempt; false when `limit` attempts were already made within `window`.
    pub fn allow(&self, key: &str, limit: u32, window: Duration) -> bool {
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
    #[test]
    fn blocks_after_the_limit_and_keeps_keys_apart() {
        let r = super::RateLimiter::default();
        let w = std::time::Duration::from_secs(60);
        assert!(r.allow("a", 2, w));
        assert!(r.allow("a", 2, w));
        assert!(!r.allow("a", 2, w));
        assert!(r.allow("b", 2, w));
    }
}
