//! Ghost's cards (images, galleries, embeds, code, callouts, the members-only marker…) as HTML that the document
//! reader understands: the markup Ghost's own renderer writes for them. Lexical and mobiledoc carry the same cards
//! with the same fields, so both renderers come here.

use std::collections::BTreeMap;

use serde_json::Value;

/// A body as it is rendered: HTML, with the Markdown cards kept as Markdown (read by the Markdown reader).
#[derive(Debug, Default)]
pub struct Rendered {
    pub parts: Vec<Part>,
    /// Cards with no place in a Newsdesk story (signup forms, product cards…): name → how many.
    pub dropped: BTreeMap<String, u64>,
}

#[derive(Debug)]
pub enum Part {
    Html(String),
    Markdown(String),
}

impl Rendered {
    /// Appends HTML to the last HTML part.
    pub fn html(&mut self, s: &str) {
        match self.parts.last_mut() {
            Some(Part::Html(h)) => h.push_str(s),
            _ => self.parts.push(Part::Html(s.to_owned())),
        }
    }

    /// The body as one document.
    pub fn document(&self) -> newsdesk_domain::document::Document {
        let mut blocks = Vec::new();
        for p in &self.parts {
            let doc = match p {
                Part::Html(h) => newsdesk_render::document::from_html(h),
                Part::Markdown(m) => newsdesk_render::document::from_markdown(m),
            };
            blocks.extend(doc.content);
        }
        let mut doc = newsdesk_domain::document::Document::new(blocks);
        doc.normalize();
        doc
    }
}

/// Escapes text for HTML content and attribute values.
pub fn esc(s: &str) -> String {
    newsdesk_render::feeds::html_escape(s)
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn width_class(v: &Value) -> &'static str {
    match s(v, "cardWidth") {
        "wide" => " kg-width-wide",
        "full" => " kg-width-full",
        _ => "",
    }
}

fn img(v: &Value) -> String {
    let dim = |k: &str| v.get(k).and_then(Value::as_u64).map(|n| format!(" {k}=\"{n}\"")).unwrap_or_default();
    format!("<img src=\"{}\" alt=\"{}\"{}{}>", esc(s(v, "src")), esc(s(v, "alt")), dim("width"), dim("height"))
}

/// Captions are HTML in Ghost (links to the photographer); kept as such.
fn caption(v: &Value) -> String {
    match s(v, "caption").trim() {
        "" => String::new(),
        c => format!("<figcaption>{c}</figcaption>"),
    }
}

/// Renders one card; `name` is the mobiledoc card name or the lexical node type.
pub fn card(name: &str, v: &Value, out: &mut Rendered) {
    match name {
        "image" => {
            if s(v, "src").is_empty() {
                return;
            }
            let mut inner = img(v);
            if !s(v, "href").is_empty() {
                inner = format!("<a href=\"{}\">{inner}</a>", esc(s(v, "href")));
            }
            out.html(&format!(
                "<figure class=\"kg-card kg-image-card{}\">{inner}{}</figure>",
                width_class(v),
                caption(v)
            ));
        }
        "gallery" => {
            let images: Vec<String> = v
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|i| !s(i, "src").is_empty())
                .map(|i| format!("<div class=\"kg-gallery-image\">{}</div>", img(i)))
                .collect();
            if !images.is_empty() {
                out.html(&format!(
                    "<figure class=\"kg-card kg-gallery-card\"><div class=\"kg-gallery-container\">{}</div>{}</figure>",
                    images.concat(),
                    caption(v)
                ));
            }
        }
        "embed" => {
            let url = s(v, "url");
            if !url.is_empty() {
                out.html(&format!(
                    "<figure class=\"kg-card kg-embed-card\"><a class=\"embed-open\" href=\"{}\">{}</a>{}</figure>",
                    esc(url),
                    esc(url),
                    caption(v)
                ));
            } else if !s(v, "html").is_empty() {
                out.html(s(v, "html"));
            }
        }
        "bookmark" => {
            let url = s(v, "url");
            if url.is_empty() {
                return;
            }
            let meta = v.get("metadata").cloned().unwrap_or(Value::Null);
            let title = Some(s(&meta, "title")).filter(|t| !t.is_empty()).unwrap_or(url);
            let description = s(&meta, "description");
            let tail = if description.is_empty() { String::new() } else { format!(" \u{2014} {}", esc(description)) };
            out.html(&format!("<p><a href=\"{}\">{}</a>{tail}</p>", esc(url), esc(title)));
        }
        "html" => out.html(s(v, "html")),
        "markdown" | "card-markdown" => out.parts.push(Part::Markdown(s(v, "markdown").to_owned())),
        "code" | "codeblock" => {
            let lang = s(v, "language");
            let class = if lang.is_empty() { String::new() } else { format!(" class=\"language-{}\"", esc(lang)) };
            out.html(&format!("<pre><code{class}>{}</code></pre>", esc(s(v, "code"))));
        }
        "hr" | "horizontalrule" => out.html("<hr>"),
        "paywall" => out.html("<!--members-only-->"),
        "callout" => out.html(&format!(
            "<div class=\"kg-card kg-callout-card\"><div class=\"kg-callout-emoji\">{}</div><div class=\"kg-callout-text\">{}</div></div>",
            esc(s(v, "calloutEmoji")),
            s(v, "calloutText")
        )),
        "button" => {
            if !s(v, "buttonUrl").is_empty() {
                out.html(&format!("<p><a href=\"{}\">{}</a></p>", esc(s(v, "buttonUrl")), esc(s(v, "buttonText"))));
            }
        }
        "toggle" => out.html(&format!("<h4>{}</h4>{}", s(v, "heading"), s(v, "content"))),
        "header" => {
            for (key, tag) in [("header", "h2"), ("subheader", "p")] {
                if !s(v, key).trim().is_empty() {
                    out.html(&format!("<{tag}>{}</{tag}>", s(v, key)));
                }
            }
        }
        "video" | "audio" | "file" => {
            let src = s(v, "src");
            if src.is_empty() {
                return;
            }
            let label = [s(v, "title"), s(v, "fileTitle"), s(v, "fileName")]
                .into_iter()
                .find(|t| !t.trim().is_empty())
                .map(str::to_owned)
                .unwrap_or_else(|| src.rsplit('/').next().unwrap_or(src).to_owned());
            out.html(&format!("<p><a href=\"{}\">{}</a></p>", esc(src), esc(&label)));
        }
        other => *out.dropped.entry(other.to_owned()).or_default() += 1,
    }
}
