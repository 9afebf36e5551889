//! A WordPress post's stored content → HTML the document reader understands.
//!
//! WordPress stores what the author typed, not what it shows: the classic editor's paragraphs are blank lines
//! (`wpautop` adds the `<p>`s on display), captions, galleries and embeds are shortcodes, and the block editor wraps
//! its HTML in `<!-- wp:… -->` comments. This module does what WordPress does on display for the parts that carry
//! structure, so the story arrives with its figures, galleries and embeds; shortcodes it does not know are removed
//! (their enclosed text kept) and reported, never printed as `[contact-form-7 …]`.

use std::collections::BTreeMap;

use newsdesk_render::document::embeds;

/// An attachment as the content refers to it.
#[derive(Debug, Clone)]
pub struct AttachmentRef {
    pub url: String,
    pub alt: String,
    pub caption: String,
}

/// Looks up attachments: by id, and the images attached to a post (for `[gallery]` without `ids`).
pub trait Attachments {
    fn by_id(&self, id: &str) -> Option<AttachmentRef>;
    fn children_of(&self, post_id: &str) -> Vec<AttachmentRef>;
}

/// The converted HTML, with the shortcodes that were not understood (name → count).
#[derive(Debug, Default)]
pub struct Converted {
    pub html: String,
    pub unknown_shortcodes: BTreeMap<String, usize>,
}

/// Shortcodes that become structure.
const KNOWN: &[&str] = &["caption", "wp_caption", "gallery", "embed", "audio", "video", "youtube", "vimeo"];

/// Converts `content` of post `post_id`.
pub fn convert(content: &str, post_id: &str, attachments: &dyn Attachments) -> Converted {
    let content = content.replace("\r\n", "\n");
    let blocks = content.contains("<!-- wp:");
    let without_comments = strip_block_comments(&content);
    let mut out = Converted::default();
    let expanded = shortcodes(&without_comments, post_id, attachments, &mut out.unknown_shortcodes);
    out.html = if blocks { bare_urls_in_blocks(&expanded) } else { autop(&expanded) };
    out
}

/// Removes the block editor's `<!-- wp:name {json} -->`, `<!-- /wp:name -->` and the `<!--more-->` and
/// `<!--nextpage-->` markers; other comments are left to the sanitiser.
fn strip_block_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("<!--") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 4..];
        let Some(end) = after.find("-->") else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = after[..end].trim();
        let ours = inner.starts_with("wp:")
            || inner.starts_with("/wp:")
            || inner.starts_with("more")
            || inner == "nextpage"
            || inner == "noteaser";
        if !ours {
            out.push_str(&rest[i..i + 4 + end + 3]);
        }
        rest = &after[end + 3..];
    }
    out.push_str(rest);
    out
}

/// One parsed shortcode tag.
struct Tag<'a> {
    name: &'a str,
    attrs: BTreeMap<String, String>,
    /// `[name … /]`
    self_closing: bool,
    closing: bool,
    /// Whether it had attributes (a bare `[word]` with none is ordinary text unless it is known or closed).
    has_attrs: bool,
    len: usize,
}

/// Parses a tag at the start of `s` (which begins with `[`).
fn parse_tag(s: &str) -> Option<Tag<'_>> {
    let end = s.find(']')?;
    let inner = &s[1..end];
    if inner.contains('[') || inner.contains('\n') && inner.len() > 400 {
        return None;
    }
    let (closing, inner) = match inner.strip_prefix('/') {
        Some(r) => (true, r),
        None => (false, inner),
    };
    let name_len = inner.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(inner.len());
    let name = &inner[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut rest = inner[name_len..].trim();
    if !rest.is_empty() && !inner[name_len..].starts_with(char::is_whitespace) && rest != "/" {
        return None;
    }
    let self_closing = rest.ends_with('/');
    if self_closing {
        rest = rest[..rest.len() - 1].trim_end();
    }
    Some(Tag { name, attrs: attributes(rest), self_closing, closing, has_attrs: !rest.is_empty(), len: end + 1 })
}

/// `key="value" key='value' key=value` (and bare values, keyed by position).
fn attributes(s: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = s.trim();
    let mut n = 0;
    while !rest.is_empty() {
        let key_end = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        if let Some(r) = rest.strip_prefix('=') {
            let r = r.trim_start();
            let (value, after) = match r.chars().next() {
                Some(q @ ('"' | '\'' | '\u{201d}' | '\u{2033}')) => {
                    let body = &r[q.len_utf8()..];
                    let close = body.find(q).or_else(|| body.find(['"', '\'', '\u{201d}'])).unwrap_or(body.len());
                    (&body[..close], body.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let e = r.find(char::is_whitespace).unwrap_or(r.len());
                    (&r[..e], &r[e..])
                }
            };
            out.insert(key, value.to_owned());
            rest = after.trim_start();
        } else {
            let bare = key.trim_matches(['"', '\'']).to_owned();
            if !bare.is_empty() {
                out.insert(n.to_string(), bare);
                n += 1;
            }
        }
    }
    out
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Expands shortcodes, innermost content first.
fn shortcodes(s: &str, post_id: &str, attachments: &dyn Attachments, unknown: &mut BTreeMap<String, usize>) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    let bytes = s.as_bytes();
    while i < s.len() {
        let Some(off) = s[i..].find('[') else {
            out.push_str(&s[i..]);
            break;
        };
        out.push_str(&s[i..i + off]);
        i += off;
        // `[[name]]` is WordPress's escape for a literal `[name]`.
        if bytes.get(i + 1) == Some(&b'[')
            && let Some(end) = s[i..].find("]]")
        {
            out.push_str(&s[i + 1..i + end + 1]);
            i += end + 2;
            continue;
        }
        let Some(tag) = parse_tag(&s[i..]) else {
            out.push('[');
            i += 1;
            continue;
        };
        let known = KNOWN.contains(&tag.name);
        if tag.closing {
            // A stray closer: drop it when it names a shortcode we have seen the like of, else keep the text.
            if known || unknown.contains_key(tag.name) {
                i += tag.len;
            } else {
                out.push('[');
                i += 1;
            }
            continue;
        }
        let closer = format!("[/{}]", tag.name);
        let body_start = i + tag.len;
        let enclosed = if tag.self_closing { None } else { s[body_start..].find(&closer).map(|e| body_start + e) };
        if !known && enclosed.is_none() && !tag.has_attrs && !tag.self_closing {
            // `[sic]`, `[1]`: text.
            out.push('[');
            i += 1;
            continue;
        }
        let inner = enclosed.map(|e| &s[body_start..e]).unwrap_or("");
        let next = enclosed.map(|e| e + closer.len()).unwrap_or(body_start);
        let inner = shortcodes(inner, post_id, attachments, unknown);
        match tag.name {
            "caption" | "wp_caption" => out.push_str(&caption(&tag.attrs, &inner)),
            "gallery" => out.push_str(&gallery(&tag.attrs, post_id, attachments)),
            "embed" | "youtube" | "vimeo" => {
                let url = if inner.trim().is_empty() {
                    tag.attrs.get("url").or_else(|| tag.attrs.get("0")).cloned().unwrap_or_default()
                } else {
                    inner.trim().to_owned()
                };
                out.push_str(&embed_figure(&url));
            }
            "audio" | "video" => {
                let src = ["src", "mp3", "m4a", "ogg", "wav", "mp4", "webm", "0"]
                    .iter()
                    .find_map(|k| tag.attrs.get(*k))
                    .cloned()
                    .unwrap_or_default();
                if !src.is_empty() {
                    out.push_str(&format!("\n\n<p><a href=\"{0}\">{0}</a></p>\n\n", esc(&src)));
                }
            }
            other => {
                *unknown.entry(other.to_owned()).or_default() += 1;
                out.push_str(&inner);
            }
        }
        i = next;
    }
    out
}

/// `[caption]<img …> Text[/caption]` (or `caption="Text"`) → a figure.
fn caption(attrs: &BTreeMap<String, String>, inner: &str) -> String {
    let inner = inner.trim();
    // The image (perhaps inside a link) comes first; the rest is the caption.
    let (media, text) = match inner.find("<img") {
        Some(start) => {
            let img_end = inner[start..].find('>').map(|e| start + e + 1).unwrap_or(inner.len());
            let end = match inner[img_end..].trim_start().strip_prefix("</a>") {
                Some(_) => img_end + inner[img_end..].find("</a>").unwrap_or(0) + 4,
                None => img_end,
            };
            (&inner[..end], inner[end..].trim())
        }
        None => ("", inner),
    };
    let text = if text.is_empty() { attrs.get("caption").map(String::as_str).unwrap_or("") } else { text };
    let align = attrs.get("align").map(|a| esc(a)).unwrap_or_default();
    format!("\n\n<figure class=\"wp-caption {align}\">{media}<figcaption>{text}</figcaption></figure>\n\n")
}

/// `[gallery ids="1,2"]`, or the post's attached images when no ids are given.
fn gallery(attrs: &BTreeMap<String, String>, post_id: &str, attachments: &dyn Attachments) -> String {
    let images: Vec<AttachmentRef> = match attrs.get("ids").or_else(|| attrs.get("include")) {
        Some(ids) => ids.split(',').filter_map(|id| attachments.by_id(id.trim())).collect(),
        None => attachments.children_of(attrs.get("id").map(String::as_str).unwrap_or(post_id)),
    };
    if images.is_empty() {
        return String::new();
    }
    let mut html = String::from("\n\n<figure class=\"wp-block-gallery\">");
    for a in images {
        html.push_str(&format!(
            "<figure class=\"wp-block-image\"><img src=\"{}\" alt=\"{}\">",
            esc(&a.url),
            esc(&a.alt)
        ));
        if !a.caption.trim().is_empty() {
            html.push_str(&format!("<figcaption>{}</figcaption>", esc(a.caption.trim())));
        }
        html.push_str("</figure>");
    }
    html.push_str("</figure>\n\n");
    html
}

/// An embed as the block editor writes one, which the document reader turns into an embed block.
fn embed_figure(url: &str) -> String {
    let url = url.trim();
    if url.is_empty() {
        return String::new();
    }
    format!(
        "\n\n<figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">{}</div></figure>\n\n",
        esc(url)
    )
}

/// Whether a paragraph's text is one address alone.
fn lone_url(s: &str) -> Option<&str> {
    let t = s.trim();
    let url =
        (t.starts_with("http://") || t.starts_with("https://")) && !t.contains(char::is_whitespace) && !t.contains('<');
    url.then_some(t)
}

const BLOCK_START: &[&str] = &[
    "<p",
    "<h1",
    "<h2",
    "<h3",
    "<h4",
    "<h5",
    "<h6",
    "<ul",
    "<ol",
    "<li",
    "<blockquote",
    "<figure",
    "<table",
    "<pre",
    "<div",
    "<hr",
    "<iframe",
    "<section",
    "<article",
    "<aside",
    "<header",
    "<footer",
    "<dl",
    "<address",
    "<script",
    "<style",
    "<form",
    "<details",
    "<nav",
    "<\u{E001}",
];

/// WordPress's `wpautop`, for the parts that matter: blank lines separate paragraphs, single line breaks inside a
/// paragraph are `<br>`, blocks stay blocks, `<pre>` is left alone, and an address alone on its line becomes an embed
/// (when a provider is recognised) or a link.
fn autop(s: &str) -> String {
    // Keep <pre> blocks out of the paragraph split.
    let mut pres = Vec::new();
    let mut text = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("<pre") {
        let Some(end) = rest[i..].find("</pre>") else { break };
        text.push_str(&rest[..i]);
        text.push_str(&format!("\n\n<\u{E001}{}\u{E001}>\n\n", pres.len()));
        pres.push(rest[i..i + end + 6].to_owned());
        rest = &rest[i + end + 6..];
    }
    text.push_str(rest);
    let mut out = String::with_capacity(text.len() + 64);
    for chunk in text.split("\n\n").map(str::trim).filter(|c| !c.is_empty()) {
        if let Some(url) = lone_url(chunk) {
            out.push_str(&url_block(url));
        } else if BLOCK_START.iter().any(|b| chunk.starts_with(b)) {
            out.push_str(chunk);
        } else {
            out.push_str("<p>");
            out.push_str(&chunk.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push('\n');
    }
    for (n, pre) in pres.iter().enumerate() {
        out = out.replace(&format!("<\u{E001}{n}\u{E001}>"), pre);
    }
    out
}

fn url_block(url: &str) -> String {
    if embeds::is_embeddable(url) { embed_figure(url) } else { format!("<p><a href=\"{0}\">{0}</a></p>", esc(url)) }
}

/// Block-editor content: paragraphs that hold only an address become embeds too (the editor does the same).
fn bare_urls_in_blocks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split('\n') {
        match lone_url(line) {
            Some(url) if embeds::is_embeddable(url) => out.push_str(&url_block(url)),
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl Attachments for Two {
        fn by_id(&self, id: &str) -> Option<AttachmentRef> {
            Some(AttachmentRef {
                url: format!("https://old.example/wp-content/uploads/{id}.jpg"),
                alt: format!("alt {id}"),
                caption: String::new(),
            })
        }
        fn children_of(&self, _: &str) -> Vec<AttachmentRef> {
            vec![self.by_id("5").unwrap()]
        }
    }

    #[test]
    fn classic_content_gets_paragraphs_figures_and_embeds() {
        let c = convert(
            "First line\nsame paragraph.\n\n[caption id=\"attachment_9\" align=\"aligncenter\" width=\"300\"]<img src=\"x.jpg\" alt=\"A\" /> The quay. Photo: Agency[/caption]\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n[contact-form-7 id=\"12\"]\n\nIt was \"stranded [sic]\" [1].\n\n<pre>a\n\nb</pre>",
            "1",
            &Two,
        );
        assert!(c.html.contains("<p>First line<br>\nsame paragraph.</p>"), "{}", c.html);
        assert!(c.html.contains("<figure class=\"wp-caption aligncenter\"><img src=\"x.jpg\" alt=\"A\" /><figcaption>The quay. Photo: Agency</figcaption></figure>"), "{}", c.html);
        assert!(
            c.html.contains("wp-block-embed__wrapper\">https://www.youtube.com/watch?v=dQw4w9WgXcQ<"),
            "{}",
            c.html
        );
        assert!(c.html.contains("[sic]") && c.html.contains("[1]"), "{}", c.html);
        assert!(!c.html.contains("contact-form-7"), "{}", c.html);
        assert_eq!(c.unknown_shortcodes.get("contact-form-7"), Some(&1));
        assert!(c.html.contains("<pre>a\n\nb</pre>"), "{}", c.html);
    }

    #[test]
    fn galleries_embeds_and_block_comments() {
        let c = convert(
            "<!-- wp:paragraph --><p>x</p><!-- /wp:paragraph -->\n[gallery ids=\"3,4\"]\n[embed]https://vimeo.com/1[/embed][[gallery]]",
            "1",
            &Two,
        );
        assert!(!c.html.contains("wp:paragraph"), "{}", c.html);
        assert!(c.html.contains("uploads/3.jpg\" alt=\"alt 3\"") && c.html.contains("uploads/4.jpg"), "{}", c.html);
        assert!(c.html.contains("wp-block-embed__wrapper\">https://vimeo.com/1<"), "{}", c.html);
        assert!(c.html.contains("[gallery]"), "escaped shortcode printed literally: {}", c.html);
        let c = convert("[gallery]", "1", &Two);
        assert!(c.html.contains("uploads/5.jpg"), "{}", c.html);
        let c = convert("[foo]kept text[/foo]", "1", &Two);
        assert!(c.html.contains("kept text") && !c.html.contains("foo"), "{}", c.html);
        assert_eq!(c.unknown_shortcodes.get("foo"), Some(&1));
    }
}
