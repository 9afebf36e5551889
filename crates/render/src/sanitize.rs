//! The one sanitiser: every piece of HTML that arrives from outside (a raw HTML block, HTML read by the importers
//! and paste) is cleaned against this allow-list (ammonia): no `<script>`, no event-handler attributes, no
//! `javascript:` or other unknown URL schemes survive.

use std::collections::HashSet;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::{Env, from_markdown, render_html};

    #[test]
    fn markdown_renders_through_the_document() {
        let html = render_html(
            &from_markdown("# Heading\n\nSome *emphasis* and a [link](https://example.org)."),
            &Env::default(),
        );
        assert!(html.contains("<h1>Heading</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains(r#"href="https://example.org""#));
    }

    #[test]
    fn strips_scripts_handlers_and_javascript_urls() {
        let html = render_html(
            &from_markdown(
                "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n<a href=\"JaVaScRiPt:alert(4)\">x</a>\n\n<iframe src=\"https://evil.example\"></iframe>",
            ),
            &Env::default(),
        );
        let h = html.to_lowercase();
        assert!(!h.contains("<script"), "{h}");
        assert!(!h.contains("onerror"), "{h}");
        assert!(!h.contains("javascript:"), "{h}");
        assert!(!h.contains("<iframe"), "{h}");
        let raw = sanitize_html("<p onclick=x>ok</p><script>alert(1)</script><a href=\"javascript:y\">z</a>");
        assert_eq!(raw, "<p>ok</p><a rel=\"noopener noreferrer\">z</a>");
    }
}
