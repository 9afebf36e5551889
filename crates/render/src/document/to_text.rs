//! Document → plain text, as a listener should hear it and as search reads it: one line per paragraph, headings and
//! list items as sentences; images, galleries, embeds, code, tables and raw HTML left out (captions are read by
//! [`captions`] for search, not narrated).

use newsdesk_domain::document::{Block, Document, Inline};

/// Ends the text so far as a sentence (adds a full stop unless it already ends in punctuation).
pub fn end_sentence(out: &mut String) {
    let trimmed = out.trim_end();
    if trimmed.is_empty() {
        return;
    }
    let last = trimmed.chars().last().unwrap_or('.');
    out.truncate(trimmed.len());
    if !matches!(last, '.' | '!' | '?' | ':' | ';' | '…' | '"' | '”' | '’') {
        out.push('.');
    }
    out.push(' ');
}

fn inlines(out: &mut String, xs: &[Inline]) {
    for x in xs {
        match x {
            Inline::Text { text, .. } => out.push_str(text),
            Inline::HardBreak => out.push(' '),
        }
    }
}

fn blocks(out: &mut String, bs: &[Block]) {
    for b in bs {
        match b {
            Block::Paragraph { content } => {
                inlines(out, content);
                end_sentence(out);
                out.push('\n');
            }
            Block::Heading { content, .. } => {
                inlines(out, content);
                end_sentence(out);
            }
            Block::BulletList { content } | Block::OrderedList { content, .. } => {
                for item in content {
                    for inner in &item.content {
                        match inner {
                            Block::Paragraph { content } => {
                                inlines(out, content);
                                end_sentence(out);
                            }
                            other => blocks(out, std::slice::from_ref(other)),
                        }
                    }
                }
                out.push('\n');
            }
            Block::Blockquote { content } => blocks(out, content),
            Block::Callout { attrs, content } => {
                if let Some(t) = attrs.title.as_deref().filter(|t| !t.trim().is_empty()) {
                    out.push_str(t.trim());
                    end_sentence(out);
                    out.push('\n');
                }
                blocks(out, content)
            }
            // A pull quote repeats words of the story; reading it twice would confuse a listener.
            Block::PullQuote { .. }
            | Block::Image { .. }
            | Block::Gallery { .. }
            | Block::Embed { .. }
            | Block::Table { .. }
            | Block::CodeBlock { .. }
            | Block::HorizontalRule
            | Block::Related { .. }
            | Block::Prompt { .. }
            | Block::MembersOnly
            | Block::Html { .. } => {}
        }
    }
}

/// The body's text, a line per paragraph.
pub fn body_text(doc: &Document) -> String {
    let mut out = String::new();
    blocks(&mut out, &doc.content);
    let lines: Vec<&str> = out.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    lines.join("\n")
}

/// Captions, credits and alt text of every image and embed, for search.
pub fn captions(doc: &Document) -> String {
    let mut out = Vec::new();
    doc.walk(&mut |b| match b {
        Block::Image { attrs } => {
            out.extend([Some(&attrs.alt), attrs.caption.as_ref(), attrs.credit.as_ref()].into_iter().flatten().cloned())
        }
        Block::Gallery { attrs } => {
            for f in &attrs.images {
                out.extend([Some(&f.alt), f.caption.as_ref(), f.credit.as_ref()].into_iter().flatten().cloned());
            }
            out.extend(attrs.caption.clone());
        }
        Block::Embed { attrs } => out.extend([attrs.title.clone(), attrs.caption.clone()].into_iter().flatten()),
        _ => {}
    });
    out.retain(|s| !s.trim().is_empty());
    out.join("\n")
}
