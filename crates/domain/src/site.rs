//! The site's identity as readers see it: title, public URL, time zone and language (`[site]` in the config).

use crate::{Timezone, ValidationError};

#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    /// Public base URL without a trailing slash, e.g. `https://news.example.org`.
    pub url: String,
    pub timezone: Timezone,
    /// BCP 47 language tag for `<html lang>`, e.g. `en-GB`: the site's language, and every post's that names none.
    pub language: String,
    /// The site's other languages (canonical BCP 47 tags), which posts may be written in.
    pub languages: Vec<String>,
}

impl SiteSettings {
    /// The language a post is in: its own tag, or the site's when it names none.
    pub fn language_of<'a>(&'a self, post: Option<&'a str>) -> &'a str {
        post.filter(|t| !t.is_empty()).unwrap_or(&self.language)
    }

    /// A post's language as it is stored: `None` for the site's own language, else one of `[site] languages`
    /// (canonical). Refused with a message naming the site's languages for any other tag.
    pub fn post_language(&self, field: &'static str, text: &str) -> Result<Option<String>, ValidationError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        let asked = crate::language::Language::parse(field, text)?;
        let own = crate::language::Language::parse(field, &self.language)?;
        if asked.same_language(&own) {
            return Ok(None);
        }
        for tag in &self.languages {
            if crate::language::Language::parse(field, tag).is_ok_and(|l| l.same_language(&asked)) {
                return Ok(Some(tag.clone()));
            }
        }
        let known: Vec<&str> =
            std::iter::once(self.language.as_str()).chain(self.languages.iter().map(String::as_str)).collect();
        Err(ValidationError::new(
            field,
            "language_unknown",
            format!("This site publishes in {}; add \"{}\" to [site] languages first.", known.join(", "), asked),
        ))
    }

    /// Checks the public URL: absolute http(s), no query or fragment; trailing slash removed.
    pub fn parse_url(field: &'static str, url: &str) -> Result<String, ValidationError> {
        let url = url.trim().trim_end_matches('/');
        let ok = (url.starts_with("http://") || url.starts_with("https://"))
            && url.len() > "https://".len()
            && !url.contains(['?', '#', ' ']);
        if ok {
            Ok(url.to_owned())
        } else {
            Err(ValidationError::new(field, "url_invalid", format!("\"{url}\" is not an absolute http(s) URL.")))
        }
    }
}
