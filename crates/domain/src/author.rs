//! Authors are bylines, not logins: a **person** ("Ana Okafor") or a **desk**, an organisational author
//! ("the Harbourside news desk"). A staff user may be linked to a person author.

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthorKind {
    Person,
    Desk,
}

impl AuthorKind {
    pub fn parse(field: &'static str, s: &str) -> Result<AuthorKind, ValidationError> {
        match s.trim() {
            "person" | "" => Ok(AuthorKind::Person),
            "desk" => Ok(AuthorKind::Desk),
            other => Err(ValidationError::new(
                field,
                "author_kind_invalid",
                format!("Author kind must be \"person\" or \"desk\", not \"{other}\"."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::Person => "person",
            AuthorKind::Desk => "desk",
        }
    }
}

/// A display name for an author or tag: trimmed, 1–100 characters.
pub fn parse_name(field: &'static str, s: &str) -> Result<String, ValidationError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ValidationError::new(field, "name_empty", "Name cannot be empty."));
    }
    if s.chars().count() > 100 {
        return Err(ValidationError::new(field, "name_too_long", "Name must be at most 100 characters."));
    }
    Ok(s.to_owned())
}
