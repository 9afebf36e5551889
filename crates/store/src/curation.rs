//! Editors' curation: the ordered Editors' Picks and the home page's lead and top-story slots. Only published
//! posts ever come out; a post that is unpublished drops out of both without anyone touching the lists.

use sqlx::AssertSqlSafe;

use crate::posts::Post;
use crate::site::{bump_content_version, bump_picks_version};
use crate::{Store, StoreError, StoreResult, now};

/// Home page slots, in page order.
pub const HOME_SLOTS: [&str; 5] = ["lead", "top1", "top2", "top3", "top4"];

impl Store {
    /// Published picks in the editors' order.
    pub async fn editors_picks(&self) -> StoreResult<Vec<Post>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT e.post_id FROM editors_picks e JOIN posts p ON p.id = e.post_id
             WHERE p.status = 'published' ORDER BY e.position, e.post_id",
        )
        .fetch_all(&self.pool)
        .await?;
        self.posts_by_ids(&ids).await
    }

    /// Every pick, published or not, with its status (for the admin).
    pub async fn editors_picks_all(&self) -> StoreResult<Vec<(i64, String, String)>> {
        Ok(sqlx::query_as(
            "SELECT e.post_id, p.title, p.status FROM editors_picks e JOIN posts p ON p.id = e.post_id ORDER BY e.position, e.post_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn add_pick(&self, post_id: i64, user_id: Option<i64>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(post_id).fetch_optional(&mut *tx).await?;
        if status.as_deref() != Some("published") {
            return Err(StoreError::Conflict {
                field: "post",
                message: "Only a published post can be an Editors' Pick.".into(),
            });
        }
        let next: Option<i64> =
            sqlx::query_scalar("SELECT MAX(position) FROM editors_picks").fetch_one(&mut *tx).await?;
        sqlx::query("INSERT INTO editors_picks (post_id, position, added_by, created_at) VALUES ($1, $2, $3, $4)")
            .bind(post_id)
            .bind(next.unwrap_or(0) + 1)
            .bind(user_id)
            .bind(now())
            .execute(&mut *tx)
            .await
            .map_err(StoreError::conflict_on("post", "That post is already an Editors' Pick."))?;
        bump_picks_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_pick(&self, post_id: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM editors_picks WHERE post_id = $1").bind(post_id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        bump_picks_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Moves a pick one place up (`-1`) or down (`+1`). A pick that was removed meanwhile is `NotFound`.
    pub async fn move_pick(&self, post_id: i64, delta: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let order: Vec<i64> = sqlx::query_scalar("SELECT post_id FROM editors_picks ORDER BY position, post_id")
            .fetch_all(&mut *tx)
            .await?;
        let Some(from) = order.iter().position(|p| *p == post_id) else { return Err(StoreError::NotFound) };
        let to = (from as i64 + delta).clamp(0, order.len() as i64 - 1) as usize;
        let mut order = order;
        let moved = order.remove(from);
        order.insert(to, moved);
        for (i, id) in order.iter().enumerate() {
            sqlx::query("UPDATE editors_picks SET position = $1 WHERE post_id = $2")
                .bind(i as i64 + 1)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        bump_picks_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Slot name → post id, for slots that hold a published post.
    pub async fn home_slots(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT h.slot, h.post_id FROM home_slots h JOIN posts p ON p.id = h.post_id WHERE p.status = 'published'",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sets or clears one slot. Only published posts can be placed.
    pub async fn set_home_slot(&self, slot: &str, post_id: Option<i64>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM home_slots WHERE slot = $1").bind(slot).execute(&mut *tx).await?;
        if let Some(id) = post_id {
            let status: Option<String> =
                sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            if status.as_deref() != Some("published") {
                return Err(StoreError::Conflict {
                    field: "post",
                    message: "Only a published post can lead the home page.".into(),
                });
            }
            sqlx::query(AssertSqlSafe("INSERT INTO home_slots (slot, post_id) VALUES ($1, $2)".to_owned()))
                .bind(slot)
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
