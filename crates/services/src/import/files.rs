//! Files an import brings into the media library: read from a copy of the old site's upload directory, or fetched
//! over HTTP with timeouts, each stored once (by its key) however many stories use it.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

use newsdesk_store::Store;

use super::ImportError;

/// Files: where they come from, and what they became.
pub(crate) struct Files<'a> {
    store: &'a Store,
    media: &'a crate::storage::MediaStore,
    /// The copy of the old site's uploads; a key is a path under it.
    root: Option<PathBuf>,
    http: Option<reqwest::Client>,
    /// Key (`2024/05/photo.jpg`) → our media id and public URL.
    by_key: HashMap<String, (i64, String)>,
    /// Keys already tried and missing (not tried twice).
    missing: HashSet<String>,
}

/// The public address of a library file.
pub(crate) fn public_url(m: &newsdesk_store::media::Media) -> String {
    if m.kind == "image" {
        let files = crate::views::media_files(m);
        files.url(files.largest(), "jpg")
    } else {
        format!("/media/{}/original.{}", m.file_key, crate::media::original_ext(&m.mime))
    }
}

impl<'a> Files<'a> {
    /// Files under `root` (when given); `fetch` also fetches over HTTP what is not there.
    pub fn new(
        store: &'a Store,
        media: &'a crate::storage::MediaStore,
        root: Option<PathBuf>,
        fetch: bool,
    ) -> Result<Self, ImportError> {
        let http = match fetch {
            true => Some(
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(10))
                    .timeout(Duration::from_secs(60))
                    .user_agent("Newsdesk importer")
                    .build()
                    .map_err(|e| ImportError::Internal(e.into()))?,
            ),
            false => None,
        };
        Ok(Files { store, media, root, http, by_key: HashMap::new(), missing: HashSet::new() })
    }

    /// The directory files are read from, if any.
    pub fn root(&self) -> Option<&PathBuf> {
        self.root.as_ref()
    }

    /// The bytes of a file, from the directory or over HTTP.
    async fn bytes(&self, key: &str, url: &str) -> Result<Vec<u8>, String> {
        // A key that is an address (an image elsewhere on the web) is only fetched.
        if let Some(dir) = self.root.as_ref().filter(|_| !key.starts_with("http://") && !key.starts_with("https://")) {
            if key.split('/').any(|s| s == ".." || s.is_empty()) {
                return Err(format!("{key}: not a path under {}", dir.display()));
            }
            let p = dir.join(key);
            if p.exists() || self.http.is_none() || !url.starts_with("http") {
                return std::fs::read(&p).map_err(|e| format!("{} ({e})", p.display()));
            }
        }
        let Some(http) = &self.http else { return Err("not fetched".into()) };
        let too_big = || format!("{url}: larger than {} MB", crate::media::MAX_UPLOAD / 1_000_000);
        let resp = http.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{url}: HTTP {}", resp.status()));
        }
        if resp.content_length().is_some_and(|n| n > crate::media::MAX_UPLOAD as u64) {
            return Err(too_big());
        }
        let bytes = resp.bytes().await.map_err(|e| format!("{url}: {e}"))?;
        if bytes.len() > crate::media::MAX_UPLOAD {
            return Err(too_big());
        }
        Ok(bytes.to_vec())
    }

    /// Stores a file once; `Err` says why it could not be ("missing" when an earlier try already said why).
    pub async fn import(&mut self, key: &str, url: &str, images_only: bool) -> Result<(i64, String), String> {
        if let Some(found) = self.by_key.get(key) {
            return Ok(found.clone());
        }
        if self.missing.contains(key) {
            return Err("missing".into());
        }
        let result = async {
            let bytes = self.bytes(key, url).await?;
            let name = key.rsplit('/').next().unwrap_or(key).to_owned();
            match crate::media::store_upload(self.store, self.media, &name, bytes, "file", None, images_only).await {
                Ok(m) => Ok((m.id, public_url(&m))),
                Err(crate::media::UploadError::Invalid(e)) => Err(format!("{key}: {}", e.message)),
                Err(crate::media::UploadError::Internal(e)) => Err(format!("{key}: {e:#}")),
            }
        }
        .await;
        match result {
            Ok(found) => {
                self.by_key.insert(key.to_owned(), found.clone());
                Ok(found)
            }
            Err(e) => {
                self.missing.insert(key.to_owned());
                Err(e)
            }
        }
    }

    /// Every file stored: key → our media id and public URL.
    pub fn stored(&self) -> impl Iterator<Item = (&String, &(i64, String))> {
        self.by_key.iter()
    }

    /// Counts the files stored in the report (created, or updated when an earlier run of `source` stored them) and
    /// remembers the new ones for the next run.
    pub async fn remember(&self, source: &str, report: &mut super::Report) -> Result<(), ImportError> {
        let known = self.store.import_ids(source, "media").await?;
        for (key, (id, _)) in &self.by_key {
            if known.contains_key(key) {
                report.updated.media += 1;
            } else {
                report.created.media += 1;
                self.store.remember_import(source, "media", key, *id).await?;
            }
        }
        Ok(())
    }

    /// What a key became, if it was stored.
    pub fn get(&self, key: &str) -> Option<(i64, String)> {
        self.by_key.get(key).cloned()
    }
}

/// Brings a body's files into the library: every image for whose address `image_key` names a file (its key and
/// where to fetch it), and every link `link_key` names one for (a PDF, a video), is stored once and the body points
/// at its library file. What cannot be had is listed under "files missing" (`label` says where) and keeps its old
/// address.
pub(crate) async fn adopt(
    files: &mut Files<'_>,
    doc: &mut newsdesk_domain::document::Document,
    image_key: impl Fn(&str) -> Option<(String, String)>,
    link_key: impl Fn(&str) -> Option<(String, String)>,
    label: &str,
    report: &mut super::Report,
) {
    use newsdesk_domain::document::{Block, Figure};
    let mut wanted: Vec<(String, (String, String), bool)> = Vec::new();
    let image = |src: &str| image_key(src).map(|k| (src.to_owned(), k, true));
    doc.walk(&mut |b| match b {
        Block::Image { attrs } => wanted.extend(image(&attrs.src)),
        Block::Gallery { attrs } => wanted.extend(attrs.images.iter().filter_map(|f| image(&f.src))),
        _ => {}
    });
    doc.links_mut(&mut |href| wanted.extend(link_key(href).map(|k| (href.clone(), k, false))));
    let mut found: HashMap<String, (i64, String)> = HashMap::new();
    for (address, (key, url), images_only) in wanted {
        if found.contains_key(&address) {
            continue;
        }
        match files.import(&key, &url, images_only).await {
            Ok(f) => {
                found.insert(address, f);
            }
            Err(why) if why != "missing" => {
                report.media_missing.push(super::Skipped { item: label.to_owned(), reason: why })
            }
            Err(_) => {}
        }
    }
    doc.walk_mut(&mut |b| {
        let fix = |f: &mut Figure| {
            if let Some((id, url)) = found.get(&f.src) {
                f.media_id = Some(*id);
                f.src = url.clone();
                f.width = None;
                f.height = None;
            }
        };
        match b {
            Block::Image { attrs } => fix(attrs),
            Block::Gallery { attrs } => attrs.images.iter_mut().for_each(fix),
            _ => {}
        }
    });
    doc.links_mut(&mut |href| {
        if let Some((_, url)) = found.get(href.as_str()) {
            *href = url.clone();
        }
    });
}
