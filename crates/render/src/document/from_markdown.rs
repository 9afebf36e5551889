//! Markdown → document: the API's and the importer's `markdown`, and the editor's Markdown mode.
//!
//! CommonMark with tables and strikethrough, smart punctuation, and three Newsdesk rules: a known provider's URL alone
//! on a line is an embed, `<!--members-only-->` is the members-only marker, and HTML blocks are read by the HTML reader
//! (so the figures, pull quotes and callouts the Markdown writer writes as HTML come back as themselves).

use newsdesk_domain::document::{
    Block, CellType, CodeAttrs, Document, EmbedAttrs, Figure, HeadingAttrs, Inline, LinkAttrs, ListItem, Mark,
    OrderedAttrs, TableCell, TableRow, is_safe_link,
};
use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};

use super::embeds;

enum Frame {
    Blocks(Vec<Block>),
    Quote(Vec<Block>),
    List { ordered: bool, start: u32, items: Vec<ListItem> },
    Item(Vec<Block>),
    Para { content: Vec<Inline>, implicit: bool },
    Heading(u8, Vec<Inline>),
    Code(Option<String>, String),
    Html(String),
    Table(Vec<TableRow>),
    Row(Vec<TableCell>, CellType),
    Cell(CellType, Vec<Inline>),
    Image { src: String, title: String, alt: String },
}

struct Builder {
    stack: Vec<Frame>,
    marks: Vec<Option<Mark>>,
    /// Quote, list and item starts dropped past [`MAX_CONTAINERS`] (with their ends), so hostile nesting (100,000
    /// `>`) cannot run anything out of stack; their text is kept.
    skipped: usize,
}

/// Open quotes, lists and list items kept; the document's own depth limit then flattens the rest.
const MAX_CONTAINERS: usize = 36;

pub fn markdown_options() -> Options {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_SMART_PUNCTUATION);
    opts
}

/// Reads Markdown into a document.
pub fn from_markdown(md: &str) -> Document {
    let mut b = Builder { stack: vec![Frame::Blocks(Vec::new())], marks: Vec::new(), skipped: 0 };
    for event in Parser::new_ext(md, markdown_options()) {
        b.event(event);
    }
    while b.stack.len() > 1 {
        b.pop();
    }
    let mut doc = match b.stack.pop() {
        Some(Frame::Blocks(blocks)) => Document::new(blocks),
        _ => Document::new(Vec::new()),
    };
    doc.limit_depth();
    doc.normalize();
    doc
}

fn heading_level(l: pulldown_cmark::HeadingLevel) -> u8 {
    l as u8
}

impl Builder {
    fn current_marks(&self) -> Vec<Mark> {
        self.marks.iter().flatten().cloned().collect()
    }

    /// Where inline content goes, opening an implicit paragraph in a tight list item or at the top.
    fn inline_target(&mut self) -> Option<&mut Vec<Inline>> {
        let needs_para = matches!(self.stack.last(), Some(Frame::Blocks(_) | Frame::Quote(_) | Frame::Item(_)));
        if needs_para {
            self.stack.push(Frame::Para { content: Vec::new(), implicit: true });
        }
        match self.stack.last_mut() {
            Some(Frame::Para { content, .. } | Frame::Heading(_, content) | Frame::Cell(_, content)) => Some(content),
            _ => None,
        }
    }

    fn text(&mut self, text: &str, extra: Option<Mark>) {
        if let Some(Frame::Image { alt, .. }) = self.stack.last_mut() {
            alt.push_str(text);
            return;
        }
        if let Some(Frame::Code(_, code)) | Some(Frame::Html(code)) = self.stack.last_mut() {
            code.push_str(text);
            return;
        }
        let mut marks = self.current_marks();
        marks.extend(extra);
        if let Some(target) = self.inline_target() {
            target.push(Inline::Text { text: text.to_owned(), marks });
        }
    }

    /// Adds a finished block to the innermost container.
    fn push_block(&mut self, block: Block) {
        if matches!(self.stack.last(), Some(Frame::Para { implicit: true, .. })) {
            self.pop();
        }
        match self.stack.last_mut() {
            Some(Frame::Blocks(bs) | Frame::Quote(bs) | Frame::Item(bs)) => bs.push(block),
            Some(Frame::Para { .. }) => {
                // An image inside a paragraph: the paragraph so far, the image, then the rest as a new paragraph.
                let Some(Frame::Para { content, implicit }) = self.stack.pop() else { return };
                if !content.is_empty() {
                    self.push_block(paragraph(content));
                }
                self.push_block(block);
                self.stack.push(Frame::Para { content: Vec::new(), implicit });
            }
            _ => {}
        }
    }

    fn start_block(&mut self) {
        if matches!(self.stack.last(), Some(Frame::Para { implicit: true, .. })) {
            self.pop();
        }
    }

    fn pop(&mut self) {
        let Some(frame) = self.stack.pop() else { return };
        let block = match frame {
            Frame::Blocks(bs) => {
                // Only the root is a Blocks frame; put it back.
                self.stack.push(Frame::Blocks(bs));
                return;
            }
            Frame::Quote(bs) => Block::Blockquote { content: bs },
            Frame::List { ordered: false, items, .. } => Block::BulletList { content: items },
            Frame::List { ordered: true, start, items } => {
                Block::OrderedList { attrs: OrderedAttrs { start }, content: items }
            }
            Frame::Item(bs) => {
                if let Some(Frame::List { items, .. }) = self.stack.last_mut() {
                    items.push(ListItem { content: bs, ..Default::default() });
                }
                return;
            }
            Frame::Para { content, .. } => {
                if content.is_empty() {
                    return;
                }
                paragraph(content)
            }
            Frame::Heading(level, content) => Block::Heading { attrs: HeadingAttrs { level }, content },
            Frame::Code(language, mut text) => {
                if text.ends_with('\n') {
                    text.pop();
                }
                let content = if text.is_empty() { Vec::new() } else { vec![Inline::text(text)] };
                Block::CodeBlock { attrs: CodeAttrs { language }, content }
            }
            Frame::Html(html) => {
                for b in html_blocks(&html) {
                    self.push_block(b);
                }
                return;
            }
            Frame::Table(rows) => Block::Table { content: rows },
            Frame::Row(cells, _) => {
                if let Some(Frame::Table(rows)) = self.stack.last_mut() {
                    rows.push(TableRow { content: cells, ..Default::default() });
                }
                return;
            }
            Frame::Cell(kind, content) => {
                if let Some(Frame::Row(cells, _)) = self.stack.last_mut() {
                    cells.push(TableCell { kind, content });
                }
                return;
            }
            Frame::Image { src, title, alt } => {
                let caption = Some(title).filter(|t| !t.trim().is_empty());
                Block::Image { attrs: Figure { src, alt, caption, ..Default::default() } }
            }
        };
        self.push_block(block);
    }

    fn containers(&self) -> usize {
        self.stack.iter().filter(|f| matches!(f, Frame::Quote(_) | Frame::List { .. } | Frame::Item(_))).count()
    }

    fn event(&mut self, event: Event<'_>) {
        let container_start = matches!(event, Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item));
        let container_end = matches!(event, Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item));
        if container_start && (self.skipped > 0 || self.containers() >= MAX_CONTAINERS) {
            self.skipped += 1;
            return;
        }
        if container_end && self.skipped > 0 {
            self.skipped -= 1;
            return;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {
                    self.start_block();
                    self.stack.push(Frame::Para { content: Vec::new(), implicit: false })
                }
                Tag::Heading { level, .. } => {
                    self.start_block();
                    self.stack.push(Frame::Heading(heading_level(level), Vec::new()))
                }
                Tag::BlockQuote(_) => {
                    self.start_block();
                    self.stack.push(Frame::Quote(Vec::new()))
                }
                Tag::CodeBlock(kind) => {
                    self.start_block();
                    let lang = match kind {
                        CodeBlockKind::Fenced(info) => {
                            info.split_whitespace().next().map(str::to_owned).filter(|s| !s.is_empty())
                        }
                        CodeBlockKind::Indented => None,
                    };
                    self.stack.push(Frame::Code(lang, String::new()))
                }
                Tag::HtmlBlock => {
                    self.start_block();
                    self.stack.push(Frame::Html(String::new()))
                }
                Tag::List(start) => {
                    self.start_block();
                    self.stack.push(Frame::List {
                        ordered: start.is_some(),
                        start: start.map(|s| s.min(u64::from(u32::MAX)) as u32).unwrap_or(1),
                        items: Vec::new(),
                    })
                }
                Tag::Item => self.stack.push(Frame::Item(Vec::new())),
                Tag::Table(_) => {
                    self.start_block();
                    self.stack.push(Frame::Table(Vec::new()))
                }
                Tag::TableHead => self.stack.push(Frame::Row(Vec::new(), CellType::TableHeader)),
                Tag::TableRow => self.stack.push(Frame::Row(Vec::new(), CellType::TableCell)),
                Tag::TableCell => {
                    let kind = match self.stack.last() {
                        Some(Frame::Row(_, k)) => *k,
                        _ => CellType::TableCell,
                    };
                    self.stack.push(Frame::Cell(kind, Vec::new()))
                }
                Tag::Emphasis => self.marks.push(Some(Mark::Italic)),
                Tag::Strong => self.marks.push(Some(Mark::Bold)),
                Tag::Strikethrough => self.marks.push(Some(Mark::Strike)),
                Tag::Superscript => self.marks.push(Some(Mark::Superscript)),
                Tag::Subscript => self.marks.push(Some(Mark::Subscript)),
                Tag::Link { dest_url, title, .. } => self.marks.push(is_safe_link(&dest_url).then(|| Mark::Link {
                    attrs: LinkAttrs {
                        href: dest_url.to_string(),
                        title: Some(title.to_string()).filter(|t| !t.is_empty()),
                    },
                })),
                Tag::Image { dest_url, title, .. } => self.stack.push(Frame::Image {
                    src: dest_url.to_string(),
                    title: title.to_string(),
                    alt: String::new(),
                }),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Emphasis
                | TagEnd::Strong
                | TagEnd::Strikethrough
                | TagEnd::Superscript
                | TagEnd::Subscript
                | TagEnd::Link => {
                    self.marks.pop();
                }
                TagEnd::List(_) | TagEnd::BlockQuote(_) | TagEnd::Item => {
                    // Close an implicit paragraph first.
                    if matches!(self.stack.last(), Some(Frame::Para { implicit: true, .. })) {
                        self.pop();
                    }
                    self.pop()
                }
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::CodeBlock
                | TagEnd::HtmlBlock
                | TagEnd::Table
                | TagEnd::TableHead
                | TagEnd::TableRow
                | TagEnd::TableCell
                | TagEnd::Image => self.pop(),
                _ => {}
            },
            Event::Text(t) => self.text(&t, None),
            Event::Code(t) => self.text(&t, Some(Mark::Code)),
            Event::Html(h) => {
                if let Some(Frame::Html(s)) = self.stack.last_mut() {
                    s.push_str(&h);
                }
            }
            Event::InlineHtml(h) => self.inline_html(&h),
            Event::SoftBreak => self.text(" ", None),
            Event::HardBreak => {
                if let Some(target) = self.inline_target() {
                    target.push(Inline::HardBreak);
                }
            }
            Event::Rule => {
                self.start_block();
                self.push_block(Block::HorizontalRule)
            }
            Event::FootnoteReference(r) => self.text(&format!("[^{r}]"), None),
            Event::TaskListMarker(done) => self.text(if done { "[x] " } else { "[ ] " }, None),
            Event::InlineMath(t) | Event::DisplayMath(t) => self.text(&t, Some(Mark::Code)),
        }
    }

    /// Inline HTML in Markdown: formatting tags (`<b>`, `<em>`, `<sup>`…) and safe `<a href>` become marks, `<br>`
    /// a line break; any other tag is dropped and its text kept.
    fn inline_html(&mut self, h: &str) {
        let inner = h.trim().trim_start_matches('<').trim_end_matches('>').trim_end_matches('/').trim();
        let closing = inner.starts_with('/');
        let inner = inner.trim_start_matches('/');
        let name: String =
            inner.chars().take_while(char::is_ascii_alphanumeric).collect::<String>().to_ascii_lowercase();
        let mark = match name.as_str() {
            "b" | "strong" => Some(Mark::Bold),
            "i" | "em" | "cite" => Some(Mark::Italic),
            "s" | "del" | "strike" => Some(Mark::Strike),
            "sup" => Some(Mark::Superscript),
            "sub" => Some(Mark::Subscript),
            "code" | "kbd" => Some(Mark::Code),
            "a" if !closing => {
                let href = attr_value(inner, "href").filter(|h| is_safe_link(h));
                self.marks
                    .push(href.map(|href| Mark::Link { attrs: LinkAttrs { href, title: attr_value(inner, "title") } }));
                return;
            }
            "a" => {
                // Close the innermost link opened by inline HTML (a refused one left a `None`).
                if let Some(pos) = self.marks.iter().rposition(|m| m.is_none() || matches!(m, Some(Mark::Link { .. })))
                {
                    self.marks.remove(pos);
                }
                return;
            }
            "br" => {
                if let Some(target) = self.inline_target() {
                    target.push(Inline::HardBreak);
                }
                return;
            }
            _ => None,
        };
        let Some(mark) = mark else { return };
        if closing {
            if let Some(pos) = self.marks.iter().rposition(|m| m.as_ref() == Some(&mark)) {
                self.marks.remove(pos);
            }
        } else {
            self.marks.push(Some(mark));
        }
    }
}

/// The value of `name="…"` (or `'…'`) in a tag's inside (entities not decoded).
pub fn attr_value(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at == 0 || lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = lower[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let offset = tag.len() - rest.len() + 1;
        let value = tag[offset..].trim_start();
        let (quote, body) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (q, &value[1..]),
            _ => (' ', value),
        };
        let end = body.find(quote).unwrap_or(body.len());
        return Some(body[..end].to_owned());
    }
    None
}

/// A paragraph, or an embed when it is nothing but a known provider's URL.
fn paragraph(content: Vec<Inline>) -> Block {
    if let [Inline::Text { text, marks }] = content.as_slice() {
        let url = text.trim();
        let plain = marks.is_empty() || matches!(marks.as_slice(), [Mark::Link { attrs }] if attrs.href.trim() == url);
        if plain && embeds::is_embeddable(url) {
            return Block::Embed { attrs: EmbedAttrs { url: url.to_owned(), ..Default::default() } };
        }
    }
    Block::Paragraph { content }
}

fn html_blocks(html: &str) -> Vec<Block> {
    if html.trim() == "<!--members-only-->" {
        return vec![Block::MembersOnly];
    }
    super::from_html(html).content
}
