//! Redirects from old addresses (an imported site's permalinks, a story's earlier slug, ones staff add).
//!
//! A redirect to a story, section or author follows it: the address is its current slug, and a story's only while
//! it is published, so an old link never reveals where a draft will live. Lookups happen only for requests nothing
//! else answered, so a redirect never shadows a live page.

use serde::Serialize;
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::args::{Arg, bind_args, next};
use crate::posts::Page;
use crate::{Store, StoreError, StoreResult, now};

/// Where a redirect goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedirectTarget {
    Path(String),
    Post(i64),
    Tag(i64),
    Author(i64),
}

/// A redirect to write.
#[derive(Debug, Clone)]
pub struct NewRedirect {
    /// The old path (with its query for WordPress's `/?p=123`), as [`normalize_path`] makes it.
    pub from_path: String,
    pub target: RedirectTarget,
    /// 301 (the default), 302, 307 or 308.
    pub status: i64,
    /// "manual", "csv", "slug", or an importer's source name.
    pub source: String,
}

/// A redirect as the admin lists it, with where it leads now.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Redirect {
    pub id: i64,
    pub from_path: String,
    pub to_path: Option<String>,
    pub post_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
    pub status: i64,
    pub source: String,
    pub created_at: i64,
    post_slug: Option<String>,
    post_status: Option<String>,
    tag_slug: Option<String>,
    author_slug: Option<String>,
}

impl Redirect {
    /// The path it leads to now; `None` for a story that is not published (the old address answers 404 until it is).
    pub fn target_path(&self) -> Option<String> {
        if self.post_id.is_some() {
            return match (&self.post_slug, self.post_status.as_deref()) {
                (Some(s), Some("published")) => Some(format!("/{s}/")),
                _ => None,
            };
        }
        if let Some(s) = &self.tag_slug {
            return Some(format!("/tag/{s}/"));
        }
        if let Some(s) = &self.author_slug {
            return Some(format!("/author/{s}/"));
        }
        self.to_path.clone()
    }

    /// Where it leads for staff: the path, or the unpublished story's future path, marked.
    pub fn target_label(&self) -> String {
        match (self.target_path(), &self.post_slug) {
            (Some(p), _) => p,
            (None, Some(s)) => format!("/{s}/ (not published)"),
            (None, None) => String::from("(gone)"),
        }
    }
}

/// The form every lookup and write uses: a path (any scheme and host removed), percent-decoded, with the query kept;
/// `None` when it is not a path of a site.
pub fn normalize_path(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let path = if let Some(rest) = raw.strip_prefix("http://").or_else(|| raw.strip_prefix("https://")) {
        match rest.find('/') {
            Some(i) => &rest[i..],
            None => match rest.find('?') {
                Some(i) => &rest[i..],
                None => "/",
            },
        }
    } else {
        raw
    };
    let path = if path.starts_with('?') { format!("/{path}") } else { path.to_owned() };
    let path = path.split('#').next().unwrap_or_default();
    if !path.starts_with('/') || path.starts_with("//") || path.chars().any(char::is_control) || path.len() > 2000 {
        return None;
    }
    let decoded = percent_encoding::percent_decode_str(path).decode_utf8().ok()?.into_owned();
    if decoded.chars().any(|c| c.is_control() || c == '\\') || decoded.starts_with("//") {
        return None;
    }
    Some(decoded)
}

const SELECT: &str = "SELECT r.id, r.from_path, r.to_path, r.post_id, r.tag_id, r.author_id, r.status, r.source,
        r.created_at, p.slug AS post_slug, p.status AS post_status, t.slug AS tag_slug, a.slug AS author_slug
    FROM redirects r
    LEFT JOIN posts p ON p.id = r.post_id
    LEFT JOIN tags t ON t.id = r.tag_id
    LEFT JOIN authors a ON a.id = r.author_id";

fn target_columns(t: &RedirectTarget) -> (Option<&str>, Option<i64>, Option<i64>, Option<i64>) {
    match t {
        RedirectTarget::Path(p) => (Some(p.as_str()), None, None, None),
        RedirectTarget::Post(id) => (None, Some(*id), None, None),
        RedirectTarget::Tag(id) => (None, None, Some(*id), None),
        RedirectTarget::Author(id) => (None, None, None, Some(*id)),
    }
}

/// Writes redirects inside the caller's transaction. An existing redirect from the same path is replaced when it
/// came from the same source (a second import updates its own), or always with `replace_any`; otherwise kept.
/// Returns how many were written.
pub(crate) async fn upsert(conn: &mut AnyConnection, items: &[NewRedirect], replace_any: bool) -> StoreResult<u64> {
    let guard = if replace_any { "" } else { " WHERE redirects.source = excluded.source" };
    let sql = format!(
        "INSERT INTO redirects (from_path, to_path, post_id, tag_id, author_id, status, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (from_path) DO UPDATE SET to_path = excluded.to_path, post_id = excluded.post_id,
            tag_id = excluded.tag_id, author_id = excluded.author_id, status = excluded.status,
            source = excluded.source{guard}"
    );
    let mut written = 0;
    let t = now();
    for r in items {
        let (to, post, tag, author) = target_columns(&r.target);
        written += sqlx::query(AssertSqlSafe(sql.clone()))
            .bind(&r.from_path)
            .bind(to)
            .bind(post)
            .bind(tag)
            .bind(author)
            .bind(r.status)
            .bind(&r.source)
            .bind(t)
            .execute(&mut *conn)
            .await?
            .rows_affected();
    }
    Ok(written)
}

impl Store {
    /// Where an old address leads: (path, status), or `None`. `path` is what the reader asked for, raw; its query,
    /// WordPress's `?p=`, `?page_id=` and the like are tried alone, and a missing or extra trailing slash is forgiven.
    pub async fn resolve_redirect(&self, path: &str, query: Option<&str>) -> StoreResult<Option<(String, i64)>> {
        let Some(path) = normalize_path(path) else { return Ok(None) };
        let mut candidates = Vec::with_capacity(6);
        if let Some(q) = query.filter(|q| !q.is_empty()) {
            let q = percent_encoding::percent_decode_str(q).decode_utf8_lossy().replace('+', " ");
            candidates.push(format!("{path}?{q}"));
            for pair in q.split('&') {
                let key = pair.split('=').next().unwrap_or_default();
                if matches!(key, "p" | "page_id" | "attachment_id" | "cat" | "tag" | "author" | "feed") {
                    candidates.push(format!("{path}?{pair}"));
                }
            }
        }
        if query.is_none_or(str::is_empty) || path != "/" {
            candidates.push(path.clone());
            match path.strip_suffix('/') {
                Some(bare) if !bare.is_empty() => candidates.push(bare.to_owned()),
                _ => candidates.push(format!("{path}/")),
            }
        }
        let list = crate::placeholders(1, candidates.len());
        let mut q = sqlx::query_as::<_, Redirect>(AssertSqlSafe(format!("{SELECT} WHERE r.from_path IN ({list})")));
        for c in &candidates {
            q = q.bind(c);
        }
        let found = q.fetch_all(&self.pool).await?;
        for c in &candidates {
            if let Some(r) = found.iter().find(|r| &r.from_path == c) {
                return Ok(r.target_path().filter(|t| t != c).map(|t| (t, r.status)));
            }
        }
        Ok(None)
    }

    /// A page of redirects, newest first; `search` matches the old path.
    pub async fn list_redirects(&self, search: Option<&str>, page: i64, per_page: i64) -> StoreResult<Page<Redirect>> {
        let mut args = Vec::new();
        let cond = match search.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                format!("WHERE lower(r.from_path) LIKE {}", next(&mut args, Arg::S(format!("%{}%", s.to_lowercase()))))
            }
            None => String::new(),
        };
        let total: i64 =
            bind_args!(sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM redirects r {cond}"))), &args)
                .fetch_one(&self.pool)
                .await?;
        let page = page.max(1);
        let sql = format!("{SELECT} {cond} ORDER BY r.id DESC LIMIT {per_page} OFFSET {}", (page - 1) * per_page);
        let items = bind_args!(sqlx::query_as::<_, Redirect>(AssertSqlSafe(sql)), &args).fetch_all(&self.pool).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// The redirect from exactly this (normalised) path.
    pub async fn redirect_from(&self, from_path: &str) -> StoreResult<Option<Redirect>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("{SELECT} WHERE r.from_path = $1")))
            .bind(from_path)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every redirect, oldest first (the CSV export).
    pub async fn all_redirects(&self) -> StoreResult<Vec<Redirect>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("{SELECT} ORDER BY r.id"))).fetch_all(&self.pool).await?)
    }

    /// Adds one redirect; refuses a path that already redirects.
    pub async fn add_redirect(&self, r: &NewRedirect) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM redirects WHERE from_path = $1")
            .bind(&r.from_path)
            .fetch_one(&mut *tx)
            .await?;
        if taken > 0 {
            return Err(StoreError::Conflict {
                field: "from_path",
                message: format!("{} already redirects; remove that redirect first.", r.from_path),
            });
        }
        upsert(&mut tx, std::slice::from_ref(r), true).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds or replaces many redirects in one transaction (a CSV import); returns how many were written.
    pub async fn put_redirects(&self, items: &[NewRedirect]) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let n = upsert(&mut tx, items, true).await?;
        tx.commit().await?;
        Ok(n)
    }

    pub async fn delete_redirect(&self, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM redirects WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    pub async fn redirect_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM redirects").fetch_one(&self.pool).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_path;

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize_path("https://old.example/2024/05/caf%C3%A9/").as_deref(), Some("/2024/05/café/"));
        assert_eq!(normalize_path("https://old.example/?p=12").as_deref(), Some("/?p=12"));
        assert_eq!(normalize_path("https://old.example").as_deref(), Some("/"));
        assert_eq!(normalize_path("/a/#frag").as_deref(), Some("/a/"));
        assert_eq!(normalize_path("//evil.example/"), None);
        assert_eq!(normalize_path("/%2F%2Fevil"), None);
        assert_eq!(normalize_path("javascript:alert(1)"), None);
    }
}
