//! The template environment: one minijinja `Environment` per process, with filters for dates in the site's time
//! zone and image `srcset`s.
//!
//! Lookup order for public templates is **site > built-in**: a file at `<data>/theme/<name>` replaces the built-in
//! template of the same name (read once, at first use). Admin templates (`admin/…`) and e-mail cannot be overridden
//! from the site directory, so a theme can never break the editor.

use std::path::PathBuf;
use std::sync::Arc;

use minijinja::{Environment, Error, ErrorKind, Value};
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
}

impl Templates {
    /// `theme_dir` is `<data>/theme`; missing is fine.
    pub fn new(site: &SiteSettings, theme_dir: Option<PathBuf>) -> Templates {
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
        let tz = site.timezone.clone();
        let tz2 = tz.clone();
        let tz3 = tz.clone();
        env.add_filter("date", move |ts: i64| fmt_ts(&tz, ts, "%-d %B %Y"));
        env.add_filter("datetime", move |ts: i64| fmt_ts(&tz2, ts, "%-d %B %Y, %-I:%M %p %Z"));
        env.add_filter("iso", move |ts: i64| fmt_ts(&tz3, ts, "%Y-%m-%dT%H:%M:%S%:z"));
        env.add_filter("time", {
            let tz = site.timezone.clone();
            move |ts: i64| fmt_ts(&tz, ts, "%-I:%M %p")
        });
        env.add_filter("date_short", {
            let tz = site.timezone.clone();
            move |ts: i64| fmt_ts(&tz, ts, "%-d %b %Y")
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
        env.add_global("asset_version", Value::from(crate::assets::VERSION.as_str()));
        Templates { env: Arc::new(env) }
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
