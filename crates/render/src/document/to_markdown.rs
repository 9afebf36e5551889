//! Document → Markdown: the API's `markdown` field, the editor's Markdown mode and the revision diff. What Markdown
//! has syntax for is written as Markdown; the other blocks (pull quotes, captioned figures, galleries, callouts,
//! prompts…) as the HTML the HTML reader takes back, so Markdown → document → Markdown loses nothing.

use newsdesk_domain::document::{Block, CellType, Document, Figure, ImageSize, Inline, ListItem, Mark, PromptKind};

use super::to_html::{Target, Writer};
use super::{Env, escape};

pub fn to_markdown(doc: &Document) -> String {
    let mut parts: Vec<String> = Vec::new();
    for b in &doc.content {
        parts.push(block(b));
    }
    parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join("\n\n")
}

fn blocks(bs: &[Block], tight: bool) -> String {
    bs.iter().map(block).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(if tight { "\n" } else { "\n\n" })
}

/// HTML for a block Markdown cannot write, on lines with no blank line between them (a blank line would end the
/// Markdown HTML block).
fn as_html(b: &Block) -> String {
    let env = Env::default();
    let mut w = Writer { env: &env, target: Target::Page, out: String::new(), seq: 0 };
    w.blocks(std::slice::from_ref(b));
    let html = w.out.trim_end().to_owned();
    html.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n")
}

fn block(b: &Block) -> String {
    match b {
        Block::Paragraph { content } => {
            let text = inlines(content);
            // A line that would read as something else (a heading, a list, a rule) is escaped at its start.
            escape_line_start(&text)
        }
        Block::Heading { attrs, content } => {
            format!("{} {}", "#".repeat(usize::from(attrs.level.clamp(1, 6))), inlines(content))
        }
        Block::BulletList { content } => list(content, None),
        Block::OrderedList { attrs, content } => list(content, Some(attrs.start)),
        Block::Blockquote { content } => {
            let inner = blocks(content, false);
            inner
                .lines()
                .map(|l| if l.is_empty() { ">".to_owned() } else { format!("> {l}") })
                .collect::<Vec<_>>()
                .join("\n")
        }
        Block::Image { attrs } if simple_image(attrs) => {
            let title =
                attrs.caption.as_deref().map(|c| format!(" \"{}\"", c.replace('"', "\\\""))).unwrap_or_default();
            format!("![{}]({}{title})", escape_text(&attrs.alt), link_dest(&attrs.src))
        }
        Block::Image { attrs } => {
            // The page's figure, with what only Markdown's reader needs.
            let html = as_html(b);
            let mut extra = format!(" data-size=\"{}\"", attrs.size.as_str());
            if let Some(id) = attrs.media_id {
                extra.push_str(&format!(" data-media-id=\"{id}\""));
            }
            html.replacen("<img ", &format!("<img{extra} "), 1)
        }
        Block::Gallery { attrs } => {
            let mut html = as_html(b);
            for f in &attrs.images {
                if let Some(id) = f.media_id {
                    let needle = format!("<img src=\"{}\"", escape(&f.src));
                    html =
                        html.replacen(&needle, &format!("<img data-media-id=\"{id}\" src=\"{}\"", escape(&f.src)), 1);
                }
            }
            html
        }
        Block::Embed { attrs }
            if attrs.title.is_none() && attrs.caption.is_none() && super::embeds::is_embeddable(&attrs.url) =>
        {
            attrs.url.clone()
        }
        Block::Table { content }
            if content.first().is_some_and(|r| {
                !r.content.is_empty() && r.content.iter().all(|c| c.kind == CellType::TableHeader)
            }) =>
        {
            let cols = content[0].content.len();
            let mut out = Vec::new();
            for (i, row) in content.iter().enumerate() {
                let mut cells: Vec<String> =
                    row.content.iter().map(|c| inlines(&c.content).replace('|', "\\|")).collect();
                cells.resize(cols, String::new());
                out.push(format!("| {} |", cells.join(" | ")));
                if i == 0 {
                    out.push(format!("|{}|", vec![" --- "; cols].join("|")));
                }
            }
            out.join("\n")
        }
        Block::CodeBlock { attrs, content } => {
            let text = super::code_text(content);
            let mut fence = "```".to_owned();
            while text.contains(&fence) {
                fence.push('`');
            }
            format!("{fence}{}\n{text}\n{fence}", attrs.language.as_deref().unwrap_or(""))
        }
        Block::HorizontalRule => "---".to_owned(),
        Block::MembersOnly => "<!--members-only-->".to_owned(),
        Block::Related { attrs } => {
            format!("<aside class=\"related-card\" data-post=\"{}\"></aside>", escape(&attrs.post))
        }
        Block::Prompt { attrs } => {
            let kind = match attrs.kind {
                PromptKind::Newsletter => "newsletter",
                PromptKind::Donation => "donation",
            };
            let mut s = format!("<aside class=\"prompt\" data-kind=\"{kind}\"");
            if let Some(n) = &attrs.newsletter {
                s.push_str(&format!(" data-newsletter=\"{}\"", escape(n)));
            }
            if let Some(t) = &attrs.text {
                s.push_str(&format!(" data-text=\"{}\"", escape(t)));
            }
            s.push_str("></aside>");
            s
        }
        Block::Html { attrs } => {
            let inner: String = attrs.html.lines().filter(|l| !l.trim().is_empty()).collect::<Vec<_>>().join("\n");
            format!("<div class=\"raw-html\">{inner}</div>")
        }
        Block::PullQuote { .. } | Block::Callout { .. } | Block::Embed { .. } | Block::Table { .. } => as_html(b),
    }
}

fn simple_image(f: &Figure) -> bool {
    f.credit.is_none()
        && f.size == ImageSize::Inline
        && f.width.is_none()
        && f.height.is_none()
        && f.href.is_none()
        && f.media_id.is_none()
}

fn list(items: &[ListItem], start: Option<u32>) -> String {
    let tight = items.iter().all(|i| {
        matches!(i.content.as_slice(), [] | [Block::Paragraph { .. }])
            || matches!(i.content.as_slice(), [Block::Paragraph { .. }, rest @ ..] if rest.iter().all(|b| matches!(b, Block::BulletList { .. } | Block::OrderedList { .. })))
    });
    let mut out = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let marker = match start {
            Some(s) => format!("{}. ", u64::from(s) + n as u64),
            None => "- ".to_owned(),
        };
        let body = blocks(&item.content, tight);
        let pad = " ".repeat(marker.len());
        let mut lines = body.lines();
        let first = lines.next().unwrap_or("");
        let mut text = format!("{marker}{first}");
        for l in lines {
            text.push('\n');
            if !l.is_empty() {
                text.push_str(&pad);
                text.push_str(l);
            }
        }
        out.push(text);
    }
    out.join(if tight { "\n" } else { "\n\n" })
}

fn link_dest(s: &str) -> String {
    if s.contains([' ', '(', ')', '<', '>']) {
        format!("<{}>", s.replace('<', "%3C").replace('>', "%3E"))
    } else {
        s.to_owned()
    }
}

/// Backslash-escapes what Markdown would read as syntax inside a line, and the straight quotes and dashes smart
/// punctuation would change.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = '\0';
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '"' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            '!' => out.push('!'),
            '-' if prev == '-' => out.push_str("\\-"),
            '.' if prev == '.' => out.push_str("\\."),
            '&' => out.push_str("\\&"),
            _ => out.push(c),
        }
        prev = c;
    }
    out
}

fn escape_line_start(text: &str) -> String {
    let t = text.trim_start();
    let starts_block = t.starts_with('#')
        || t.starts_with("- ")
        || t.starts_with("+ ")
        || t.starts_with('=')
        || t == "-"
        || t.starts_with("---")
        || t.starts_with("***")
        || {
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            digits > 0 && t[digits..].starts_with(['.', ')'])
        };
    let mut s = if starts_block {
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        if digits > 0 { format!("{}\\{}", &t[..digits], &t[digits..]) } else { format!("\\{t}") }
    } else {
        text.to_owned()
    };
    // Leading spaces would make an indented code block.
    if s.starts_with("    ") {
        s = format!("&#32;{}", s.trim_start());
    }
    s
}

/// Moves spaces at the edge of formatted text outside the delimiters (`**bold **` is not bold in Markdown).
fn tidy(xs: &[Inline]) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    for x in xs {
        match x {
            Inline::Text { text, marks } if !marks.is_empty() && !marks.contains(&Mark::Code) => {
                let lead = text.len() - text.trim_start().len();
                let trail = text.len() - text.trim_end().len();
                if lead > 0 {
                    out.push(Inline::Text { text: text[..lead].to_owned(), marks: Vec::new() });
                }
                let core = text.trim();
                if !core.is_empty() {
                    out.push(Inline::Text { text: core.to_owned(), marks: marks.clone() });
                }
                if trail > 0 && text.trim().len() + lead < text.len() {
                    out.push(Inline::Text { text: text[text.len() - trail..].to_owned(), marks: Vec::new() });
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn inlines(xs: &[Inline]) -> String {
    let xs = tidy(xs);
    let mut out = String::new();
    let mut open: Vec<&Mark> = Vec::new();
    for x in &xs {
        match x {
            Inline::HardBreak => out.push_str("\\\n"),
            Inline::Text { text, marks } => {
                let keep = open.iter().zip(marks.iter()).take_while(|(a, b)| **a == *b).count();
                while open.len() > keep {
                    if let Some(m) = open.pop() {
                        out.push_str(&close(m));
                    }
                }
                let code = marks.contains(&Mark::Code);
                for m in &marks[keep..] {
                    if *m != Mark::Code {
                        out.push_str(open_mark(m));
                        open.push(m);
                    }
                }
                if code {
                    let mut fence = "`".to_owned();
                    while text.contains(&fence) {
                        fence.push('`');
                    }
                    let pad = if text.starts_with('`') || text.ends_with('`') { " " } else { "" };
                    out.push_str(&format!("{fence}{pad}{text}{pad}{fence}"));
                } else {
                    out.push_str(&escape_text(text));
                }
            }
        }
    }
    while let Some(m) = open.pop() {
        out.push_str(&close(m));
    }
    out
}

fn open_mark(m: &Mark) -> &'static str {
    match m {
        Mark::Link { .. } => "[",
        Mark::Bold => "**",
        Mark::Italic => "*",
        Mark::Strike => "~~",
        Mark::Superscript => "<sup>",
        Mark::Subscript => "<sub>",
        Mark::Code => "",
    }
}

fn close(m: &Mark) -> String {
    match m {
        Mark::Link { attrs } => {
            let title = attrs.title.as_deref().map(|t| format!(" \"{}\"", t.replace('"', "\\\""))).unwrap_or_default();
            format!("]({}{title})", link_dest(&attrs.href))
        }
        Mark::Bold => "**".into(),
        Mark::Italic => "*".into(),
        Mark::Strike => "~~".into(),
        Mark::Superscript => "</sup>".into(),
        Mark::Subscript => "</sub>".into(),
        Mark::Code => String::new(),
    }
}
