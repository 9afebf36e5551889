//! URL slugs: lower-case ASCII letters, digits and single hyphens, as Ghost uses them.

use crate::ValidationError;

/// Longest slug accepted; long enough for any headline, short enough for an index.
pub const MAX_SLUG_LEN: usize = 185;

/// A slug that is safe to put in a URL path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

/// Slugs that would shadow a built-in route.
const RESERVED: &[&str] = &[
    "admin",
    "api",
    "assets",
    "media",
    "tag",
    "author",
    "rss",
    "healthz",
    "news-feed",
    "newsletters",
    "podcast",
    "sitemap.xml",
    "robots.txt",
    "page",
    "setup",
    "signin",
    "signout",
];

impl Slug {
    /// Accepts a slug exactly as given; refuses anything that would need changing.
    pub fn parse(field: &'static str, s: &str) -> Result<Slug, ValidationError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ValidationError::new(field, "slug_empty", "Slug cannot be empty."));
        }
        if s.len() > MAX_SLUG_LEN {
            return Err(ValidationError::new(
                field,
                "slug_too_long",
                format!("Slug must be at most {MAX_SLUG_LEN} characters."),
            ));
        }
        let ok_chars = s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !ok_chars || s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(ValidationError::new(
                field,
                "slug_malformed",
                "Slug may contain only lower-case letters, digits and single hyphens, and cannot start or end with a hyphen.",
            ));
        }
        if RESERVED.contains(&s) {
            return Err(ValidationError::new(field, "slug_reserved", format!("The slug \"{s}\" is reserved.")));
        }
        Ok(Slug(s.to_owned()))
    }

    /// Derives a slug from free text (a title or a name): folds common accents, drops other symbols.
    /// Returns `None` when nothing usable is left (a title of only emoji, say).
    pub fn from_text(text: &str) -> Option<Slug> {
        // Words of ASCII letters and digits; apostrophes join ("owners’" → "owners"), anything else separates.
        let mut words: Vec<String> = Vec::new();
        let mut current = String::new();
        for c in text.chars().flat_map(fold_accent) {
            if c.is_ascii_alphanumeric() {
                current.push(c.to_ascii_lowercase());
            } else if c != '\'' && c != '’' && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
        }
        if !current.is_empty() {
            words.push(current);
        }
        // Whole words up to 80 characters; a single longer word is cut.
        let mut out = String::new();
        for w in words {
            let extra = if out.is_empty() { w.len() } else { w.len() + 1 };
            if out.len() + extra > 80 {
                if out.is_empty() {
                    out = w[..80].to_owned();
                }
                break;
            }
            if !out.is_empty() {
                out.push('-');
            }
            out.push_str(&w);
        }
        if out.is_empty() {
            return None;
        }
        if RESERVED.contains(&out.as_str()) {
            out.push_str("-1");
        }
        Some(Slug(out))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn fold_accent(c: char) -> impl Iterator<Item = char> {
    let s: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "a",
        'æ' | 'Æ' => "ae",
        'ç' | 'Ç' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => "i",
        'ñ' | 'Ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => "o",
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => "u",
        'ý' | 'ÿ' | 'Ý' => "y",
        'ß' => "ss",
        _ => "",
    };
    let single = if s.is_empty() { Some(c) } else { None };
    s.chars().chain(single)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plain_slugs_and_refuses_malformed_ones() {
        assert!(Slug::parse("slug", "harbour-dredging-2026").is_ok());
        for bad in ["", "Upper", "two--dashes", "-lead", "trail-", "spa ce", "ümlaut", "admin"] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn derives_slugs_from_titles() {
        assert_eq!(
            Slug::from_text("Council votes 7–2 on the Harbour Plan!").unwrap().as_str(),
            "council-votes-7-2-on-the-harbour-plan"
        );
        assert_eq!(Slug::from_text("Café owners’ union").unwrap().as_str(), "cafe-owners-union");
        assert!(Slug::from_text("🙂🙂").is_none());
        let long =
            Slug::from_text("Dredging contract went to a firm with ties to two port board members, records show")
                .unwrap();
        assert_eq!(long.as_str(), "dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records");
    }

    proptest! {
        #[test]
        fn a_derived_slug_always_parses(text in "\\PC{0,120}") {
            if let Some(slug) = Slug::from_text(&text) {
                prop_assert!(Slug::parse("slug", slug.as_str()).is_ok(), "{:?} -> {:?}", text, slug);
            }
        }
    }
}
