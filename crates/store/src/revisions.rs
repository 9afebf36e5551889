//! Post revisions: every save keeps the text as it then was, who saved it and when.

use serde::Serialize;
use sqlx::AnyConnection;

use crate::{Store, StoreResult, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Revision {
    pub id: i64,
    pub post_id: i64,
    pub revision: i64,
    pub user_id: Option<i64>,
    pub user_name: Option<String>,
    pub title: String,
    pub slug: String,
    pub excerpt: Option<String>,
    pub body_md: String,
    /// The document JSON as it then was (empty for revisions saved before the document model).
    pub body_doc: String,
    pub status: String,
    pub created_at: i64,
}

/// Records the post's current row as a revision, inside the caller's transaction.
pub async fn record(conn: &mut AnyConnection, post_id: i64, user_id: Option<i64>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO post_revisions (post_id, revision, user_id, title, slug, excerpt, body_md, body_doc, status, created_at)
         SELECT id, revision, $2, title, slug, excerpt, body_md, body_doc, status, $3 FROM posts WHERE id = $1
         ON CONFLICT (post_id, revision) DO NOTHING",
    )
    .bind(post_id)
    .bind(user_id)
    .bind(now())
    .execute(conn)
    .await?;
    Ok(())
}

const SELECT: &str = "SELECT r.id, r.post_id, r.revision, r.user_id, u.name AS user_name, r.title, r.slug, r.excerpt,
    r.body_md, r.body_doc, r.status, r.created_at FROM post_revisions r LEFT JOIN users u ON u.id = r.user_id";

impl Store {
    /// A post's revisions, newest first.
    pub async fn revisions(&self, post_id: i64) -> StoreResult<Vec<Revision>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.post_id = $1 ORDER BY r.revision DESC")))
            .bind(post_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn revision(&self, post_id: i64, revision: i64) -> StoreResult<Option<Revision>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE r.post_id = $1 AND r.revision = $2")))
            .bind(post_id)
            .bind(revision)
            .fetch_optional(&self.pool)
            .await?)
    }
}
