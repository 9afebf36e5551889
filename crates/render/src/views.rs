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

/// Public URL of one rendered width of an image, addressed by the SHA-256 of its original bytes.
pub fn media_url(sha256: &str, width: u32) -> String {
    format!("/media/{sha256}/{width}.jpg")
}

/// An image as templates use it. `widths` are the rendered widths, ascending.
pub fn image_view(
    id: i64,
    sha256: &str,
    size: (i64, i64),
    widths: &[u32],
    alt: Option<&str>,
    caption: Option<&str>,
    credit: Option<&str>,
) -> ImageView {
    let largest = widths.last().copied().unwrap_or(0);
    ImageView {
        id,
        src: media_url(sha256, largest),
        thumb: media_url(sha256, widths.first().copied().unwrap_or(largest)),
        src_width: largest,
        src_height: if size.0 > 0 { (size.1 as u64 * u64::from(largest) / size.0 as u64) as u32 } else { 0 },
        srcset: widths.iter().map(|w| format!("{} {w}w", media_url(sha256, *w))).collect::<Vec<_>>().join(", "),
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
