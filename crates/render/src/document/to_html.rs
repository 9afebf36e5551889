//! Document → HTML for the article page (and the feeds' content), and → HTML for newsletter e-mail. Both run when a
//! story is saved. Every text and attribute is escaped here; raw HTML blocks go through the one sanitiser.

use newsdesk_domain::document::{Block, Figure, ImageSize, Inline, ListItem, Mark, PromptKind, TableRow};

use super::embeds::{self, EmbedKind};
use super::{Env, escape};
use crate::sanitize_html;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    Page,
    Email,
}

pub(super) struct Writer<'a> {
    pub env: &'a Env,
    pub target: Target,
    pub out: String,
    /// Counts prompts and embeds so each form and control gets its own id.
    pub seq: usize,
}

impl Writer<'_> {
    fn url(&self, u: &str) -> String {
        if self.target == Target::Email && u.starts_with('/') {
            format!("{}{}", self.env.site_url.trim_end_matches('/'), u)
        } else {
            u.to_owned()
        }
    }

    pub fn blocks(&mut self, blocks: &[Block]) {
        for b in blocks {
            self.block(b);
        }
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Paragraph { content } => {
                if content.is_empty() {
                    return;
                }
                self.out.push_str("<p>");
                self.inlines(content);
                self.out.push_str("</p>\n");
            }
            Block::Heading { attrs, content } => {
                let l = attrs.level.clamp(1, 6);
                self.out.push_str(&format!("<h{l}>"));
                self.inlines(content);
                self.out.push_str(&format!("</h{l}>\n"));
            }
            Block::BulletList { content } => self.list("ul", "", content),
            Block::OrderedList { attrs, content } => {
                let start = if attrs.start != 1 { format!(" start=\"{}\"", attrs.start) } else { String::new() };
                self.list("ol", &start, content)
            }
            Block::Blockquote { content } => {
                self.out.push_str("<blockquote>\n");
                self.blocks(content);
                self.out.push_str("</blockquote>\n");
            }
            Block::PullQuote { attrs, content } => {
                self.out.push_str("<figure class=\"pull-quote\"><blockquote><p>");
                self.inlines(content);
                self.out.push_str("</p></blockquote>");
                if let Some(a) = attrs.attribution.as_deref().filter(|a| !a.trim().is_empty()) {
                    self.out.push_str(&format!("<figcaption>{}</figcaption>", escape(a)));
                }
                self.out.push_str("</figure>\n");
            }
            Block::Image { attrs } => {
                self.out.push_str(&format!("<figure class=\"block-image size-{}\">", attrs.size.as_str()));
                let sizes = match attrs.size {
                    ImageSize::Inline => "(min-width: 1100px) 720px, 100vw",
                    ImageSize::Wide => "(min-width: 1100px) 1000px, 100vw",
                    ImageSize::Full => "100vw",
                };
                self.image(attrs, sizes, false);
                let (caption, credit) = self.caption_of(attrs);
                self.caption(caption.as_deref(), credit.as_deref());
                self.out.push_str("</figure>\n");
            }
            Block::Gallery { attrs } => {
                if attrs.images.is_empty() {
                    return;
                }
                self.out.push_str(&format!(
                    "<figure class=\"gallery gallery-{}\"><ul class=\"gallery-images\">",
                    attrs.images.len().min(4)
                ));
                for f in &attrs.images {
                    self.out.push_str("<li><figure>");
                    self.image(f, "(min-width: 1100px) 240px, 50vw", true);
                    let (caption, credit) = self.caption_of(f);
                    self.caption(caption.as_deref(), credit.as_deref());
                    self.out.push_str("</figure></li>");
                }
                self.out.push_str("</ul>");
                self.caption(attrs.caption.as_deref(), None);
                self.out.push_str("</figure>\n");
            }
            Block::Embed { attrs } => self.embed(attrs),
            Block::Callout { attrs, content } => {
                self.out.push_str("<aside class=\"callout\">");
                if let Some(t) = attrs.title.as_deref().filter(|t| !t.trim().is_empty()) {
                    self.out.push_str(&format!("<p class=\"callout-title\"><strong>{}</strong></p>", escape(t)));
                }
                self.out.push('\n');
                self.blocks(content);
                self.out.push_str("</aside>\n");
            }
            Block::Table { content } => self.table(content),
            Block::CodeBlock { attrs, content } => {
                let text = super::code_text(content);
                let class = attrs
                    .language
                    .as_deref()
                    .filter(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'+'))
                    .map(|l| format!(" class=\"language-{l}\""))
                    .unwrap_or_default();
                self.out.push_str(&format!("<pre><code{class}>{}</code></pre>\n", escape(&text)));
            }
            Block::HorizontalRule => self.out.push_str("<hr>\n"),
            Block::Related { attrs } => self.related(&attrs.post),
            Block::Prompt { attrs } => self.prompt(attrs.kind, attrs.newsletter.as_deref(), attrs.text.as_deref()),
            Block::MembersOnly => self.out.push_str("<!--members-only-->\n"),
            Block::Html { attrs } => {
                self.out.push_str("<div class=\"raw-html\">");
                self.out.push_str(&sanitize_html(&attrs.html));
                self.out.push_str("</div>\n");
            }
        }
    }

    fn list(&mut self, tag: &str, extra: &str, items: &[ListItem]) {
        self.out.push_str(&format!("<{tag}{extra}>\n"));
        for item in items {
            self.out.push_str("<li>");
            // A tight item (one paragraph) is written without <p>, as Markdown renders it.
            match item.content.as_slice() {
                [Block::Paragraph { content }] => self.inlines(content),
                [Block::Paragraph { content }, rest @ ..]
                    if rest.iter().all(|b| matches!(b, Block::BulletList { .. } | Block::OrderedList { .. })) =>
                {
                    self.inlines(content);
                    self.out.push('\n');
                    self.blocks(rest);
                }
                other => {
                    self.out.push('\n');
                    self.blocks(other)
                }
            }
            self.out.push_str("</li>\n");
        }
        self.out.push_str(&format!("</{tag}>\n"));
    }

    /// The figure's caption and credit, else the library file's defaults.
    fn caption_of(&self, f: &Figure) -> (Option<String>, Option<String>) {
        let m = self.env.media_for(f);
        (
            f.caption.clone().or_else(|| m.and_then(|m| m.caption.clone())),
            f.credit.clone().or_else(|| m.and_then(|m| m.credit.clone())),
        )
    }

    /// An image: a library file as `<picture>` (WebP with a JPEG fallback, at the widths rendered, sized for its
    /// block, with width and height so the page never shifts); any other address as a plain `<img>`.
    fn image(&mut self, f: &Figure, sizes: &str, cropped: bool) {
        let media = self.env.media_for(f);
        let alt = if f.alt.is_empty() { media.and_then(|m| m.alt.clone()).unwrap_or_default() } else { f.alt.clone() };
        let (w, h) = match media {
            Some(m) if m.width > 0 => (Some(m.width), Some(m.height)),
            _ => (f.width, f.height),
        };
        let size = match (w, h) {
            (Some(w), Some(h)) => format!(" width=\"{w}\" height=\"{h}\""),
            _ => String::new(),
        };
        let img = match (media, self.target) {
            (_, Target::Email) => {
                let src = media.map(|m| m.files.url(m.files.largest(), "jpg")).unwrap_or_else(|| f.src.clone());
                format!(
                    "<img src=\"{}\" alt=\"{}\"{size} style=\"max-width:100%;height:auto\">",
                    escape(&self.url(&src)),
                    escape(&alt)
                )
            }
            (Some(m), Target::Page) => {
                let focal = if cropped {
                    format!(" style=\"object-position: {}% {}%\"", m.focal.0, m.focal.1)
                } else {
                    String::new()
                };
                let webp = if m.files.webp {
                    format!(
                        "<source type=\"image/webp\" srcset=\"{}\" sizes=\"{sizes}\">",
                        escape(&m.files.srcset("webp"))
                    )
                } else {
                    String::new()
                };
                format!(
                    "<picture>{webp}<img src=\"{}\" srcset=\"{}\" sizes=\"{sizes}\" alt=\"{}\"{size}{focal} loading=\"lazy\" decoding=\"async\"></picture>",
                    escape(&m.files.url(m.files.largest(), "jpg")),
                    escape(&m.files.srcset("jpg")),
                    escape(&alt)
                )
            }
            (None, Target::Page) => {
                format!(
                    "<img src=\"{}\" alt=\"{}\"{size} loading=\"lazy\" decoding=\"async\">",
                    escape(&f.src),
                    escape(&alt)
                )
            }
        };
        match f.href.as_deref() {
            Some(h) => self.out.push_str(&format!("<a href=\"{}\">{img}</a>", escape(&self.url(h)))),
            None => self.out.push_str(&img),
        }
    }

    fn caption(&mut self, caption: Option<&str>, credit: Option<&str>) {
        let caption = caption.map(str::trim).filter(|c| !c.is_empty());
        let credit = credit.map(str::trim).filter(|c| !c.is_empty());
        if caption.is_none() && credit.is_none() {
            return;
        }
        self.out.push_str("<figcaption>");
        if let Some(c) = caption {
            self.out.push_str(&escape(c));
        }
        if let Some(c) = credit {
            if caption.is_some() {
                self.out.push(' ');
            }
            self.out.push_str(&format!("<span class=\"credit\">{}</span>", escape(c)));
        }
        self.out.push_str("</figcaption>");
    }

    fn embed(&mut self, e: &newsdesk_domain::document::EmbedAttrs) {
        let known = embeds::recognise(&e.url);
        let provider = known
            .as_ref()
            .map(|k| k.provider.clone())
            .or_else(|| e.provider.clone())
            .unwrap_or_else(|| embeds::host_name(&e.url));
        let kind = known.as_ref().map(|k| k.kind).unwrap_or(EmbedKind::Link);
        let title = e.title.as_deref().filter(|t| !t.trim().is_empty());
        let link_text = format!("{} on {provider}", kind.verb());
        if self.target == Target::Email {
            self.out.push_str(&format!(
                "<p class=\"embed\"><a href=\"{}\">{}{}</a></p>\n",
                escape(&e.url),
                title.map(|t| format!("{}: ", escape(t))).unwrap_or_default(),
                escape(&link_text)
            ));
            return;
        }
        self.seq += 1;
        let frame = known.as_ref().and_then(|k| k.frame.as_deref().map(|f| (f, k.ratio)));
        let data = frame
            .map(|(src, ratio)| format!(" data-embed-src=\"{}\" data-embed-ratio=\"{ratio}\"", escape(src)))
            .unwrap_or_default();
        self.out.push_str(&format!(
            "<figure class=\"embed embed-{}\"{data}><div class=\"embed-preview\"><p class=\"embed-provider\">{}</p>",
            kind.as_str(),
            escape(&provider)
        ));
        if let Some(t) = title {
            self.out.push_str(&format!("<p class=\"embed-title\">{}</p>", escape(t)));
        }
        self.out.push_str(&format!(
            "<p class=\"embed-actions\"><a class=\"embed-open\" href=\"{}\" rel=\"noopener noreferrer\">{}</a></p>",
            escape(&e.url),
            escape(&link_text)
        ));
        if frame.is_some() {
            self.out.push_str(&format!(
                "<p class=\"embed-notice\">Playing it here loads content from {}, which may set cookies.</p>",
                escape(&provider)
            ));
        }
        self.out.push_str("</div>");
        self.caption(e.caption.as_deref(), None);
        self.out.push_str("</figure>\n");
    }

    fn table(&mut self, rows: &[TableRow]) {
        if rows.is_empty() {
            return;
        }
        self.out.push_str("<div class=\"table-wrap\"><table>\n");
        let head = rows[0].content.iter().all(|c| c.kind == newsdesk_domain::document::CellType::TableHeader);
        for (i, row) in rows.iter().enumerate() {
            if i == 0 && head {
                self.out.push_str("<thead>");
            } else if i == usize::from(head) {
                self.out.push_str("<tbody>");
            }
            self.out.push_str("<tr>");
            for cell in &row.content {
                // An empty heading cell is no heading (screen readers would announce nothing as one).
                let heading = cell.kind == newsdesk_domain::document::CellType::TableHeader && !cell.content.is_empty();
                let tag = if heading { "th" } else { "td" };
                self.out.push_str(&format!("<{tag}>"));
                self.inlines(&cell.content);
                self.out.push_str(&format!("</{tag}>"));
            }
            self.out.push_str("</tr>\n");
            if i == 0 && head {
                self.out.push_str("</thead>\n");
            }
        }
        if rows.len() > usize::from(head) {
            self.out.push_str("</tbody>");
        }
        self.out.push_str("</table></div>\n");
    }

    fn related(&mut self, key: &str) {
        let Some(card) = self.env.related.get(key.trim().trim_matches('/')) else { return };
        let url = escape(&self.url(&card.url));
        if self.target == Target::Email {
            self.out.push_str(&format!(
                "<p class=\"related-card\"><strong>Related:</strong> <a href=\"{url}\">{}</a></p>\n",
                escape(&card.title)
            ));
            return;
        }
        self.out.push_str(&format!("<aside class=\"related-card\" aria-label=\"Related story\"><a href=\"{url}\">"));
        if let Some(src) = &card.image {
            self.out.push_str(&format!("<img src=\"{}\" alt=\"\" loading=\"lazy\" decoding=\"async\">", escape(src)));
        }
        self.out.push_str("<span class=\"related-text\">");
        if let Some(k) = &card.kicker {
            self.out.push_str(&format!("<span class=\"kicker\">{}</span> ", escape(k)));
        }
        self.out.push_str(&format!("<span class=\"related-title\">{}</span>", escape(&card.title)));
        self.out.push_str("</span></a></aside>\n");
    }

    fn prompt(&mut self, kind: PromptKind, newsletter: Option<&str>, text: Option<&str>) {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        match kind {
            PromptKind::Donation => {
                let text = text.unwrap_or(
                    "Our journalism is paid for by our readers. If you value it, help keep it free for everyone.",
                );
                self.out.push_str(&format!(
                    "<aside class=\"prompt prompt-donation\"><p>{}</p><p><a class=\"button\" href=\"{}\">Support our journalism</a></p></aside>\n",
                    escape(text),
                    escape(&self.url("/support/"))
                ));
            }
            PromptKind::Newsletter => {
                let n = match newsletter.map(str::trim).filter(|s| !s.is_empty()) {
                    Some(slug) => self.env.newsletters.iter().find(|n| n.slug == slug),
                    None => self.env.newsletters.first(),
                };
                let Some(n) = n else { return };
                if self.target == Target::Email {
                    return; // The reader of a newsletter is already subscribed.
                }
                self.seq += 1;
                let id = format!("nl-body-{}", self.seq);
                let intro = text.map(str::to_owned).or_else(|| n.description.clone()).unwrap_or_default();
                self.out.push_str(&format!(
                    "<aside class=\"prompt newsletter-signup\" aria-labelledby=\"{id}-heading\"><h2 id=\"{id}-heading\">Get {name} in your inbox</h2>{intro}\
                     <form method=\"post\" action=\"/newsletters/subscribe\" class=\"signup-form\" novalidate>\
                     <p class=\"required-note\"><span class=\"req\" aria-hidden=\"true\">*</span> indicates required</p>\
                     <input type=\"hidden\" name=\"newsletter\" value=\"{slug}\">\
                     <label for=\"{id}-email\">Email address <span class=\"req\" aria-hidden=\"true\">*</span></label>\
                     <div class=\"signup-row\"><input type=\"email\" id=\"{id}-email\" name=\"email\" required autocomplete=\"email\" aria-describedby=\"{id}-message\"><button type=\"submit\">Subscribe</button></div>\
                     <div class=\"hp\" aria-hidden=\"true\"><label for=\"{id}-website\">Leave this empty</label><input type=\"text\" id=\"{id}-website\" name=\"website\" tabindex=\"-1\" autocomplete=\"off\"></div>\
                     <p class=\"signup-message\" id=\"{id}-message\" aria-live=\"polite\"></p><p class=\"consent\">{consent}</p></form></aside>\n",
                    name = escape(&n.name),
                    slug = escape(&n.slug),
                    intro = if intro.is_empty() { String::new() } else { format!("<p class=\"signup-intro\">{}</p>", escape(&intro)) },
                    consent = escape(&self.env.consent_text),
                ));
            }
        }
    }

    pub fn inlines(&mut self, xs: &[Inline]) {
        let mut open: Vec<&Mark> = Vec::new();
        for x in xs {
            match x {
                Inline::HardBreak => self.out.push_str("<br>"),
                Inline::Text { text, marks } => {
                    // Keep the marks this text shares with the one before open; close the rest, open the new ones.
                    let keep = open.iter().zip(marks.iter()).take_while(|(a, b)| **a == *b).count();
                    while open.len() > keep {
                        if let Some(m) = open.pop() {
                            self.close(m);
                        }
                    }
                    for m in &marks[keep..] {
                        self.open(m);
                        open.push(m);
                    }
                    self.out.push_str(&escape(text));
                }
            }
        }
        while let Some(m) = open.pop() {
            self.close(m);
        }
    }

    fn open(&mut self, m: &Mark) {
        match m {
            Mark::Link { attrs } => {
                let title = attrs.title.as_deref().map(|t| format!(" title=\"{}\"", escape(t))).unwrap_or_default();
                let external = attrs.href.starts_with("http");
                self.out.push_str(&format!(
                    "<a href=\"{}\"{title}{}>",
                    escape(&self.url(&attrs.href)),
                    if external { " rel=\"noopener noreferrer\"" } else { "" }
                ));
            }
            Mark::Bold => self.out.push_str("<strong>"),
            Mark::Italic => self.out.push_str("<em>"),
            Mark::Strike => self.out.push_str("<s>"),
            Mark::Superscript => self.out.push_str("<sup>"),
            Mark::Subscript => self.out.push_str("<sub>"),
            Mark::Code => self.out.push_str("<code>"),
        }
    }

    fn close(&mut self, m: &Mark) {
        self.out.push_str(match m {
            Mark::Link { .. } => "</a>",
            Mark::Bold => "</strong>",
            Mark::Italic => "</em>",
            Mark::Strike => "</s>",
            Mark::Superscript => "</sup>",
            Mark::Subscript => "</sub>",
            Mark::Code => "</code>",
        });
    }
}
