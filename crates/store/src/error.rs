//! Storage errors. Unique-key violations become [`StoreError::Conflict`] so callers can tell a person which field
//! clashed; everything else from the driver stays [`StoreError::Database`] and is logged once at the edge.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{message}")]
    Conflict { field: &'static str, message: String },
    #[error("{0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl StoreError {
    /// Whether the database could not be reached (down, restarting, refusing connections, the pool exhausted)
    /// rather than refusing this statement: the request may work in a moment (503, not 500).
    pub fn is_unavailable(&self) -> bool {
        let StoreError::Database(e) = self else { return false };
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
            // Connection exceptions (08…), operator intervention (57P01–57P03: shutting down, restarting), and
            // "not currently accepting connections" (55000, a database closed to connections).
            sqlx::Error::Database(db) => {
                db.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "55000")
            }
            _ => false,
        }
    }

    pub fn is_unique_violation(err: &sqlx::Error) -> bool {
        match err {
            sqlx::Error::Database(db) => {
                db.is_unique_violation()
                    || db.code().is_some_and(|c| c == "23505" || c == "2067" || c == "1555")
                    || db.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }

    /// Turns a unique violation into a [`StoreError::Conflict`] naming `field`.
    pub fn conflict_on(field: &'static str, message: impl Into<String>) -> impl FnOnce(sqlx::Error) -> StoreError {
        let message = message.into();
        move |e| {
            if StoreError::is_unique_violation(&e) {
                StoreError::Conflict { field, message }
            } else {
                StoreError::Database(e)
            }
        }
    }
}
