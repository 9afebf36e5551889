//! Posts and pages: status, titles, reading time and bylines.

use crate::ValidationError;

/// Longest headline accepted, in characters.
pub const MAX_TITLE_CHARS: usize = 255;

/// Longest story body accepted (bytes of Markdown): about 150,000 words, far past the longest investigation, and
/// small enough that no page, feed or API answer carrying it can be used to flood readers or the server.
pub const MAX_BODY_BYTES: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PostStatus {
    Draft,
    Scheduled,
    Published,
}

impl PostStatus {
    pub fn parse(field: &'static str, s: &str) -> Result<PostStatus, ValidationError> {
        match s.trim() {
            "draft" | "" => Ok(PostStatus::Draft),
            "scheduled" => Ok(PostStatus::Scheduled),
            "published" => Ok(PostStatus::Published),
            other => Err(ValidationError::new(
                field,
                "status_invalid",
                format!("Status must be draft, scheduled or published, not \"{other}\"."),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Published => "published",
        }
    }
}

/// A headline: trimmed, non-empty, at most [`MAX_TITLE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Title(String);

impl Title {
    pub fn parse(field: &'static str, s: &str) -> Result<Title, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValidationError::new(field, "title_empty", "Title cannot be empty."));
        }
        if s.chars().count() > MAX_TITLE_CHARS {
            return Err(ValidationError::new(
                field,
                "title_too_long",
                format!("Title must be at most {MAX_TITLE_CHARS} characters."),
            ));
        }
        Ok(Title(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Minutes a reader needs, at 230 words a minute, never less than one.
pub fn reading_time_minutes(words: usize) -> u32 {
    (words.div_ceil(230)).max(1) as u32
}

/// Joins byline names in reading order: "A", "A and B", "A, B and C".
pub fn byline_names<S: AsRef<str>>(names: &[S]) -> String {
    match names {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let head: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", head.join(", "), last.as_ref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_rounds_up_and_is_at_least_one() {
        assert_eq!(reading_time_minutes(0), 1);
        assert_eq!(reading_time_minutes(230), 1);
        assert_eq!(reading_time_minutes(231), 2);
    }

    #[test]
    fn bylines_join_like_a_newsroom_writes_them() {
        assert_eq!(byline_names(&["Ana Okafor"]), "Ana Okafor");
        assert_eq!(
            byline_names(&["Ana Okafor", "the Harbourside news desk"]),
            "Ana Okafor and the Harbourside news desk"
        );
        assert_eq!(byline_names(&["A", "B", "the C desk"]), "A, B and the C desk");
    }

    #[test]
    fn titles_are_bounded() {
        assert_eq!(Title::parse("title", "  ").unwrap_err().code, "title_empty");
        assert_eq!(Title::parse("title", &"x".repeat(256)).unwrap_err().code, "title_too_long");
    }
}
