//! Newsdesk's storage: one API over SQLite (the embedded default) and PostgreSQL (for several nodes).
//!
//! Queries go through sqlx's `Any` driver, so one SQL text serves both engines; it is written in the dialect both
//! share (`$1` placeholders, `RETURNING`, `ON CONFLICT`). Where the engines differ for a reason — migrations, and
//! claiming jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL) — the SQL is written per [`Backend`].
//!
//! Times are UTC Unix seconds in `BIGINT`/`INTEGER` columns; the site's time zone is applied when rendering.

pub mod archive;
mod args;
pub mod audio;
pub mod authors;
pub mod content_api;
pub mod corrections;
pub mod curation;
pub mod donations;
pub mod error;
pub mod feed;
pub mod imports;
pub mod issues;
pub mod jobs;
pub mod links;
pub mod mail;
pub mod media;
pub mod members;
pub mod newsletters;
pub mod notify;
pub mod payments;
pub mod posts;
pub mod rate_limits;
pub mod redirects;
pub mod revenue;
pub mod revisions;
pub mod search;
pub mod site;
pub mod subscribers;
pub mod tags;
pub mod testing;
mod translations;
pub mod users;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions};

pub use error::{StoreError, StoreResult};

/// Text for inside a `LIKE` pattern with `ESCAPE '\'`: its `%`, `_` and `\` match only themselves.
pub(crate) fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::Config(format!(
                "database URL must start with sqlite: or postgres:, got \"{}\"",
                redact_url(url)
            )))
        }
    }
}

/// Handle to the database; cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct Store {
    /// The connection pool, shared by every request and job of this process.
    pub pool: AnyPool,
    /// Which engine is behind the pool, for the few queries that differ.
    pub backend: Backend,
    /// SQLite has one writer at a time: this process's write transactions take turns here, in order, instead of
    /// polling SQLite's lock (other processes — a CLI import, a separate worker — wait on the busy timeout).
    write_turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// The PostgreSQL URL as connected, for the node's listening connection (`notify`); never logged.
    url: Option<std::sync::Arc<str>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish_non_exhaustive()
    }
}

/// A write transaction (see [`Store::write_tx`]). Queries run on it as on a connection (`&mut *tx`); nothing is
/// kept unless [`WriteTx::commit`] is called.
pub struct WriteTx {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.tx
    }
}

impl Store {
    /// Connects (creating a SQLite file if needed) without running migrations.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            Backend::Postgres => plain_on_loopback(url),
            _ => url.to_owned(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|e| StoreError::Config(format!("invalid database URL {}: {e}", redact_url(&url))))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        // A request waits this long for a connection, then answers 503. On PostgreSQL that includes connecting,
        // which sqlx retries while the server refuses (restarting, or down): long enough to ride out a restart,
        // short enough that a reader is told to come back rather than left hanging.
        let (max, wait) = match backend {
            Backend::Sqlite => (8, Duration::from_secs(10)),
            Backend::Postgres => (16, Duration::from_secs(3)),
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(wait)
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await?;
                        // Writers from other processes (the CLI, a separate worker) wait up to 30 s for the lock.
                        sqlx::query("PRAGMA busy_timeout = 30000").execute(&mut *conn).await?;
                        sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Config(format!("cannot connect to {}: {e}", redact_url(&url))))?;
        if backend == Backend::Sqlite {
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
        }
        let url = (backend == Backend::Postgres).then(|| std::sync::Arc::from(url.as_str()));
        Ok(Store { pool, backend, write_turn: Default::default(), url })
    }

    /// Begins a transaction that will write. On SQLite a plain `BEGIN` reads under a snapshot and fails with
    /// "database is locked" (SQLITE_BUSY_SNAPSHOT, which no busy timeout can wait out) when another connection
    /// wrote in between; `BEGIN IMMEDIATE` takes the write lock first, so concurrent writers queue — in this process
    /// on `write_turn`, across processes on the busy timeout. PostgreSQL's row locks need nothing of the kind.
    pub async fn write_tx(&self) -> StoreResult<WriteTx> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.write_turn.clone().lock_owned().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx { tx, _turn: Some(turn) })
            }
            Backend::Postgres => Ok(WriteTx { tx: self.pool.begin().await?, _turn: None }),
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn open(url: &str) -> StoreResult<Store> {
        Store::open_direct(url, None).await
    }

    /// Connects through `url` and brings the schema up to date. `direct`, when given, reaches the same PostgreSQL
    /// without the pooler that `url` goes through (pgbouncer in transaction mode, which hands each transaction to
    /// any server connection): what needs a session of its own uses it — the migrations, which hold a session lock
    /// while they run, and the node's listening connection ([`Store::listener`]).
    pub async fn open_direct(url: &str, direct: Option<&str>) -> StoreResult<Store> {
        let Some(direct) = direct.filter(|d| !d.is_empty()) else {
            let store = Store::connect(url).await?;
            store.migrate().await?;
            return Ok(store);
        };
        if Backend::from_url(url)? != Backend::Postgres || Backend::from_url(direct)? != Backend::Postgres {
            return Err(StoreError::Config(
                "[database] direct_url is for PostgreSQL behind a pooler: both it and [database] url must be \
                 postgres:// URLs"
                    .into(),
            ));
        }
        let mut store = Store::connect(url).await?;
        let session = Store::connect(direct).await?;
        let migrated = session.migrate().await;
        session.close().await;
        migrated?;
        store.url = session.url;
        Ok(store)
    }

    /// Runs the embedded migrations of this backend that have not run yet. A database that a newer release has
    /// already migrated further is accepted (with a warning): in a rolling upgrade the old nodes keep running, and
    /// may restart, beside the new ones — which is why migrations only add (expand) and a later release removes
    /// what the old one needed (contract); see docs/deployment.md.
    pub async fn migrate(&self) -> StoreResult<()> {
        let mut migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.set_ignore_missing(true);
        migrator.run(&self.pool).await.map_err(|e| StoreError::Migrate(e.to_string()))?;
        let ours = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&self.pool).await?;
        if applied.is_some_and(|v| v > ours) {
            tracing::warn!(
                database.migration = applied,
                binary.migration = ours,
                "the database was migrated by a newer release; running beside it (a rolling upgrade)"
            );
        }
        Ok(())
    }

    /// Cheap liveness check for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Connections this process's pool has open, and how many of them are idle.
    pub fn pool_use(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// The most connections the pool opens.
    pub fn pool_max(&self) -> u32 {
        self.pool.options().get_max_connections()
    }
}

/// Current time as UTC Unix seconds.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// A PostgreSQL URL for a server on this machine without TLS, unless the URL asks for an `sslmode`. TLS on loopback
/// protects nothing, and it costs: sqlx opens TCP without `TCP_NODELAY`, so a message that TLS writes as several
/// records waits out the server's delayed ACK (about 40 ms) — every save of a long story did, and an import of
/// 300 stories took 17 s instead of 3.
fn plain_on_loopback(url: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    let loopback = matches!(host, "localhost" | "127.0.0.1" | "::1") || host.starts_with("127.");
    if !loopback || url.contains("sslmode=") {
        return url.to_owned();
    }
    format!("{url}{}sslmode=disable", if url.contains('?') { "&" } else { "?" })
}

/// `$start, $start+1, …` for an `IN (…)` list of `n` values.
pub(crate) fn placeholders(start: usize, n: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// A database URL with any password replaced, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Random URL-safe token with 256 bits of entropy, and its SHA-256 for storage.
pub fn new_token() -> (String, String) {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// What is stored for a token: its SHA-256 in hex. Tokens are random, so no salt is needed.
pub fn hash_token(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn loopback_postgres_goes_without_tls() {
        assert_eq!(
            super::plain_on_loopback("postgres://u@127.0.0.1:5432/db"),
            "postgres://u@127.0.0.1:5432/db?sslmode=disable"
        );
        assert_eq!(
            super::plain_on_loopback("postgres://u:p@localhost/db?x=1"),
            "postgres://u:p@localhost/db?x=1&sslmode=disable"
        );
        assert_eq!(
            super::plain_on_loopback("postgres://u@[::1]:5432/db"),
            "postgres://u@[::1]:5432/db?sslmode=disable"
        );
        assert_eq!(super::plain_on_loopback("postgres://u@db.internal/db"), "postgres://u@db.internal/db");
        assert_eq!(
            super::plain_on_loopback("postgres://u@127.0.0.1/db?sslmode=require"),
            "postgres://u@127.0.0.1/db?sslmode=require"
        );
    }

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(super::redact_url("postgres://nd:secret@db:5432/x"), "postgres://nd:***@db:5432/x");
        assert_eq!(super::redact_url("sqlite://data/newsdesk.db"), "sqlite://data/newsdesk.db");
    }
}
