//! Corrections and updates: an append-only log per article. The database refuses UPDATE and DELETE on it (a
//! trigger on both engines), and a post that has corrections cannot be deleted, only unpublished.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::site::bump_content_version;
use crate::{Store, StoreError, StoreResult, now, placeholders};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Correction {
    pub id: i64,
    pub post_id: i64,
    /// "correction" or "update".
    pub kind: String,
    pub body: String,
    pub created_by: Option<i64>,
    pub created_at: i64,
}

impl Store {
    /// Appends a correction or update to a published post and bumps the post's modified time.
    pub async fn add_correction(
        &self,
        post_id: i64,
        kind: &str,
        body: &str,
        user_id: Option<i64>,
    ) -> StoreResult<Correction> {
        let mut tx = self.write_tx().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(post_id).fetch_optional(&mut *tx).await?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound),
            Some("published") => {}
            Some(_) => {
                return Err(StoreError::Conflict {
                    field: "correction",
                    message: "Corrections go on published articles; edit the draft instead.".into(),
                });
            }
        }
        let t = now();
        let c: Correction = sqlx::query_as(
            "INSERT INTO corrections (post_id, kind, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *",
        )
        .bind(post_id)
        .bind(kind)
        .bind(body)
        .bind(user_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("UPDATE posts SET updated_at = $1 WHERE id = $2").bind(t).bind(post_id).execute(&mut *tx).await?;
        let slug: String =
            sqlx::query_scalar("SELECT slug FROM posts WHERE id = $1").bind(post_id).fetch_one(&mut *tx).await?;
        let data = serde_json::json!({ "id": c.id, "post_id": post_id, "kind": kind, "body": body, "path": format!("/{slug}/") });
        crate::webhooks::emit(&mut tx, "correction.added", data).await?;
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Corrections of several posts, oldest first per post.
    pub async fn corrections_for(&self, post_ids: &[i64]) -> StoreResult<HashMap<i64, Vec<Correction>>> {
        let mut out: HashMap<i64, Vec<Correction>> = HashMap::new();
        if post_ids.is_empty() {
            return Ok(out);
        }
        let sql = format!(
            "SELECT * FROM corrections WHERE post_id IN ({}) ORDER BY post_id, id",
            placeholders(1, post_ids.len())
        );
        let mut q = sqlx::query_as::<_, Correction>(AssertSqlSafe(sql));
        for id in post_ids {
            q = q.bind(*id);
        }
        for c in q.fetch_all(&self.pool).await? {
            out.entry(c.post_id).or_default().push(c);
        }
        Ok(out)
    }
}
