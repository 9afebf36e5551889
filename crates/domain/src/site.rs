//! The site's identity as readers see it: title, public URL, time zone and language (`[site]` in the config).

use crate::{Timezone, ValidationError};

#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    /// Public base URL without a trailing slash, e.g. `https://news.example.org`.
    pub url: String,
    pub timezone: Timezone,
    /// BCP 47 language tag for `<html lang>`, e.g. `en-GB`.
    pub language: String,
}

impl SiteSettings {
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
