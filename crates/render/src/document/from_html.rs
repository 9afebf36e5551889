//! HTML → document: imports (WordPress, Ghost, Substack), paste, and the HTML that the Markdown writer uses for
//! blocks Markdown has no syntax for.
//!
//! The HTML is cleaned by the one sanitiser first (with a reading allow-list that keeps what tells blocks apart:
//! classes, iframes' `src`, Google Docs' inline styles), then read into blocks. Unknown containers are flattened,
//! their text kept; styling junk is dropped; nothing from the input is ever written out as it came, except a raw HTML
//! block's contents, which are sanitised again when rendered.

use std::collections::HashSet;
use std::sync::LazyLock;

use newsdesk_domain::document::{
    Block, CalloutAttrs, CellType, CodeAttrs, Document, EmbedAttrs, Figure, GalleryAttrs, HeadingAttrs, HtmlAttrs,
    ImageSize, Inline, LinkAttrs, ListItem, Mark, OrderedAttrs, PromptAttrs, PromptKind, PullQuoteAttrs, RelatedAttrs,
    TableCell, TableRow, is_safe_link, normalize_inlines,
};

use super::embeds;
use super::html_tree::{self, Element, Node};

/// Marks `<!--members-only-->` (a comment, which the sanitiser drops) so it survives cleaning.
const MEMBERS_ONLY_SENTINEL: &str = "\u{E000}members-only\u{E000}";

static READER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.add_tags([
        "figure",
        "figcaption",
        "aside",
        "section",
        "article",
        "iframe",
        "picture",
        "source",
        "mark",
        "main",
        "header",
        "footer",
        "span",
        "div",
    ])
    .add_generic_attributes([
        "class",
        "style",
        "title",
        "data-url",
        "data-post",
        "data-kind",
        "data-newsletter",
        "data-text",
        "data-media-id",
        "data-size",
    ])
    .add_tag_attributes("iframe", ["src", "title"])
    .add_tag_attributes("img", ["width", "height", "srcset", "data-src"])
    .add_tag_attributes("ol", ["start"])
    .add_tag_attributes("blockquote", ["cite"])
    .url_schemes(HashSet::from(["http", "https", "mailto", "tel"]))
    .link_rel(None)
    .strip_comments(true);
    b
});

/// Reads HTML into a document.
pub fn from_html(html: &str) -> Document {
    // Ghost's marker, and Substack's paywall line in its exports.
    let sentinel = format!("<p>{MEMBERS_ONLY_SENTINEL}</p>");
    let marked = html
        .replace("<!--members-only-->", &sentinel)
        .replace("<div class=\"paywall-jump\" data-component-name=\"PaywallToDOM\"></div>", &sentinel);
    // Nesting is capped before the sanitiser sees it: a paste of 40,000 nested elements would otherwise cost the
    // HTML parser minutes (its scope checks grow with depth).
    let capped = html_tree::parse(&marked).inner_html();
    let clean = READER.clean(&capped).to_string();
    let root = html_tree::parse(&clean);
    let mut out = Vec::new();
    blocks_of(&root.children, &mut out);
    let mut doc = Document::new(out);
    doc.limit_depth();
    doc.normalize();
    doc
}

fn is_block_element(name: &str) -> bool {
    matches!(
        name,
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "blockquote"
            | "figure"
            | "pre"
            | "hr"
            | "table"
            | "div"
            | "section"
            | "article"
            | "aside"
            | "main"
            | "header"
            | "footer"
            | "iframe"
            | "dl"
            | "details"
            | "picture"
            | "li"
            | "tbody"
            | "thead"
            | "tr"
            | "figcaption"
            | "address"
            | "center"
    )
}

/// Block context: block elements become blocks; runs of inline content become paragraphs.
fn blocks_of(nodes: &[Node], out: &mut Vec<Block>) {
    let mut run: Vec<&Node> = Vec::new();
    for n in nodes {
        let is_block = match n {
            Node::Element(e) => is_block_element(&e.name) || e.name == "img" && run_is_blank(&run),
            Node::Text(_) => false,
        };
        let wraps_blocks = match n {
            Node::Element(e) => !is_block && e.descendants().iter().any(|d| is_block_element(&d.name)),
            Node::Text(_) => false,
        };
        if is_block {
            flush(&mut run, out);
            if let Node::Element(e) = n {
                block(e, out);
            }
        } else if wraps_blocks {
            // Inline wrapping blocks (Google Docs' `<b id="docs-internal-guid-…">`): its children are the blocks.
            flush(&mut run, out);
            if let Node::Element(e) = n {
                blocks_of(&e.children, out);
            }
        } else {
            run.push(n);
        }
    }
    flush(&mut run, out);
}

fn run_is_blank(run: &[&Node]) -> bool {
    run.iter().all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()))
}

fn flush(run: &mut Vec<&Node>, out: &mut Vec<Block>) {
    if run.is_empty() {
        return;
    }
    let nodes: Vec<Node> = run.drain(..).cloned().collect();
    paragraphs(&nodes, out);
}

/// A paragraph from inline content; images inside are lifted out as image blocks after what came before them.
fn paragraphs(nodes: &[Node], out: &mut Vec<Block>) {
    let mut content = Vec::new();
    let mut lifted = Vec::new();
    inlines(nodes, &[], &mut content, &mut lifted);
    push_paragraph(content, out);
    out.append(&mut lifted);
}

fn push_paragraph(mut content: Vec<Inline>, out: &mut Vec<Block>) {
    trim_inlines(&mut content);
    normalize_inlines(&mut content);
    if content.is_empty() {
        return;
    }
    if let [Inline::Text { text, marks }] = content.as_slice() {
        let t = text.trim();
        if t == MEMBERS_ONLY_SENTINEL {
            out.push(Block::MembersOnly);
            return;
        }
        let plain = marks.is_empty() || matches!(marks.as_slice(), [Mark::Link { attrs }] if attrs.href.trim() == t);
        if plain && embeds::is_embeddable(t) {
            out.push(Block::Embed { attrs: EmbedAttrs { url: t.to_owned(), ..Default::default() } });
            return;
        }
    }
    out.push(Block::Paragraph { content });
}

/// Collapses whitespace as a browser would and trims the ends.
fn trim_inlines(xs: &mut Vec<Inline>) {
    let mut prev_space = true;
    for x in xs.iter_mut() {
        match x {
            Inline::Text { text, .. } => {
                let mut s = String::with_capacity(text.len());
                for c in text.chars() {
                    if c.is_whitespace() && c != '\u{a0}' {
                        if !prev_space {
                            s.push(' ');
                        }
                        prev_space = true;
                    } else {
                        s.push(c);
                        prev_space = false;
                    }
                }
                *text = s;
            }
            Inline::HardBreak => prev_space = true,
        }
    }
    // Trailing space, and space before a line break.
    let mut i = xs.len();
    let mut trailing = true;
    while i > 0 {
        i -= 1;
        match &mut xs[i] {
            Inline::Text { text, .. } if trailing => {
                let t = text.trim_end_matches(' ').len();
                text.truncate(t);
                if !text.is_empty() {
                    trailing = false;
                }
            }
            Inline::HardBreak => trailing = true,
            _ => {}
        }
    }
    while matches!(xs.last(), Some(Inline::HardBreak)) {
        xs.pop();
    }
    xs.retain(|x| !matches!(x, Inline::Text { text, .. } if text.is_empty()));
}

fn style_has(e: &Element, prop: &str, values: &[&str]) -> bool {
    e.attr("style").is_some_and(|s| {
        s.split(';').any(|decl| {
            let mut kv = decl.splitn(2, ':');
            let k = kv.next().unwrap_or_default().trim().to_ascii_lowercase();
            let v = kv.next().unwrap_or_default().trim().to_ascii_lowercase();
            k == prop && values.iter().any(|want| v.starts_with(want))
        })
    })
}

/// The marks an element adds, and the ones its inline style takes away (Google Docs wraps a whole paste in
/// `<b style="font-weight:normal">`).
fn element_marks(e: &Element, marks: &[Mark]) -> Vec<Mark> {
    let mut m = marks.to_vec();
    let bold_off = style_has(e, "font-weight", &["normal", "400", "300", "lighter"]);
    match e.name.as_str() {
        "strong" | "b" if !bold_off => m.push(Mark::Bold),
        "em" | "i" | "cite" | "dfn" => m.push(Mark::Italic),
        "s" | "del" | "strike" => m.push(Mark::Strike),
        "sup" => m.push(Mark::Superscript),
        "sub" => m.push(Mark::Subscript),
        "code" | "kbd" | "samp" | "tt" => m.push(Mark::Code),
        "a" => {
            if let Some(href) = e.attr("href").filter(|h| is_safe_link(h)) {
                m.retain(|x| !matches!(x, Mark::Link { .. }));
                m.push(Mark::Link {
                    attrs: LinkAttrs {
                        href: href.to_owned(),
                        title: e.attr("title").map(str::to_owned).filter(|t| !t.is_empty()),
                    },
                });
            }
        }
        _ => {}
    }
    if bold_off {
        m.retain(|x| *x != Mark::Bold);
    }
    if style_has(e, "font-weight", &["bold", "600", "700", "800", "900"]) && !m.contains(&Mark::Bold) {
        m.push(Mark::Bold);
    }
    if style_has(e, "font-style", &["italic", "oblique"]) && !m.contains(&Mark::Italic) {
        m.push(Mark::Italic);
    }
    if style_has(e, "font-style", &["normal"]) {
        m.retain(|x| *x != Mark::Italic);
    }
    if style_has(e, "text-decoration", &["line-through"]) && !m.contains(&Mark::Strike) {
        m.push(Mark::Strike);
    }
    if style_has(e, "vertical-align", &["super"]) && !m.contains(&Mark::Superscript) {
        m.push(Mark::Superscript);
    }
    if style_has(e, "vertical-align", &["sub"]) && !m.contains(&Mark::Subscript) {
        m.push(Mark::Subscript);
    }
    m
}

fn inlines(nodes: &[Node], marks: &[Mark], out: &mut Vec<Inline>, lifted: &mut Vec<Block>) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push(Inline::Text { text: t.clone(), marks: marks.to_vec() }),
            Node::Element(e) => match e.name.as_str() {
                "br" => out.push(Inline::HardBreak),
                "img" => {
                    if let Some(f) = figure_of_img(e) {
                        lifted.push(Block::Image { attrs: f });
                    }
                }
                "iframe" => {
                    if let Some(b) = embed_of(e.attr("src").unwrap_or_default(), None, None) {
                        lifted.push(b);
                    }
                }
                _ => inlines(&e.children, &element_marks(e, marks), out, lifted),
            },
        }
    }
}

fn inline_content(e: &Element) -> Vec<Inline> {
    let mut out = Vec::new();
    let mut lifted = Vec::new();
    inlines(&e.children, &[], &mut out, &mut lifted);
    trim_inlines(&mut out);
    normalize_inlines(&mut out);
    out
}

fn opt(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

fn figure_of_img(img: &Element) -> Option<Figure> {
    let src = img.attr("src").or_else(|| img.attr("data-src")).map(str::trim).filter(|s| !s.is_empty())?;
    if !(newsdesk_domain::document::is_web_url(src) || newsdesk_domain::document::is_local_path(src)) {
        return None;
    }
    let dim = |k: &str| img.attr(k).and_then(|v| v.trim().parse::<u32>().ok()).filter(|v| *v > 0);
    Some(Figure {
        src: src.to_owned(),
        alt: img.attr("alt").unwrap_or_default().trim().to_owned(),
        width: dim("width"),
        height: dim("height"),
        media_id: img.attr("data-media-id").and_then(|v| v.parse().ok()),
        ..Default::default()
    })
}

/// Caption and credit from a `<figcaption>`: a `.credit` span (ours) is the credit.
fn caption_of(fig: &Element) -> (Option<String>, Option<String>) {
    let Some(cap) = fig.children.iter().find_map(|c| match c {
        Node::Element(e) if e.name == "figcaption" => Some(e),
        _ => None,
    }) else {
        return (None, None);
    };
    let credit = cap.descendants().into_iter().find(|e| e.has_class("credit")).map(Element::text);
    let mut text = cap.text();
    if let Some(stripped) = credit.as_deref().and_then(|c| text.strip_suffix(c)) {
        text = stripped.trim_end().to_owned();
    }
    (opt(text), credit.and_then(opt))
}

fn size_of(e: &Element) -> ImageSize {
    let has = |c: &str| e.has_class(c) || e.attr("data-size") == Some(c.trim_start_matches("size-"));
    if has("size-full") || e.has_class("kg-width-full") || e.has_class("alignfull") {
        ImageSize::Full
    } else if has("size-wide") || e.has_class("kg-width-wide") || e.has_class("alignwide") {
        ImageSize::Wide
    } else {
        ImageSize::Inline
    }
}

fn embed_of(url: &str, title: Option<String>, caption: Option<String>) -> Option<Block> {
    let url = url.trim();
    let url = if url.starts_with("//") { format!("https:{url}") } else { url.to_owned() };
    if !newsdesk_domain::document::is_web_url(&url) {
        return None;
    }
    Some(Block::Embed { attrs: EmbedAttrs { url, title, caption, provider: None } })
}

fn list_items(e: &Element) -> Vec<ListItem> {
    e.children
        .iter()
        .filter_map(|c| match c {
            Node::Element(li) if li.name == "li" => {
                let mut content = Vec::new();
                blocks_of(&li.children, &mut content);
                Some(ListItem { content, ..Default::default() })
            }
            _ => None,
        })
        .collect()
}

fn table(e: &Element) -> Block {
    let mut rows = Vec::new();
    for tr in e.descendants().into_iter().filter(|x| x.name == "tr") {
        let cells = tr
            .children
            .iter()
            .filter_map(|c| match c {
                Node::Element(td) if td.name == "td" || td.name == "th" => Some(TableCell {
                    kind: if td.name == "th" { CellType::TableHeader } else { CellType::TableCell },
                    content: inline_content(td),
                }),
                _ => None,
            })
            .collect();
        rows.push(TableRow { content: cells, ..Default::default() });
    }
    Block::Table { content: rows }
}

/// One element in block context.
fn block(e: &Element, out: &mut Vec<Block>) {
    match e.name.as_str() {
        "p" => {
            let nodes = &e.children;
            paragraphs(nodes, out)
        }
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let level = e.name[1..].parse().unwrap_or(2);
            let content = inline_content(e);
            if !content.is_empty() {
                out.push(Block::Heading { attrs: HeadingAttrs { level }, content });
            }
        }
        "ul" => out.push(Block::BulletList { content: list_items(e) }),
        "ol" => {
            let start = e.attr("start").and_then(|s| s.parse().ok()).unwrap_or(1);
            out.push(Block::OrderedList { attrs: OrderedAttrs { start }, content: list_items(e) })
        }
        "hr" => out.push(Block::HorizontalRule),
        "pre" => {
            let code = e.find("code");
            let language = code
                .and_then(|c| c.attr("class"))
                .and_then(|c| {
                    c.split_whitespace().find_map(|x| x.strip_prefix("language-").or_else(|| x.strip_prefix("lang-")))
                })
                .map(str::to_owned);
            let mut text = String::new();
            fn raw(e: &Element, s: &mut String) {
                for c in &e.children {
                    match c {
                        Node::Text(t) => s.push_str(t),
                        Node::Element(x) if x.name == "br" => s.push('\n'),
                        Node::Element(x) => raw(x, s),
                    }
                }
            }
            raw(e, &mut text);
            let text = text.trim_end_matches('\n').to_owned();
            let content = if text.is_empty() { Vec::new() } else { vec![Inline::text(text)] };
            out.push(Block::CodeBlock { attrs: CodeAttrs { language }, content })
        }
        "table" => out.push(table(e)),
        "img" => {
            if let Some(f) = figure_of_img(e) {
                out.push(Block::Image { attrs: f });
            }
        }
        "iframe" => out.extend(embed_of(e.attr("src").unwrap_or_default(), e.attr("title").map(str::to_owned), None)),
        "blockquote" => blockquote(e, out),
        "figure" => figure(e, out),
        "aside" | "div" | "section" => container(e, out),
        "li" => blocks_of(&e.children, out),
        _ => blocks_of(&e.children, out),
    }
}

fn blockquote(e: &Element, out: &mut Vec<Block>) {
    // Social posts quoted by their providers' embed code: the link is what counts.
    if e.has_class("twitter-tweet")
        || e.has_class("instagram-media")
        || e.has_class("tiktok-embed")
        || e.has_class("bluesky-embed")
    {
        let link = e
            .descendants()
            .into_iter()
            .filter_map(|a| a.attr("href"))
            .rfind(|h| embeds::recognise(h).is_some())
            .or_else(|| e.attr("cite"));
        if let Some(b) = link.and_then(|l| embed_of(l, None, None)) {
            out.push(b);
            return;
        }
    }
    if e.has_class("kg-blockquote-alt") || e.has_class("pull-quote") || e.has_class("wp-block-pullquote") {
        out.push(pull_quote(e, None));
        return;
    }
    let mut content = Vec::new();
    blocks_of(&e.children, &mut content);
    out.push(Block::Blockquote { content });
}

fn pull_quote(quote: &Element, attribution: Option<String>) -> Block {
    let attribution = attribution.or_else(|| quote.find("cite").map(Element::text).and_then(opt));
    let mut content = Vec::new();
    let mut lifted = Vec::new();
    let body: Vec<Node> = quote
        .children
        .iter()
        .filter(|c| !matches!(c, Node::Element(x) if x.name == "cite" || x.name == "figcaption"))
        .cloned()
        .collect();
    for n in &body {
        let before = content.len();
        match n {
            Node::Element(p) if p.name == "p" => {
                if before > 0 {
                    content.push(Inline::HardBreak);
                }
                inlines(&p.children, &[], &mut content, &mut lifted)
            }
            other => inlines(std::slice::from_ref(other), &[], &mut content, &mut lifted),
        }
    }
    trim_inlines(&mut content);
    normalize_inlines(&mut content);
    let attribution = attribution.map(|a| a.trim_start_matches(['—', '–', '-', ' ']).to_owned()).and_then(opt);
    Block::PullQuote { attrs: PullQuoteAttrs { attribution }, content }
}

fn figure(e: &Element, out: &mut Vec<Block>) {
    let (caption, credit) = caption_of(e);
    // Ours and Ghost's/WordPress's embed figures.
    if e.has_class("embed") || e.class_starts("kg-embed") || e.has_class("wp-block-embed") || e.find("iframe").is_some()
    {
        let title = e.descendants().into_iter().find(|x| x.has_class("embed-title")).map(Element::text).and_then(opt);
        let url = e
            .descendants()
            .into_iter()
            .find(|x| x.has_class("embed-open"))
            .and_then(|a| a.attr("href"))
            .map(str::to_owned)
            .or_else(|| e.find("iframe").and_then(|f| f.attr("src")).map(str::to_owned))
            .or_else(|| {
                // WordPress: the URL as text in `.wp-block-embed__wrapper`.
                let t = e.descendants().into_iter().find(|x| x.has_class("wp-block-embed__wrapper")).map(Element::text);
                t.filter(|t| newsdesk_domain::document::is_web_url(t))
            });
        if let Some(b) = url.and_then(|u| embed_of(&u, title, caption.clone())) {
            out.push(b);
            return;
        }
    }
    if (e.has_class("pull-quote") || e.has_class("wp-block-pullquote"))
        && let Some(q) = e.find("blockquote")
    {
        out.push(pull_quote(q, caption));
        return;
    }
    if let Some(t) = e.find("table") {
        out.push(table(t));
        return;
    }
    let imgs: Vec<&Element> = e.descendants().into_iter().filter(|x| x.name == "img").collect();
    let is_gallery =
        e.has_class("gallery") || e.class_starts("kg-gallery") || e.has_class("wp-block-gallery") || imgs.len() > 1;
    if is_gallery && !imgs.is_empty() {
        // Each photo's own caption when it sits in its own figure.
        let inner: Vec<&Element> = e.descendants().into_iter().filter(|x| x.name == "figure").collect();
        let images = if inner.len() == imgs.len() {
            inner
                .iter()
                .filter_map(|f| {
                    let (c, cr) = caption_of(f);
                    f.find("img").and_then(figure_of_img).map(|fig| Figure { caption: c, credit: cr, ..fig })
                })
                .collect()
        } else {
            imgs.iter().filter_map(|i| figure_of_img(i)).collect()
        };
        // A gallery's own caption is the figcaption that is a direct child.
        out.push(Block::Gallery { attrs: GalleryAttrs { images, caption } });
        return;
    }
    if let Some(img) = imgs.first() {
        if let Some(mut f) = figure_of_img(img) {
            f.caption = caption;
            f.credit = credit;
            f.size = size_of(e);
            f.href = e.find("a").and_then(|a| a.attr("href")).filter(|h| is_safe_link(h)).map(str::to_owned);
            out.push(Block::Image { attrs: f });
        }
        return;
    }
    let mut inner = Vec::new();
    blocks_of(&e.children, &mut inner);
    out.append(&mut inner);
}

fn container(e: &Element, out: &mut Vec<Block>) {
    if e.has_class("raw-html") {
        out.push(Block::Html { attrs: HtmlAttrs { html: e.inner_html() } });
        return;
    }
    if e.has_class("related-card")
        && let Some(post) = e
            .attr("data-post")
            .map(str::to_owned)
            .or_else(|| e.find("a").and_then(|a| a.attr("href")).map(|h| h.trim_matches('/').to_owned()))
    {
        out.push(Block::Related { attrs: RelatedAttrs { post } });
        return;
    }
    if e.has_class("prompt") {
        let kind = if e.attr("data-kind") == Some("donation") || e.has_class("prompt-donation") {
            PromptKind::Donation
        } else {
            PromptKind::Newsletter
        };
        let newsletter = e.attr("data-newsletter").map(str::to_owned).or_else(|| {
            e.descendants()
                .into_iter()
                .find(|x| x.name == "input" && x.attr("name") == Some("newsletter"))
                .and_then(|x| x.attr("value"))
                .map(str::to_owned)
        });
        out.push(Block::Prompt {
            attrs: PromptAttrs { kind, newsletter, text: e.attr("data-text").map(str::to_owned) },
        });
        return;
    }
    if e.has_class("callout")
        || e.has_class("kg-callout-card")
        || e.has_class("wp-block-group") && e.has_class("is-style-callout")
    {
        let title = e.descendants().into_iter().find(|x| x.has_class("callout-title")).map(Element::text).and_then(opt);
        let body: Vec<Node> = e
            .children
            .iter()
            .filter(
                |c| !matches!(c, Node::Element(x) if x.has_class("callout-title") || x.has_class("kg-callout-emoji")),
            )
            .cloned()
            .collect();
        let mut content = Vec::new();
        blocks_of(&body, &mut content);
        out.push(Block::Callout { attrs: CalloutAttrs { title }, content });
        return;
    }
    if e.class_starts("kg-gallery") {
        figure(e, out);
        return;
    }
    blocks_of(&e.children, out);
}
