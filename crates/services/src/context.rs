//! What every use case works with: one per process, shared by the web server, the worker's render jobs and the
//! CLI.

use std::path::{Path, PathBuf};

use newsdesk_domain::SiteSettings;
use newsdesk_render::Templates;
use newsdesk_store::Store;

/// Settings from the configuration that rendering needs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whole articles (true) or only the dek in feeds.
    pub full_content: bool,
    /// Entries per feed.
    pub items: i64,
    /// Where the "created with AI assistance" label links (`[narration] policy_url`).
    pub narration_policy_url: String,
    /// `[mail] transport`, shown in the admin's outbox.
    pub mail_transport: String,
    /// `[newsletters] webhook_secret`: the bearer secret of the bounce and complaint webhook (empty: off).
    pub webhook_secret: String,
    /// `[editor] oembed_private_networks`: whether the embed lookup may fetch private and loopback addresses.
    pub oembed_private_networks: bool,
    /// `[payments]`: Stripe, the currency, the grace period after a failed payment.
    pub payments: crate::members::PaymentsConfig,
    /// `[server] metrics_token`: the bearer token `/metrics` wants (empty: no metrics).
    pub metrics_token: String,
    /// `[server] page_cache_mb`: the most memory the page cache holds, in MiB.
    pub page_cache_mb: u64,
    /// `[server] trusted_proxies`: addresses and CIDR ranges whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<String>,
    /// `[storage]`: the data directory's `media/` or an S3-compatible bucket.
    pub storage: crate::storage::StorageConfig,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            full_content: true,
            items: 20,
            narration_policy_url: "/ai-policy/".into(),
            mail_transport: "outbox".into(),
            webhook_secret: String::new(),
            oembed_private_networks: false,
            payments: Default::default(),
            metrics_token: String::new(),
            page_cache_mb: 256,
            trusted_proxies: Vec::new(),
            storage: Default::default(),
        }
    }
}

pub struct Context {
    /// The database.
    pub store: Store,
    /// Template environment with the site's theme overrides.
    pub templates: Templates,
    /// `[site]` settings: title, public URL, time zone, language.
    pub site: SiteSettings,
    /// Where uploaded media is stored (`<data>/media` or a bucket, `[storage]`).
    pub media: crate::storage::MediaStore,
    /// The site's theme overrides (`<data>/theme`): templates, and a `favicon.ico`.
    pub theme_dir: PathBuf,
    /// Where the `outbox` mail transport writes messages (`<data>/outbox`).
    pub outbox_dir: PathBuf,
    /// Settings from the configuration (`[feeds]`, `[narration] policy_url`, `[mail] transport`).
    pub options: Options,
}

impl Context {
    /// Fails when `[storage]` cannot be used (a media directory that cannot be made, a bucket that is not named).
    pub fn new(store: Store, site: SiteSettings, data_dir: &Path, options: Options) -> anyhow::Result<Context> {
        let theme_dir = data_dir.join("theme");
        let templates = Templates::new(&site, Some(theme_dir.clone()));
        let media = crate::storage::MediaStore::open(&options.storage, data_dir)?;
        Ok(Context { store, templates, site, media, theme_dir, outbox_dir: data_dir.join("outbox"), options })
    }
}
