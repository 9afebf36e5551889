//! Site-wide state: the content version that every change to public content bumps, so page caches on every node
//! know when to throw pages away.

use sqlx::AnyConnection;

use crate::{Store, StoreResult};

/// What a node's page cache is current to: the content version, and the versions of the parts of pages that
/// change on their own (spliced into cached pages instead of re-rendering them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Versions {
    pub content: i64,
    /// The News Feed's newest event sequence.
    pub feed: i64,
    /// Bumped by every change to the Editors' Picks.
    pub picks: i64,
}

impl Store {
    /// The content version and the parts' versions, in one query.
    pub async fn versions(&self) -> StoreResult<Versions> {
        let (content, feed, picks) = sqlx::query_as(
            "SELECT content_version, COALESCE((SELECT MAX(seq) FROM feed_events), 0), picks_version
             FROM site_state WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Versions { content, feed, picks })
    }

    pub async fn content_version(&self) -> StoreResult<i64> {
        let v: i64 =
            sqlx::query_scalar("SELECT content_version FROM site_state WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(v)
    }
}

/// Bumps the Editors' Picks' version inside the caller's transaction (nodes hear of it like of a content change).
pub async fn bump_picks_version(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("UPDATE site_state SET picks_version = picks_version + 1 WHERE id = 1").execute(&mut *conn).await?;
    crate::notify::notify(conn, crate::notify::CONTENT).await
}

/// Bumps the content version inside the caller's transaction.
pub async fn bump_content_version(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("UPDATE site_state SET content_version = content_version + 1 WHERE id = 1").execute(&mut *conn).await?;
    crate::notify::notify(conn, crate::notify::CONTENT).await
}
