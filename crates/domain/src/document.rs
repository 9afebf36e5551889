//! A story's body: the one document model every part of Newsdesk reads.
//!
//! The editor edits it, Markdown and HTML are converted into it, and the page HTML, the narration and search text,
//! the newsletter's e-mail HTML and the feeds' content are rendered from it when the story is saved
//! (`newsdesk_render::document`). It is stored as JSON beside the rendered HTML.
//!
//! The JSON has the shape of a ProseMirror document (`{"type": "doc", "content": [...]}`, nodes with `type`, `attrs`,
//! `content`, text nodes with `marks`), so the admin's editor loads and saves it without translation, plus a
//! `version` that this server checks before it reads anything else: a document from a newer Newsdesk is refused, never
//! half-read.

use serde::{Deserialize, Serialize};

use crate::ValidationError;

/// The version of the document JSON this build writes and the newest it reads.
pub const VERSION: u32 = 1;

/// Longest document JSON accepted, in bytes (about four times the longest Markdown body: JSON is wordier).
pub const MAX_JSON_BYTES: usize = 4 * crate::post::MAX_BODY_BYTES;

/// Deepest nesting of blocks (lists in quotes in callouts…) accepted.
pub const MAX_DEPTH: usize = 12;

/// Most images in one gallery.
pub const MAX_GALLERY_IMAGES: usize = 60;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DocType {
    #[default]
    #[serde(rename = "doc")]
    Doc,
}

/// A story's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    #[serde(rename = "type")]
    pub kind: DocType,
    #[serde(default = "version_one")]
    pub version: u32,
    #[serde(default)]
    pub content: Vec<Block>,
}

fn version_one() -> u32 {
    1
}

/// One block of a story, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        content: Vec<Inline>,
    },
    Heading {
        attrs: HeadingAttrs,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        content: Vec<Inline>,
    },
    BulletList {
        #[serde(default)]
        content: Vec<ListItem>,
    },
    OrderedList {
        #[serde(default)]
        attrs: OrderedAttrs,
        #[serde(default)]
        content: Vec<ListItem>,
    },
    Blockquote {
        #[serde(default)]
        content: Vec<Block>,
    },
    PullQuote {
        #[serde(default)]
        attrs: PullQuoteAttrs,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        content: Vec<Inline>,
    },
    Image {
        attrs: Figure,
    },
    Gallery {
        attrs: GalleryAttrs,
    },
    Embed {
        attrs: EmbedAttrs,
    },
    Callout {
        #[serde(default)]
        attrs: CalloutAttrs,
        #[serde(default)]
        content: Vec<Block>,
    },
    Table {
        #[serde(default)]
        content: Vec<TableRow>,
    },
    CodeBlock {
        #[serde(default)]
        attrs: CodeAttrs,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        content: Vec<Inline>,
    },
    HorizontalRule,
    /// A card for another of our stories, drawn from its headline and image when this story is saved.
    Related {
        attrs: RelatedAttrs,
    },
    /// A newsletter signup or donation prompt.
    Prompt {
        attrs: PromptAttrs,
    },
    /// Everything after this is for members only (the paywall's cut; Ghost's `<!--members-only-->`).
    MembersOnly,
    /// Raw HTML, sanitised when rendered; only roles that may edit others' stories can add or change it.
    Html {
        attrs: HtmlAttrs,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadingAttrs {
    pub level: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderedAttrs {
    #[serde(default = "one")]
    pub start: u32,
}

impl Default for OrderedAttrs {
    fn default() -> Self {
        OrderedAttrs { start: 1 }
    }
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ListItemType {
    #[default]
    #[serde(rename = "list_item")]
    ListItem,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ListItem {
    #[serde(rename = "type", default)]
    pub kind: ListItemType,
    #[serde(default)]
    pub content: Vec<Block>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullQuoteAttrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageSize {
    #[default]
    Inline,
    Wide,
    Full,
}

impl ImageSize {
    pub fn as_str(self) -> &'static str {
        match self {
            ImageSize::Inline => "inline",
            ImageSize::Wide => "wide",
            ImageSize::Full => "full",
        }
    }
}

/// A photo with what a newsroom prints beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub src: String,
    /// The media library's file, when the image is one of ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<i64>,
    #[serde(default)]
    pub alt: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    #[serde(default)]
    pub size: ImageSize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Where the image links to, if anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GalleryAttrs {
    #[serde(default)]
    pub images: Vec<Figure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

/// Third-party content, shown as a static preview naming its provider until the reader asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmbedAttrs {
    pub url: String,
    /// Provider's name when it is not one Newsdesk recognises from the URL (from oEmbed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CalloutAttrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellType {
    #[default]
    TableCell,
    TableHeader,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowType {
    #[default]
    #[serde(rename = "table_row")]
    TableRow,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    #[serde(rename = "type", default)]
    pub kind: RowType,
    #[serde(default)]
    pub content: Vec<TableCell>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TableCell {
    #[serde(rename = "type", default)]
    pub kind: CellType,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub content: Vec<Inline>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeAttrs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedAttrs {
    /// The post's slug (or id), as the editor chose it.
    pub post: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PromptKind {
    #[default]
    Newsletter,
    Donation,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptAttrs {
    #[serde(default)]
    pub kind: PromptKind,
    /// The newsletter's slug (newsletter prompts); the site's first public newsletter when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newsletter: Option<String>,
    /// The editor's own words for the prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HtmlAttrs {
    pub html: String,
}

/// Inline content of paragraphs, headings, pull quotes and table cells.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        marks: Vec<Mark>,
    },
    HardBreak,
}

impl Inline {
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text { text: s.into(), marks: Vec::new() }
    }
}

/// Inline formatting. Kept in [`Mark::rank`] order on every text node, so equal formatting compares equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Mark {
    Link { attrs: LinkAttrs },
    Bold,
    Italic,
    Strike,
    Superscript,
    Subscript,
    Code,
}

impl Mark {
    pub fn rank(&self) -> u8 {
        match self {
            Mark::Link { .. } => 0,
            Mark::Bold => 1,
            Mark::Italic => 2,
            Mark::Strike => 3,
            Mark::Superscript => 4,
            Mark::Subscript => 5,
            Mark::Code => 6,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAttrs {
    pub href: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Document {
    pub fn new(content: Vec<Block>) -> Document {
        Document { kind: DocType::Doc, version: VERSION, content }
    }

    /// Reads document JSON from an editor, the API or the database. A newer version, a malformed document or one
    /// past the size and depth limits is refused with a message that says which.
    pub fn from_json(field: &'static str, json: &str) -> Result<Document, ValidationError> {
        if json.len() > MAX_JSON_BYTES {
            return Err(ValidationError::new(
                field,
                "body_too_long",
                format!(
                    "The story is {} KB; the longest a story can be is {} KB.",
                    json.len() / 1000,
                    MAX_JSON_BYTES / 1000
                ),
            ));
        }
        let value: serde_json::Value = serde_json::from_str(json).map_err(|e| {
            ValidationError::new(field, "document_invalid", format!("The story's document is not valid JSON: {e}."))
        })?;
        let version = value.get("version").and_then(serde_json::Value::as_u64).unwrap_or(1);
        if version > u64::from(VERSION) {
            return Err(ValidationError::new(
                field,
                "document_version_unsupported",
                format!(
                    "This story was written by a newer Newsdesk (document version {version}); this server reads up to \
                     version {VERSION}. Upgrade Newsdesk before editing it."
                ),
            ));
        }
        let mut doc: Document = serde_json::from_value(value).map_err(|e| {
            ValidationError::new(
                field,
                "document_invalid",
                format!("The story's document is not one Newsdesk reads: {e}."),
            )
        })?;
        doc.version = VERSION;
        doc.check(field)?;
        doc.normalize();
        Ok(doc)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"type":"doc","version":1,"content":[]}"#.to_owned())
    }

    /// Limits and rules no renderer should have to think about: heading levels, nesting depth, gallery size, and
    /// URL schemes (links, images and embeds may only be web, mail or phone addresses, or paths on this site).
    pub fn check(&self, field: &'static str) -> Result<(), ValidationError> {
        fn blocks(field: &'static str, bs: &[Block], depth: usize) -> Result<(), ValidationError> {
            if depth > MAX_DEPTH {
                return Err(ValidationError::new(
                    field,
                    "document_too_deep",
                    format!("Blocks are nested more than {MAX_DEPTH} deep."),
                ));
            }
            for b in bs {
                match b {
                    Block::Paragraph { content }
                    | Block::PullQuote { content, .. }
                    | Block::CodeBlock { content, .. } => inlines(field, content)?,
                    Block::Heading { attrs, content } => {
                        if !(1..=6).contains(&attrs.level) {
                            return Err(ValidationError::new(
                                field,
                                "document_invalid",
                                format!("A heading's level is 1 to 6, not {}.", attrs.level),
                            ));
                        }
                        inlines(field, content)?
                    }
                    Block::BulletList { content } | Block::OrderedList { content, .. } => {
                        for item in content {
                            blocks(field, &item.content, depth + 1)?
                        }
                    }
                    Block::Blockquote { content } | Block::Callout { content, .. } => {
                        blocks(field, content, depth + 1)?
                    }
                    Block::Image { attrs } => figure(field, attrs)?,
                    Block::Gallery { attrs } => {
                        if attrs.images.len() > MAX_GALLERY_IMAGES {
                            return Err(ValidationError::new(
                                field,
                                "gallery_too_large",
                                format!("A gallery holds at most {MAX_GALLERY_IMAGES} photos."),
                            ));
                        }
                        for f in &attrs.images {
                            figure(field, f)?
                        }
                    }
                    Block::Embed { attrs } => {
                        if !is_web_url(&attrs.url) {
                            return Err(ValidationError::new(
                                field,
                                "embed_url_invalid",
                                format!("\"{}\" is not a web address to embed.", clip(&attrs.url)),
                            ));
                        }
                    }
                    Block::Table { content } => {
                        for row in content {
                            for cell in &row.content {
                                inlines(field, &cell.content)?
                            }
                        }
                    }
                    Block::HorizontalRule
                    | Block::Related { .. }
                    | Block::Prompt { .. }
                    | Block::MembersOnly
                    | Block::Html { .. } => {}
                }
            }
            Ok(())
        }
        fn figure(field: &'static str, f: &Figure) -> Result<(), ValidationError> {
            if !(is_web_url(&f.src) || is_local_path(&f.src)) {
                return Err(ValidationError::new(
                    field,
                    "image_src_invalid",
                    format!("\"{}\" is not an image address Newsdesk can show.", clip(&f.src)),
                ));
            }
            if let Some(h) = &f.href {
                link(field, h)?
            }
            Ok(())
        }
        fn inlines(field: &'static str, xs: &[Inline]) -> Result<(), ValidationError> {
            for x in xs {
                if let Inline::Text { marks, .. } = x {
                    for m in marks {
                        if let Mark::Link { attrs } = m {
                            link(field, &attrs.href)?
                        }
                    }
                }
            }
            Ok(())
        }
        fn link(field: &'static str, href: &str) -> Result<(), ValidationError> {
            if is_safe_link(href) {
                Ok(())
            } else {
                Err(ValidationError::new(
                    field,
                    "link_invalid",
                    format!("\"{}\" is not a link Newsdesk publishes (use http, https, mailto or tel).", clip(href)),
                ))
            }
        }
        blocks(field, &self.content, 0)
    }

    /// Merges neighbouring text with equal formatting, puts marks in rank order and drops empty text, so that two
    /// documents that read the same compare equal.
    pub fn normalize(&mut self) {
        normalize_blocks(&mut self.content);
    }

    /// Lifts the content of containers nested past [`MAX_DEPTH`] into their parents, so Markdown and HTML from
    /// anywhere read into a document within the limits instead of being refused.
    pub fn limit_depth(&mut self) {
        fn go(bs: Vec<Block>, depth: usize) -> Vec<Block> {
            let mut out = Vec::with_capacity(bs.len());
            for b in bs {
                match b {
                    Block::Blockquote { content } | Block::Callout { content, .. } if depth >= MAX_DEPTH => {
                        out.extend(go(content, depth))
                    }
                    Block::BulletList { content } | Block::OrderedList { content, .. } if depth >= MAX_DEPTH => {
                        for item in content {
                            out.extend(go(item.content, depth));
                        }
                    }
                    Block::Blockquote { content } => out.push(Block::Blockquote { content: go(content, depth + 1) }),
                    Block::Callout { attrs, content } => {
                        out.push(Block::Callout { attrs, content: go(content, depth + 1) })
                    }
                    Block::BulletList { content } => out.push(Block::BulletList { content: items(content, depth + 1) }),
                    Block::OrderedList { attrs, content } => {
                        out.push(Block::OrderedList { attrs, content: items(content, depth + 1) })
                    }
                    other => out.push(other),
                }
            }
            out
        }
        fn items(items: Vec<ListItem>, depth: usize) -> Vec<ListItem> {
            items.into_iter().map(|i| ListItem { kind: i.kind, content: go(i.content, depth) }).collect()
        }
        self.content = go(std::mem::take(&mut self.content), 0);
    }

    /// The HTML of every raw HTML block (which only some roles may add or change), in reading order.
    pub fn raw_html(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.walk(&mut |b| {
            if let Block::Html { attrs } = b {
                out.push(attrs.html.as_str());
            }
        });
        out
    }

    /// Visits every block, depth first, in reading order.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Block)) {
        fn go<'a>(bs: &'a [Block], f: &mut dyn FnMut(&'a Block)) {
            for b in bs {
                f(b);
                match b {
                    Block::BulletList { content } | Block::OrderedList { content, .. } => {
                        for item in content {
                            go(&item.content, f)
                        }
                    }
                    Block::Blockquote { content } | Block::Callout { content, .. } => go(content, f),
                    _ => {}
                }
            }
        }
        go(&self.content, f)
    }

    /// Visits every block mutably, depth first, in reading order (importers re-point images and links).
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Block)) {
        fn go(bs: &mut [Block], f: &mut dyn FnMut(&mut Block)) {
            for b in bs {
                f(b);
                match b {
                    Block::BulletList { content } | Block::OrderedList { content, .. } => {
                        for item in content {
                            go(&mut item.content, f)
                        }
                    }
                    Block::Blockquote { content } | Block::Callout { content, .. } => go(content, f),
                    _ => {}
                }
            }
        }
        go(&mut self.content, f)
    }

    /// Visits every link's address, in text and tables and on images.
    pub fn links_mut(&mut self, f: &mut dyn FnMut(&mut String)) {
        fn inlines(xs: &mut [Inline], f: &mut dyn FnMut(&mut String)) {
            for x in xs {
                if let Inline::Text { marks, .. } = x {
                    for m in marks {
                        if let Mark::Link { attrs } = m {
                            f(&mut attrs.href);
                        }
                    }
                }
            }
        }
        self.walk_mut(&mut |b| match b {
            Block::Paragraph { content } | Block::Heading { content, .. } | Block::PullQuote { content, .. } => {
                inlines(content, f)
            }
            Block::Table { content } => {
                for row in content {
                    for cell in &mut row.content {
                        inlines(&mut cell.content, f)
                    }
                }
            }
            Block::Image { attrs } => {
                if let Some(h) = &mut attrs.href {
                    f(h)
                }
            }
            _ => {}
        });
    }
}

fn normalize_blocks(bs: &mut [Block]) {
    for b in bs {
        match b {
            Block::Paragraph { content }
            | Block::Heading { content, .. }
            | Block::PullQuote { content, .. }
            | Block::CodeBlock { content, .. } => normalize_inlines(content),
            Block::BulletList { content } | Block::OrderedList { content, .. } => {
                for item in content {
                    normalize_blocks(&mut item.content)
                }
            }
            Block::Blockquote { content } | Block::Callout { content, .. } => normalize_blocks(content),
            Block::Table { content } => {
                for row in content {
                    for cell in &mut row.content {
                        normalize_inlines(&mut cell.content)
                    }
                }
            }
            _ => {}
        }
    }
}

/// See [`Document::normalize`].
pub fn normalize_inlines(xs: &mut Vec<Inline>) {
    let mut out: Vec<Inline> = Vec::with_capacity(xs.len());
    for mut x in xs.drain(..) {
        if let Inline::Text { text, marks } = &mut x {
            if text.is_empty() {
                continue;
            }
            marks.sort_by_key(Mark::rank);
            marks.dedup_by(|a, b| a.rank() == b.rank());
            if let Some(Inline::Text { text: prev, marks: pm }) = out.last_mut()
                && pm == marks
            {
                prev.push_str(text);
                continue;
            }
        }
        out.push(x);
    }
    *xs = out;
}

fn clip(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `http:` or `https:` with a host.
pub fn is_web_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && l.len() > "https://".len()
        && !l.contains(char::is_whitespace)
}

/// A path on this site: one leading slash, never `//` or a backslash.
pub fn is_local_path(s: &str) -> bool {
    s.starts_with('/') && !s.starts_with("//") && !s.contains('\\') && !s.chars().any(char::is_control)
}

/// Links a story may carry: web, mail and phone addresses, paths on this site, and fragments.
pub fn is_safe_link(href: &str) -> bool {
    let h = href.trim();
    if h.is_empty() || h.chars().any(char::is_control) {
        return false;
    }
    if h.starts_with('#') || is_local_path(h) {
        return true;
    }
    let l = h.to_ascii_lowercase();
    is_web_url(&l) || l.starts_with("mailto:") || l.starts_with("tel:")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_json_and_refuses_newer_versions_and_bad_shapes() {
        let doc = Document::new(vec![Block::Paragraph {
            content: vec![Inline::Text { text: "Hello".into(), marks: vec![Mark::Italic, Mark::Bold] }],
        }]);
        let json = doc.to_json();
        assert!(json.starts_with(r#"{"type":"doc","version":1,"content":[{"type":"paragraph""#), "{json}");
        let back = Document::from_json("body", &json).unwrap();
        // Marks come back in rank order.
        assert_eq!(
            back.content[0],
            Block::Paragraph {
                content: vec![Inline::Text { text: "Hello".into(), marks: vec![Mark::Bold, Mark::Italic] }]
            }
        );
        let newer = r#"{"type":"doc","version":2,"content":[{"type":"hologram"}]}"#;
        assert_eq!(Document::from_json("body", newer).unwrap_err().code, "document_version_unsupported");
        let unknown = r#"{"type":"doc","version":1,"content":[{"type":"hologram"}]}"#;
        assert_eq!(Document::from_json("body", unknown).unwrap_err().code, "document_invalid");
        assert_eq!(Document::from_json("body", "{").unwrap_err().code, "document_invalid");
    }

    #[test]
    fn refuses_unsafe_links_and_images() {
        let link = |href: &str| {
            format!(
                r#"{{"type":"doc","version":1,"content":[{{"type":"paragraph","content":[{{"type":"text","text":"x","marks":[{{"type":"link","attrs":{{"href":"{href}"}}}}]}}]}}]}}"#
            )
        };
        assert_eq!(Document::from_json("body", &link("javascript:alert(1)")).unwrap_err().code, "link_invalid");
        assert_eq!(Document::from_json("body", &link("//evil.example/")).unwrap_err().code, "link_invalid");
        assert!(Document::from_json("body", &link("https://example.org/a")).is_ok());
        assert!(Document::from_json("body", &link("/tag/port/")).is_ok());
        let img = r#"{"type":"doc","content":[{"type":"image","attrs":{"src":"data:text/html,x","alt":""}}]}"#;
        assert_eq!(Document::from_json("body", img).unwrap_err().code, "image_src_invalid");
    }

    #[test]
    fn refuses_deep_nesting() {
        let mut json = String::from(r#"{"type":"paragraph"}"#);
        for _ in 0..20 {
            json = format!(r#"{{"type":"blockquote","content":[{json}]}}"#);
        }
        let doc = format!(r#"{{"type":"doc","version":1,"content":[{json}]}}"#);
        assert_eq!(Document::from_json("body", &doc).unwrap_err().code, "document_too_deep");
    }
}
