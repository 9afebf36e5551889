//! News Feed items: a headline, a one-paragraph summary, an optional link.

use crate::ValidationError;

pub const MAX_HEADLINE: usize = 200;
pub const MAX_SUMMARY: usize = 1000;

/// Checked text of a feed item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedText {
    pub headline: String,
    pub summary: String,
    pub url: Option<String>,
}

impl FeedText {
    /// All problems at once, so a form can show each beside its field.
    pub fn parse(headline: &str, summary: &str, url: Option<&str>) -> Result<FeedText, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let headline = headline.trim();
        let summary = summary.trim();
        if headline.is_empty() {
            errors.push(ValidationError::new("headline", "headline_empty", "Write a headline."));
        } else if headline.chars().count() > MAX_HEADLINE {
            errors.push(ValidationError::new(
                "headline",
                "headline_too_long",
                format!("Keep the headline under {MAX_HEADLINE} characters."),
            ));
        }
        if summary.is_empty() {
            errors.push(ValidationError::new("summary", "summary_empty", "Write a one-paragraph summary."));
        } else if summary.chars().count() > MAX_SUMMARY {
            errors.push(ValidationError::new(
                "summary",
                "summary_too_long",
                format!(
                    "Keep the summary to one paragraph, under {MAX_SUMMARY} characters; link to an article for more."
                ),
            ));
        } else if summary.contains("\n\n") || summary.contains("\r\n\r\n") {
            errors.push(ValidationError::new(
                "summary",
                "summary_paragraphs",
                "A feed item is one paragraph; link to an article for more.",
            ));
        }
        let url = match url.map(str::trim).filter(|u| !u.is_empty()) {
            None => None,
            Some(u)
                if (u.starts_with("https://") || u.starts_with("http://") || u.starts_with('/'))
                    && !u.contains(char::is_whitespace)
                    && u.len() <= 2000 =>
            {
                Some(u.to_owned())
            }
            Some(_) => {
                errors.push(ValidationError::new(
                    "url",
                    "url_invalid",
                    "The link must be an http(s) address or a path on this site.",
                ));
                None
            }
        };
        if errors.is_empty() {
            Ok(FeedText { headline: headline.to_owned(), summary: summary.to_owned(), url })
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_each_field() {
        assert!(
            FeedText::parse("Bridge closed", "Police closed the bridge at 9 p.m.", Some("https://example.org/x"))
                .is_ok()
        );
        let errs = FeedText::parse("", &"x".repeat(1001), Some("javascript:alert(1)")).unwrap_err();
        let codes: Vec<_> = errs.iter().map(|e| e.code).collect();
        assert_eq!(codes, ["headline_empty", "summary_too_long", "url_invalid"]);
        assert_eq!(FeedText::parse("H", "One.\n\nTwo.", None).unwrap_err()[0].code, "summary_paragraphs");
    }
}
