//! Ghost's Lexical documents (Ghost 5 and 6, the `lexical` column) as HTML, for posts exported without `html`.
//!
//! A Lexical document is a tree: `root` holds blocks (paragraph, heading, quote, aside, list) of inline nodes (text
//! with a format bit set, link, line break) and Ghost's card nodes, which [`super::cards`] renders.

use serde_json::Value;

use super::cards::{Rendered, card, esc};

/// Lexical's text format bits.
const FORMATS: &[(u64, &str)] =
    &[(1, "strong"), (2, "em"), (4, "s"), (8, "u"), (16, "code"), (32, "sub"), (64, "sup"), (128, "mark")];

/// Renders a `lexical` value (the JSON text Ghost stores).
pub fn render(source: &str) -> Result<Rendered, String> {
    let v: Value = serde_json::from_str(source).map_err(|e| format!("lexical: not JSON ({e})"))?;
    let root = v.get("root").ok_or("lexical: no root node")?;
    let mut out = Rendered::default();
    for node in children(root) {
        block(node, &mut out);
    }
    Ok(out)
}

fn children(v: &Value) -> impl Iterator<Item = &Value> {
    v.get("children").and_then(Value::as_array).into_iter().flatten()
}

fn kind(v: &Value) -> &str {
    v.get("type").and_then(Value::as_str).unwrap_or_default()
}

fn inline_html(v: &Value) -> String {
    let mut s = String::new();
    for c in children(v) {
        inline(c, &mut s);
    }
    s
}

fn inline(v: &Value, out: &mut String) {
    match kind(v) {
        "text" | "extended-text" | "hashtag" => {
            let text = esc(v.get("text").and_then(Value::as_str).unwrap_or_default());
            let format = v.get("format").and_then(Value::as_u64).unwrap_or(0);
            let tags: Vec<&str> = FORMATS.iter().filter(|(bit, _)| format & bit != 0).map(|(_, t)| *t).collect();
            for t in &tags {
                out.push_str(&format!("<{t}>"));
            }
            out.push_str(&text);
            for t in tags.iter().rev() {
                out.push_str(&format!("</{t}>"));
            }
        }
        "link" | "autolink" => {
            let url = v.get("url").and_then(Value::as_str).unwrap_or_default();
            out.push_str(&format!("<a href=\"{}\">{}</a>", esc(url), inline_html(v)));
        }
        "linebreak" => out.push_str("<br>"),
        "tab" => out.push('\t'),
        _ => out.push_str(&inline_html(v)),
    }
}

fn list(v: &Value) -> String {
    let ordered = v.get("listType").and_then(Value::as_str) == Some("number");
    let tag = if ordered { "ol" } else { "ul" };
    let start = v.get("start").and_then(Value::as_u64).filter(|s| ordered && *s > 1);
    let mut s = match start {
        Some(n) => format!("<{tag} start=\"{n}\">"),
        None => format!("<{tag}>"),
    };
    for item in children(v) {
        s.push_str("<li>");
        for c in children(item) {
            if kind(c) == "list" {
                s.push_str(&list(c));
            } else {
                inline(c, &mut s);
            }
        }
        s.push_str("</li>");
    }
    s.push_str(&format!("</{tag}>"));
    s
}

fn block(v: &Value, out: &mut Rendered) {
    match kind(v) {
        "paragraph" => out.html(&format!("<p>{}</p>", inline_html(v))),
        "heading" | "extended-heading" => {
            let tag =
                v.get("tag").and_then(Value::as_str).filter(|t| t.len() == 2 && t.starts_with('h')).unwrap_or("h2");
            out.html(&format!("<{tag}>{}</{tag}>", inline_html(v)));
        }
        "quote" | "extended-quote" => out.html(&format!("<blockquote><p>{}</p></blockquote>", inline_html(v))),
        "aside" => out.html(&format!("<blockquote class=\"kg-blockquote-alt\"><p>{}</p></blockquote>", inline_html(v))),
        "list" => out.html(&list(v)),
        other => card(other, v, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_marks_lists_and_cards() {
        let doc = r#"{"root":{"type":"root","children":[
            {"type":"heading","tag":"h2","children":[{"type":"text","text":"Tides & dredging","format":0}]},
            {"type":"paragraph","children":[{"type":"text","text":"Bold","format":1},{"type":"text","text":" and "},
              {"type":"link","url":"https://example.org/a?b=1&c=2","children":[{"type":"text","text":"a link","format":2}]}]},
            {"type":"list","listType":"number","start":3,"children":[{"type":"listitem","children":[{"type":"text","text":"three"}]}]},
            {"type":"image","src":"__GHOST_URL__/content/images/2024/05/quay.jpg","alt":"The quay","caption":"Photo: <a href=\"https://wire.example\">Wire</a>","cardWidth":"wide"},
            {"type":"paywall"},
            {"type":"signup","header":"Join"}
        ]}}"#;
        let r = render(doc).unwrap();
        let super::super::cards::Part::Html(html) = &r.parts[0] else { panic!() };
        assert!(html.contains("<h2>Tides &amp; dredging</h2>"), "{html}");
        assert!(html.contains("<strong>Bold</strong>"), "{html}");
        assert!(html.contains("<a href=\"https://example.org/a?b=1&amp;c=2\"><em>a link</em></a>"), "{html}");
        assert!(html.contains("<ol start=\"3\"><li>three</li></ol>"), "{html}");
        assert!(html.contains("kg-width-wide"), "{html}");
        assert!(html.contains("<!--members-only-->"), "{html}");
        assert_eq!(r.dropped.get("signup"), Some(&1));
        let d = r.document();
        assert!(d.content.iter().any(|b| matches!(b, newsdesk_domain::document::Block::MembersOnly)));
        assert!(render("{}").is_err());
    }
}
