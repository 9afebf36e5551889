//! Store rows → render view structs (no queries here: everything was loaded in batches by the store).

use newsdesk_render::views::{self, AuthorView, ImageView, PostView, TagView};
use newsdesk_store::authors::Author;
use newsdesk_store::media::Media;
use newsdesk_store::posts::{Page, Post};
use newsdesk_store::tags::Tag;
use serde::Serialize;

pub fn author_view(a: &Author) -> AuthorView {
    AuthorView {
        id: a.id,
        name: a.name.clone(),
        slug: a.slug.clone(),
        kind: a.kind.clone(),
        bio: a.bio.clone(),
        url: format!("/author/{}/", a.slug),
        byline_name: views::byline_name(&a.name, &a.kind),
        photo: None,
    }
}

pub fn tag_view(t: &Tag) -> TagView {
    TagView { id: t.id, name: t.name.clone(), slug: t.slug.clone(), url: format!("/tag/{}/", t.slug) }
}

pub fn image_view(m: &Media, alt: Option<&str>, caption: Option<&str>, credit: Option<&str>) -> ImageView {
    // What the story says, else the library's defaults for the file.
    views::image_view(
        m.id,
        &media_files(m),
        (m.width, m.height),
        (m.focal_x, m.focal_y),
        alt.filter(|a| !a.is_empty()).or(m.alt.as_deref()),
        caption.or(m.caption.as_deref()),
        credit.or(m.credit.as_deref()),
    )
}

/// How pages address a library image's files.
pub fn media_files(m: &Media) -> views::MediaFiles {
    views::MediaFiles::new(&m.file_key, &m.sha256, m.width_list(), m.has_webp())
}

pub fn post_view(p: &Post) -> PostView {
    let r = &p.row;
    let authors: Vec<AuthorView> = p.authors.iter().map(author_view).collect();
    // Internal tags (`#name`) are for staff: readers' pages, feeds and structured data never show them.
    let tags: Vec<TagView> = p.tags.iter().filter(|t| !t.is_internal()).map(tag_view).collect();
    PostView {
        id: r.id,
        kind: r.kind.clone(),
        slug: r.slug.clone(),
        url: format!("/{}/", r.slug),
        title: r.title.clone(),
        excerpt: r.excerpt.clone(),
        html: r.body_html.clone(),
        status: r.status.clone(),
        published_at: r.published_at,
        updated_at: r.updated_at,
        reading_time: views::reading_time(r.word_count),
        word_count: r.word_count,
        byline: views::byline(&authors),
        authors,
        primary_tag: tags.first().cloned(),
        tags,
        audio: None,
        meta_title: r.meta_title.clone(),
        meta_description: r.meta_description.clone(),
        feature_image: p.feature_image.as_ref().map(|m| {
            image_view(
                m,
                r.feature_image_alt.as_deref(),
                r.feature_image_caption.as_deref(),
                r.feature_image_credit.as_deref(),
            )
        }),
    }
}

/// One search result as the reader's results page shows it (the body is not copied: only its snippet).
#[derive(Debug, Serialize)]
pub struct SearchResultView {
    pub url: String,
    pub kind: String,
    pub title: String,
    /// The section (primary public tag), shown as the kicker.
    pub kicker: Option<TagView>,
    pub byline: String,
    pub published_at: Option<i64>,
    /// Escaped HTML with `<mark>` around the matched words.
    pub snippet_html: String,
}

pub fn search_result_view(hit: &crate::search::Hit) -> SearchResultView {
    let (p, r) = (&hit.post, &hit.post.row);
    let authors: Vec<AuthorView> = p.authors.iter().map(author_view).collect();
    SearchResultView {
        url: format!("/{}/", r.slug),
        kind: r.kind.clone(),
        title: r.title.clone(),
        kicker: p.tags.iter().find(|t| !t.is_internal()).map(tag_view),
        byline: views::byline(&authors),
        published_at: r.published_at,
        snippet_html: hit.snippet_html.clone(),
    }
}

#[derive(Debug, Serialize)]
pub struct Pagination {
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// Pagination links under `base` ("/", "/tag/x/"): page 1 is `base`, page n is `base` + "page/n/".
pub fn pagination<T>(page: &Page<T>, base: &str) -> Pagination {
    let link = |n: i64| {
        if n <= 1 { base.to_owned() } else { format!("{base}page/{n}/") }
    };
    Pagination {
        page: page.page,
        pages: page.pages(),
        total: page.total,
        prev: (page.page > 1).then(|| link(page.page - 1)),
        next: (page.page < page.pages()).then(|| link(page.page + 1)),
    }
}

/// The audio edition readers get for a post, if narration is on and an edition is ready.
pub fn audio_of(
    p: &Post,
    edition: Option<&newsdesk_store::audio::AudioEdition>,
) -> Option<newsdesk_render::views::AudioView> {
    let e = edition.filter(|_| p.row.narration == 1)?;
    let file = e.file.as_deref()?;
    Some(views::audio_view(file, e.opus_file.as_deref(), e.duration_ms.unwrap_or(0), e.bytes.unwrap_or(0)))
}

pub fn feed_item_view(f: &newsdesk_store::feed::FeedItem) -> newsdesk_render::views::FeedItemView {
    newsdesk_render::views::FeedItemView {
        id: f.id,
        headline: f.headline.clone(),
        summary: f.summary.clone(),
        link: f.post_slug.as_ref().map(|s| format!("/{s}/")).or_else(|| f.url.clone()),
        tag_name: f.tag_name.clone(),
        tag_url: f.tag_slug.as_ref().map(|s| format!("/tag/{s}/")),
        author_name: f
            .author_name
            .as_ref()
            .map(|n| views::byline_name(n, f.author_kind.as_deref().unwrap_or("person"))),
        author_url: f.author_slug.as_ref().map(|s| format!("/author/{s}/")),
        published_at: f.published_at,
        updated_at: f.updated_at,
        retracted_at: f.retracted_at,
        retraction_note: f.retraction_note.clone(),
    }
}

pub fn correction_view(c: &newsdesk_store::corrections::Correction) -> newsdesk_render::views::CorrectionView {
    newsdesk_render::views::CorrectionView {
        kind: c.kind.clone(),
        label: if c.kind == "correction" { "Correction" } else { "Update" },
        body: c.body.clone(),
        created_at: c.created_at,
    }
}
