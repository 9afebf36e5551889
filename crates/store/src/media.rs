//! The media library: uploaded images, audio and documents. The bytes live on disk under `<data>/media/<file_key>/`
//! (see `services::media`); rows record what was stored, once per distinct file (keyed by SHA-256), the widths and
//! formats rendered for images, the defaults a story takes (alt text, caption, credit, focal point), who uploaded
//! it, and (in `media_usage`) which stories use it.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::args::{Arg, bind_args, next};
use crate::{Store, StoreError, StoreResult, now, placeholders};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Media {
    pub id: i64,
    /// SHA-256 of the current bytes (changes when the file is replaced).
    pub sha256: String,
    pub mime: String,
    pub width: i64,
    pub height: i64,
    /// Comma-separated widths rendered, ascending, e.g. "480,960,1600" (images only).
    pub widths: String,
    pub original_name: String,
    pub created_at: i64,
    /// Names the file's directory and URL for good (the SHA-256 of the first upload).
    pub file_key: String,
    /// "image", "audio" or "document".
    pub kind: String,
    /// Comma-separated formats each width is rendered in: "jpg" or "jpg,webp".
    pub formats: String,
    pub size_bytes: i64,
    /// Defaults a story takes when it uses the file.
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// Focal point for crops, in per cent from the left and from the top.
    pub focal_x: i64,
    pub focal_y: i64,
    pub uploaded_by: Option<i64>,
    pub updated_at: i64,
}

impl Media {
    pub fn width_list(&self) -> Vec<u32> {
        self.widths.split(',').filter_map(|w| w.parse().ok()).collect()
    }

    pub fn has_webp(&self) -> bool {
        self.formats.split(',').any(|f| f == "webp")
    }
}

pub struct NewMedia<'a> {
    pub sha256: &'a str,
    pub mime: &'a str,
    pub width: i64,
    pub height: i64,
    pub widths: &'a str,
    pub original_name: &'a str,
    pub file_key: &'a str,
    pub kind: &'a str,
    pub formats: &'a str,
    pub size_bytes: i64,
    pub uploaded_by: Option<i64>,
}

/// The library's list: text search over file name, alt text, caption, credit and uploader; kind; upload dates.
#[derive(Debug, Clone, Default)]
pub struct MediaFilter {
    pub search: Option<String>,
    pub kind: Option<String>,
    pub uploaded_by: Option<i64>,
    /// Unix seconds, inclusive.
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// A library entry with what the grid shows beside it.
#[derive(Debug, Clone, Serialize)]
pub struct MediaEntry {
    #[serde(flatten)]
    pub media: Media,
    pub uploader: Option<String>,
    pub used_in: i64,
}

/// A story that uses a file.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MediaUse {
    pub post_id: i64,
    pub title: String,
    pub slug: String,
    pub status: String,
}

/// The defaults and focal point staff set on a file.
#[derive(Debug, Clone, Default)]
pub struct MediaMeta {
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub focal_x: i64,
    pub focal_y: i64,
}

/// What a replaced file's new bytes are.
pub struct Replacement<'a> {
    pub sha256: &'a str,
    pub mime: &'a str,
    pub width: i64,
    pub height: i64,
    pub widths: &'a str,
    pub formats: &'a str,
    pub size_bytes: i64,
    pub original_name: &'a str,
}

const COLS: &str =
    "m.id, m.sha256, m.mime, m.width, m.height, m.widths, m.original_name, m.created_at, m.file_key, m.kind,
    m.formats, m.size_bytes, m.alt, m.caption, m.credit, m.focal_x, m.focal_y, m.uploaded_by, m.updated_at";

/// Replaces a post's usage rows, inside the caller's transaction.
pub async fn record_usage(conn: &mut AnyConnection, post_id: i64, media_ids: &[i64]) -> StoreResult<()> {
    sqlx::query("DELETE FROM media_usage WHERE post_id = $1").bind(post_id).execute(&mut *conn).await?;
    let mut ids = media_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        // Only files that exist: a document may name a file deleted since.
        sqlx::query("INSERT INTO media_usage (media_id, post_id) SELECT id, $2 FROM media WHERE id = $1")
            .bind(id)
            .bind(post_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Records an upload, or returns the existing row when the same bytes were uploaded before.
    pub async fn insert_media(&self, m: NewMedia<'_>) -> StoreResult<Media> {
        let t = now();
        sqlx::query(
            "INSERT INTO media (sha256, mime, width, height, widths, original_name, created_at, file_key, kind, formats,
                size_bytes, uploaded_by, updated_at, focal_x, focal_y)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $7, 50, 50) ON CONFLICT (sha256) DO NOTHING",
        )
        .bind(m.sha256)
        .bind(m.mime)
        .bind(m.width)
        .bind(m.height)
        .bind(m.widths)
        .bind(m.original_name)
        .bind(t)
        .bind(m.file_key)
        .bind(m.kind)
        .bind(m.formats)
        .bind(m.size_bytes)
        .bind(m.uploaded_by)
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as(AssertSqlSafe(format!("SELECT {COLS} FROM media m WHERE m.sha256 = $1")))
            .bind(m.sha256)
            .fetch_one(&self.pool)
            .await?)
    }

    /// The row holding these bytes, if any.
    pub async fn media_by_sha(&self, sha256: &str) -> StoreResult<Option<Media>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("SELECT {COLS} FROM media m WHERE m.sha256 = $1")))
            .bind(sha256)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn media_key_taken(&self, key: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media WHERE file_key = $1")
            .bind(key)
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    pub async fn media(&self, id: i64) -> StoreResult<Option<Media>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("SELECT {COLS} FROM media m WHERE m.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn media_many(&self, ids: &[i64]) -> StoreResult<Vec<Media>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {COLS} FROM media m WHERE m.id IN ({})", placeholders(1, ids.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    pub async fn media_by_keys(&self, keys: &[String]) -> StoreResult<Vec<Media>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {COLS} FROM media m WHERE m.file_key IN ({})", placeholders(1, keys.len()));
        let mut q = sqlx::query_as(AssertSqlSafe(sql));
        for k in keys {
            q = q.bind(k.clone());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// One page of the library, newest first, with uploaders and usage counts (three queries, whatever the page).
    pub async fn list_media(
        &self,
        f: &MediaFilter,
        page: i64,
        per_page: i64,
    ) -> StoreResult<crate::posts::Page<MediaEntry>> {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let like = format!("%{}%", q.to_lowercase().replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let n = next(&mut args, Arg::S(like));
            clauses.push(format!(
                "(LOWER(m.original_name) LIKE {n} ESCAPE '\\' OR LOWER(COALESCE(m.alt, '')) LIKE {n} ESCAPE '\\'
                  OR LOWER(COALESCE(m.caption, '')) LIKE {n} ESCAPE '\\' OR LOWER(COALESCE(m.credit, '')) LIKE {n} ESCAPE '\\'
                  OR m.uploaded_by IN (SELECT id FROM users WHERE LOWER(name) LIKE {n} ESCAPE '\\' OR LOWER(email) LIKE {n} ESCAPE '\\'))"
            ));
        }
        if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
            clauses.push(format!("m.kind = {}", next(&mut args, Arg::S(k.to_owned()))));
        }
        let int_clauses = [(f.uploaded_by, "m.uploaded_by ="), (f.from, "m.created_at >="), (f.to, "m.created_at <=")];
        for (value, clause) in int_clauses {
            if let Some(v) = value {
                clauses.push(format!("{clause} {}", next(&mut args, Arg::I(v))));
            }
        }
        let where_sql = if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
        let count_sql = format!("SELECT COUNT(*) FROM media m {where_sql}");
        let total: i64 = bind_args!(sqlx::query_scalar(AssertSqlSafe(count_sql)), &args).fetch_one(&self.pool).await?;
        let n = args.len();
        let sql = format!(
            "SELECT {COLS} FROM media m {where_sql} ORDER BY m.created_at DESC, m.id DESC LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let q = bind_args!(sqlx::query_as::<_, Media>(AssertSqlSafe(sql)), &args);
        let page = page.max(1);
        let rows = q.bind(per_page).bind((page - 1) * per_page).fetch_all(&self.pool).await?;
        let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
        let counts = self.usage_counts(&ids).await?;
        let mut user_ids: Vec<i64> = rows.iter().filter_map(|m| m.uploaded_by).collect();
        user_ids.sort_unstable();
        user_ids.dedup();
        let names: HashMap<i64, String> = if user_ids.is_empty() {
            HashMap::new()
        } else {
            let sql = format!("SELECT id, name FROM users WHERE id IN ({})", placeholders(1, user_ids.len()));
            let mut q = sqlx::query_as::<_, (i64, String)>(AssertSqlSafe(sql));
            for id in &user_ids {
                q = q.bind(*id);
            }
            q.fetch_all(&self.pool).await?.into_iter().collect()
        };
        let items = rows
            .into_iter()
            .map(|m| MediaEntry {
                uploader: m.uploaded_by.and_then(|u| names.get(&u).cloned()),
                used_in: counts.get(&m.id).copied().unwrap_or(0),
                media: m,
            })
            .collect();
        Ok(crate::posts::Page { items, total, page, per_page })
    }

    /// How many stories (and author profiles) use each file.
    pub async fn usage_counts(&self, ids: &[i64]) -> StoreResult<HashMap<i64, i64>> {
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let p = placeholders(1, ids.len());
        let sql = format!(
            "SELECT media_id, COUNT(*) FROM (SELECT media_id FROM media_usage WHERE media_id IN ({p})
               UNION ALL SELECT image_id FROM authors WHERE image_id IN ({p})) u GROUP BY media_id"
        );
        let mut q = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(sql));
        for _ in 0..2 {
            for id in ids {
                q = q.bind(*id);
            }
        }
        Ok(q.fetch_all(&self.pool).await?.into_iter().collect())
    }

    /// The stories that use a file, newest first.
    pub async fn media_uses(&self, id: i64) -> StoreResult<Vec<MediaUse>> {
        Ok(sqlx::query_as(
            "SELECT p.id AS post_id, p.title, p.slug, p.status FROM media_usage u JOIN posts p ON p.id = u.post_id
             WHERE u.media_id = $1 ORDER BY p.updated_at DESC",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Author profiles whose photo is this file.
    pub async fn media_author_uses(&self, id: i64) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM authors WHERE image_id = $1 ORDER BY name")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn update_media_meta(&self, id: i64, m: &MediaMeta) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE media SET alt = $1, caption = $2, credit = $3, focal_x = $4, focal_y = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(&m.alt)
        .bind(&m.caption)
        .bind(&m.credit)
        .bind(m.focal_x)
        .bind(m.focal_y)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Points a file's row at new bytes (already rendered into its directory), keeping its id and key.
    pub async fn replace_media(&self, id: i64, r: &Replacement<'_>) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE media SET sha256 = $1, mime = $2, width = $3, height = $4, widths = $5, formats = $6, size_bytes = $7,
                original_name = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(r.sha256)
        .bind(r.mime)
        .bind(r.width)
        .bind(r.height)
        .bind(r.widths)
        .bind(r.formats)
        .bind(r.size_bytes)
        .bind(r.original_name)
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(StoreError::conflict_on("file", "That file is already in the library as another entry."))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Deletes a file's row when nothing uses it; refuses (with the count) otherwise.
    pub async fn delete_media(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let used: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM media_usage WHERE media_id = $1) + (SELECT COUNT(*) FROM authors WHERE image_id = $1)",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        if used > 0 {
            return Err(StoreError::Conflict {
                field: "media",
                message: format!(
                    "This file is used in {used} place{}; remove it there first.",
                    if used == 1 { "" } else { "s" }
                ),
            });
        }
        let done = sqlx::query("DELETE FROM media WHERE id = $1").bind(id).execute(&mut *tx).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// Posts that use a file (to render them again after the file was replaced).
    pub async fn posts_using_media(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT post_id FROM media_usage WHERE media_id = $1 ORDER BY post_id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }
}
