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
