//! What importers remember: which of our rows each imported thing became (so a second run updates instead of
//! duplicating), and the batch write that puts many stories, their ids and their old addresses in one transaction.

use std::collections::HashMap;

use crate::posts::PostInput;
use crate::redirects::{NewRedirect, RedirectTarget};
use crate::site::bump_content_version;
use crate::{Store, StoreResult, now};

/// One story of a batch.
#[derive(Debug, Clone)]
pub struct ImportedPost {
    /// The source's id for it.
    pub source_id: String,
    /// Our post it became in an earlier run, when that post still exists.
    pub existing_id: Option<i64>,
    pub input: PostInput,
    /// Old paths that lead to it.
    pub old_paths: Vec<String>,
}

impl Store {
    /// Everything of `kind` already imported from `source`: source id → our id.
    pub async fn import_ids(&self, source: &str, kind: &str) -> StoreResult<HashMap<String, i64>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT source_id, target_id FROM import_ids WHERE source = $1 AND kind = $2")
                .bind(source)
                .bind(kind)
                .fetch_all(&self.pool)
                .await?;
        Ok(rows.into_iter().collect())
    }

    /// Remembers that `source_id` of `kind` became our `target_id`.
    pub async fn remember_import(&self, source: &str, kind: &str, source_id: &str, target_id: i64) -> StoreResult<()> {
        remember(&mut *self.pool.acquire().await?, source, kind, source_id, target_id).await
    }

    /// Writes a batch of stories in one transaction: each created or updated, its source id remembered, its old
    /// paths redirected to it. Imported stories are not queued for narration and emit no webhooks (an archive of
    /// thousands would keep the narrator busy for days and flood every endpoint); their next edit does both. Returns
    /// our ids, in order.
    pub async fn import_posts(
        &self,
        source: &str,
        batch: &[ImportedPost],
        created_by: Option<i64>,
    ) -> StoreResult<Vec<i64>> {
        let mut tx = self.write_tx().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let mut redirects = Vec::new();
        for item in batch {
            let existing: Option<String> = match item.existing_id {
                Some(id) => {
                    sqlx::query_scalar("SELECT status FROM posts WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                }
                None => None,
            };
            let id = match (item.existing_id, existing) {
                (Some(id), Some(old_status)) => {
                    crate::posts::overwrite_post(
                        &mut tx,
                        id,
                        &item.input,
                        old_status == "published",
                        created_by,
                        false,
                    )
                    .await?;
                    id
                }
                _ => crate::posts::insert_post(&mut tx, &item.input, created_by, false).await?,
            };
            remember(&mut tx, source, "post", &item.source_id, id).await?;
            let own = format!("/{}/", item.input.slug);
            for p in item.old_paths.iter().filter(|p| **p != own) {
                redirects.push(NewRedirect {
                    from_path: p.clone(),
                    target: RedirectTarget::Post(id),
                    status: 301,
                    source: source.to_owned(),
                });
            }
            ids.push(id);
        }
        crate::redirects::upsert(&mut tx, &redirects, false).await?;
        bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(ids)
    }

    /// Redirects an importer adds for things other than stories (sections, authors, files).
    pub async fn import_redirects(&self, items: &[NewRedirect]) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = crate::redirects::upsert(&mut tx, items, false).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Sets a post's parent page (after the whole hierarchy exists).
    pub async fn set_parents(&self, pairs: &[(i64, i64)]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for (child, parent) in pairs {
            sqlx::query("UPDATE posts SET parent_id = $1 WHERE id = $2 AND id <> $1")
                .bind(*parent)
                .bind(*child)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets a tag's parent.
    pub async fn set_tag_parent(&self, tag_id: i64, parent: Option<i64>) -> StoreResult<()> {
        sqlx::query("UPDATE tags SET parent_id = $1 WHERE id = $2")
            .bind(parent.filter(|p| *p != tag_id))
            .bind(tag_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

async fn remember(
    conn: &mut sqlx::AnyConnection,
    source: &str,
    kind: &str,
    source_id: &str,
    target_id: i64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO import_ids (source, kind, source_id, target_id, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (source, kind, source_id) DO UPDATE SET target_id = excluded.target_id, updated_at = excluded.updated_at",
    )
    .bind(source)
    .bind(kind)
    .bind(source_id)
    .bind(target_id)
    .bind(now())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
