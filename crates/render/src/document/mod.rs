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
pub use from_markdown::{from_markdown, markdown_options};
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

/// What rendering needs from outside the document, looked up by the caller before it renders.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// The site's address, for absolute links in e-mail.
    pub site_url: String,
    /// Related-story cards by the key the block holds (slug or id).
    pub related: HashMap<String, RelatedCard>,
    /// Public newsletters, in the site's order; a prompt without a newsletter offers the first.
    pub newsletters: Vec<PromptNewsletter>,
    /// The consent sentence printed under every signup form.
    pub consent_text: String,
}

/// Everything a body is rendered to.
#[derive(Debug, Clone, Default)]
pub struct RenderedBody {
    pub html: String,
    pub email_html: String,
    pub text: String,
    pub markdown: String,
    pub word_count: usize,
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

/// Renders everything at once.
pub fn render(doc: &Document, env: &Env) -> RenderedBody {
    let text = body_text(doc);
    let word_count = newsdesk_domain::text::word_count(&text);
    RenderedBody {
        html: render_html(doc, env),
        email_html: render_email_html(doc, env),
        markdown: to_markdown(doc),
        text,
        word_count,
    }
}

#[cfg(test)]
mod tests;
