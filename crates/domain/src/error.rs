//! The one error type of the domain: a field that failed to parse, with a stable code and a message fit for a reader.

/// Why a value was refused. `field` names the form field or JSON key; `code` is a stable snake_case identifier used by
/// the API; `message` is shown to a person beside the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, code: &'static str, message: impl Into<String>) -> Self {
        Self { field, code, message: message.into() }
    }
}
