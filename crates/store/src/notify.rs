//! Changes pushed to every node on PostgreSQL (`LISTEN`/`NOTIFY`): a write that bumps the content version or adds
//! a News Feed event also notifies, in its own transaction, so the notice is delivered when — and only if — the
//! change commits. Each node holds one listening connection ([`Store::listener`]) and fans the notices out to its
//! cache and its open live streams. SQLite has no such thing: nodes there poll (one process per file anyway).

use sqlx::AnyConnection;

use crate::{Backend, Store, StoreError, StoreResult};

/// The channel of content version bumps.
pub const CONTENT: &str = "newsdesk_content";
/// The channel of News Feed events.
pub const FEED: &str = "newsdesk_feed";

/// Notifies `channel` inside the caller's transaction, on PostgreSQL (nothing on SQLite).
pub(crate) async fn notify(conn: &mut AnyConnection, channel: &'static str) -> StoreResult<()> {
    if conn.backend_name() == "PostgreSQL" {
        sqlx::query("SELECT pg_notify($1, '')").bind(channel).execute(conn).await?;
    }
    Ok(())
}

/// A connection listening to [`CONTENT`] and [`FEED`].
pub struct Listener(sqlx::postgres::PgListener);

/// What a notice was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    Content,
    Feed,
    /// The connection dropped and was made again: notices may have been missed meanwhile.
    Reconnected,
}

impl Listener {
    /// The next notice; reconnects by itself after the connection is lost (saying so).
    pub async fn next(&mut self) -> StoreResult<Notice> {
        match self.0.try_recv().await.map_err(StoreError::from)? {
            Some(n) if n.channel() == FEED => Ok(Notice::Feed),
            Some(_) => Ok(Notice::Content),
            None => Ok(Notice::Reconnected),
        }
    }
}

impl Store {
    /// A listener for this database's notices: `None` on SQLite.
    pub async fn listener(&self) -> StoreResult<Option<Listener>> {
        let Some(url) = self.url.as_deref().filter(|_| self.backend == Backend::Postgres) else { return Ok(None) };
        let mut l = sqlx::postgres::PgListener::connect(url).await.map_err(StoreError::from)?;
        l.eager_reconnect(true);
        l.listen_all([CONTENT, FEED]).await.map_err(StoreError::from)?;
        Ok(Some(Listener(l)))
    }
}
