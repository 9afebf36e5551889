//! View structs: what templates and the JSON API see of a post, built from store rows without further queries.

use newsdesk_domain::{byline_names, reading_time_minutes};
use serde::Serialize;

/// Widths (px) a feature image is rendered at, for `srcset`.
pub const IMAGE_WIDTHS: [u32; 4] = [480, 960, 1440, 2000];

#[derive(Debug, Clone, Serialize)]
pub struct AuthorView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub kind: String,
    pub bio: Option<String>,
    pub url: String,
    /// The name as a byline reads it: desks take "the" ("By Ana Okafor and the Metro desk").
    pub byline_name: String,
    /// Portrait (people) or logo (desks); filled where a page shows it.
    pub photo: Option<ImageView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TagView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImageView {
    pub id: i64,
    /// The largest rendered width, used as `src`.
    pub src: String,
    /// The smallest rendered width, for thumbnails and promos.
    pub thumb: String,
    /// Pixel size of the `src` rendition (for og:image:width/height).
    pub src_width: u32,
    pub src_height: u32,
    pub srcset: String,
    /// The same widths as WebP, for a `<picture>` source (files rendered before WebP have none).
    pub webp_srcset: Option<String>,
    /// CSS `object-position` of the focal point, e.g. "50% 30%", for crops.
    pub focal: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub html: String,
    pub status: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub reading_time: u32,
    pub word_count: i64,
    pub authors: Vec<AuthorView>,
    /// "Ana Okafor and the Harbourside news desk", for plain-text places (feeds, meta tags).
    pub byline: String,
    pub tags: Vec<TagView>,
    pub primary_tag: Option<TagView>,
    pub feature_image: Option<ImageView>,
    /// The narrated edition, when one is ready and narration is on.
    pub audio: Option<AudioView>,
    /// The `<title>` for search engines, when it differs from the headline.
    pub meta_title: Option<String>,
    /// The description for search engines and link previews, when it differs from the dek.
    pub meta_description: Option<String>,
}

/// An audio edition as the player, feeds and structured data use it.
#[derive(Debug, Clone, Serialize)]
pub struct AudioView {
    pub src: String,
    pub opus_src: Option<String>,
    pub duration_ms: i64,
    /// "4 min 12 s".
    pub duration_label: String,
    /// ISO 8601 duration for JSON-LD, e.g. "PT4M12S".
    pub iso_duration: String,
    /// HH:MM:SS for itunes:duration.
    pub clock: String,
    pub bytes: i64,
}

pub fn audio_view(file: &str, opus_file: Option<&str>, duration_ms: i64, bytes: i64) -> AudioView {
    let secs = (duration_ms + 500) / 1000;
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    AudioView {
        src: format!("/media/audio/{file}"),
        opus_src: opus_file.map(|f| format!("/media/audio/{f}")),
        duration_ms,
        duration_label: if secs >= 60 { format!("{} min {s} s", secs / 60) } else { format!("{s} s") },
        iso_duration: format!("PT{}{}M{s}S", if h > 0 { format!("{h}H") } else { String::new() }, m),
        clock: format!("{h:02}:{m:02}:{s:02}"),
        bytes,
    }
}

/// A library image's files as pages address them: its key (the directory, stable across replacements), a version
/// that changes when the file is replaced (so year-long caches never show the old one), the rendered widths and
/// whether WebP renditions exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFiles {
    pub key: String,
    pub version: Option<String>,
    pub widths: Vec<u32>,
    pub webp: bool,
}

impl MediaFiles {
    /// `version` is given when the current bytes' SHA-256 is not the key (the file was replaced).
    pub fn new(key: &str, sha256: &str, widths: Vec<u32>, webp: bool) -> MediaFiles {
        let version = (key != sha256).then(|| sha256.chars().take(12).collect());
        MediaFiles { key: key.to_owned(), version, widths, webp }
    }

    /// Public URL of one rendered width in one format ("jpg" or "webp").
    pub fn url(&self, width: u32, ext: &str) -> String {
        match &self.version {
            Some(v) => format!("/media/{}/{width}.{ext}?v={v}", self.key),
            None => format!("/media/{}/{width}.{ext}", self.key),
        }
    }

    pub fn largest(&self) -> u32 {
        self.widths.last().copied().unwrap_or(0)
    }

    pub fn srcset(&self, ext: &str) -> String {
        self.widths.iter().map(|w| format!("{} {w}w", self.url(*w, ext))).collect::<Vec<_>>().join(", ")
    }
}

/// An image as templates use it.
pub fn image_view(
    id: i64,
    files: &MediaFiles,
    size: (i64, i64),
    focal: (i64, i64),
    alt: Option<&str>,
    caption: Option<&str>,
    credit: Option<&str>,
) -> ImageView {
    let largest = files.largest();
    ImageView {
        id,
        src: files.url(largest, "jpg"),
        thumb: files.url(files.widths.first().copied().unwrap_or(largest), "jpg"),
        src_width: largest,
        src_height: if size.0 > 0 { (size.1 as u64 * u64::from(largest) / size.0 as u64) as u32 } else { 0 },
        srcset: files.srcset("jpg"),
        webp_srcset: files.webp.then(|| files.srcset("webp")),
        focal: format!("{}% {}%", focal.0.clamp(0, 100), focal.1.clamp(0, 100)),
        width: size.0,
        height: size.1,
        alt: alt.unwrap_or_default().to_owned(),
        caption: caption.map(str::to_owned),
        credit: credit.map(str::to_owned),
    }
}

/// Builds the plain byline text from author names in order.
pub fn byline(authors: &[AuthorView]) -> String {
    byline_names(&authors.iter().map(|a| a.byline_name.as_str()).collect::<Vec<_>>())
}

/// A desk's byline name: "Metro desk" reads "the Metro desk"; names that already start with "the" are kept.
pub fn byline_name(name: &str, kind: &str) -> String {
    if kind == "desk" && !name.to_lowercase().starts_with("the ") { format!("the {name}") } else { name.to_owned() }
}

pub fn reading_time(word_count: i64) -> u32 {
    reading_time_minutes(word_count.max(0) as usize)
}

/// A News Feed item as pages, feeds and the live stream show it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedItemView {
    pub id: i64,
    pub headline: String,
    pub summary: String,
    /// Where the headline links: the linked article, else the given URL.
    pub link: Option<String>,
    pub tag_name: Option<String>,
    pub tag_url: Option<String>,
    pub author_name: Option<String>,
    pub author_url: Option<String>,
    pub published_at: i64,
    pub updated_at: i64,
    pub retracted_at: Option<i64>,
    pub retraction_note: Option<String>,
}

/// A correction or update at the foot of an article.
#[derive(Debug, Clone, Serialize)]
pub struct CorrectionView {
    pub kind: String,
    /// "Correction" or "Update".
    pub label: &'static str,
    pub body: String,
    pub created_at: i64,
}
