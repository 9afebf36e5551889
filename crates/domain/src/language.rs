//! Languages of a site and its posts: BCP 47 tags checked and put in their canonical form by ICU4X's
//! `icu_locale_core` ("EN-gb" → "en-GB"), the writing direction, and each language's own name for the "Read in"
//! links.

use icu_locale_core::LanguageIdentifier;

use crate::ValidationError;

/// A language tag in canonical form, e.g. `en-GB`, `uk`, `ar`, `sr-Latn`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language(String);

/// Scripts written right to left (ISO 15924).
const RTL_SCRIPTS: &[&str] = &["Adlm", "Arab", "Hebr", "Mand", "Nkoo", "Rohg", "Samr", "Syrc", "Thaa"];

/// Languages whose usual script is written right to left (when the tag names no script).
const RTL_LANGUAGES: &[&str] = &["ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "syr", "ug", "ur", "yi"];

/// Each language's name for itself, for links a reader of that language must recognise.
const AUTONYMS: &[(&str, &str)] = &[
    ("ar", "العربية"),
    ("bg", "Български"),
    ("ca", "Català"),
    ("cs", "Čeština"),
    ("cy", "Cymraeg"),
    ("da", "Dansk"),
    ("de", "Deutsch"),
    ("el", "Ελληνικά"),
    ("en", "English"),
    ("es", "Español"),
    ("et", "Eesti"),
    ("eu", "Euskara"),
    ("fa", "فارسی"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("ga", "Gaeilge"),
    ("gd", "Gàidhlig"),
    ("he", "עברית"),
    ("hi", "हिन्दी"),
    ("hr", "Hrvatski"),
    ("hu", "Magyar"),
    ("it", "Italiano"),
    ("ja", "日本語"),
    ("ka", "ქართული"),
    ("ko", "한국어"),
    ("lt", "Lietuvių"),
    ("lv", "Latviešu"),
    ("nb", "Norsk bokmål"),
    ("nl", "Nederlands"),
    ("nn", "Norsk nynorsk"),
    ("pl", "Polski"),
    ("pt", "Português"),
    ("ro", "Română"),
    ("ru", "Русский"),
    ("sk", "Slovenčina"),
    ("sl", "Slovenščina"),
    ("sq", "Shqip"),
    ("sr", "Српски"),
    ("sv", "Svenska"),
    ("sw", "Kiswahili"),
    ("tr", "Türkçe"),
    ("uk", "Українська"),
    ("ur", "اردو"),
    ("vi", "Tiếng Việt"),
    ("zh", "中文"),
];

impl Language {
    /// Checks a BCP 47 language tag (language, optional script, region and variants).
    pub fn parse(field: &'static str, text: &str) -> Result<Language, ValidationError> {
        let bad = || {
            ValidationError::new(
                field,
                "language_invalid",
                format!("\"{}\" is not a language tag like en, en-GB, uk or ar.", text.trim()),
            )
        };
        let id = LanguageIdentifier::try_from_str(text.trim()).map_err(|_| bad())?;
        // ISO 639 codes have two or three letters; BCP 47's longer primary subtags are reserved and name nothing.
        if id.language.is_unknown() || id.language.as_str().len() > 3 {
            return Err(bad());
        }
        Ok(Language(id.to_string()))
    }

    pub fn tag(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `en` of `en-GB`.
    pub fn primary(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }

    /// The script subtag, if the tag names one: `Latn` of `sr-Latn`.
    fn script(&self) -> Option<&str> {
        self.0.split('-').skip(1).find(|s| s.len() == 4 && s.chars().all(|c| c.is_ascii_alphabetic()))
    }

    /// "rtl" or "ltr", for the `dir` attribute.
    pub fn dir(&self) -> &'static str {
        let rtl = match self.script() {
            Some(script) => RTL_SCRIPTS.contains(&script),
            None => RTL_LANGUAGES.contains(&self.primary()),
        };
        if rtl { "rtl" } else { "ltr" }
    }

    /// The language's own name ("Українська"), or its tag for a language this table does not know.
    pub fn autonym(&self) -> String {
        AUTONYMS
            .iter()
            .find(|(tag, _)| *tag == self.primary())
            .map_or_else(|| self.0.clone(), |(_, name)| (*name).to_owned())
    }

    /// Whether two tags name the same language for a reader (`en` and `en-GB` do; `sr-Latn` and `sr-Cyrl` do not
    /// differ here either: translations are per primary language).
    pub fn same_language(&self, other: &Language) -> bool {
        self.primary() == other.primary()
    }
}

/// "rtl" or "ltr" for a stored tag (the site's tags were checked at start-up; anything else reads left to right).
pub fn direction(tag: &str) -> &'static str {
    Language::parse("language", tag).map_or("ltr", |l| l.dir())
}

/// A stored tag's own name ("Українська"), or the tag itself when it names nothing this table knows.
pub fn autonym(tag: &str) -> String {
    Language::parse("language", tag).map_or_else(|_| tag.to_owned(), |l| l.autonym())
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::Language;

    #[test]
    fn tags_are_checked_and_canonical() {
        assert_eq!(Language::parse("language", "EN-gb").unwrap().tag(), "en-GB");
        assert_eq!(Language::parse("language", " uk ").unwrap().tag(), "uk");
        assert_eq!(Language::parse("language", "sr-latn-rs").unwrap().tag(), "sr-Latn-RS");
        for bad in ["", "english", "en_GB!", "und", "12", "en--GB", "x"] {
            let e = Language::parse("language", bad).unwrap_err();
            assert_eq!((e.field, e.code), ("language", "language_invalid"), "{bad}");
        }
    }

    #[test]
    fn direction_and_names() {
        let l = |t: &str| Language::parse("l", t).unwrap();
        assert_eq!(l("ar").dir(), "rtl");
        assert_eq!(l("he-IL").dir(), "rtl");
        assert_eq!(l("uz-Arab").dir(), "rtl");
        assert_eq!(l("az-Latn").dir(), "ltr");
        assert_eq!(l("uk").dir(), "ltr");
        assert_eq!(l("uk").autonym(), "Українська");
        assert_eq!(l("en-GB").autonym(), "English");
        assert_eq!(l("haw").autonym(), "haw");
        assert!(l("en").same_language(&l("en-GB")) && !l("en").same_language(&l("uk")));
    }
}
