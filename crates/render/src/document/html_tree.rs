//! A small element tree read from HTML that the sanitiser has already cleaned (so tags are balanced and only
//! allow-listed elements and attributes are left), for turning imported or pasted HTML into the document model.

use std::cell::RefCell;

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::{BufferQueue, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has_class(&self, class: &str) -> bool {
        self.attr("class").is_some_and(|c| c.split_whitespace().any(|x| x == class))
    }

    /// Whether any class starts with `prefix` (WordPress's `wp-block-…`, Ghost's `kg-…`).
    pub fn class_starts(&self, prefix: &str) -> bool {
        self.attr("class").is_some_and(|c| c.split_whitespace().any(|x| x.starts_with(prefix)))
    }

    /// Every descendant element, depth first.
    pub fn descendants(&self) -> Vec<&Element> {
        let mut out = Vec::new();
        fn go<'a>(e: &'a Element, out: &mut Vec<&'a Element>) {
            for c in &e.children {
                if let Node::Element(x) = c {
                    out.push(x);
                    go(x, out);
                }
            }
        }
        go(self, &mut out);
        out
    }

    pub fn find(&self, name: &str) -> Option<&Element> {
        self.descendants().into_iter().find(|e| e.name == name)
    }

    /// The text inside, whitespace collapsed.
    pub fn text(&self) -> String {
        let mut s = String::new();
        fn go(e: &Element, s: &mut String) {
            for c in &e.children {
                match c {
                    Node::Text(t) => s.push_str(t),
                    Node::Element(x) if x.name == "br" => s.push(' '),
                    Node::Element(x) => go(x, s),
                }
            }
        }
        go(self, &mut s);
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The element serialised back to HTML (for raw HTML blocks).
    pub fn inner_html(&self) -> String {
        let mut s = String::new();
        for c in &self.children {
            write_node(c, &mut s);
        }
        s
    }
}

fn write_node(n: &Node, s: &mut String) {
    match n {
        Node::Text(t) => s.push_str(&super::escape(t)),
        Node::Element(e) => {
            s.push('<');
            s.push_str(&e.name);
            for (k, v) in &e.attrs {
                s.push(' ');
                s.push_str(k);
                s.push_str("=\"");
                s.push_str(&super::escape(v));
                s.push('"');
            }
            s.push('>');
            if is_void(&e.name) {
                return;
            }
            for c in &e.children {
                write_node(c, s);
            }
            s.push_str("</");
            s.push_str(&e.name);
            s.push('>');
        }
    }
}

pub fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "source"
            | "track"
            | "wbr"
    )
}

/// Deepest element nesting kept; deeper start tags are dropped (their text is kept), so nothing that walks the tree
/// can run out of stack on hostile input.
pub const MAX_DEPTH: usize = 48;

struct Sink {
    stack: RefCell<Vec<Element>>,
    /// Start tags dropped past [`MAX_DEPTH`], by name, so their end tags are dropped too.
    dropped: RefCell<std::collections::HashMap<String, usize>>,
}

impl Sink {
    fn close(&self, name: &str) {
        let mut stack = self.stack.borrow_mut();
        // Close up to the nearest open element of that name; a stray end tag is ignored.
        let Some(pos) = stack.iter().rposition(|e| e.name == name) else { return };
        if pos == 0 {
            return;
        }
        while stack.len() > pos {
            let Some(done) = stack.pop() else { break };
            if let Some(parent) = stack.last_mut() {
                parent.children.push(Node::Element(done));
            }
        }
    }
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            Token::TagToken(tag) => {
                let name = tag.name.to_string();
                match tag.kind {
                    TagKind::StartTag
                        if !is_void(&name) && !tag.self_closing && self.stack.borrow().len() >= MAX_DEPTH =>
                    {
                        *self.dropped.borrow_mut().entry(name).or_default() += 1;
                    }
                    TagKind::EndTag if self.dropped.borrow().get(&name).is_some_and(|n| *n > 0) => {
                        if let Some(n) = self.dropped.borrow_mut().get_mut(&name) {
                            *n -= 1;
                        }
                    }
                    TagKind::StartTag => {
                        let el = Element {
                            attrs: tag.attrs.iter().map(|a| (a.name.local.to_string(), a.value.to_string())).collect(),
                            name: name.clone(),
                            children: Vec::new(),
                        };
                        let mut stack = self.stack.borrow_mut();
                        if is_void(&name) || tag.self_closing {
                            if let Some(parent) = stack.last_mut() {
                                parent.children.push(Node::Element(el));
                            }
                        } else {
                            stack.push(el);
                        }
                    }
                    TagKind::EndTag => self.close(&name),
                }
            }
            Token::CharacterTokens(t) => {
                let mut stack = self.stack.borrow_mut();
                if let Some(parent) = stack.last_mut() {
                    match parent.children.last_mut() {
                        Some(Node::Text(prev)) => prev.push_str(&t),
                        _ => parent.children.push(Node::Text(t.to_string())),
                    }
                }
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

/// Reads cleaned HTML into a tree under a root element named `root`.
pub fn parse(clean_html: &str) -> Element {
    let sink = Sink {
        stack: RefCell::new(vec![Element { name: "root".into(), ..Default::default() }]),
        dropped: RefCell::new(std::collections::HashMap::new()),
    };
    let tok = Tokenizer::new(sink, TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from(clean_html));
    let _ = tok.feed(&input);
    tok.end();
    let mut stack = tok.sink.stack.take();
    while stack.len() > 1 {
        let Some(done) = stack.pop() else { break };
        if let Some(parent) = stack.last_mut() {
            parent.children.push(Node::Element(done));
        }
    }
    stack.pop().unwrap_or_default()
}
