//! `newsdesk export archive FILE` and `newsdesk import archive FILE`: the whole newsroom in one file, to move out,
//! to another machine, or from SQLite to PostgreSQL (and back).
//!
//! The archive is a zip: `manifest.json` (format, the schema version it was written under, row counts), one
//! `tables/{table}.jsonl` per table (a JSON object per row, in a stable order), and `media/…` (every library file,
//! rendition and audio edition). What is left out is listed in `newsdesk_store::archive`: secrets, sessions, the
//! job queue. A restore goes into an empty database only, in one transaction: it is all there, or nothing is.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;

use newsdesk_store::Store;
use newsdesk_store::archive::TABLES;
use serde::{Deserialize, Serialize};

use crate::import::{ImportError, Progress};
use crate::storage::MediaStore;

const FORMAT: &str = "newsdesk-archive";
const FORMAT_VERSION: i64 = 1;
/// Rows per read and per insert batch.
const BATCH: i64 = 500;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: i64,
    pub schema_version: i64,
    pub created_at: String,
    pub engine: String,
    pub tables: std::collections::BTreeMap<String, i64>,
    pub media_files: u64,
}

/// What an export or a restore did.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub rows: i64,
    pub tables: usize,
    pub media_files: u64,
}

/// Every file in the media store, by key, in order (narration's work in progress and temporary files left out).
async fn media_files(media: &MediaStore) -> Result<Vec<String>, ImportError> {
    let mut keys: Vec<String> = media
        .list(None)
        .await
        .map_err(|e| ImportError::File(e.to_string()))?
        .into_iter()
        .map(|(k, _)| k)
        .filter(|k| !crate::storage::is_scratch(k))
        .collect();
    keys.sort();
    Ok(keys)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ImportError + '_ {
    move |e| ImportError::File(format!("{}: {e}", path.display()))
}

fn zip_err(path: &Path) -> impl Fn(zip::result::ZipError) -> ImportError + '_ {
    move |e| ImportError::File(format!("{}: {e}", path.display()))
}

/// Writes the archive to `path` (through a temporary file, so a crash leaves no half archive under that name).
pub async fn export(
    store: &Store,
    media: &MediaStore,
    path: &Path,
    progress: &mut dyn Progress,
) -> Result<Summary, ImportError> {
    if path.exists() {
        return Err(ImportError::File(format!("{} exists already; name a new file", path.display())));
    }
    let tmp = path.with_extension("partial");
    let file = std::fs::File::create(&tmp).map_err(io(&tmp))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut summary = Summary::default();
    let mut counts = std::collections::BTreeMap::new();
    progress.phase("tables", TABLES.len() as u64);
    for spec in TABLES {
        zip.start_file(format!("tables/{}.jsonl", spec.name), deflated).map_err(zip_err(path))?;
        let mut n = 0i64;
        let mut failed: Option<std::io::Error> = None;
        store
            .dump_table(spec, BATCH, &mut |rows| {
                for r in rows {
                    n += 1;
                    if failed.is_none()
                        && let Err(e) = serde_json::to_writer(&mut zip, &r)
                            .map_err(std::io::Error::other)
                            .and_then(|()| zip.write_all(b"\n"))
                    {
                        failed = Some(e);
                    }
                }
                Ok(())
            })
            .await?;
        if let Some(e) = failed {
            return Err(io(&tmp)(e));
        }
        counts.insert(spec.name.to_owned(), n);
        summary.rows += n;
        summary.tables += 1;
        progress.advance(1);
    }
    progress.finish();
    let files = media_files(media).await?;
    progress.phase("files", files.len() as u64);
    for key in &files {
        // A file deleted since the listing is left out.
        let Some(bytes) = media.get(key).await.map_err(|e| ImportError::File(e.to_string()))? else { continue };
        zip.start_file(format!("media/{key}"), stored).map_err(zip_err(path))?;
        zip.write_all(&bytes).map_err(io(&tmp))?;
        summary.media_files += 1;
        progress.advance(1);
    }
    progress.finish();
    let manifest = Manifest {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        schema_version: store.schema_version().await?,
        created_at: jiff::Timestamp::now().to_string(),
        engine: match store.backend {
            newsdesk_store::Backend::Sqlite => "sqlite".into(),
            newsdesk_store::Backend::Postgres => "postgres".into(),
        },
        tables: counts,
        media_files: summary.media_files,
    };
    zip.start_file("manifest.json", deflated).map_err(zip_err(path))?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(|e| ImportError::Internal(e.into()))?)
        .map_err(io(&tmp))?;
    let mut out = zip.finish().map_err(zip_err(path))?;
    out.flush().map_err(io(&tmp))?;
    out.get_ref().sync_all().map_err(io(&tmp))?;
    drop(out);
    std::fs::rename(&tmp, path).map_err(io(path))?;
    Ok(summary)
}

/// Reads an archive's manifest, refusing what is not one, or one from a newer Newsdesk.
fn manifest(zip: &mut zip::ZipArchive<std::fs::File>, path: &Path, ours: i64) -> Result<Manifest, ImportError> {
    let mut text = String::new();
    zip.by_name("manifest.json")
        .map_err(|_| {
            ImportError::File(format!("{} is not a Newsdesk archive (it has no manifest.json)", path.display()))
        })?
        .read_to_string(&mut text)
        .map_err(io(path))?;
    let m: Manifest = serde_json::from_str(&text)
        .map_err(|e| ImportError::File(format!("{}: manifest.json: {e}", path.display())))?;
    if m.format != FORMAT {
        return Err(ImportError::File(format!(
            "{} is not a Newsdesk archive (format \"{}\")",
            path.display(),
            m.format
        )));
    }
    if m.format_version > FORMAT_VERSION || m.schema_version > ours {
        return Err(ImportError::File(format!(
            "{} was written by a newer Newsdesk (schema {}, this one has {}); upgrade Newsdesk first",
            path.display(),
            m.schema_version,
            ours
        )));
    }
    Ok(m)
}

/// Restores an archive into an empty database (and its files into the media store).
pub async fn import(
    store: &Store,
    media: &MediaStore,
    path: &Path,
    progress: &mut dyn Progress,
) -> Result<Summary, ImportError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut zip = zip::ZipArchive::new(file)
        .map_err(|_| ImportError::File(format!("{} is not a Newsdesk archive (not a zip file)", path.display())))?;
    let m = manifest(&mut zip, path, store.schema_version().await?)?;
    let present = store.content_counts().await?;
    if !present.is_empty() {
        let what: Vec<String> = present.iter().map(|(t, n)| format!("{n} {t}")).collect();
        return Err(ImportError::File(format!(
            "an archive is restored into an empty database only; this one has {} (use a new data directory or database)",
            what.join(", ")
        )));
    }
    // Every table file is there and every line is a JSON object before anything is written.
    for spec in TABLES {
        if m.tables.contains_key(spec.name) {
            let name = format!("tables/{}.jsonl", spec.name);
            let entry =
                zip.by_name(&name).map_err(|_| ImportError::File(format!("{}: {name} is missing", path.display())))?;
            let mut lines = 0i64;
            for (i, line) in BufReader::new(entry).lines().enumerate() {
                let line = line.map_err(|e| {
                    ImportError::File(format!("{}: {name}: {e} (is the archive truncated?)", path.display()))
                })?;
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&line)
                    .map_err(|e| ImportError::File(format!("{}: {name} line {}: {e}", path.display(), i + 1)))?;
                lines += 1;
            }
            if lines != m.tables[spec.name] {
                return Err(ImportError::File(format!(
                    "{}: {name} has {lines} rows, the manifest says {} (is the archive truncated?)",
                    path.display(),
                    m.tables[spec.name]
                )));
            }
        }
    }
    let mut summary = Summary::default();
    let mut restore = store.begin_restore().await?;
    progress.phase("tables", TABLES.len() as u64);
    for spec in TABLES {
        progress.advance(1);
        if !m.tables.contains_key(spec.name) {
            continue;
        }
        let columns = store.columns(spec.name).await?;
        let entry = zip.by_name(&format!("tables/{}.jsonl", spec.name)).map_err(zip_err(path))?;
        let mut batch = Vec::with_capacity(BATCH as usize);
        for line in BufReader::new(entry).lines() {
            let line = line.map_err(io(path))?;
            batch.push(serde_json::from_str(&line).map_err(|e| ImportError::Internal(anyhow::Error::new(e)))?);
            if batch.len() as i64 >= BATCH {
                restore.rows(spec, &columns, &batch).await.map_err(|e| table_error(spec.name, e))?;
                summary.rows += batch.len() as i64;
                batch.clear();
            }
        }
        restore.rows(spec, &columns, &batch).await.map_err(|e| table_error(spec.name, e))?;
        summary.rows += batch.len() as i64;
        summary.tables += 1;
    }
    progress.finish();
    // Files go in before the rows are committed: a crash now leaves files nobody refers to, never rows without files.
    let names: Vec<String> =
        zip.file_names().filter(|n| n.starts_with("media/") && !n.ends_with('/')).map(str::to_owned).collect();
    progress.phase("files", names.len() as u64);
    for name in &names {
        let rel = &name["media/".len()..];
        if rel.split('/').any(|s| s.is_empty() || s == ".." || s == ".") || rel.contains('\\') {
            return Err(ImportError::File(format!(
                "{}: {name}: not a path inside the media directory",
                path.display()
            )));
        }
        let mut bytes = Vec::new();
        zip.by_name(name).map_err(zip_err(path))?.read_to_end(&mut bytes).map_err(io(path))?;
        media.put(rel, bytes).await.map_err(|e| ImportError::File(e.to_string()))?;
        summary.media_files += 1;
        progress.advance(1);
    }
    progress.finish();
    restore.commit().await?;
    Ok(summary)
}

fn table_error(table: &str, e: newsdesk_store::StoreError) -> ImportError {
    match e {
        newsdesk_store::StoreError::Config(m) => ImportError::File(m),
        other => ImportError::Internal(anyhow::Error::new(other).context(format!("restoring table {table}"))),
    }
}
