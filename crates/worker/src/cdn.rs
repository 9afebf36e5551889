//! Keeps a CDN in front of the site correct: public responses carry cache tags (`Surrogate-Key` and `Cache-Tag`:
//! `content` on every page, `feed` on pages that show the News Feed, `picks` on pages that show the Editors'
//! Picks), and when content, the News Feed or the picks change,
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

/// The tags public responses carry: every page is `content`; pages showing the News Feed are also `feed`, and
/// pages showing the Editors' Picks `picks`.
pub const CONTENT: &str = "content";
pub const FEED: &str = "feed";
pub const PICKS: &str = "picks";

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
    let now = store.versions().await?;
    let told = store.cdn_told().await?;
    let mut tags = Vec::new();
    if now.content > told.content {
        // Every page is `content`: a content purge covers the parts too.
        tags.push(CONTENT);
    } else {
        if now.feed > told.feed {
            tags.push(FEED);
        }
        if now.picks > told.picks {
            tags.push(PICKS);
        }
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
    store.set_cdn_told(&now).await?;
    tracing::info!(tags = tags.join(" "), content_version = now.content, feed_seq = now.feed, "CDN purged");
    Ok(tags)
}
