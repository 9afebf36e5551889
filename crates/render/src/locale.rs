//! The theme's interface text and formats in each of the site's languages.
//!
//! Messages come from translation catalogues (`locales/<language>.toml`, built in; a site's
//! `<data>/theme/locales/<language>.toml` overrides any message), each falling back to English message by message.
//! Dates, times, numbers and plural forms are ICU4X's, with CLDR's data compiled in: nothing is formatted by hand.
//! Times are shown in the site's time zone (jiff), followed by the zone's abbreviation from the time-zone database.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use icu_calendar::Gregorian;
use icu_datetime::FixedCalendarDateTimeFormatter;
use icu_datetime::fieldsets::{T, YMD, YMDT};
use icu_datetime::input::{Date, DateTime, Time};
use icu_datetime::options::TimePrecision;
use icu_decimal::DecimalFormatter;
use icu_decimal::input::Decimal;
use icu_plurals::{PluralCategory, PluralRules};
use newsdesk_domain::SiteSettings;

/// The catalogues that ship with Newsdesk: English (complete, the fallback) and Ukrainian (complete).
const BUILTIN: &[(&str, &str)] =
    &[("en", include_str!("../locales/en.toml")), ("uk", include_str!("../locales/uk.toml"))];

/// One message: text with `{placeholders}`, or plural forms by CLDR category.
#[derive(Debug, Clone)]
enum Message {
    Text(String),
    Plural(HashMap<String, String>),
}

type Catalogue = HashMap<String, Message>;

/// Reads a catalogue; an entry that is neither text nor a table of texts with `other` is reported.
fn parse(name: &str, source: &str) -> Result<Catalogue, String> {
    let table: toml::Table = source.parse().map_err(|e| format!("{name}: {e}"))?;
    let mut out = Catalogue::new();
    for (key, value) in table {
        let message = match value {
            toml::Value::String(s) => Message::Text(s),
            toml::Value::Table(forms) => {
                let mut map = HashMap::new();
                for (category, text) in forms {
                    let toml::Value::String(text) = text else {
                        return Err(format!("{name}: {key}.{category} is not text"));
                    };
                    map.insert(category, text);
                }
                if !map.contains_key("other") {
                    return Err(format!("{name}: {key} has plural forms but no \"other\""));
                }
                Message::Plural(map)
            }
            _ => return Err(format!("{name}: {key} is neither text nor plural forms")),
        };
        out.insert(key, message);
    }
    Ok(out)
}

fn category_name(c: PluralCategory) -> &'static str {
    match c {
        PluralCategory::Zero => "zero",
        PluralCategory::One => "one",
        PluralCategory::Two => "two",
        PluralCategory::Few => "few",
        PluralCategory::Many => "many",
        PluralCategory::Other => "other",
    }
}

/// A value for a placeholder.
pub enum Arg<'a> {
    Text(&'a str),
    Number(i64),
}

/// One language's messages and formatters.
pub struct Locale {
    pub tag: String,
    messages: Catalogue,
    plurals: PluralRules,
    decimal: DecimalFormatter,
    date: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    date_short: FixedCalendarDateTimeFormatter<Gregorian, YMD>,
    datetime: FixedCalendarDateTimeFormatter<Gregorian, YMDT>,
    time: FixedCalendarDateTimeFormatter<Gregorian, T>,
}

impl Locale {
    fn new(tag: &str, messages: Catalogue) -> Locale {
        let locale: icu_locale_core::Locale = tag.parse().unwrap_or(icu_locale_core::Locale::UNKNOWN);
        let l = &locale;
        // With compiled data every locale has formatters (falling back to CLDR's root), so these cannot fail.
        #[allow(clippy::expect_used)]
        Locale {
            tag: tag.to_owned(),
            messages,
            plurals: PluralRules::try_new_cardinal(l.into()).expect("plural rules"),
            decimal: DecimalFormatter::try_new(l.into(), Default::default()).expect("decimal formatter"),
            date: FixedCalendarDateTimeFormatter::try_new(l.into(), YMD::long()).expect("date formatter"),
            date_short: FixedCalendarDateTimeFormatter::try_new(l.into(), YMD::medium()).expect("date formatter"),
            datetime: FixedCalendarDateTimeFormatter::try_new(
                l.into(),
                YMDT::long().with_time_precision(TimePrecision::Minute),
            )
            .expect("date and time formatter"),
            time: FixedCalendarDateTimeFormatter::try_new(
                l.into(),
                T::short().with_time_precision(TimePrecision::Minute),
            )
            .expect("time formatter"),
        }
    }

    /// The message `key` with its placeholders filled (numbers formatted for the language); a plural message picks
    /// its form by the `count` argument. An unknown key shows as itself, so a missing message is seen, not hidden.
    pub fn text(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        self.text_escaped(key, args, |t| t.to_owned())
    }

    /// As [`Locale::text`], with the message's own text passed through `escape` (for HTML) before the values,
    /// which the caller has made safe, go in.
    pub fn text_escaped(&self, key: &str, args: &[(&str, Arg<'_>)], escape: impl Fn(&str) -> String) -> String {
        let template = match self.messages.get(key) {
            Some(Message::Text(t)) => t.as_str(),
            Some(Message::Plural(forms)) => {
                let count = args.iter().find_map(|(k, v)| match v {
                    Arg::Number(n) if *k == "count" => Some(*n),
                    _ => None,
                });
                let category = category_name(self.plurals.category_for(count.unwrap_or(0).unsigned_abs()));
                forms.get(category).or_else(|| forms.get("other")).map_or(key, String::as_str)
            }
            None => key,
        };
        let mut out = escape(template);
        for (name, value) in args {
            let value = match value {
                Arg::Text(t) => (*t).to_owned(),
                Arg::Number(n) => self.number(*n),
            };
            out = out.replace(&format!("{{{name}}}"), &value);
        }
        out
    }

    pub fn number(&self, n: i64) -> String {
        self.decimal.format(&Decimal::from(n)).to_string()
    }

    fn parts(zoned: &jiff::Zoned) -> Option<(Date<Gregorian>, Time)> {
        let date = Date::try_new_gregorian(i32::from(zoned.year()), zoned.month() as u8, zoned.day() as u8).ok()?;
        let time = Time::try_new(zoned.hour() as u8, zoned.minute() as u8, 0, 0).ok()?;
        Some((date, time))
    }

    /// "1 July 2026", "1 липня 2026 р.".
    pub fn date(&self, zoned: &jiff::Zoned) -> String {
        Self::parts(zoned).map(|(d, _)| self.date.format(&d).to_string()).unwrap_or_default()
    }

    /// "1 Jul 2026", "1 лип. 2026 р.".
    pub fn date_short(&self, zoned: &jiff::Zoned) -> String {
        Self::parts(zoned).map(|(d, _)| self.date_short.format(&d).to_string()).unwrap_or_default()
    }

    /// "1 July 2026 at 12:59 BST", with the zone's abbreviation.
    pub fn datetime(&self, zoned: &jiff::Zoned) -> String {
        Self::parts(zoned)
            .map(|(date, time)| format!("{} {}", self.datetime.format(&DateTime { date, time }), zoned.strftime("%Z")))
            .unwrap_or_default()
    }

    /// "12:59", "12:59 PM".
    pub fn time(&self, zoned: &jiff::Zoned) -> String {
        Self::parts(zoned).map(|(_, t)| self.time.format(&t).to_string()).unwrap_or_default()
    }
}

/// Every language of the site, each with its catalogue merged over English.
#[derive(Clone)]
pub struct Locales {
    by_tag: HashMap<String, Arc<Locale>>,
    default: Arc<Locale>,
}

impl Locales {
    /// The site's languages. `theme_dir` (`<data>/theme`) may hold `locales/<language>.toml` overriding messages;
    /// an unreadable one is an error that names the file.
    pub fn new(site: &SiteSettings, theme_dir: Option<&Path>) -> Result<Locales, String> {
        let builtin = |name: &str| BUILTIN.iter().find(|(n, _)| *n == name).map(|(n, src)| parse(n, src));
        let english = builtin("en").unwrap_or_else(|| Ok(Catalogue::new()))?;
        let mut by_tag = HashMap::new();
        for tag in std::iter::once(&site.language).chain(&site.languages) {
            let primary = tag.split('-').next().unwrap_or(tag).to_ascii_lowercase();
            let mut messages = english.clone();
            if let Some(own) = builtin(&primary) {
                messages.extend(own?);
            }
            for name in [primary.clone(), tag.to_ascii_lowercase()] {
                let path = theme_dir.map(|d| d.join("locales").join(format!("{name}.toml")));
                if let Some(path) = path.filter(|p| p.is_file()) {
                    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                    messages.extend(parse(&path.display().to_string(), &text)?);
                }
            }
            by_tag.insert(tag.clone(), Arc::new(Locale::new(tag, messages)));
        }
        let default = by_tag.get(&site.language).cloned().unwrap_or_else(|| Arc::new(Locale::new("en", english)));
        Ok(Locales { by_tag, default })
    }

    /// The locale of `tag` (one of the site's languages), else the site's own.
    pub fn get(&self, tag: &str) -> &Arc<Locale> {
        self.by_tag.get(tag).unwrap_or(&self.default)
    }

    pub fn default_locale(&self) -> &Arc<Locale> {
        &self.default
    }
}

/// Every message of every built-in catalogue must exist in English, have its `other` form, and use only
/// placeholders the English message has (so a translation cannot ask for a value no template passes).
pub fn check_builtin() -> Result<(), String> {
    let english = parse("en", BUILTIN[0].1)?;
    let placeholders = |m: &Message| -> Vec<String> {
        let texts: Vec<&String> = match m {
            Message::Text(t) => vec![t],
            Message::Plural(f) => f.values().collect(),
        };
        let mut out: Vec<String> = texts
            .iter()
            .flat_map(|t| t.split('{').skip(1).filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned())))
            .collect();
        out.sort();
        out.dedup();
        out
    };
    for (name, source) in &BUILTIN[1..] {
        let own = parse(name, source)?;
        for (key, message) in &own {
            let Some(base) = english.get(key) else { return Err(format!("{name}: {key} is not an English message")) };
            let extra: Vec<String> =
                placeholders(message).into_iter().filter(|p| !placeholders(base).contains(p)).collect();
            if !extra.is_empty() {
                return Err(format!("{name}: {key} uses {extra:?}, which English does not"));
            }
        }
        let missing: Vec<&String> = english.keys().filter(|k| !own.contains_key(*k)).collect();
        if !missing.is_empty() {
            return Err(format!("{name} is incomplete: {missing:?}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(language: &str, others: &[&str]) -> SiteSettings {
        SiteSettings {
            title: "T".into(),
            description: String::new(),
            url: "http://x".into(),
            timezone: newsdesk_domain::Timezone::parse("timezone", "Europe/London").unwrap(),
            language: language.into(),
            languages: others.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    #[test]
    fn builtin_catalogues_are_complete_and_consistent() {
        check_builtin().unwrap();
    }

    #[test]
    fn messages_plurals_numbers_and_dates_follow_the_language() {
        let locales = Locales::new(&site("en-GB", &["uk", "ar"]), None).unwrap();
        let (en, uk, ar) = (locales.get("en-GB"), locales.get("uk"), locales.get("ar"));
        assert_eq!(en.text("skip_to_content", &[]), "Skip to content");
        assert_eq!(uk.text("skip_to_content", &[]), "Перейти до змісту");
        assert_eq!(ar.text("skip_to_content", &[]), "Skip to content", "no Arabic catalogue: English");
        let read = |l: &Locale, n| l.text("min_read", &[("count", Arg::Number(n))]);
        assert_eq!((read(en, 1), read(en, 4)), ("1 min read".to_owned(), "4 min read".to_owned()));
        assert_eq!(
            [read(uk, 1), read(uk, 3), read(uk, 5), read(uk, 21)],
            ["1 хвилина читання", "3 хвилини читання", "5 хвилин читання", "21 хвилина читання"]
        );
        assert_eq!(uk.number(12_345), "12\u{a0}345", "a no-break space groups digits");
        assert_eq!(en.number(12_345), "12,345");
        let zoned = jiff::Timestamp::from_second(1_782_907_140)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
        assert_eq!(en.date(&zoned), "1 July 2026");
        assert_eq!(en.datetime(&zoned), "1 July 2026 at 12:59 BST");
        assert_eq!(uk.date(&zoned), "1 липня 2026\u{202f}р.");
        assert_eq!(uk.time(&zoned), "12:59");
        assert_eq!(locales.get("fr").tag, "en-GB", "a language the site does not have gets the site's");
        assert_eq!(en.text("no_such_message", &[]), "no_such_message");
    }

    #[test]
    fn a_site_catalogue_overrides_messages_and_a_bad_one_is_named() {
        let dir = std::env::temp_dir().join(format!("nd-locales-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("locales")).unwrap();
        std::fs::write(dir.join("locales/uk.toml"), "more_news = \"Усі новини\"\n").unwrap();
        let locales = Locales::new(&site("en", &["uk"]), Some(&dir)).unwrap();
        assert_eq!(locales.get("uk").text("more_news", &[]), "Усі новини");
        assert_eq!(locales.get("uk").text("latest", &[]), "Останнє", "the rest stays");
        std::fs::write(dir.join("locales/uk.toml"), "min_read = { one = \"x\" }\n").unwrap();
        let err = Locales::new(&site("en", &["uk"]), Some(&dir)).err().unwrap();
        assert!(err.contains("uk.toml") && err.contains("other"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
