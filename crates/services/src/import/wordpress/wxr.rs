//! Reading a WordPress eXtended RSS export (WXR 1.0–1.2, under the `http://` or `https://wordpress.org/export/`
//! namespace), one `<item>` at a time: the whole file is never held in memory, so an export of 10,000 stories is read
//! in the memory of one.

use std::collections::HashMap;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;

/// An author of the export (`<wp:author>`).
#[derive(Debug, Clone, Default)]
pub struct WxrAuthor {
    pub id: String,
    pub login: String,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    /// Not in WordPress's own exports; some plugins add it.
    pub description: String,
}

/// A category, tag or other term (`<wp:category>`, `<wp:tag>`, `<wp:term>`).
#[derive(Debug, Clone, Default)]
pub struct WxrTerm {
    pub id: String,
    /// "category", "post_tag", or another taxonomy.
    pub taxonomy: String,
    pub slug: String,
    pub name: String,
    /// The parent's slug (categories), or empty.
    pub parent: String,
    pub description: String,
}

/// A term as an item names it (`<category domain="…" nicename="…">Name</category>`).
#[derive(Debug, Clone, Default)]
pub struct ItemTerm {
    pub domain: String,
    pub slug: String,
    pub name: String,
}

/// One `<item>`: a post, page, attachment, menu item, revision…
#[derive(Debug, Clone, Default)]
pub struct WxrItem {
    pub title: String,
    pub link: String,
    pub guid: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub id: String,
    pub date: String,
    pub date_gmt: String,
    pub modified_gmt: String,
    pub slug: String,
    pub status: String,
    pub parent: String,
    pub menu_order: String,
    pub post_type: String,
    pub password: String,
    pub sticky: bool,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    pub meta: HashMap<String, String>,
    /// Comments as (approved value): "1", "0", "spam", "trash".
    pub comments: Vec<String>,
    /// Where the item starts in the file (bytes), for messages.
    pub offset: u64,
}

impl WxrItem {
    /// "item 42 (“Headline”)" for messages.
    pub fn label(&self) -> String {
        let title = if self.title.trim().is_empty() { "untitled" } else { self.title.trim() };
        format!("item {} (\u{201c}{}\u{201d})", self.id, title)
    }
}

/// What the channel says about the old site.
#[derive(Debug, Clone, Default)]
pub struct Channel {
    pub title: String,
    pub link: String,
    pub base_site_url: String,
    pub base_blog_url: String,
    pub version: String,
    pub authors: Vec<WxrAuthor>,
    pub terms: Vec<WxrTerm>,
}

/// Anything that makes the file unreadable, with where it happened.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WxrError(pub String);

/// Streams a WXR file: first [`WxrReader::channel`] (everything before the first item), then items.
pub struct WxrReader<R: BufRead> {
    xml: Reader<R>,
    buf: Vec<u8>,
    pending_item: bool,
    done: bool,
}

fn err_at<R>(xml: &Reader<R>, what: impl std::fmt::Display) -> WxrError {
    let what = what.to_string();
    if what.contains("end of input") {
        return WxrError(format!("the file ends early at byte {} (is it truncated?): {what}", xml.buffer_position()));
    }
    WxrError(format!("the file is not a readable WordPress export (at byte {}): {what}", xml.buffer_position()))
}

/// The accepted namespaces of the `wp:` prefix.
fn known_namespace(ns: &str) -> bool {
    let rest = ns.strip_prefix("http://").or_else(|| ns.strip_prefix("https://")).unwrap_or("");
    matches!(
        rest.trim_end_matches('/'),
        "wordpress.org/export/1.0" | "wordpress.org/export/1.1" | "wordpress.org/export/1.2"
    )
}

impl<R: BufRead> WxrReader<R> {
    pub fn new(input: R) -> WxrReader<R> {
        let mut xml = Reader::from_reader(input);
        xml.config_mut().trim_text(false);
        xml.config_mut().check_end_names = true;
        WxrReader { xml, buf: Vec::with_capacity(64 * 1024), pending_item: false, done: false }
    }

    /// Reads up to the first item: the site, its authors and its terms. Refuses a file that is not a WXR export.
    pub fn channel(&mut self) -> Result<Channel, WxrError> {
        let mut ch = Channel::default();
        let mut saw_rss = false;
        let mut path: Vec<String> = Vec::new();
        let mut text = String::new();
        let mut author = WxrAuthor::default();
        let mut term = WxrTerm::default();
        loop {
            self.buf.clear();
            let ev = self.xml.read_event_into(&mut self.buf).map_err(|e| err_at(&self.xml, e))?;
            match ev {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if name == "rss" {
                        saw_rss = true;
                        let mut ns = None;
                        for a in e.attributes().flatten() {
                            if a.key.as_ref() == b"xmlns:wp" {
                                ns = Some(String::from_utf8_lossy(&a.value).into_owned());
                            }
                        }
                        match ns {
                            Some(ns) if known_namespace(&ns) => {}
                            Some(ns) => {
                                return Err(WxrError(format!(
                                    "unknown WordPress export namespace \"{ns}\" (Newsdesk reads WXR 1.0 to 1.2, \
                                     http(s)://wordpress.org/export/1.x/)"
                                )));
                            }
                            None => {
                                return Err(WxrError(
                                    "this RSS file is not a WordPress export (it declares no wp: namespace); \
                                     export with WordPress's Tools → Export"
                                        .into(),
                                ));
                            }
                        }
                    } else if !saw_rss {
                        return Err(WxrError(format!(
                            "this is not a WordPress export: it starts with <{name}>, not <rss>"
                        )));
                    }
                    if name == "item" {
                        self.pending_item = true;
                        break;
                    }
                    match name.as_str() {
                        "wp:author" => author = WxrAuthor::default(),
                        "wp:category" | "wp:tag" | "wp:term" => {
                            term = WxrTerm {
                                taxonomy: match name.as_str() {
                                    "wp:category" => "category".into(),
                                    "wp:tag" => "post_tag".into(),
                                    _ => String::new(),
                                },
                                ..Default::default()
                            }
                        }
                        _ => {}
                    }
                    path.push(name);
                    text.clear();
                }
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    let value = std::mem::take(&mut text).trim().to_owned();
                    let parent = path.len().checked_sub(2).and_then(|i| path.get(i)).cloned().unwrap_or_default();
                    match (parent.as_str(), name.as_str()) {
                        ("channel", "title") => ch.title = value,
                        ("channel", "link") => ch.link = value,
                        ("channel", "wp:wxr_version") => ch.version = value,
                        ("channel", "wp:base_site_url") => ch.base_site_url = value,
                        ("channel", "wp:base_blog_url") => ch.base_blog_url = value,
                        ("channel", "wp:author") => ch.authors.push(std::mem::take(&mut author)),
                        ("channel", "wp:category" | "wp:tag" | "wp:term") => ch.terms.push(std::mem::take(&mut term)),
                        ("wp:author", field) => match field {
                            "wp:author_id" => author.id = value,
                            "wp:author_login" => author.login = value,
                            "wp:author_email" => author.email = value,
                            "wp:author_display_name" => author.display_name = value,
                            "wp:author_first_name" => author.first_name = value,
                            "wp:author_last_name" => author.last_name = value,
                            "wp:author_description" => author.description = value,
                            _ => {}
                        },
                        ("wp:category" | "wp:tag" | "wp:term", field) => match field {
                            "wp:term_id" => term.id = value,
                            "wp:category_nicename" | "wp:tag_slug" | "wp:term_slug" => term.slug = value,
                            "wp:cat_name" | "wp:tag_name" | "wp:term_name" => term.name = value,
                            "wp:category_parent" | "wp:term_parent" => term.parent = value,
                            "wp:category_description" | "wp:tag_description" | "wp:term_description" => {
                                term.description = value
                            }
                            "wp:term_taxonomy" => term.taxonomy = value,
                            _ => {}
                        },
                        _ => {}
                    }
                    path.pop();
                }
                ref ev @ (Event::Text(_) | Event::CData(_) | Event::GeneralRef(_)) => {
                    push_text(&mut text, ev).map_err(|e| err_at(&self.xml, e))?
                }
                Event::Eof => {
                    if !saw_rss {
                        return Err(WxrError("the file is empty or not XML".into()));
                    }
                    if !path.is_empty() {
                        return Err(err_at(&self.xml, "the file ends early (is it truncated?)"));
                    }
                    self.done = true;
                    break;
                }
                _ => {}
            }
        }
        if ch.version.is_empty() && ch.base_site_url.is_empty() {
            return Err(WxrError(
                "this RSS file has no wp:wxr_version or wp:base_site_url: not a WordPress export".into(),
            ));
        }
        Ok(ch)
    }

    /// The next item, or `None` at the end of the file.
    pub fn next_item(&mut self) -> Result<Option<WxrItem>, WxrError> {
        if self.done {
            return Ok(None);
        }
        if !self.pending_item {
            // Find the next <item> start.
            loop {
                self.buf.clear();
                match self.xml.read_event_into(&mut self.buf).map_err(|e| err_at(&self.xml, e))? {
                    Event::Start(e) if e.name().as_ref() == b"item" => break,
                    Event::End(e) if e.name().as_ref() == b"rss" => {
                        self.done = true;
                        return Ok(None);
                    }
                    Event::Eof => return Err(err_at(&self.xml, "the file ends early (is it truncated?)")),
                    _ => {}
                }
            }
        }
        self.pending_item = false;
        let mut item = WxrItem { offset: self.xml.buffer_position(), ..Default::default() };
        let mut path: Vec<String> = vec!["item".into()];
        let mut text = String::new();
        let (mut meta_key, mut meta_value) = (String::new(), String::new());
        let mut comment_approved = String::new();
        let mut term = ItemTerm::default();
        loop {
            self.buf.clear();
            let ev = self.xml.read_event_into(&mut self.buf).map_err(|e| err_at(&self.xml, e))?;
            match ev {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if name == "category" {
                        term = ItemTerm::default();
                        for a in e.attributes().flatten() {
                            let v = a.unescape_value().map(|v| v.into_owned()).unwrap_or_default();
                            match a.key.as_ref() {
                                b"domain" => term.domain = v,
                                b"nicename" => term.slug = v,
                                _ => {}
                            }
                        }
                    }
                    path.push(name);
                    text.clear();
                }
                Event::Empty(e) if e.name().as_ref() == b"category" => {}
                Event::End(e) => {
                    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                    if name == "item" {
                        return Ok(Some(item));
                    }
                    let value = std::mem::take(&mut text);
                    let parent = path.len().checked_sub(2).and_then(|i| path.get(i)).cloned().unwrap_or_default();
                    match (parent.as_str(), name.as_str()) {
                        ("item", "title") => item.title = value.trim().to_owned(),
                        ("item", "link") => item.link = value.trim().to_owned(),
                        ("item", "guid") => item.guid = value.trim().to_owned(),
                        ("item", "dc:creator") => item.creator = value.trim().to_owned(),
                        ("item", "content:encoded") => item.content = value,
                        ("item", "excerpt:encoded") => item.excerpt = value,
                        ("item", "wp:post_id") => item.id = value.trim().to_owned(),
                        ("item", "wp:post_date") => item.date = value.trim().to_owned(),
                        ("item", "wp:post_date_gmt") => item.date_gmt = value.trim().to_owned(),
                        ("item", "wp:post_modified_gmt") => item.modified_gmt = value.trim().to_owned(),
                        ("item", "wp:post_name") => item.slug = value.trim().to_owned(),
                        ("item", "wp:status") => item.status = value.trim().to_owned(),
                        ("item", "wp:post_parent") => item.parent = value.trim().to_owned(),
                        ("item", "wp:menu_order") => item.menu_order = value.trim().to_owned(),
                        ("item", "wp:post_type") => item.post_type = value.trim().to_owned(),
                        ("item", "wp:post_password") => item.password = value,
                        ("item", "wp:is_sticky") => item.sticky = value.trim() == "1",
                        ("item", "wp:attachment_url") => item.attachment_url = value.trim().to_owned(),
                        ("item", "category") => {
                            term.name = value.trim().to_owned();
                            item.terms.push(std::mem::take(&mut term));
                        }
                        ("wp:postmeta", "wp:meta_key") => meta_key = value.trim().to_owned(),
                        ("wp:postmeta", "wp:meta_value") => meta_value = value,
                        ("item", "wp:postmeta") => {
                            item.meta.insert(std::mem::take(&mut meta_key), std::mem::take(&mut meta_value));
                        }
                        ("wp:comment", "wp:comment_approved") => comment_approved = value.trim().to_owned(),
                        ("item", "wp:comment") => item.comments.push(std::mem::take(&mut comment_approved)),
                        _ => {}
                    }
                    path.pop();
                }
                ref ev @ (Event::Text(_) | Event::CData(_) | Event::GeneralRef(_)) => {
                    push_text(&mut text, ev).map_err(|e| err_at(&self.xml, e))?
                }
                Event::Eof => {
                    return Err(err_at(&self.xml, format!("the file ends inside {} (is it truncated?)", item.label())));
                }
                _ => {}
            }
        }
    }
}

/// Appends an event's text: plain text, CDATA, or what `&name;` or `&#N;` stands for.
fn push_text(out: &mut String, ev: &Event<'_>) -> Result<(), String> {
    match ev {
        Event::Text(t) => out.push_str(&t.decode().map_err(|e| e.to_string())?),
        Event::CData(t) => out.push_str(&t.decode().map_err(|e| e.to_string())?),
        Event::GeneralRef(r) => push_ref(out, r)?,
        _ => {}
    }
    Ok(())
}

/// Appends what `&name;` or `&#N;` stands for.
fn push_ref(out: &mut String, r: &quick_xml::events::BytesRef<'_>) -> Result<(), String> {
    if let Some(c) = r.resolve_char_ref().map_err(|e| e.to_string())? {
        out.push(c);
        return Ok(());
    }
    let name = r.decode().map_err(|e| e.to_string())?;
    match quick_xml::escape::resolve_predefined_entity(&name) {
        Some(s) => out.push_str(s),
        None => return Err(format!("unknown entity &{name};")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:wp="https://wordpress.org/export/1.1/" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/">
<channel><title>Old &amp; gold</title><wp:wxr_version>1.1</wp:wxr_version><wp:base_site_url>http://old.example</wp:base_site_url>
<wp:author><wp:author_login><![CDATA[jo]]></wp:author_login><wp:author_display_name>Jo &#8211; Reporter</wp:author_display_name></wp:author>
<item><title>A &lt;b&gt; title</title><wp:post_id>7</wp:post_id><content:encoded><![CDATA[<p>Body</p>]]></content:encoded>
<category domain="category" nicename="news"><![CDATA[News]]></category>
<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key><wp:meta_value>9</wp:meta_value></wp:postmeta>
<wp:comment><wp:comment_approved>1</wp:comment_approved></wp:comment></item>
</channel></rss>"#;

    #[test]
    fn reads_channel_and_items() {
        let mut r = WxrReader::new(MINI.as_bytes());
        let ch = r.channel().unwrap();
        assert_eq!(ch.title, "Old & gold");
        assert_eq!(ch.authors[0].display_name, "Jo \u{2013} Reporter");
        let item = r.next_item().unwrap().unwrap();
        assert_eq!(item.title, "A <b> title");
        assert_eq!(item.content, "<p>Body</p>");
        assert_eq!(item.terms[0].slug, "news");
        assert_eq!(item.meta["_thumbnail_id"], "9");
        assert_eq!(item.comments, vec!["1"]);
        assert!(r.next_item().unwrap().is_none());
    }

    #[test]
    fn refuses_other_files() {
        let e = WxrReader::new(&b"<html><body>hi</body></html>"[..]).channel().unwrap_err();
        assert!(e.0.contains("not a WordPress export"), "{e}");
        let odd = MINI.replace("https://wordpress.org/export/1.1/\"", "http://example.com/export/9.9/\"");
        let e = WxrReader::new(odd.as_bytes()).channel().unwrap_err();
        assert!(e.0.contains("unknown WordPress export namespace"), "{e}");
        let cut = &MINI[..MINI.find("<wp:comment>").unwrap()];
        let mut r = WxrReader::new(cut.as_bytes());
        r.channel().unwrap();
        let e = r.next_item().unwrap_err();
        assert!(e.0.contains("truncated"), "{e}");
    }
}
