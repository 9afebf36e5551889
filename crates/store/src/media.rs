//! Uploaded images. The bytes live on disk (see the web crate's media module); rows record what was stored, once
//! per distinct file (keyed by SHA-256), and the widths rendered for `srcset`.

use serde::Serialize;

use sqlx::AssertSqlSafe;

use crate::{Store, StoreResult, now, placeholders};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Media {
    pub id: i64,
    pub sha256: String,
    pub mime: String,
    pub width: i64,
    pub height: i64,
    /// Comma-separated widths rendered as JPEG, ascending, e.g. "480,960,1600".
    pub widths: String,
    pub original_name: String,
    pub created_at: i64,
}

impl Media {
    pub fn width_list(&self) -> Vec<u32> {
        self.widths.split(',').filter_map(|w| w.parse().ok()).collect()
    }
}

pub struct NewMedia<'a> {
    pub sha256: &'a str,
    pub mime: &'a str,
    pub width: i64,
    pub height: i64,
    pub widths: &'a str,
    pub original_name: &'a str,
}

impl Store {
    /// Records an image, or returns the existing row when the same bytes were uploaded before.
    pub async fn insert_media(&self, m: NewMedia<'_>) -> StoreResult<Media> {
        sqlx::query(
            "INSERT INTO media (sha256, mime, width, height, widths, original_name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(m.sha256)
        .bind(m.mime)
        .bind(m.width)
        .bind(m.height)
        .bind(m.widths)
        .bind(m.original_name)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as("SELECT * FROM media WHERE sha256 = $1").bind(m.sha256).fetch_one(&self.pool).await?)
    }

    pub async fn media(&self, id: i64) -> StoreResult<Option<Media>> {
        Ok(sqlx::query_as("SELECT * FROM media WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn media_many(&self, ids: &[i64]) -> StoreResult<Vec<Media>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT * FROM media WHERE id IN ({})", placeholders(1, ids.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql.clone()));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }
}
