//! Small text rules shared by several fields.

use crate::ValidationError;

/// Optional free text with an upper bound in characters; empty becomes `None`.
pub fn optional(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.chars().count() > max => {
            Err(ValidationError::new(field, "too_long", format!("Must be at most {max} characters.")))
        }
        Some(t) => Ok(Some(t.to_owned())),
    }
}

/// Counts words the way readers perceive them: runs of letters or digits.
pub fn word_count(text: &str) -> usize {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).count()
}
