//! The error of a use case.
//!
//! Policy: a refusal the caller can act on names what is wrong — a field and a stable snake_case code for bad
//! input, a message for a refusal of rights — so a form shows it beside the field, the JSON API answers
//! `{"error": code, "message": …}` and the CLI prints one line. Everything else is `Internal`: logged once at the
//! edge with its cause chain, shown to nobody.

use std::collections::BTreeMap;

use newsdesk_domain::ValidationError;
use newsdesk_store::StoreError;

/// Field name → message, rendered beside each field.
pub type FieldErrors = BTreeMap<&'static str, String>;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Bad input: the messages per field, and the code of the first problem.
    #[error("invalid input ({code})")]
    Invalid { errors: FieldErrors, code: &'static str },
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// A refusal that is neither a field nor a right (the request is not possible now).
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ServiceError {
    /// One field's problem.
    pub fn field(e: ValidationError) -> ServiceError {
        let mut errors = FieldErrors::new();
        errors.insert(e.field, e.message);
        ServiceError::Invalid { errors, code: e.code }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            StoreError::Conflict { field, message } => {
                let mut errors = FieldErrors::new();
                errors.insert(field, message);
                let code = if field == "revision" { "revision_conflict" } else { "slug_taken" };
                ServiceError::Invalid { errors, code }
            }
            other => ServiceError::Internal(anyhow::Error::new(other)),
        }
    }
}

impl From<newsdesk_render::minijinja::Error> for ServiceError {
    fn from(e: newsdesk_render::minijinja::Error) -> Self {
        ServiceError::Internal(anyhow::anyhow!("template error: {e:#}"))
    }
}
