//! Keeps a CDN in front of the site correct: public responses carry cache tags (`Surrogate-Key` and `Cache-Tag`:
//! `content` on every page, `feed` on pages that show the News Feed), and when content or the News Feed changes,
//! a worker asks the CDN to purge the tags that changed, through `[cdn] purge_url`. The request is a `POST` with
//! the tags both in a `Surrogate-Key` header (space-separated, as Fastly's purge takes them) and in a JSON body
//! `{"tags": [...]}` (as Cloudflare's does), with `Authorization: Bearer <purge_token>` when a token is set.
//!
//! What the CDN was last told is in the database, so one purge goes out per change whichever worker sees it
//! (two workers racing send it twice, which is harmless); a CDN that does not answer is asked again a few
//! seconds later, and a burst of changes (an import) becomes one purge.

use std::time::Duration;

use newsdesk_store::Store;
use serde::Deserialize;

/// `[cdn]`.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CdnConfig {
    /// Where purge requests go; empty turns purging off.
    pub purge_url: String,
    /// Sent as a bearer token with each purge; never logged.
    pub purge_token: String,
}

impl std::fmt::Debug for CdnConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = if self.purge_token.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("CdnConfig").field("purge_url", &self.purge_url).field("purge_token", &token).finish()
    }
}

/// The tags public responses carry: every page is `content`; pages showing the News Feed are also `feed`.
pub const CONTENT: &str = "content";
pub const FEED: &str = "feed";

/// Purges what changed since the CDN was last told; returns the tags purged (none when nothing changed or purging
/// is off). An error leaves the record as it was, so the next call tries again.
pub async fn purge_if_changed(
    store: &Store,
    cdn: &CdnConfig,
    http: &reqwest::Client,
) -> anyhow::Result<Vec<&'static str>> {
    if cdn.purge_url.is_empty() {
        return Ok(Vec::new());
    }
    let (content, feed) = store.versions().await?;
    let (told_content, told_feed) = store.cdn_told().await?;
    let mut tags = Vec::new();
    if content > told_content {
        tags.push(CONTENT);
    }
    if feed > told_feed && !tags.contains(&CONTENT) {
        // Pages that show the feed are `content` too: a content purge covers them.
        tags.push(FEED);
    }
    if tags.is_empty() {
        return Ok(tags);
    }
    let mut req = http
        .post(&cdn.purge_url)
        .header("Surrogate-Key", tags.join(" "))
        .json(&serde_json::json!({ "tags": tags }))
        .timeout(Duration::from_secs(10));
    if !cdn.purge_token.is_empty() {
        req = req.bearer_auth(&cdn.purge_token);
    }
    let r = req.send().await.map_err(|e| anyhow::anyhow!("the CDN's purge URL did not answer: {}", e.without_url()))?;
    if !r.status().is_success() {
        anyhow::bail!("the CDN refused the purge: HTTP {}", r.status().as_u16());
    }
    store.set_cdn_told(content, feed).await?;
    tracing::info!(tags = tags.join(" "), content_version = content, feed_seq = feed, "CDN purged");
    Ok(tags)
}
