//! Whole-database copies for `newsdesk export archive` and `import archive`: every table that holds the newsroom's
//! content and records, row by row as JSON, in an order that satisfies the foreign keys; and their restoration into
//! an empty database of either engine. Both engines store only integers and text, so a row reads the same from
//! each and an archive made from SQLite restores into PostgreSQL unchanged (and back).
//!
//! Left out: sessions, one-time sign-in links, API tokens and staff passwords (secrets: staff set a new password
//! with `newsdesk user add` or "Forgot password"), webhooks and their signing secrets (register them again), the job
//! queue (work in flight) and the content version (a restored site starts a new one).

use std::collections::HashMap;

use sqlx::{AssertSqlSafe, Row};

use crate::{Backend, Store, StoreError, StoreResult};

/// A table of the archive, in restore order, with the columns that point into the same table (restored after every
/// row exists) and those whose values are not copied (secrets).
pub struct TableSpec {
    pub name: &'static str,
    pub self_refs: &'static [&'static str],
    pub redacted: &'static [&'static str],
}

const fn t(name: &'static str) -> TableSpec {
    TableSpec { name, self_refs: &[], redacted: &[] }
}

/// Every archived table, parents before children.
pub const TABLES: &[TableSpec] = &[
    t("media"),
    t("authors"),
    TableSpec { name: "tags", self_refs: &["parent_id"], redacted: &[] },
    TableSpec { name: "users", self_refs: &[], redacted: &["password_hash"] },
    TableSpec { name: "posts", self_refs: &["related_post_id", "parent_id"], redacted: &[] },
    t("post_authors"),
    t("post_tags"),
    t("post_revisions"),
    t("corrections"),
    t("post_links"),
    t("media_usage"),
    t("audio_editions"),
    t("feed_items"),
    t("feed_events"),
    t("editors_picks"),
    t("home_slots"),
    t("newsletters"),
    t("subscribers"),
    t("subscriptions"),
    t("confirmation_tokens"),
    t("consent_ledger"),
    t("suppressions"),
    t("newsletter_issues"),
    t("deliveries"),
    // The key that signs unsubscribe and preferences links: mail already sent keeps working after a move.
    t("site_secrets"),
    t("redirects"),
    t("import_ids"),
    // Reader revenue: tiers, members and what they hold and paid (sign-in links and sessions stay behind).
    t("tiers"),
    t("members"),
    t("member_subscriptions"),
    t("member_signins"),
    t("donations"),
    t("payments"),
    // Stripe's events, so one delivered again after a move is still known as seen.
    t("stripe_events"),
];

/// A column and whether it holds integers.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub integer: bool,
}

impl Store {
    /// The newest migration applied: an archive records it, and a newer archive is refused.
    pub async fn schema_version(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success = TRUE")
            .fetch_one(&self.pool)
            .await?)
    }

    /// A table's columns, in order, as this database declares them.
    pub async fn columns(&self, table: &str) -> StoreResult<Vec<Column>> {
        let rows: Vec<(String, String)> = match self.backend {
            Backend::Sqlite => {
                sqlx::query_as("SELECT name, type FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::query_as(
                    "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_name = $1 AND table_schema = current_schema() ORDER BY ordinal_position",
                )
                .bind(table)
                .fetch_all(&self.pool)
                .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(name, ty)| {
                let ty = ty.to_ascii_lowercase();
                Column { name, integer: ty.contains("int") }
            })
            .collect())
    }

    /// How many rows a table has.
    pub async fn row_count(&self, table: &str) -> StoreResult<i64> {
        check_table(table)?;
        Ok(sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"))).fetch_one(&self.pool).await?)
    }

    /// Every row of `table`, as JSON objects, in a stable order, `batch` rows at a time (`each` is called per batch).
    pub async fn dump_table(
        &self,
        spec: &TableSpec,
        batch: i64,
        each: &mut (dyn FnMut(Vec<serde_json::Map<String, serde_json::Value>>) -> StoreResult<()> + Send),
    ) -> StoreResult<()> {
        check_table(spec.name)?;
        let cols = self.columns(spec.name).await?;
        let list = cols.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ");
        let order = (1..=cols.len()).map(|i| i.to_string()).collect::<Vec<_>>().join(", ");
        let mut offset = 0;
        loop {
            let sql = format!("SELECT {list} FROM {} ORDER BY {order} LIMIT {batch} OFFSET {offset}", spec.name);
            let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
            let n = rows.len() as i64;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mut obj = serde_json::Map::new();
                for (i, c) in cols.iter().enumerate() {
                    let v = if spec.redacted.contains(&c.name.as_str()) {
                        serde_json::Value::Null
                    } else if c.integer {
                        row.try_get::<Option<i64>, _>(i)?.map(serde_json::Value::from).unwrap_or_default()
                    } else {
                        row.try_get::<Option<String>, _>(i)?.map(serde_json::Value::from).unwrap_or_default()
                    };
                    obj.insert(c.name.clone(), v);
                }
                out.push(obj);
            }
            each(out)?;
            if n < batch {
                return Ok(());
            }
            offset += batch;
        }
    }

    /// Whether the database holds no content yet (an archive restores only into an empty one).
    pub async fn content_counts(&self) -> StoreResult<Vec<(&'static str, i64)>> {
        let mut out = Vec::new();
        for t in ["posts", "authors", "users", "subscribers", "media", "members"] {
            let n = self.row_count(t).await?;
            if n > 0 {
                out.push((t, n));
            }
        }
        Ok(out)
    }

    /// Begins a restore: everything it writes is one transaction, kept only by [`Restore::commit`].
    pub async fn begin_restore(&self) -> StoreResult<Restore> {
        let mut tx = self.write_tx().await?;
        if self.backend == Backend::Sqlite {
            // Foreign keys are checked at the commit, once every row is there.
            sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await?;
        }
        // The free tier a fresh site makes on first use: the archive brings the site's own.
        sqlx::query(
            "DELETE FROM tiers WHERE NOT EXISTS (SELECT 1 FROM member_subscriptions s WHERE s.tier_id = tiers.id)",
        )
        .execute(&mut *tx)
        .await?;
        Ok(Restore { tx, backend: self.backend, pending: Vec::new() })
    }
}

/// A restore in progress (see [`Store::begin_restore`]).
pub struct Restore {
    tx: crate::WriteTx,
    backend: Backend,
    /// Self-references to write once every row exists: (table, id, column, value).
    pending: Vec<(&'static str, i64, &'static str, i64)>,
}

impl Restore {
    /// Restores rows of one table. Columns this database does not have are refused (the archive is newer); columns
    /// the archive lacks take their defaults.
    pub async fn rows(
        &mut self,
        spec: &TableSpec,
        columns: &[Column],
        rows: &[serde_json::Map<String, serde_json::Value>],
    ) -> StoreResult<()> {
        check_table(spec.name)?;
        let known: HashMap<&str, &Column> = columns.iter().map(|c| (c.name.as_str(), c)).collect();
        for row in rows {
            if let Some(unknown) = row.keys().find(|k| !known.contains_key(k.as_str())) {
                return Err(StoreError::Config(format!(
                    "the archive's table {} has a column {unknown} this Newsdesk does not know",
                    spec.name
                )));
            }
            let cols: Vec<&String> = row.keys().collect();
            let list = cols.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(", ");
            let sql = format!("INSERT INTO {} ({list}) VALUES ({})", spec.name, crate::placeholders(1, cols.len()));
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for c in &cols {
                let mut v = &row[c.as_str()];
                if let Some(col) = spec.self_refs.iter().find(|r| **r == c.as_str())
                    && let (Some(id), Some(target)) = (row.get("id").and_then(|i| i.as_i64()), v.as_i64())
                {
                    self.pending.push((spec.name, id, col, target));
                    v = &serde_json::Value::Null;
                }
                q = if known[c.as_str()].integer { q.bind(v.as_i64()) } else { q.bind(v.as_str().map(str::to_owned)) };
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes the self-references, continues PostgreSQL's identity sequences after the restored ids, bumps the
    /// content version, and commits.
    pub async fn commit(mut self) -> StoreResult<()> {
        for (table, id, col, v) in std::mem::take(&mut self.pending) {
            sqlx::query(AssertSqlSafe(format!("UPDATE {table} SET {col} = $1 WHERE id = $2")))
                .bind(v)
                .bind(id)
                .execute(&mut *self.tx)
                .await?;
        }
        if self.backend == Backend::Postgres {
            for spec in TABLES {
                let has_id: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM information_schema.columns
                     WHERE table_name = $1 AND column_name = 'id' AND table_schema = current_schema()
                        AND data_type IN ('bigint', 'integer')",
                )
                .bind(spec.name)
                .fetch_one(&mut *self.tx)
                .await?;
                if has_id > 0 {
                    sqlx::query(AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE((SELECT MAX(id) FROM {0}), 0) + 1, false)",
                        spec.name
                    )))
                    .execute(&mut *self.tx)
                    .await?;
                }
            }
        }
        crate::search::reindex_scope(&mut self.tx, crate::search::Scope::All).await?;
        crate::site::bump_content_version(&mut self.tx).await?;
        self.tx.commit().await?;
        Ok(())
    }
}

/// Table names come from [`TABLES`] only; anything else is refused before it reaches SQL.
fn check_table(name: &str) -> StoreResult<()> {
    if TABLES.iter().any(|t| t.name == name) {
        Ok(())
    } else {
        Err(StoreError::Config(format!("{name} is not an archived table")))
    }
}
