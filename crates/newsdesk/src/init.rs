//! Initialising a data directory: create it, write a commented `newsdesk.toml`, create and migrate the database,
//! add demo content on first run (unless asked not to), and — while the site has no staff — make a one-time link
//! to create the owner account.

use std::path::Path;

use anyhow::Context;
use newsdesk_store::Store;

use crate::config::{CONFIG_FILE, Config, default_file};

/// Validity of the owner set-up link.
pub const OWNER_LINK_TTL: i64 = 24 * 3600;

/// Creates the directory and its config file when missing. Returns true when the directory was new.
pub fn ensure_dir(data_dir: &Path, demo: bool) -> anyhow::Result<bool> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let path = data_dir.join(CONFIG_FILE);
    if path.exists() {
        return Ok(false);
    }
    let text = if demo {
        default_file(crate::demo::SITE_TITLE, crate::demo::TIMEZONE)
    } else {
        default_file("Newsdesk", "UTC")
    };
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

/// Opens (creating and migrating) the database of a data directory, converts stories saved before the document
/// model, and adds demo content to a new, empty site.
pub async fn open(config: &Config, demo: bool) -> anyhow::Result<Store> {
    let store = config.open_store().await.context("opening the database")?;
    newsdesk_services::documents::convert_existing(&store).await.context("converting stories to the document model")?;
    if demo && store.user_count().await? == 0 && store.list_posts(&Default::default(), 1, 1).await?.total == 0 {
        let site = config.site_settings(None)?;
        crate::demo::create(&store, &site, &config.media()?).await.context("creating demo content")?;
        tracing::info!("demo content created");
    }
    Ok(store)
}

/// While no staff account exists, a new one-time link to create the owner (printed by `serve`).
pub async fn owner_setup_link(store: &Store, site_url: &str) -> anyhow::Result<Option<String>> {
    if store.user_count().await? > 0 {
        return Ok(None);
    }
    let (token, hash) = newsdesk_store::new_token();
    store.create_login_link("owner_setup", None, &hash, OWNER_LINK_TTL).await?;
    Ok(Some(format!("{site_url}/admin/setup/{token}")))
}
