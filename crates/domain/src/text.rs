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

/// Like [`optional`], for text that goes into one line of a mail header or a page title (a newsletter's name, a
/// sender's display name): control characters, line breaks included, are refused, never stripped in silence.
pub fn single_line(field: &'static str, s: Option<&str>, max: usize) -> Result<Option<String>, ValidationError> {
    let value = optional(field, s, max)?;
    if value.as_deref().is_some_and(|v| v.chars().any(char::is_control)) {
        return Err(ValidationError::new(
            field,
            "control_characters",
            "Use one line of plain text: no line breaks or control characters.",
        ));
    }
    Ok(value)
}

/// Counts words the way readers perceive them: runs of letters or digits.
pub fn word_count(text: &str) -> usize {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')).filter(|w| !w.is_empty()).count()
}
