//! Authors: the names in bylines, people or desks. Not the same as staff users (see `users`).

use serde::Serialize;

use crate::{Store, StoreError, StoreResult, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// "person" or "desk".
    pub kind: String,
    pub bio: Option<String>,
    pub image_id: Option<i64>,
    pub created_at: i64,
}

pub struct AuthorInput<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub bio: Option<&'a str>,
    pub image_id: Option<i64>,
}

impl Store {
    pub async fn create_author(&self, a: AuthorInput<'_>) -> StoreResult<Author> {
        sqlx::query_as(
            "INSERT INTO authors (slug, name, kind, bio, image_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(a.slug)
        .bind(a.name)
        .bind(a.kind)
        .bind(a.bio)
        .bind(a.image_id)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::conflict_on("slug", format!("An author with the slug \"{}\" already exists.", a.slug)))
    }

    pub async fn update_author(&self, id: i64, a: AuthorInput<'_>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE authors SET slug = $1, name = $2, kind = $3, bio = $4, image_id = $5 WHERE id = $6")
                .bind(a.slug)
                .bind(a.name)
                .bind(a.kind)
                .bind(a.bio)
                .bind(a.image_id)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::conflict_on(
                    "slug",
                    format!("An author with the slug \"{}\" already exists.", a.slug),
                ))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        crate::search::reindex_scope(&mut tx, crate::search::Scope::Author(id)).await?;
        crate::site::bump_content_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes an author who has no posts; bylines are never silently emptied.
    pub async fn delete_author(&self, id: i64) -> StoreResult<()> {
        let used: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM post_authors WHERE author_id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        if used > 0 {
            return Err(StoreError::Conflict {
                field: "author",
                message: format!("This author is on the byline of {used} post(s); remove them from those posts first."),
            });
        }
        let done = sqlx::query("DELETE FROM authors WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn author(&self, id: i64) -> StoreResult<Option<Author>> {
        Ok(sqlx::query_as("SELECT * FROM authors WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn author_by_slug(&self, slug: &str) -> StoreResult<Option<Author>> {
        Ok(sqlx::query_as("SELECT * FROM authors WHERE slug = $1").bind(slug).fetch_optional(&self.pool).await?)
    }

    /// Looks an author up by slug or exact name (case-insensitive).
    pub async fn author_by_slug_or_name(&self, key: &str) -> StoreResult<Option<Author>> {
        Ok(sqlx::query_as("SELECT * FROM authors WHERE slug = $1 OR lower(name) = lower($1) ORDER BY id LIMIT 1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn authors(&self) -> StoreResult<Vec<Author>> {
        Ok(sqlx::query_as("SELECT * FROM authors ORDER BY kind DESC, name").fetch_all(&self.pool).await?)
    }
}
