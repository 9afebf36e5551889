//! Where media bytes live: the data directory's `media/` on one machine (the embedded default), or an S3-compatible
//! bucket when several nodes serve one site (`[storage] backend = "s3"`). Both are reached through `object_store`,
//! so every file — library images and their renditions, documents, narrated audio, imported media — takes the same
//! path whichever backend holds it, under the same keys: `<key[..2]>/<key>/<file>` for library files and
//! `audio/<file>` for audio editions. Moving a site from disk to a bucket is a copy of those keys
//! (`newsdesk media migrate`).
//!
//! S3 requests go through the reqwest client the rest of Newsdesk uses (rustls with ring), not object_store's own.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use object_store::client::{
    ClientOptions, HttpClient, HttpConnector, HttpError, HttpErrorKind, HttpRequest, HttpResponse, HttpResponseBody,
    HttpService,
};
use object_store::path::Path as Key;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::Deserialize;

/// `[storage]`: where media is kept.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// "local" (the data directory's `media/`) or "s3".
    pub backend: String,
    /// The S3 endpoint, e.g. `https://s3.eu-west-1.amazonaws.com` or `http://127.0.0.1:3900`; empty means AWS's
    /// own for `region`.
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Address the bucket as `endpoint/bucket/key` rather than `bucket.endpoint/key` (Garage, MinIO and most
    /// self-hosted stores want this).
    pub path_style: bool,
    /// Where readers' browsers fetch library images from (the bucket's public address or a CDN in front of it),
    /// e.g. `https://media.example.org`; empty means Newsdesk serves them under `/media/`.
    pub public_url: String,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            backend: "local".into(),
            endpoint: String::new(),
            bucket: String::new(),
            region: "us-east-1".into(),
            access_key_id: String::new(),
            secret_access_key: String::new(),
            path_style: true,
            public_url: String::new(),
        }
    }
}

impl std::fmt::Debug for StorageConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = if self.secret_access_key.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("StorageConfig")
            .field("backend", &self.backend)
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &secret)
            .field("path_style", &self.path_style)
            .field("public_url", &self.public_url)
            .finish()
    }
}

impl StorageConfig {
    /// Checks the section without connecting: a known backend and, for S3, a bucket and a usable endpoint.
    pub fn check(&self) -> anyhow::Result<()> {
        match self.backend.as_str() {
            "local" => Ok(()),
            "s3" => {
                if self.bucket.trim().is_empty() {
                    anyhow::bail!("[storage] backend = \"s3\" needs a bucket");
                }
                if !self.endpoint.is_empty() {
                    let u = url::Url::parse(&self.endpoint)
                        .map_err(|e| anyhow::anyhow!("[storage] endpoint {:?} is not a URL ({e})", self.endpoint))?;
                    if !matches!(u.scheme(), "http" | "https") {
                        anyhow::bail!("[storage] endpoint {:?} must be http:// or https://", self.endpoint);
                    }
                }
                if self.access_key_id.is_empty() != self.secret_access_key.is_empty() {
                    anyhow::bail!("[storage] needs both access_key_id and secret_access_key, or neither");
                }
                Ok(())
            }
            other => anyhow::bail!("[storage] backend {other:?} is unknown: use \"local\" or \"s3\""),
        }
    }
}

/// The media store could not be reached or refused a request.
#[derive(Debug, thiserror::Error)]
#[error("the media store ({place}) {what}: {source}")]
pub struct StorageError {
    place: String,
    what: &'static str,
    #[source]
    source: object_store::Error,
}

/// The media files' home, cheap to clone.
#[derive(Clone)]
pub struct MediaStore {
    inner: Arc<dyn ObjectStore>,
    /// "the data directory's media/" or "bucket b at http://…", for messages.
    place: Arc<str>,
    /// Where browsers fetch library files from, when not from Newsdesk (`[storage] public_url`), without a
    /// trailing slash.
    public_url: Option<Arc<str>>,
    remote: bool,
}

impl std::fmt::Debug for MediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaStore").field("place", &self.place).finish()
    }
}

impl MediaStore {
    /// The store `[storage]` names; `data_dir` holds `media/` for the local backend.
    pub fn open(cfg: &StorageConfig, data_dir: &Path) -> anyhow::Result<MediaStore> {
        cfg.check()?;
        let public_url = Some(cfg.public_url.trim().trim_end_matches('/')).filter(|u| !u.is_empty()).map(Arc::from);
        let mut store = match cfg.backend.as_str() {
            "s3" => MediaStore::s3(cfg)?,
            _ => MediaStore::local(&data_dir.join("media"))?,
        };
        store.public_url = public_url;
        Ok(store)
    }

    /// Files under `dir` (created if missing).
    pub fn local(dir: &Path) -> anyhow::Result<MediaStore> {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
        let fs = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| anyhow::anyhow!("cannot use {} for media: {e}", dir.display()))?;
        // Deleting a library file's last file takes its directory with it (not the media directory itself).
        let fs = fs.with_automatic_cleanup(true);
        Ok(MediaStore {
            inner: Arc::new(fs),
            place: Arc::from(format!("{}", dir.display())),
            public_url: None,
            remote: false,
        })
    }

    fn s3(cfg: &StorageConfig) -> anyhow::Result<MediaStore> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(cfg.bucket.trim())
            .with_region(if cfg.region.is_empty() { "us-east-1" } else { cfg.region.as_str() })
            .with_virtual_hosted_style_request(!cfg.path_style)
            .with_http_connector(Connector)
            .with_retry(object_store::RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(15),
                ..Default::default()
            });
        if !cfg.endpoint.is_empty() {
            b = b.with_endpoint(cfg.endpoint.trim_end_matches('/')).with_allow_http(cfg.endpoint.starts_with("http:"));
        }
        if cfg.access_key_id.is_empty() {
            b = b.with_skip_signature(true);
        } else {
            b = b.with_access_key_id(&cfg.access_key_id).with_secret_access_key(&cfg.secret_access_key);
        }
        let s3 = b.build().map_err(|e| anyhow::anyhow!("[storage] cannot be used: {e}"))?;
        let endpoint = if cfg.endpoint.is_empty() { format!("AWS {}", cfg.region) } else { cfg.endpoint.clone() };
        Ok(MediaStore {
            inner: Arc::new(s3),
            place: Arc::from(format!("bucket {} at {endpoint}", cfg.bucket.trim())),
            public_url: None,
            remote: true,
        })
    }

    /// Whether the files are in a bucket rather than on this machine's disk.
    pub fn is_remote(&self) -> bool {
        self.remote
    }

    /// Where the files are, for messages and logs ("bucket media at http://…").
    pub fn place(&self) -> &str {
        &self.place
    }

    /// Where browsers fetch library files from when not from Newsdesk (`[storage] public_url`).
    pub fn public_url(&self) -> Option<&str> {
        self.public_url.as_deref()
    }

    /// A page's HTML with its library files' addresses (`/media/<key>/<file>`, also after the site's own origin
    /// `site_url`) pointed at `[storage] public_url` (`<public_url>/<key[..2]>/<key>/<file>`, the bucket's keys);
    /// unchanged without one. Audio stays with Newsdesk (`/media/audio/`), which checks who may hear it.
    pub fn public_addresses(&self, html: String, site_url: &str) -> String {
        let Some(base) = self.public_url.as_deref() else { return html };
        let site = site_url.trim_end_matches('/');
        let mut out = String::with_capacity(html.len() + 1024);
        let mut rest = html.as_str();
        while let Some(i) = rest.find("/media/") {
            let after = &rest[i + "/media/".len()..];
            let key_len = after.bytes().take_while(|b| b.is_ascii_hexdigit() || *b == b'-').count();
            let before = &rest[..i];
            let (keep, absolute) = match before.strip_suffix(site) {
                Some(k) if !site.is_empty() => (k, true),
                _ => (before, false),
            };
            let starts_url = absolute || keep.ends_with(['"', '\'', ' ', ',', '(', '=', '\n']);
            if (64..=73).contains(&key_len) && after.as_bytes().get(key_len) == Some(&b'/') && starts_url {
                let key = &after[..key_len];
                out.push_str(keep);
                out.push_str(base);
                out.push('/');
                out.push_str(&key[..2]);
                out.push('/');
                out.push_str(key);
                rest = &after[key_len..];
            } else {
                out.push_str(&rest[..i + "/media/".len()]);
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    fn err(&self, what: &'static str, source: object_store::Error) -> StorageError {
        StorageError { place: self.place.to_string(), what, source }
    }

    /// Stores `bytes` under `key`, whole or not at all (a reader never gets half a file).
    pub async fn put(&self, key: &str, bytes: impl Into<Bytes>) -> Result<(), StorageError> {
        let path = Key::from(key);
        self.inner
            .put(&path, PutPayload::from_bytes(bytes.into()))
            .await
            .map_err(|e| self.err("did not take a file", e))?;
        Ok(())
    }

    /// Stores the file at `file` on disk under `key`.
    pub async fn put_file(&self, key: &str, file: &Path) -> anyhow::Result<u64> {
        let bytes = tokio::fs::read(file).await.map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
        let len = bytes.len() as u64;
        self.put(key, bytes).await?;
        Ok(len)
    }

    /// The file under `key`, or `None` when there is none.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        let path = Key::from(key);
        match self.inner.get(&path).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(|e| self.err("broke off a read", e))?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("could not be read", e)),
        }
    }

    /// The size of the file under `key`, or `None` when there is none.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, StorageError> {
        match self.inner.head(&Key::from(key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.err("could not be asked about a file", e)),
        }
    }

    /// Deletes the file under `key`; a file already gone is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        match self.inner.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.err("did not delete a file", e)),
        }
    }

    /// Deletes every file under `prefix/`; returns how many.
    pub async fn delete_all(&self, prefix: &str) -> Result<usize, StorageError> {
        let files = self.list(Some(prefix)).await?;
        for (key, _) in &files {
            self.delete(key).await?;
        }
        Ok(files.len())
    }

    /// Every file (under `prefix/` when given), as key and size, in no particular order.
    pub async fn list(&self, prefix: Option<&str>) -> Result<Vec<(String, u64)>, StorageError> {
        let prefix = prefix.map(Key::from);
        let mut stream = self.inner.list(prefix.as_ref());
        let mut out = Vec::new();
        while let Some(m) = stream.next().await {
            match m {
                Ok(m) => out.push((m.location.to_string(), m.size)),
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(self.err("could not list its files", e)),
            }
        }
        Ok(out)
    }

    /// Whether the store answers (for `/readyz`): a listing of at most one file, or for a local directory, that
    /// it is there.
    pub async fn check(&self) -> Result<(), String> {
        if !self.remote {
            return match tokio::fs::metadata(self.place.as_ref()).await {
                Ok(m) if m.is_dir() => Ok(()),
                Ok(_) => Err(format!("{} is not a directory", self.place)),
                Err(e) => Err(format!("{}: {e}", self.place)),
            };
        }
        let mut stream = self.inner.list(None);
        match stream.next().await {
            None | Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(self.err("does not answer", e).to_string()),
        }
    }
}

/// Whether `key` is work in progress rather than a stored file: a temporary file (`.tmp`, object_store's `#n`
/// staging names) or narration's old in-place work directory (`audio/tmp-…`). Archives and copies leave these out.
pub fn is_scratch(key: &str) -> bool {
    key.ends_with(".tmp") || key.contains('#') || key.starts_with("audio/tmp-")
}

/// What a copy between stores did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Copied {
    pub files: u64,
    pub bytes: u64,
    /// Files the target had already, at the same size (an earlier, interrupted run's).
    pub skipped: u64,
}

/// Copies every file of `from` into `to` under the same key (`newsdesk media migrate`), skipping what `to` already
/// has at the same size, so an interrupted run picks up where it stopped. Files are copied one at a time, each
/// whole; the source is never changed. Temporary files (an upload or narration in progress) are left out.
pub async fn copy_all(
    from: &MediaStore,
    to: &MediaStore,
    progress: &mut dyn crate::import::Progress,
) -> Result<Copied, StorageError> {
    let mut files = from.list(None).await?;
    files.retain(|(k, _)| !is_scratch(k));
    files.sort();
    let mut done = Copied::default();
    progress.phase("files", files.len() as u64);
    for (key, size) in &files {
        if to.size(key).await? == Some(*size) {
            done.skipped += 1;
        } else if let Some(bytes) = from.get(key).await? {
            done.bytes += bytes.len() as u64;
            to.put(key, bytes).await?;
            done.files += 1;
        }
        progress.advance(1);
    }
    progress.finish();
    Ok(done)
}

/// Sends object_store's S3 requests through reqwest 0.12 (rustls with ring), which Newsdesk already builds, instead
/// of object_store's default client (reqwest 0.13 with aws-lc-rs, a second TLS stack and a long C build).
#[derive(Debug)]
struct Connector;

impl HttpConnector for Connector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| object_store::Error::Generic { store: "S3", source: Box::new(e) })?;
        Ok(HttpClient::new(Service(client)))
    }
}

#[derive(Debug)]
struct Service(reqwest::Client);

fn http_error(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Connect
    } else if e.is_body() || e.is_decode() {
        HttpErrorKind::Interrupted
    } else {
        HttpErrorKind::Request
    };
    HttpError::new(kind, e.without_url())
}

#[async_trait::async_trait]
impl HttpService for Service {
    async fn call(&self, req: HttpRequest) -> Result<HttpResponse, HttpError> {
        let (parts, body) = req.into_parts();
        let body = body.collect().await?.to_bytes();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|e| HttpError::new(HttpErrorKind::Request, e))?;
        let mut r = reqwest::Request::new(parts.method, url);
        *r.headers_mut() = parts.headers;
        *r.body_mut() = Some(body.into());
        let res = self.0.execute(r).await.map_err(http_error)?;
        let res: http::Response<reqwest::Body> = res.into();
        let (parts, body) = res.into_parts();
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body.map_err(http_error))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_files_are_put_read_listed_and_deleted_under_their_keys() {
        let dir = std::env::temp_dir().join(format!("nd-storage-{}", rand::random::<u64>()));
        let s = MediaStore::local(&dir).unwrap();
        s.put("ab/abcd/640.jpg", b"jpeg".to_vec()).await.unwrap();
        s.put("audio/1-00.mp3", b"mp3".to_vec()).await.unwrap();
        assert!(dir.join("ab/abcd/640.jpg").is_file(), "the same layout as before the store");
        assert_eq!(s.get("ab/abcd/640.jpg").await.unwrap().as_deref(), Some(&b"jpeg"[..]));
        assert_eq!(s.get("ab/abcd/nope.jpg").await.unwrap(), None);
        assert_eq!(s.size("audio/1-00.mp3").await.unwrap(), Some(3));
        let mut all = s.list(None).await.unwrap();
        all.sort();
        assert_eq!(all, [("ab/abcd/640.jpg".to_owned(), 4), ("audio/1-00.mp3".to_owned(), 3)]);
        assert_eq!(s.delete_all("ab/abcd").await.unwrap(), 1);
        s.delete("ab/abcd/640.jpg").await.unwrap();
        assert_eq!(s.list(Some("ab")).await.unwrap(), []);
        s.check().await.unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_copy_takes_every_file_once_and_resumes_where_it_stopped() {
        let root = std::env::temp_dir().join(format!("nd-storage-{}", rand::random::<u64>()));
        let (a, b) = (MediaStore::local(&root.join("a")).unwrap(), MediaStore::local(&root.join("b")).unwrap());
        a.put("ab/abcd/original.jpg", b"one".to_vec()).await.unwrap();
        a.put("audio/2-ff.mp3", b"two!".to_vec()).await.unwrap();
        a.put("ab/abcd/640.jpg.tmp", b"half".to_vec()).await.unwrap();
        b.put("audio/2-ff.mp3", b"two!".to_vec()).await.unwrap();
        let q = &mut crate::import::Quiet;
        assert_eq!(copy_all(&a, &b, q).await.unwrap(), Copied { files: 1, bytes: 3, skipped: 1 });
        assert_eq!(b.get("ab/abcd/original.jpg").await.unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(b.get("ab/abcd/640.jpg.tmp").await.unwrap(), None, "temporary files stay behind");
        assert_eq!(copy_all(&a, &b, q).await.unwrap(), Copied { files: 0, bytes: 0, skipped: 2 });
        assert_eq!(a.list(None).await.unwrap().len(), 3, "the source is untouched");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn pages_point_library_files_at_the_public_url_and_leave_audio_alone() {
        let dir = std::env::temp_dir().join(format!("nd-storage-{}", rand::random::<u64>()));
        let mut s = MediaStore::local(&dir).unwrap();
        let key = "ab".repeat(32);
        let html = format!(
            r#"<img src="/media/{key}/640.jpg?v=1" srcset="/media/{key}/480.webp 480w, /media/{key}/960.webp 960w"><meta content="https://news.example/media/{key}/960.jpg"><audio src="/media/audio/3-00ff.mp3"></audio><a href="/media/">x</a>"#
        );
        assert_eq!(s.public_addresses(html.clone(), "https://news.example"), html, "no public_url: unchanged");
        s.public_url = Some(Arc::from("https://cdn.example/m"));
        let out = s.public_addresses(html, "https://news.example/");
        let at = format!("https://cdn.example/m/ab/{key}");
        assert_eq!(out.matches(&at).count(), 4, "{out}");
        assert!(out.contains(&format!(r#"src="{at}/640.jpg?v=1""#)) && out.contains(&format!(", {at}/960.webp 960w")));
        assert!(out.contains(&format!(r#"content="{at}/960.jpg""#)), "{out}");
        assert!(out.contains(r#"src="/media/audio/3-00ff.mp3""#) && out.contains(r#"href="/media/""#));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_section_is_checked_and_its_secret_never_printed() {
        let mut c = StorageConfig { backend: "s3".into(), ..Default::default() };
        assert!(c.check().unwrap_err().to_string().contains("needs a bucket"));
        c.bucket = "media".into();
        c.endpoint = "ftp://x".into();
        assert!(c.check().is_err());
        c.endpoint = "http://127.0.0.1:9000".into();
        c.access_key_id = "k".into();
        assert!(c.check().unwrap_err().to_string().contains("both"));
        c.secret_access_key = "hush-hush".into();
        c.check().unwrap();
        assert!(!format!("{c:?}").contains("hush-hush"));
        c.backend = "ftp".into();
        assert!(c.check().unwrap_err().to_string().contains("unknown"));
    }
}
