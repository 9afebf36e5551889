//! The template environment: one minijinja `Environment` per process, with `t("key", name=value)` for the
//! theme's interface text (`crate::locale`) and filters for dates and times in the site's time zone, both in the
//! page's language (its `lang`, else the site's).
//!
//! Lookup order for public templates is **site > built-in**: a file at `<data>/theme/<name>` replaces the built-in
//! template of the same name (read once, at first use). Admin templates (`admin/…`) and e-mail cannot be overridden
//! from the site directory, so a theme can never break the editor.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, ErrorKind, Value};

use crate::locale::{Arg, Locale, Locales};
use newsdesk_domain::{SiteSettings, Timezone};

/// Built-in templates, embedded in the binary.
const BUILTIN: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/theme/base.html")),
    ("home.html", include_str!("../templates/theme/home.html")),
    ("post.html", include_str!("../templates/theme/post.html")),
    ("page.html", include_str!("../templates/theme/page.html")),
    ("tag.html", include_str!("../templates/theme/tag.html")),
    ("author.html", include_str!("../templates/theme/author.html")),
    ("404.html", include_str!("../templates/theme/404.html")),
    ("search.html", include_str!("../templates/theme/search.html")),
    ("partials/card.html", include_str!("../templates/theme/partials/card.html")),
    ("partials/pagination.html", include_str!("../templates/theme/partials/pagination.html")),
    ("partials/feed_item.html", include_str!("../templates/theme/partials/feed_item.html")),
    ("partials/news_feed.html", include_str!("../templates/theme/partials/news_feed.html")),
    ("partials/editors_picks.html", include_str!("../templates/theme/partials/editors_picks.html")),
    ("partials/promo.html", include_str!("../templates/theme/partials/promo.html")),
    ("news_feed.html", include_str!("../templates/theme/news_feed.html")),
    ("partials/newsletter_form.html", include_str!("../templates/theme/partials/newsletter_form.html")),
    ("newsletters.html", include_str!("../templates/theme/newsletters.html")),
    ("newsletter_confirm.html", include_str!("../templates/theme/newsletter_confirm.html")),
    ("member_signin.html", include_str!("../templates/theme/member_signin.html")),
    ("account.html", include_str!("../templates/theme/account.html")),
    ("membership.html", include_str!("../templates/theme/membership.html")),
    ("email/member_signin.txt", include_str!("../templates/theme/email/member_signin.txt")),
    ("email/member_welcome.txt", include_str!("../templates/theme/email/member_welcome.txt")),
    ("email/member_receipt.txt", include_str!("../templates/theme/email/member_receipt.txt")),
    ("email/member_payment_failed.txt", include_str!("../templates/theme/email/member_payment_failed.txt")),
    ("email/member_cancelled.txt", include_str!("../templates/theme/email/member_cancelled.txt")),
    ("partials/paywall.html", include_str!("../templates/theme/partials/paywall.html")),
    ("partials/donation_prompt.html", include_str!("../templates/theme/partials/donation_prompt.html")),
    ("support.html", include_str!("../templates/theme/support.html")),
    ("email/donation_receipt.txt", include_str!("../templates/theme/email/donation_receipt.txt")),
    ("newsletter_preferences.html", include_str!("../templates/theme/newsletter_preferences.html")),
    ("newsletter_unsubscribe.html", include_str!("../templates/theme/newsletter_unsubscribe.html")),
    ("newsletter_archive.html", include_str!("../templates/theme/newsletter_archive.html")),
    ("email/subject.txt", include_str!("../templates/theme/email/subject.txt")),
    ("email/issue.html", include_str!("../templates/theme/email/issue.html")),
    ("email/issue.txt", include_str!("../templates/theme/email/issue.txt")),
    ("admin/layout.html", include_str!("../templates/admin/layout.html")),
    ("admin/macros.html", include_str!("../templates/admin/macros.html")),
    ("admin/signin.html", include_str!("../templates/admin/signin.html")),
    ("admin/setup.html", include_str!("../templates/admin/setup.html")),
    ("admin/posts.html", include_str!("../templates/admin/posts.html")),
    ("admin/editor.html", include_str!("../templates/admin/editor.html")),
    ("admin/media.html", include_str!("../templates/admin/media.html")),
    ("admin/media_item.html", include_str!("../templates/admin/media_item.html")),
    ("admin/authors.html", include_str!("../templates/admin/authors.html")),
    ("admin/tags.html", include_str!("../templates/admin/tags.html")),
    ("admin/redirects.html", include_str!("../templates/admin/redirects.html")),
    ("admin/members.html", include_str!("../templates/admin/members.html")),
    ("admin/member.html", include_str!("../templates/admin/member.html")),
    ("admin/tiers.html", include_str!("../templates/admin/tiers.html")),
    ("admin/revenue.html", include_str!("../templates/admin/revenue.html")),
    ("admin/webhooks.html", include_str!("../templates/admin/webhooks.html")),
    ("admin/webhook.html", include_str!("../templates/admin/webhook.html")),
    ("admin/users.html", include_str!("../templates/admin/users.html")),
    ("admin/jobs.html", include_str!("../templates/admin/jobs.html")),
    ("admin/tokens.html", include_str!("../templates/admin/tokens.html")),
    ("admin/account.html", include_str!("../templates/admin/account.html")),
    ("admin/message.html", include_str!("../templates/admin/message.html")),
    ("admin/news_feed.html", include_str!("../templates/admin/news_feed.html")),
    ("admin/feed_item.html", include_str!("../templates/admin/feed_item.html")),
    ("admin/curation.html", include_str!("../templates/admin/curation.html")),
    ("admin/revisions.html", include_str!("../templates/admin/revisions.html")),
    ("admin/forgot.html", include_str!("../templates/admin/forgot.html")),
    ("admin/outbox.html", include_str!("../templates/admin/outbox.html")),
    ("admin/newsletters.html", include_str!("../templates/admin/newsletters.html")),
    ("admin/subscribers.html", include_str!("../templates/admin/subscribers.html")),
    ("admin/suppressions.html", include_str!("../templates/admin/suppressions.html")),
    ("admin/send.html", include_str!("../templates/admin/send.html")),
    ("admin/issue.html", include_str!("../templates/admin/issue.html")),
];

/// Renders templates; shared by every request (cheap to clone).
#[derive(Clone)]
pub struct Templates {
    env: Arc<Environment<'static>>,
    locales: Arc<Locales>,
    /// A site catalogue that could not be read (the built-in ones are used instead); the server logs it.
    locale_error: Option<String>,
}

/// The locale of the page being rendered: its `lang`, else the site's language.
fn page_locale<'a>(locales: &'a Locales, state: &minijinja::State) -> &'a Arc<Locale> {
    match page_language(state) {
        Some(lang) => locales.get(&lang),
        None => locales.default_locale(),
    }
}

/// The `lang` the page being rendered names, if it names one.
fn page_language(state: &minijinja::State) -> Option<String> {
    state.lookup("lang").filter(|v| !v.is_undefined() && !v.is_none()).map(|v| v.to_string())
}

impl Templates {
    /// `theme_dir` is `<data>/theme`; missing is fine.
    pub fn new(site: &SiteSettings, theme_dir: Option<PathBuf>) -> Templates {
        let theme_dir_for_locales = theme_dir.clone();
        let mut env = Environment::new();
        env.set_loader(move |name: &str| {
            if !name.starts_with("admin/")
                && !name.contains("..")
                && let Some(dir) = &theme_dir
                && dir.join(name).is_file()
            {
                let path = dir.join(name);
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    Error::new(ErrorKind::InvalidOperation, format!("cannot read {}: {e}", path.display()))
                });
            }
            Ok(BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, src)| (*src).to_owned()))
        });
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") { minijinja::AutoEscape::Html } else { minijinja::AutoEscape::None }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.set_formatter(format_value);
        let (locales, locale_error) = match Locales::new(site, theme_dir_for_locales.as_deref()) {
            Ok(l) => (l, None),
            Err(e) => (
                Locales::new(site, None)
                    .unwrap_or_else(|_| unreachable!("the built-in catalogues are checked by tests")),
                Some(e),
            ),
        };
        let locales = Arc::new(locales);
        let tz = site.timezone.clone();
        let tz3 = tz.clone();
        // Dates and times in the page's language (ICU4X), in the site's time zone.
        for (name, format) in [
            ("date", Locale::date as fn(&Locale, &jiff::Zoned) -> String),
            ("datetime", Locale::datetime),
            ("time", Locale::time),
            ("date_short", Locale::date_short),
        ] {
            let (locales, tz) = (locales.clone(), site.timezone.clone());
            env.add_filter(name, move |state: &minijinja::State, ts: i64| match jiff::Timestamp::from_second(ts) {
                Ok(t) => format(page_locale(&locales, state), &tz.local(t)),
                Err(_) => String::new(),
            });
        }
        // The newsletters of the page's language (a newsletter names none: the site's), for its signup forms.
        env.add_filter("in_page_language", {
            let (site_language, multilingual) = (site.language.clone(), !site.languages.is_empty());
            move |state: &minijinja::State, list: Value| -> Result<Value, Error> {
                if !multilingual {
                    return Ok(list);
                }
                let page = page_language(state).unwrap_or_else(|| site_language.clone());
                let mut kept = Vec::new();
                for n in list.try_iter()? {
                    let own = n.get_attr("language")?;
                    let language =
                        if own.is_undefined() || own.is_none() { site_language.clone() } else { own.to_string() };
                    if language == page {
                        kept.push(n);
                    }
                }
                Ok(Value::from(kept))
            }
        });
        env.add_filter("iso", move |ts: i64| fmt_ts(&tz3, ts, "%Y-%m-%dT%H:%M:%S%:z"));
        env.add_function("t", {
            let locales = locales.clone();
            move |state: &minijinja::State, key: String, kwargs: Kwargs| -> Result<Value, Error> {
                let values: Vec<(String, Value)> =
                    kwargs.args().map(|k| Ok((k.to_owned(), kwargs.get::<Value>(k)?))).collect::<Result<_, Error>>()?;
                // In HTML the message and every text value are escaped here, and markup a template built (a safe
                // value, such as the byline's links) goes in as it is; the result is then safe as a whole.
                let html = matches!(state.auto_escape(), minijinja::AutoEscape::Html);
                let texts: Vec<String> =
                    values
                        .iter()
                        .map(|(_, v)| {
                            if html && !v.is_safe() { crate::feeds::html_escape(&v.to_string()) } else { v.to_string() }
                        })
                        .collect();
                let args: Vec<(&str, Arg<'_>)> = values
                    .iter()
                    .zip(&texts)
                    .map(|((k, v), text)| match i64::try_from(v.clone()) {
                        Ok(n) if v.is_number() => (k.as_str(), Arg::Number(n)),
                        _ => (k.as_str(), Arg::Text(text.as_str())),
                    })
                    .collect();
                let locale = page_locale(&locales, state);
                Ok(if html {
                    Value::from_safe_string(locale.text_escaped(&key, &args, crate::feeds::html_escape))
                } else {
                    Value::from(locale.text(&key, &args))
                })
            }
        });
        env.add_filter("is_today", {
            let tz = site.timezone.clone();
            move |ts: i64| {
                let today = jiff::Timestamp::now().to_zoned(tz.tz().clone()).date();
                jiff::Timestamp::from_second(ts).map(|t| tz.local(t).date() == today).unwrap_or(false)
            }
        });
        env.add_filter("local_input", {
            let tz = site.timezone.clone();
            move |ts: i64| fmt_ts(&tz, ts, "%Y-%m-%dT%H:%M")
        });
        env.add_global("site", Value::from_serialize(SiteView::from(site)));
        // The site's writing direction, for pages that do not name their own `dir`.
        env.add_global("site_dir", Value::from(newsdesk_domain::language::direction(&site.language)));
        env.add_global("asset_version", Value::from(crate::assets::VERSION.as_str()));
        Templates { env: Arc::new(env), locales, locale_error }
    }

    /// The site's languages, for messages rendered outside templates (the signup form's answers).
    pub fn locales(&self) -> &Locales {
        &self.locales
    }

    /// A site catalogue (`<data>/theme/locales/…`) that could not be read, if any.
    pub fn locale_error(&self) -> Option<&str> {
        self.locale_error.as_deref()
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, Error> {
        self.env.get_template(name)?.render(ctx)
    }
}

/// Writes a value into a template. HTML-escapes only `& < > " '` (minijinja's default also escapes `/`, which
/// bloats every URL); `none` and undefined print nothing.
fn format_value(out: &mut minijinja::Output, state: &minijinja::State, value: &Value) -> Result<(), Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(());
    }
    let text = value.to_string();
    if value.is_safe() || !matches!(state.auto_escape(), minijinja::AutoEscape::Html) {
        return out.write_str(&text).map_err(Error::from);
    }
    let mut last = 0;
    for (i, b) in text.bytes().enumerate() {
        let rep = match b {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.write_str(&text[last..i]).map_err(Error::from)?;
        out.write_str(rep).map_err(Error::from)?;
        last = i + 1;
    }
    out.write_str(&text[last..]).map_err(Error::from)
}

fn fmt_ts(tz: &Timezone, ts: i64, fmt: &str) -> String {
    match jiff::Timestamp::from_second(ts) {
        Ok(t) => tz.local(t).strftime(fmt).to_string(),
        Err(_) => String::new(),
    }
}

#[derive(serde::Serialize)]
struct SiteView {
    title: String,
    description: String,
    url: String,
    timezone: String,
    language: String,
}

impl From<&SiteSettings> for SiteView {
    fn from(s: &SiteSettings) -> Self {
        SiteView {
            title: s.title.clone(),
            description: s.description.clone(),
            url: s.url.clone(),
            timezone: s.timezone.name().to_owned(),
            language: s.language.clone(),
        }
    }
}
