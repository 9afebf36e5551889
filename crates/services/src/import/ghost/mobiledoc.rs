//! Ghost's mobiledoc documents (Ghost 1 to 4, the `mobiledoc` column) as HTML, for posts exported without `html`.
//!
//! Mobiledoc 0.3 keeps a body as `sections` — markup sections (`[1, "p", markers]`), images (`[2, src]`), lists
//! (`[3, "ul", items]`) and cards (`[10, index]`) — where markers open and close markups (`["a", ["href", …]]`)
//! around text or atoms (`soft-return` is a line break).

use serde_json::Value;

use super::cards::{Rendered, card, esc};

/// The tags a markup section or a markup may be (others are read as a paragraph or dropped).
const SECTION_TAGS: &[&str] = &["p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "aside", "pull-quote"];
const MARKUP_TAGS: &[&str] = &["a", "b", "strong", "i", "em", "s", "u", "code", "sub", "sup"];

/// Renders a `mobiledoc` value (the JSON text Ghost stores).
pub fn render(source: &str) -> Result<Rendered, String> {
    let v: Value = serde_json::from_str(source).map_err(|e| format!("mobiledoc: not JSON ({e})"))?;
    let sections = v.get("sections").and_then(Value::as_array).ok_or("mobiledoc: no sections")?;
    let arr = |k: &str| v.get(k).and_then(Value::as_array).cloned().unwrap_or_default();
    let doc = Doc { markups: arr("markups"), atoms: arr("atoms"), cards: arr("cards") };
    let mut out = Rendered::default();
    for section in sections {
        doc.section(section, &mut out);
    }
    Ok(out)
}

struct Doc {
    markups: Vec<Value>,
    atoms: Vec<Value>,
    cards: Vec<Value>,
}

fn str_at(v: &Value, i: usize) -> &str {
    v.get(i).and_then(Value::as_str).unwrap_or_default()
}

impl Doc {
    fn open(&self, index: &Value) -> (String, String) {
        let Some(m) = index.as_u64().and_then(|i| self.markups.get(i as usize)) else {
            return (String::new(), String::new());
        };
        let tag = str_at(m, 0).to_ascii_lowercase();
        if !MARKUP_TAGS.contains(&tag.as_str()) {
            return (String::new(), String::new());
        }
        let mut attrs = String::new();
        if let Some(a) = m.get(1).and_then(Value::as_array) {
            for pair in a.chunks(2) {
                if let [k, v] = pair
                    && k.as_str() == Some("href")
                {
                    attrs.push_str(&format!(" href=\"{}\"", esc(v.as_str().unwrap_or_default())));
                }
            }
        }
        (format!("<{tag}{attrs}>"), format!("</{tag}>"))
    }

    fn markers(&self, markers: &Value) -> String {
        let mut out = String::new();
        let mut open: Vec<String> = Vec::new();
        for m in markers.as_array().into_iter().flatten() {
            for i in m.get(1).and_then(Value::as_array).into_iter().flatten() {
                let (start, end) = self.open(i);
                out.push_str(&start);
                open.push(end);
            }
            let text = match m.get(0).and_then(Value::as_u64) {
                Some(1) => {
                    let atom = m.get(3).and_then(Value::as_u64).and_then(|i| self.atoms.get(i as usize));
                    match atom {
                        Some(a) if str_at(a, 0) == "soft-return" => "<br>".to_owned(),
                        Some(a) => esc(str_at(a, 1)),
                        None => String::new(),
                    }
                }
                _ => esc(m.get(3).and_then(Value::as_str).unwrap_or_default()),
            };
            out.push_str(&text);
            let closed = m.get(2).and_then(Value::as_u64).unwrap_or(0) as usize;
            for _ in 0..closed.min(open.len()) {
                out.push_str(&open.pop().unwrap_or_default());
            }
        }
        while let Some(end) = open.pop() {
            out.push_str(&end);
        }
        out
    }

    fn section(&self, s: &Value, out: &mut Rendered) {
        match s.get(0).and_then(Value::as_u64) {
            Some(1) => {
                let tag = str_at(s, 1).to_ascii_lowercase();
                let text = self.markers(s.get(2).unwrap_or(&Value::Null));
                match tag.as_str() {
                    "blockquote" => out.html(&format!("<blockquote><p>{text}</p></blockquote>")),
                    "aside" | "pull-quote" => {
                        out.html(&format!("<blockquote class=\"kg-blockquote-alt\"><p>{text}</p></blockquote>"))
                    }
                    t if SECTION_TAGS.contains(&t) => out.html(&format!("<{t}>{text}</{t}>")),
                    _ => out.html(&format!("<p>{text}</p>")),
                }
            }
            Some(2) => card("image", &serde_json::json!({ "src": str_at(s, 1) }), out),
            Some(3) => {
                let tag = if str_at(s, 1).eq_ignore_ascii_case("ol") { "ol" } else { "ul" };
                let items: String = s
                    .get(2)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|item| format!("<li>{}</li>", self.markers(item)))
                    .collect();
                out.html(&format!("<{tag}>{items}</{tag}>"));
            }
            Some(10) => {
                if let Some(c) = s.get(1).and_then(Value::as_u64).and_then(|i| self.cards.get(i as usize)) {
                    card(str_at(c, 0), c.get(1).unwrap_or(&Value::Null), out);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::ghost::cards::Part;

    #[test]
    fn sections_markups_atoms_and_cards() {
        let doc = r#"{"version":"0.3.1","atoms":[["soft-return","",{}]],
            "cards":[["markdown",{"markdown":"A *Markdown* card"}],["hr",{}],["code",{"code":"a < b","language":"rust"}]],
            "markups":[["a",["href","https://example.org/","onclick","x()"]],["strong"]],
            "sections":[[1,"h2",[[0,[],0,"Heading"]]],
              [1,"p",[[0,[0],0,"link "],[0,[1],2,"bold"],[1,[],0,0],[0,[],0,"after"]]],
              [3,"ul",[[[0,[],0,"one"]],[[0,[],0,"two"]]]],
              [10,0],[10,1],[10,2],[2,"/content/images/a.jpg"]]}"#;
        let r = render(doc).unwrap();
        let Part::Html(first) = &r.parts[0] else { panic!() };
        assert!(first.contains("<h2>Heading</h2>"), "{first}");
        assert!(
            first.contains("<p><a href=\"https://example.org/\">link <strong>bold</strong></a><br>after</p>"),
            "{first}"
        );
        assert!(!first.contains("onclick"), "{first}");
        assert!(first.contains("<ul><li>one</li><li>two</li></ul>"), "{first}");
        assert!(matches!(&r.parts[1], Part::Markdown(m) if m == "A *Markdown* card"));
        let Part::Html(rest) = &r.parts[2] else { panic!() };
        assert!(rest.contains("<hr>") && rest.contains("a &lt; b") && rest.contains("/content/images/a.jpg"), "{rest}");
        assert!(render("[]").is_err());
    }
}
