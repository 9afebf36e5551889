//! The document model's renderers and readers. Everything a story's body becomes is made here, once, when the
//! story is saved: page HTML (also the feeds' content), e-mail HTML, narration and search text, Markdown, and the
//! word count. Markdown and HTML come in through [`from_markdown`] and [`from_html`].

pub mod embeds;
mod from_html;
mod from_markdown;
mod html_tree;
mod to_html;
mod to_markdown;
mod to_text;

pub use from_html::from_html;
pub use from_markdown::{attr_value, from_markdown, markdown_options};
pub use to_markdown::to_markdown;
pub use to_text::{body_text, captions, end_sentence};

use std::collections::HashMap;

use newsdesk_domain::document::{Block, Document};

pub(crate) fn escape(s: &str) -> String {
    crate::feeds::html_escape(s)
}

/// A story a related-story block points to, as it is when the pointing story is saved.
#[derive(Debug, Clone, Default)]
pub struct RelatedCard {
    pub id: i64,
    pub url: String,
    pub title: String,
    pub kicker: Option<String>,
    pub image: Option<String>,
}

/// A newsletter a signup prompt can offer.
#[derive(Debug, Clone, Default)]
pub struct PromptNewsletter {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
}

/// A library file an image block uses, as it is when the story is saved.
#[derive(Debug, Clone, Default)]
pub struct MediaRef {
    pub id: i64,
    pub files: crate::views::MediaFiles,
    pub width: u32,
    pub height: u32,
    /// Focal point, per cent from the left and the top.
    pub focal: (i64, i64),
    /// The file's defaults, used where the block leaves them empty.
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// What rendering needs from outside the document, looked up by the caller before it renders.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// Library files by id, and the ids by key (for images that name a file only by its URL).
    pub media: HashMap<i64, MediaRef>,
    pub media_keys: HashMap<String, i64>,
    /// The site's address, for absolute links in e-mail.
    pub site_url: String,
    /// Related-story cards by the key the block holds (slug or id): published stories only.
    pub related: HashMap<String, RelatedCard>,
    /// The posts (any status) the related-story blocks name, by key, so a card appears when its story is published.
    pub related_ids: HashMap<String, i64>,
    /// Public newsletters, in the site's order; a prompt without a newsletter offers the first.
    pub newsletters: Vec<PromptNewsletter>,
    /// The consent sentence printed under every signup form.
    pub consent_text: String,
}

/// Everything a body is rendered to.
#[derive(Debug, Clone, Default)]
pub struct RenderedBody {
    /// The page HTML: the whole story, or for a story not for everyone, only its public preview.
    pub html: String,
    pub email_html: String,
    pub text: String,
    /// The whole story, whoever may read it (the editor's and the revisions' form).
    pub markdown: String,
    /// The whole story's words.
    pub word_count: usize,
    /// For a story not for everyone: the rest after the preview (empty for a public story).
    pub paid_html: String,
    pub paid_email_html: String,
    pub paid_text: String,
    /// Where the public preview ends in `html` (bytes): for a metered reader's page, which shows `html[..preview_end]`
    /// until the meter lets them read on. A story not for everyone has only its preview in `html`, so it is its length.
    pub preview_end: usize,
}

/// A code block's text (its content is text nodes and breaks).
pub(crate) fn code_text(content: &[newsdesk_domain::document::Inline]) -> String {
    use newsdesk_domain::document::Inline;
    content
        .iter()
        .map(|i| match i {
            Inline::Text { text, .. } => text.as_str(),
            Inline::HardBreak => "\n",
        })
        .collect()
}

/// The library key in one of our image URLs (`/media/<key>/<file>`).
pub fn media_key_of(src: &str) -> Option<&str> {
    let rest = src.strip_prefix("/media/")?;
    let key = rest.split('/').next()?;
    (key.len() >= 64
        && key.len() <= 73
        && key.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && rest.len() > key.len())
    .then_some(key)
}

/// The library files a document's images and galleries name: by id, and by key for those that only have a URL.
pub fn media_refs(doc: &Document) -> (Vec<i64>, Vec<String>) {
    let (mut ids, mut keys) = (Vec::new(), Vec::new());
    let mut note = |f: &newsdesk_domain::document::Figure| match f.media_id {
        Some(id) => ids.push(id),
        None => keys.extend(media_key_of(&f.src).map(str::to_owned)),
    };
    doc.walk(&mut |b| match b {
        Block::Image { attrs } => note(attrs),
        Block::Gallery { attrs } => attrs.images.iter().for_each(&mut note),
        _ => {}
    });
    ids.sort_unstable();
    ids.dedup();
    keys.sort();
    keys.dedup();
    (ids, keys)
}

impl Env {
    /// The library file a figure shows, if it is one of ours.
    pub fn media_for(&self, f: &newsdesk_domain::document::Figure) -> Option<&MediaRef> {
        f.media_id
            .and_then(|id| self.media.get(&id))
            .or_else(|| media_key_of(&f.src).and_then(|k| self.media_keys.get(k)).and_then(|id| self.media.get(id)))
    }

    /// The posts the document's related-story cards name (published or not).
    pub fn linked_posts(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.related_ids.values().copied().collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// The ids of every library file the document uses (for the usage list).
    pub fn used_media(&self, doc: &Document) -> Vec<i64> {
        let mut out = Vec::new();
        doc.walk(&mut |b| match b {
            Block::Image { attrs } => out.extend(self.media_for(attrs).map(|m| m.id)),
            Block::Gallery { attrs } => out.extend(attrs.images.iter().filter_map(|f| self.media_for(f).map(|m| m.id))),
            _ => {}
        });
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The body text of a stored post: the text rendered at save, or, for a post saved before the document model and
/// not yet converted, the same text made from its Markdown.
pub fn stored_body_text(body_text: &str, body_md: &str) -> String {
    if body_text.is_empty() && !body_md.trim().is_empty() {
        to_text::body_text(&from_markdown(body_md))
    } else {
        body_text.to_owned()
    }
}

/// The related-story keys a document uses, for the caller to look up before [`render`].
pub fn related_keys(doc: &Document) -> Vec<String> {
    let mut keys = Vec::new();
    doc.walk(&mut |b| {
        if let Block::Related { attrs } = b {
            let k = attrs.post.trim().trim_matches('/').to_owned();
            if !k.is_empty() && !keys.contains(&k) {
                keys.push(k);
            }
        }
    });
    keys
}

pub fn render_html(doc: &Document, env: &Env) -> String {
    let mut w = to_html::Writer { env, target: to_html::Target::Page, out: String::new(), seq: 0 };
    w.blocks(&doc.content);
    w.out
}

pub fn render_email_html(doc: &Document, env: &Env) -> String {
    let mut w = to_html::Writer { env, target: to_html::Target::Email, out: String::new(), seq: 0 };
    w.blocks(&doc.content);
    w.out
}

/// Renders everything at once, for a story everyone may read.
pub fn render(doc: &Document, env: &Env) -> RenderedBody {
    let text = body_text(doc);
    let word_count = newsdesk_domain::text::word_count(&text);
    let html = render_html(doc, env);
    // The preview the meter shows is the same cut as a paywall's; its HTML is a prefix of the whole (blocks render
    // one after another), and where it is not, the meter shows no preview rather than a wrong one.
    let preview = render_html(&split_paid(doc).0, env);
    let preview_end = if html.starts_with(&preview) { preview.len() } else { 0 };
    RenderedBody {
        html,
        preview_end,
        email_html: render_email_html(doc, env),
        markdown: to_markdown(doc),
        text,
        word_count,
        paid_html: String::new(),
        paid_email_html: String::new(),
        paid_text: String::new(),
    }
}

/// Renders a story that is not for everyone (`gated`) as its public preview and the rest, apart, so the rest is
/// never in what everyone gets; a public story renders whole, as [`render`].
pub fn render_for(doc: &Document, env: &Env, gated: bool) -> RenderedBody {
    if !gated {
        return render(doc, env);
    }
    let (preview, rest) = split_paid(doc);
    let whole_words = newsdesk_domain::text::word_count(&body_text(doc));
    let html = render_html(&preview, env);
    RenderedBody {
        preview_end: html.len(),
        html,
        email_html: render_email_html(&preview, env),
        text: body_text(&preview),
        markdown: to_markdown(doc),
        word_count: whole_words,
        paid_html: render_html(&rest, env),
        paid_email_html: render_email_html(&rest, env),
        paid_text: body_text(&rest),
    }
}

/// The public preview of a story not for everyone, and the rest: the cut is the first top-level members-only
/// marker (Ghost's `<!--members-only-->`, Substack's paywall line); without one the preview is the blocks up to and
/// including the first paragraph (the dek is shown above it anyway), unless that is the whole story.
pub fn split_paid(doc: &Document) -> (Document, Document) {
    let cut = match doc.content.iter().position(|b| matches!(b, Block::MembersOnly)) {
        Some(i) => (i, i + 1),
        // A story that is one paragraph (or has none) has no preview beyond its dek: all of it is paid.
        None => match doc.content.iter().position(|b| matches!(b, Block::Paragraph { .. })) {
            Some(i) if i + 1 < doc.content.len() => (i + 1, i + 1),
            _ => (0, 0),
        },
    };
    let preview = doc.content[..cut.0].to_vec();
    let rest = doc.content[cut.1..].iter().filter(|b| !matches!(b, Block::MembersOnly)).cloned().collect();
    (Document::new(preview), Document::new(rest))
}

#[cfg(test)]
mod tests;
