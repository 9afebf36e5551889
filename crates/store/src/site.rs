//! Site-wide state: the content version that every change to public content bumps, so page caches on every node
//! know when to throw pages away.

use sqlx::AnyConnection;

use crate::{Store, StoreResult};

impl Store {
    /// The content version and the News Feed's newest event sequence, in one query: what a node's page cache is
    /// current to.
    pub async fn versions(&self) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT content_version, COALESCE((SELECT MAX(seq) FROM feed_events), 0) FROM site_state WHERE id = 1",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn content_version(&self) -> StoreResult<i64> {
        let v: i64 =
            sqlx::query_scalar("SELECT content_version FROM site_state WHERE id = 1").fetch_one(&self.pool).await?;
        Ok(v)
    }
}

/// Bumps the content version inside the caller's transaction.
pub async fn bump_content_version(conn: &mut AnyConnection) -> StoreResult<()> {
    sqlx::query("UPDATE site_state SET content_version = content_version + 1 WHERE id = 1").execute(&mut *conn).await?;
    crate::notify::notify(conn, crate::notify::CONTENT).await
}
