//! The media library's files: uploads checked by their bytes (not by name or declared type), stored once per
//! distinct file under `<key[..2]>/<key>/` in the media store (`storage`: the data directory's `media/` or a
//! bucket); images rendered at several widths as JPEG and WebP for
//! `srcset` and `<picture>`; audio and documents kept as uploaded. Replacing a file keeps its key (and so its URLs and
//! every story that uses it); the stories are rendered again.

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader};
use newsdesk_domain::ValidationError;
use newsdesk_render::views::IMAGE_WIDTHS;
use newsdesk_store::Store;
use newsdesk_store::media::{Media, MediaMeta, NewMedia, Replacement};
use sha2::{Digest, Sha256};
use std::io::Cursor;

use crate::storage::MediaStore;
use crate::{Actor, ServiceError};

/// Largest upload accepted (bytes).
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

/// Largest image side accepted (pixels), and largest image area: past these, decoding alone would take more memory
/// than a small server has.
pub const MAX_SIDE: u32 = 12_000;
pub const MAX_PIXELS: u64 = 60_000_000;

pub enum UploadError {
    Invalid(ValidationError),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for UploadError {
    fn from(e: anyhow::Error) -> Self {
        UploadError::Internal(e)
    }
}

impl From<UploadError> for ServiceError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Invalid(v) => ServiceError::field(v),
            UploadError::Internal(e) => ServiceError::Internal(e),
        }
    }
}

/// Where one library file's bytes and renditions are kept in the media store: `<key[..2]>/<key>`.
pub fn media_prefix(key: &str) -> String {
    format!("{}/{key}", &key[..2.min(key.len())])
}

/// The store key of one of a library file's renditions (or its `original.<ext>`).
pub fn media_key(key: &str, file: &str) -> String {
    format!("{}/{file}", media_prefix(key))
}

/// The store key of an audio edition's file.
pub fn audio_key(file: &str) -> String {
    format!("audio/{file}")
}

/// What an upload is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Image(ImageFormat),
    Audio(&'static str, &'static str),
    Document(&'static str, &'static str),
}

fn sniff(bytes: &[u8]) -> Option<Sniffed> {
    if let Ok(f) = image::guess_format(bytes)
        && matches!(f, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif)
    {
        return Some(Sniffed::Image(f));
    }
    let at = |i: usize, m: &[u8]| bytes.len() >= i + m.len() && &bytes[i..i + m.len()] == m;
    if at(0, b"%PDF-") {
        return Some(Sniffed::Document("application/pdf", "pdf"));
    }
    if at(0, b"ID3") || bytes.len() > 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 {
        return Some(Sniffed::Audio("audio/mpeg", "mp3"));
    }
    if at(0, b"OggS") {
        return Some(Sniffed::Audio("audio/ogg", "ogg"));
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some(Sniffed::Audio("audio/wav", "wav"));
    }
    if at(4, b"ftypM4A") {
        return Some(Sniffed::Audio("audio/mp4", "m4a"));
    }
    None
}

/// The extension of a file's original, from its MIME type (for serving `original.<ext>`).
pub fn original_ext(mime: &str) -> &'static str {
    match mime {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "application/pdf" => "pdf",
        "audio/mpeg" => "mp3",
        "audio/ogg" => "ogg",
        "audio/wav" => "wav",
        "audio/mp4" => "m4a",
        _ => "bin",
    }
}

fn clean_name(filename: &str) -> String {
    filename.chars().filter(|c| !c.is_control()).take(200).collect()
}

/// Stores an uploaded image and its renditions; returns the (possibly existing) media row.
pub async fn store_image(
    store: &Store,
    media: &MediaStore,
    filename: &str,
    bytes: Vec<u8>,
    field: &'static str,
) -> Result<Media, UploadError> {
    store_upload(store, media, filename, bytes, field, None, true).await
}

/// What a file's bytes render to, ready for a row.
struct Rendered {
    sha: String,
    mime: &'static str,
    kind: &'static str,
    width: u32,
    height: u32,
    widths: Vec<u32>,
    formats: &'static str,
    size: usize,
}

fn invalid(field: &'static str, code: &'static str, msg: impl Into<String>) -> UploadError {
    UploadError::Invalid(ValidationError::new(field, code, msg))
}

/// The SHA-256 of a file's bytes, as the library keys it.
fn sha_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Checks and renders `bytes` (whose SHA-256 is `sha`) into the media store under `key` (each file whole or not at
/// all, so a reader never gets half of one). A store that does not answer is the uploader's to retry, said so.
async fn render_into(
    media: &MediaStore,
    key: &str,
    bytes: Vec<u8>,
    sha: String,
    field: &'static str,
    images_only: bool,
) -> Result<Rendered, UploadError> {
    if bytes.len() > MAX_UPLOAD {
        return Err(invalid(
            field,
            "file_too_large",
            format!("The file is {} MB; the largest Newsdesk takes is 25 MB.", bytes.len() / 1_000_000),
        ));
    }
    let sniffed = sniff(&bytes).ok_or_else(|| {
        invalid(
            field,
            "image_invalid",
            if images_only {
                "This file is not an image. Upload a JPEG, PNG, WebP or GIF."
            } else {
                "Newsdesk takes images (JPEG, PNG, WebP, GIF), audio (MP3, M4A, Ogg, WAV) and PDF documents."
            },
        )
    })?;
    let size = bytes.len();
    match sniffed {
        Sniffed::Image(format) => {
            let (width, height, widths, files) = tokio::task::spawn_blocking(move || render_widths(&bytes, format))
                .await
                .context("image worker panicked")?
                .map_err(|e| match e {
                    RenderError::Decode => invalid(field, "image_invalid", "The image could not be read; it may be damaged."),
                    RenderError::TooLarge(w, h) => invalid(
                        field,
                        "image_too_large",
                        format!(
                            "The image is {w} × {h} pixels; the largest Newsdesk takes is {MAX_SIDE} pixels on a side and \
                             {} megapixels. Make it smaller first.",
                            MAX_PIXELS / 1_000_000
                        ),
                    ),
                    RenderError::Io(e) => UploadError::Internal(e),
                })?;
            // The renditions first and the original last: a key with its original is complete.
            for (name, data) in files.into_iter().rev() {
                put(media, key, &name, data, field).await?;
            }
            Ok(Rendered {
                sha,
                mime: format.to_mime_type(),
                kind: "image",
                width,
                height,
                widths,
                formats: "jpg,webp",
                size,
            })
        }
        _ if images_only => {
            Err(invalid(field, "image_invalid", "This file is not an image. Upload a JPEG, PNG, WebP or GIF."))
        }
        Sniffed::Audio(mime, ext) | Sniffed::Document(mime, ext) => {
            let kind = if matches!(sniffed, Sniffed::Audio(..)) { "audio" } else { "document" };
            put(media, key, &format!("original.{ext}"), bytes, field).await?;
            Ok(Rendered { sha, mime, kind, width: 0, height: 0, widths: Vec::new(), formats: "", size })
        }
    }
}

/// Stores an upload (an image, or with `images_only = false` also audio or a PDF); returns its (possibly existing)
/// library row.
pub async fn store_upload(
    store: &Store,
    media: &MediaStore,
    filename: &str,
    bytes: Vec<u8>,
    field: &'static str,
    uploaded_by: Option<i64>,
    images_only: bool,
) -> Result<Media, UploadError> {
    let sha = sha_of(&bytes);
    if let Some(existing) = store.media_by_sha(&sha).await.map_err(|e| UploadError::Internal(e.into()))? {
        if images_only && existing.kind != "image" {
            return Err(invalid(field, "image_invalid", "This file is not an image. Upload a JPEG, PNG, WebP or GIF."));
        }
        return Ok(existing);
    }
    // A key names the directory for good; a key left by a file that was since replaced is not reused.
    let mut key = sha.clone();
    while store.media_key_taken(&key).await.map_err(|e| UploadError::Internal(e.into()))? {
        key = format!("{sha}-{:08x}", rand::random::<u32>());
    }
    let r = render_into(media, &key, bytes, sha, field, images_only).await?;
    let widths = r.widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    store
        .insert_media(NewMedia {
            sha256: &r.sha,
            mime: r.mime,
            width: r.width.into(),
            height: r.height.into(),
            widths: &widths,
            original_name: &clean_name(filename),
            file_key: &key,
            kind: r.kind,
            formats: r.formats,
            size_bytes: r.size as i64,
            uploaded_by,
        })
        .await
        .map_err(|e| UploadError::Internal(e.into()))
}

/// Replaces a file's bytes, keeping its id, key and URLs, then renders again every story that uses it.
pub async fn replace(
    ctx: &crate::Context,
    actor: &Actor,
    id: i64,
    filename: &str,
    bytes: Vec<u8>,
) -> Result<Media, ServiceError> {
    if !actor.role.can_publish() {
        return Err(ServiceError::Forbidden(format!(
            "Your role ({}) cannot replace library files.",
            actor.role.as_str()
        )));
    }
    let old = ctx.store.media(id).await?.ok_or(ServiceError::NotFound)?;
    let sha = sha_of(&bytes);
    let r = render_into(&ctx.media, &old.file_key, bytes, sha, "file", old.kind == "image").await?;
    if r.kind != old.kind {
        return Err(ServiceError::invalid(
            "file",
            "media_kind_mismatch",
            format!(
                "Replace a{} {} with a file of the same kind.",
                if old.kind == "image" { "n" } else { "" },
                old.kind
            ),
        ));
    }
    let widths = r.widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    ctx.store
        .replace_media(
            id,
            &Replacement {
                sha256: &r.sha,
                mime: r.mime,
                width: r.width.into(),
                height: r.height.into(),
                widths: &widths,
                formats: r.formats,
                size_bytes: r.size as i64,
                original_name: &clean_name(filename),
            },
        )
        .await?;
    let posts = ctx.store.posts_using_media(id).await?;
    crate::documents::rerender(&ctx.store, &posts).await?;
    tracing::info!(media.id = id, posts = posts.len(), user.id = actor.user_id, "library file replaced");
    ctx.store.media(id).await?.ok_or(ServiceError::NotFound)
}

/// A file's details as a form sends them.
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaForm<'a> {
    pub alt: Option<&'a str>,
    pub caption: Option<&'a str>,
    pub credit: Option<&'a str>,
    pub focal_x: &'a str,
    pub focal_y: &'a str,
}

/// Sets a file's defaults (alt text, caption, credit) and focal point.
pub async fn update_meta(ctx: &crate::Context, actor: &Actor, id: i64, form: MetaForm<'_>) -> Result<(), ServiceError> {
    let MetaForm { alt, caption, credit, focal_x, focal_y } = form;
    let mut problems = crate::error::Problems::default();
    let alt = newsdesk_domain::text::optional("alt", alt, 500).map_err(|e| problems.note(e)).ok().flatten();
    let caption =
        newsdesk_domain::text::optional("caption", caption, 1000).map_err(|e| problems.note(e)).ok().flatten();
    let credit = newsdesk_domain::text::optional("credit", credit, 200).map_err(|e| problems.note(e)).ok().flatten();
    let percent = |field: &'static str, s: &str| match s.trim() {
        "" => Ok(50),
        t => t.parse::<i64>().ok().filter(|v| (0..=100).contains(v)).ok_or_else(|| {
            ValidationError::new(field, "focal_invalid", "The focal point is a percentage from 0 to 100.")
        }),
    };
    let focal_x = percent("focal_x", focal_x).map_err(|e| problems.note(e)).unwrap_or(50);
    let focal_y = percent("focal_y", focal_y).map_err(|e| problems.note(e)).unwrap_or(50);
    problems.check()?;
    ctx.store.update_media_meta(id, &MediaMeta { alt, caption, credit, focal_x, focal_y }).await?;
    tracing::info!(media.id = id, user.id = actor.user_id, "library file's details changed");
    // The focal point is in the stories' HTML (object-position): render them again.
    let posts = ctx.store.posts_using_media(id).await?;
    crate::documents::rerender(&ctx.store, &posts).await?;
    Ok(())
}

/// Deletes a file nothing uses (the store refuses otherwise, saying where it is used), and its bytes.
pub async fn delete(ctx: &crate::Context, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    if !actor.role.can_publish() {
        return Err(ServiceError::Forbidden(format!(
            "Your role ({}) cannot delete library files.",
            actor.role.as_str()
        )));
    }
    let m = ctx.store.media(id).await?.ok_or(ServiceError::NotFound)?;
    match ctx.store.delete_media(id).await {
        Ok(()) => {}
        Err(newsdesk_store::StoreError::Conflict { message, .. }) => {
            return Err(ServiceError::invalid("media", "media_in_use", message));
        }
        Err(e) => return Err(e.into()),
    }
    if let Err(e) = ctx.media.delete_all(&media_prefix(&m.file_key)).await {
        tracing::warn!(media.id = id, error = %e, "library file's bytes could not be removed");
    }
    tracing::info!(media.id = id, user.id = actor.user_id, "library file deleted");
    Ok(())
}

/// Puts one of a library file's files into the store; a store that does not answer is a message for the uploader.
async fn put(media: &MediaStore, key: &str, name: &str, data: Vec<u8>, field: &'static str) -> Result<(), UploadError> {
    media.put(&media_key(key, name), data).await.map_err(|e| {
        tracing::warn!(error = %e, "an upload could not be stored");
        invalid(
            field,
            "storage_unavailable",
            "The file could not be stored: the media store is not answering. Nothing was saved; try again in a \
             minute.",
        )
    })
}

enum RenderError {
    Decode,
    TooLarge(u32, u32),
    Io(anyhow::Error),
}

/// One rendition's name and bytes.
type RenderedFile = (String, Vec<u8>);

/// The image's size, the widths rendered, and the files: the original first, then each width as JPEG and WebP.
fn render_widths(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32, Vec<u32>, Vec<RenderedFile>), RenderError> {
    // Dimensions first, from the header: a 20,000-pixel image is refused before it is decoded.
    let (w, h) =
        ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| RenderError::Decode)?;
    if w == 0 || h == 0 {
        return Err(RenderError::Decode);
    }
    if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(RenderError::TooLarge(w, h));
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let img: DynamicImage = reader.decode().map_err(|_| RenderError::Decode)?;
    let mut widths: Vec<u32> = IMAGE_WIDTHS.iter().copied().filter(|x| *x < w).collect();
    if widths.len() < IMAGE_WIDTHS.len() {
        widths.push(w.min(IMAGE_WIDTHS[IMAGE_WIDTHS.len() - 1]));
    }
    let ext = format.extensions_str().first().copied().unwrap_or("bin");
    let mut files = vec![(format!("original.{ext}"), bytes.to_vec())];
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    for &tw in &widths {
        let th = ((u64::from(h) * u64::from(tw)) / u64::from(w)).max(1) as u32;
        let resized = if tw == w { rgb.clone() } else { rgb.resize_exact(tw, th, FilterType::Triangle) };
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&resized)
            .context("encoding JPEG")
            .map_err(RenderError::Io)?;
        files.push((format!("{tw}.jpg"), out));
        let rgb8 = resized.to_rgb8();
        let webp = webp::Encoder::from_rgb(rgb8.as_raw(), rgb8.width(), rgb8.height()).encode(78.0);
        files.push((format!("{tw}.webp"), webp.to_vec()));
    }
    Ok((w, h, widths, files))
}
