//! Tags. A post's first tag is its primary tag, shown as the kicker ("Investigation").

use serde::Serialize;

use crate::{Store, StoreError, StoreResult, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct TagWithCount {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub post_count: i64,
}

/// Whether a tag is internal: a name that starts with `#` (Ghost's rule). Staff use internal tags to group and
/// route stories ("#homepage-lead", "#from-wire"); readers never see them — no kicker, tag page, feed or sitemap
/// entry shows one.
pub fn is_internal(name: &str) -> bool {
    name.starts_with('#')
}

impl Tag {
    pub fn is_internal(&self) -> bool {
        is_internal(&self.name)
    }
}

impl TagWithCount {
    pub fn is_internal(&self) -> bool {
        is_internal(&self.name)
    }
}

impl Store {
    pub async fn create_tag(&self, slug: &str, name: &str, description: Option<&str>) -> StoreResult<Tag> {
        sqlx::query_as("INSERT INTO tags (slug, name, description, created_at) VALUES ($1, $2, $3, $4) RETURNING *")
            .bind(slug)
            .bind(name)
            .bind(description)
            .bind(now())
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::conflict_on("slug", format!("A tag with the slug \"{slug}\" already exists.")))
    }

    pub async fn update_tag(&self, id: i64, slug: &str, name: &str, description: Option<&str>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE tags SET slug = $1, name = $2, description = $3 WHERE id = $4")
            .bind(slug)
            .bind(name)
            .bind(description)
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::conflict_on("slug", format!("A tag with the slug \"{slug}\" already exists.")))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        crate::search::reindex_scope(&mut tx, crate::search::Scope::Tag(id)).await?;
        crate::site::bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_tag(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let tagged: Vec<i64> =
            sqlx::query_scalar("SELECT post_id FROM post_tags WHERE tag_id = $1").bind(id).fetch_all(&mut *tx).await?;
        let done = sqlx::query("DELETE FROM tags WHERE id = $1").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        for post_id in tagged {
            crate::search::reindex(&mut tx, post_id).await?;
        }
        crate::site::bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn tag_by_slug(&self, slug: &str) -> StoreResult<Option<Tag>> {
        Ok(sqlx::query_as("SELECT * FROM tags WHERE slug = $1").bind(slug).fetch_optional(&self.pool).await?)
    }

    pub async fn tag(&self, id: i64) -> StoreResult<Option<Tag>> {
        Ok(sqlx::query_as("SELECT * FROM tags WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Finds a tag by name (case-insensitive) or slug, creating it when missing. Used by the importer.
    pub async fn tag_by_name_or_create(&self, name: &str, slug: &str) -> StoreResult<Tag> {
        let found: Option<Tag> =
            sqlx::query_as("SELECT * FROM tags WHERE lower(name) = lower($1) OR slug = $2 ORDER BY id LIMIT 1")
                .bind(name)
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        match found {
            Some(t) => Ok(t),
            None => self.create_tag(slug, name, None).await,
        }
    }

    /// Every tag with the number of published posts carrying it.
    pub async fn tags_with_counts(&self) -> StoreResult<Vec<TagWithCount>> {
        Ok(sqlx::query_as(
            "SELECT t.id, t.slug, t.name, t.description, COUNT(p.id) AS post_count
             FROM tags t
             LEFT JOIN post_tags pt ON pt.tag_id = t.id
             LEFT JOIN posts p ON p.id = pt.post_id AND p.status = 'published'
             GROUP BY t.id, t.slug, t.name, t.description
             ORDER BY t.name",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
