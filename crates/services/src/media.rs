//! Image uploads: checked by decoding (not by name or declared type), stored once per distinct file under
//! `<data>/media/<sha256>/`, and rendered as JPEG at several widths for `srcset`.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use anyhow::Context;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader};
use newsdesk_domain::ValidationError;
use newsdesk_render::views::IMAGE_WIDTHS;
use newsdesk_store::Store;
use newsdesk_store::media::{Media, NewMedia};

/// Largest upload accepted (bytes).
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;
use sha2::{Digest, Sha256};

pub enum UploadError {
    Invalid(ValidationError),
    Internal(anyhow::Error),
}

impl From<anyhow::Error> for UploadError {
    fn from(e: anyhow::Error) -> Self {
        UploadError::Internal(e)
    }
}

/// Directory of one image's files.
pub fn media_path(media_dir: &Path, sha256: &str) -> PathBuf {
    media_dir.join(&sha256[..2]).join(sha256)
}

/// Stores an uploaded image and its renditions; returns the (possibly existing) media row.
pub async fn store_image(
    store: &Store,
    media_dir: &Path,
    filename: &str,
    bytes: Vec<u8>,
    field: &'static str,
) -> Result<Media, UploadError> {
    let invalid = |msg: &str| UploadError::Invalid(ValidationError::new(field, "image_invalid", msg));
    if bytes.len() > MAX_UPLOAD {
        return Err(invalid("The image is larger than 25 MB."));
    }
    let format = image::guess_format(&bytes)
        .map_err(|_| invalid("This file is not an image. Upload a JPEG, PNG, WebP or GIF."))?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) {
        return Err(invalid("Upload a JPEG, PNG, WebP or GIF image."));
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    let dir = media_path(media_dir, &sha);
    let filename = filename.chars().filter(|c| !c.is_control()).take(200).collect::<String>();
    let (width, height, widths) = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || render_widths(&bytes, format, &dir))
            .await
            .context("image worker panicked")?
            .map_err(|e| match e {
                RenderError::Decode => invalid("The image could not be read; it may be damaged."),
                RenderError::Io(e) => UploadError::Internal(e),
            })?
    };
    let widths_str = widths.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
    let mime = format.to_mime_type();
    store
        .insert_media(NewMedia {
            sha256: &sha,
            mime,
            width: width.into(),
            height: height.into(),
            widths: &widths_str,
            original_name: &filename,
        })
        .await
        .map_err(|e| UploadError::Internal(e.into()))
}

enum RenderError {
    Decode,
    Io(anyhow::Error),
}

fn render_widths(bytes: &[u8], format: ImageFormat, dir: &Path) -> Result<(u32, u32, Vec<u32>), RenderError> {
    let img: DynamicImage =
        ImageReader::with_format(Cursor::new(bytes), format).decode().map_err(|_| RenderError::Decode)?;
    let (w, h) = (img.width(), img.height());
    if w == 0 || h == 0 {
        return Err(RenderError::Decode);
    }
    let mut widths: Vec<u32> = IMAGE_WIDTHS.iter().copied().filter(|x| *x < w).collect();
    if widths.len() < IMAGE_WIDTHS.len() {
        widths.push(w.min(IMAGE_WIDTHS[IMAGE_WIDTHS.len() - 1]));
    }
    std::fs::create_dir_all(dir).context("creating media directory").map_err(RenderError::Io)?;
    let ext = format.extensions_str().first().copied().unwrap_or("bin");
    std::fs::write(dir.join(format!("original.{ext}")), bytes).context("writing original").map_err(RenderError::Io)?;
    let rgb = DynamicImage::ImageRgb8(img.to_rgb8());
    for &tw in &widths {
        let th = ((u64::from(h) * u64::from(tw)) / u64::from(w)).max(1) as u32;
        let resized = if tw == w { rgb.clone() } else { rgb.resize_exact(tw, th, FilterType::Triangle) };
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&resized)
            .context("encoding JPEG")
            .map_err(RenderError::Io)?;
        let tmp = dir.join(format!("{tw}.jpg.tmp"));
        std::fs::write(&tmp, &out).context("writing rendition").map_err(RenderError::Io)?;
        std::fs::rename(&tmp, dir.join(format!("{tw}.jpg"))).context("renaming rendition").map_err(RenderError::Io)?;
    }
    Ok((w, h, widths))
}
