//! Markdown → HTML, sanitised. Runs when a post is saved, never on a request.
//!
//! Sanitising is an allow-list (ammonia): no `<script>`, no event-handler attributes, no `javascript:` or other
//! unknown URL schemes survive, whatever the Markdown contains.

use std::collections::HashSet;

use pulldown_cmark::{Options, Parser, html};

/// The result of rendering a post body.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: String,
    pub word_count: usize,
}

pub fn render_markdown(md: &str) -> Rendered {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_FOOTNOTES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_SMART_PUNCTUATION);
    let parser = Parser::new_ext(md, opts);
    let mut raw = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    let html = sanitize_html(&raw);
    let word_count = newsdesk_domain::text::word_count(&strip_tags(&html));
    Rendered { html, word_count }
}

/// Cleans HTML from any source against the allow-list.
pub fn sanitize_html(raw: &str) -> String {
    let mut builder = ammonia::Builder::default();
    builder
        .add_tags(["figure", "figcaption", "aside", "section", "mark"])
        .add_generic_attributes(["id"])
        .add_tag_attributes("a", ["title"])
        .add_tag_attributes("img", ["loading", "width", "height"])
        .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
        .link_rel(Some("noopener noreferrer"))
        .id_prefix(Some("md-"));
    builder.clean(raw).to_string()
}

/// Text content of sanitised HTML (tags dropped, entities left), for counting words.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let r = render_markdown("# Heading\n\nSome *emphasis* and a [link](https://example.org).");
        assert!(r.html.contains("<h1>Heading</h1>"));
        assert!(r.html.contains("<em>emphasis</em>"));
        assert!(r.html.contains(r#"href="https://example.org""#));
        assert_eq!(r.word_count, 6);
    }

    #[test]
    fn strips_scripts_handlers_and_javascript_urls() {
        let r = render_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n<a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n<iframe src=\"https://evil.example\"></iframe>",
        );
        let h = r.html.to_lowercase();
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("onerror"), "{h}");
        assert!(!h.contains("javascript:"), "{h}");
        assert!(!h.contains("<iframe"), "{h}");
    }
}
