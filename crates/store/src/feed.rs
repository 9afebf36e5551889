//! The News Feed: short timestamped items, and the ordered log of their changes (`feed_events`) that live pages
//! replay over server-sent events. A retraction keeps the item, marked retracted with a note.

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::{Store, StoreError, StoreResult, now, placeholders};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct FeedItem {
    pub id: i64,
    pub headline: String,
    pub summary: String,
    pub url: Option<String>,
    pub post_id: Option<i64>,
    pub post_slug: Option<String>,
    pub tag_id: Option<i64>,
    pub tag_name: Option<String>,
    pub tag_slug: Option<String>,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub author_slug: Option<String>,
    pub author_kind: Option<String>,
    pub published_at: i64,
    pub updated_at: i64,
    pub retracted_at: Option<i64>,
    pub retraction_note: Option<String>,
}

pub struct FeedItemInput<'a> {
    pub headline: &'a str,
    pub summary: &'a str,
    pub url: Option<&'a str>,
    pub post_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedEvent {
    pub seq: i64,
    pub item_id: i64,
    pub kind: String,
}

const SELECT: &str = "SELECT f.id, f.headline, f.summary, f.url, f.post_id, p.slug AS post_slug, f.tag_id,
        t.name AS tag_name, t.slug AS tag_slug, f.author_id, a.name AS author_name, a.slug AS author_slug,
        a.kind AS author_kind, f.published_at, f.updated_at, f.retracted_at, f.retraction_note
    FROM feed_items f
    LEFT JOIN posts p ON p.id = f.post_id AND p.status = 'published'
    LEFT JOIN tags t ON t.id = f.tag_id
    LEFT JOIN authors a ON a.id = f.author_id";

async fn log_event(conn: &mut AnyConnection, item_id: i64, kind: &str) -> StoreResult<()> {
    // Streams read events in sequence order and remember the last: on PostgreSQL two writers could commit their
    // events out of sequence order and a reader would skip the earlier one, so feed writes take turns (SQLite's
    // writes always do).
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_advisory_xact_lock(7342002)").execute(&mut *conn).await?;
    }
    sqlx::query("INSERT INTO feed_events (item_id, kind, created_at) VALUES ($1, $2, $3)")
        .bind(item_id)
        .bind(kind)
        .bind(now())
        .execute(&mut *conn)
        .await?;
    crate::notify::notify(conn, crate::notify::FEED).await?;
    type Item = (String, String, Option<String>, Option<String>, i64);
    let item: Option<Item> =
        sqlx::query_as("SELECT headline, summary, url, retraction_note, published_at FROM feed_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some((headline, summary, url, note, published_at)) = item {
        let data = serde_json::json!({
            "id": item_id, "headline": headline, "summary": summary, "url": url, "retraction_note": note,
            "published_at": jiff::Timestamp::from_second(published_at).map(|t| t.to_string()).ok(),
            "path": format!("/news-feed/#item-{item_id}"),
        });
        crate::webhooks::emit(conn, &format!("feed_item.{kind}"), data).await?;
    }
    // No content version bump: pages show the News Feed as a fragment that nodes splice in anew when the event
    // sequence moves (web::cache), so an item does not make every page render again. The notice above tells them.
    Ok(())
}

impl Store {
    pub async fn create_feed_item(&self, input: &FeedItemInput<'_>, created_by: Option<i64>) -> StoreResult<i64> {
        self.create_feed_item_at(input, created_by, now()).await
    }

    /// Adds an item stamped `published_at` (an import, or the demo's morning of updates).
    pub async fn create_feed_item_at(
        &self,
        input: &FeedItemInput<'_>,
        created_by: Option<i64>,
        published_at: i64,
    ) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        let t = published_at;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO feed_items (headline, summary, url, post_id, tag_id, author_id, created_by, published_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        )
        .bind(input.headline)
        .bind(input.summary)
        .bind(input.url)
        .bind(input.post_id)
        .bind(input.tag_id)
        .bind(input.author_id)
        .bind(created_by)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?;
        log_event(&mut tx, id, "created").await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn update_feed_item(&self, id: i64, input: &FeedItemInput<'_>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE feed_items SET headline = $1, summary = $2, url = $3, post_id = $4, tag_id = $5, author_id = $6,
                updated_at = $7
             WHERE id = $8 AND retracted_at IS NULL",
        )
        .bind(input.headline)
        .bind(input.summary)
        .bind(input.url)
        .bind(input.post_id)
        .bind(input.tag_id)
        .bind(input.author_id)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.feed_item_state_error(id).await);
        }
        log_event(&mut tx, id, "updated").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks an item retracted with a note; it stays visible, marked as such.
    pub async fn retract_feed_item(&self, id: i64, note: &str) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let done = sqlx::query(
            "UPDATE feed_items SET retracted_at = $1, retraction_note = $2, updated_at = $1 WHERE id = $3 AND retracted_at IS NULL",
        )
        .bind(t)
        .bind(note)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(self.feed_item_state_error(id).await);
        }
        log_event(&mut tx, id, "retracted").await?;
        tx.commit().await?;
        Ok(())
    }

    async fn feed_item_state_error(&self, id: i64) -> StoreError {
        match self.feed_item(id).await {
            Ok(Some(_)) => StoreError::Conflict {
                field: "item",
                message: "This item was retracted; a retraction is final. Post a new item instead.".into(),
            },
            Ok(None) => StoreError::NotFound,
            Err(e) => e,
        }
    }

    pub async fn feed_item(&self, id: i64) -> StoreResult<Option<FeedItem>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE f.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Items newest first; `before` (an item id) pages backwards ("More news").
    pub async fn feed_items(&self, before: Option<i64>, limit: i64) -> StoreResult<Vec<FeedItem>> {
        let sql = format!(
            "{SELECT} WHERE ($1 = 0 OR f.published_at < (SELECT published_at FROM feed_items WHERE id = $1)
                 OR (f.published_at = (SELECT published_at FROM feed_items WHERE id = $1) AND f.id < $1))
             ORDER BY f.published_at DESC, f.id DESC LIMIT {limit}"
        );
        Ok(sqlx::query_as(AssertSqlSafe(sql)).bind(before.unwrap_or(0)).fetch_all(&self.pool).await?)
    }

    pub async fn feed_items_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<FeedItem>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("{SELECT} WHERE f.id IN ({})", placeholders(1, ids.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Changes after `seq`, oldest first.
    pub async fn feed_events_after(&self, seq: i64, limit: i64) -> StoreResult<Vec<FeedEvent>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT seq, item_id, kind FROM feed_events WHERE seq > $1 ORDER BY seq LIMIT {limit}"
        )))
        .bind(seq)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Who posted an item (for the "editors, or whoever posted it" rule).
    pub async fn feed_item_creator(&self, id: i64) -> StoreResult<Option<i64>> {
        let v: Option<Option<i64>> = sqlx::query_scalar("SELECT created_by FROM feed_items WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.flatten())
    }

    pub async fn feed_last_seq(&self) -> StoreResult<i64> {
        let v: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM feed_events").fetch_one(&self.pool).await?;
        Ok(v.unwrap_or(0))
    }
}
