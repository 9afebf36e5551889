//! Syndication documents — RSS 2.0, Atom 1.0 and JSON Feed 1.1 — built from one [`FeedDoc`], and sitemaps.
//! Pure string building with careful escaping: titles with `&`, `<`, quotes, emoji or right-to-left text come out
//! well-formed; characters XML 1.0 forbids are dropped.

use serde_json::json;

/// One feed: the site, a tag, an author or desk, or the News Feed.
#[derive(Debug, Clone)]
pub struct FeedDoc {
    pub title: String,
    pub description: String,
    /// The HTML page this feed mirrors (absolute URL).
    pub home_url: String,
    /// Absolute URLs of this feed in each format.
    pub rss_url: String,
    pub atom_url: String,
    pub json_url: String,
    pub language: String,
    /// Newest change of any entry (Unix seconds); the feed's own updated time.
    pub updated: i64,
    pub entries: Vec<FeedEntry>,
}

#[derive(Debug, Clone)]
pub struct FeedEntry {
    /// Stable, unique, absolute.
    pub id: String,
    pub url: String,
    pub title: String,
    /// Plain-text summary (dek, excerpt).
    pub summary: Option<String>,
    /// Full HTML content when the site publishes full text.
    pub content_html: Option<String>,
    pub published: i64,
    pub updated: i64,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub enclosures: Vec<Enclosure>,
}

/// A media file attached to an entry: the feature image, or (later) the audio edition.
#[derive(Debug, Clone)]
pub struct Enclosure {
    pub url: String,
    pub mime: String,
    /// Size in bytes (RSS requires a length; 0 when unknown).
    pub length: u64,
}

/// The five markup characters escaped; `apostrophe` is how `'` is written, and `xml` also drops the characters
/// XML 1.0 forbids.
fn escape(s: &str, apostrophe: &str, xml: bool) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str(apostrophe),
            '\t' | '\n' | '\r' => out.push(c),
            c if xml && ((c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}') => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for XML content and attributes, dropping characters XML 1.0 does not allow.
pub fn xml_escape(s: &str) -> String {
    escape(s, "&apos;", true)
}

/// Escapes text for HTML (text content and quoted attributes).
pub fn html_escape(s: &str) -> String {
    escape(s, "&#39;", false)
}

/// Plain text for an element that feed readers render as HTML (RSS `<description>`, `itunes:summary`): a reader
/// un-escapes the XML once and renders what is left, so the text is HTML-escaped first and XML-escaped after.
/// Text that reads `&lt;img onerror=…&gt;` then shows as those very characters, never as markup.
pub fn text_for_html_element(s: &str) -> String {
    xml_escape(&html_escape(s))
}

pub fn rfc2822(ts: i64) -> String {
    jiff::Timestamp::from_second(ts).map(|t| t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()).unwrap_or_default()
}

pub fn rfc3339(ts: i64) -> String {
    jiff::Timestamp::from_second(ts).map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

pub fn rss(doc: &FeedDoc) -> String {
    let e = xml_escape;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n<channel>\n<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>{}</language>\n<lastBuildDate>{}</lastBuildDate>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        e(&doc.title),
        e(&doc.home_url),
        text_for_html_element(&doc.description),
        e(&doc.language),
        rfc2822(doc.updated),
        e(&doc.rss_url)
    );
    for it in &doc.entries {
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n<pubDate>{}</pubDate>\n",
            e(&it.title),
            e(&it.url),
            e(&it.id),
            rfc2822(it.published)
        ));
        for a in &it.authors {
            out.push_str(&format!("<dc:creator>{}</dc:creator>\n", e(a)));
        }
        for c in &it.categories {
            out.push_str(&format!("<category>{}</category>\n", e(c)));
        }
        if let Some(s) = &it.summary {
            out.push_str(&format!("<description>{}</description>\n", text_for_html_element(s)));
        }
        if let Some(html) = &it.content_html {
            out.push_str(&format!("<content:encoded>{}</content:encoded>\n", e(html)));
        }
        // RSS allows one enclosure per item: the first (audio when there is one, else the image).
        if let Some(enc) = it.enclosures.first() {
            out.push_str(&format!(
                "<enclosure url=\"{}\" length=\"{}\" type=\"{}\"/>\n",
                e(&enc.url),
                enc.length,
                e(&enc.mime)
            ));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

pub fn atom(doc: &FeedDoc) -> String {
    let e = xml_escape;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n<title>{}</title>\n<subtitle>{}</subtitle>\n<id>{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n<updated>{}</updated>\n",
        e(&doc.language),
        e(&doc.title),
        e(&doc.description),
        e(&doc.atom_url),
        e(&doc.home_url),
        e(&doc.atom_url),
        rfc3339(doc.updated)
    );
    for it in &doc.entries {
        out.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{}</id>\n<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n<published>{}</published>\n<updated>{}</updated>\n",
            e(&it.title),
            e(&it.id),
            e(&it.url),
            rfc3339(it.published),
            rfc3339(it.updated)
        ));
        for a in &it.authors {
            out.push_str(&format!("<author><name>{}</name></author>\n", e(a)));
        }
        for c in &it.categories {
            out.push_str(&format!("<category term=\"{}\"/>\n", e(c)));
        }
        if let Some(s) = &it.summary {
            out.push_str(&format!("<summary type=\"text\">{}</summary>\n", e(s)));
        }
        if let Some(html) = &it.content_html {
            out.push_str(&format!("<content type=\"html\">{}</content>\n", e(html)));
        }
        for enc in &it.enclosures {
            out.push_str(&format!(
                "<link rel=\"enclosure\" type=\"{}\" length=\"{}\" href=\"{}\"/>\n",
                e(&enc.mime),
                enc.length,
                e(&enc.url)
            ));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

pub fn json_feed(doc: &FeedDoc) -> String {
    let items: Vec<serde_json::Value> = doc
        .entries
        .iter()
        .map(|it| {
            let mut item = json!({
                "id": it.id,
                "url": it.url,
                "title": it.title,
                "date_published": rfc3339(it.published),
                "date_modified": rfc3339(it.updated),
                "authors": it.authors.iter().map(|a| json!({ "name": a })).collect::<Vec<_>>(),
                "tags": it.categories,
            });
            match &it.content_html {
                Some(html) => item["content_html"] = json!(html),
                None => item["content_text"] = json!(it.summary.clone().unwrap_or_default()),
            }
            if let Some(s) = &it.summary {
                item["summary"] = json!(s);
            }
            if let Some(img) = it.enclosures.iter().find(|e| e.mime.starts_with("image/")) {
                item["image"] = json!(img.url);
            }
            let attachments: Vec<_> = it
                .enclosures
                .iter()
                .map(|e| json!({ "url": e.url, "mime_type": e.mime, "size_in_bytes": e.length }))
                .collect();
            if !attachments.is_empty() {
                item["attachments"] = json!(attachments);
            }
            item
        })
        .collect();
    let doc = json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": doc.title,
        "description": doc.description,
        "home_page_url": doc.home_url,
        "feed_url": doc.json_url,
        "language": doc.language,
        "items": items,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `<urlset>` for up to 50,000 URLs: (absolute URL, last modified).
pub fn sitemap(urls: &[(String, Option<i64>)]) -> String {
    let urls: Vec<SitemapUrl> = urls
        .iter()
        .map(|(loc, modified)| SitemapUrl { loc: loc.clone(), modified: *modified, alternates: Vec::new() })
        .collect();
    sitemap_with_alternates(&urls)
}

/// A sitemap entry with its versions in other languages: (hreflang, absolute URL), `x-default` among them.
pub struct SitemapUrl {
    pub loc: String,
    pub modified: Option<i64>,
    pub alternates: Vec<(String, String)>,
}

/// `<urlset>` whose entries may name their other-language versions (`xhtml:link rel="alternate" hreflang`), as
/// search engines read them.
pub fn sitemap_with_alternates(urls: &[SitemapUrl]) -> String {
    let xhtml = if urls.iter().any(|u| !u.alternates.is_empty()) {
        " xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""
    } else {
        ""
    };
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"{xhtml}>\n"
    );
    for u in urls {
        out.push_str(&format!("<url><loc>{}</loc>", xml_escape(&u.loc)));
        if let Some(m) = u.modified {
            out.push_str(&format!("<lastmod>{}</lastmod>", rfc3339(m)));
        }
        for (lang, href) in &u.alternates {
            out.push_str(&format!(
                "<xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>",
                xml_escape(lang),
                xml_escape(href)
            ));
        }
        out.push_str("</url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// `<sitemapindex>` pointing to the part sitemaps.
pub fn sitemap_index(parts: &[(String, Option<i64>)]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, modified) in parts {
        out.push_str(&format!("<sitemap><loc>{}</loc>", xml_escape(loc)));
        if let Some(m) = modified {
            out.push_str(&format!("<lastmod>{}</lastmod>", rfc3339(*m)));
        }
        out.push_str("</sitemap>\n");
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// The OpenSearch 1.1 description of the site's search (`site_url` without a trailing slash). Its short name is
/// at most 16 characters, as the format asks.
pub fn opensearch(title: &str, site_url: &str, language: &str) -> String {
    let e = xml_escape;
    let short: String = title.chars().take(16).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<OpenSearchDescription xmlns=\"http://a9.com/-/spec/opensearch/1.1/\">
<ShortName>{short}</ShortName>
<Description>Search the stories of {title}</Description>
<Language>{language}</Language>
<InputEncoding>UTF-8</InputEncoding>
<Image width=\"32\" height=\"32\" type=\"image/x-icon\">{url}/favicon.ico</Image>
<Url type=\"text/html\" method=\"get\" template=\"{url}/search/?q={{searchTerms}}\"/>
<Url type=\"application/json\" method=\"get\" template=\"{url}/api/v1/search?q={{searchTerms}}\"/>
<Url type=\"application/opensearchdescription+xml\" rel=\"self\" template=\"{url}/opensearch.xml\"/>
</OpenSearchDescription>
",
        short = e(&short),
        title = e(title),
        language = e(language),
        url = e(site_url),
    )
}

/// A Google News sitemap entry.
pub struct NewsUrl {
    pub loc: String,
    pub title: String,
    pub published: i64,
    /// The story's language (BCP 47).
    pub language: String,
}

pub fn news_sitemap(publication: &str, urls: &[NewsUrl]) -> String {
    let e = xml_escape;
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n",
    );
    for u in urls {
        // Google wants an ISO 639 language code: "en", not "en-GB" (except zh-cn / zh-tw).
        let lang = u.language.to_lowercase();
        let lang = if lang.starts_with("zh-") { lang } else { lang.split('-').next().unwrap_or("en").to_owned() };
        out.push_str(&format!(
            "<url><loc>{}</loc><news:news><news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication><news:publication_date>{}</news:publication_date><news:title>{}</news:title></news:news></url>\n",
            e(&u.loc),
            e(publication),
            e(&lang),
            rfc3339(u.published),
            e(&u.title)
        ));
    }
    out.push_str("</urlset>\n");
    out
}

/// A podcast episode: a narrated article.
pub struct Episode {
    pub guid: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    pub author: String,
    pub published: i64,
    pub audio_url: String,
    pub audio_bytes: u64,
    /// HH:MM:SS.
    pub duration: String,
    pub image: Option<String>,
}

/// Podcast RSS: RSS 2.0 with Apple's `itunes:` tags and a `podcast:transcript` link to each article.
pub fn podcast_rss(
    title: &str,
    description: &str,
    site_url: &str,
    feed_url: &str,
    language: &str,
    cover: &str,
    episodes: &[Episode],
) -> String {
    let e = xml_escape;
    let mut out = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\" xmlns:podcast=\"https://podcastindex.org/namespace/1.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\">\n<channel>\n<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n<language>{}</language>\n<atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n<itunes:author>{}</itunes:author>\n<itunes:summary>{}</itunes:summary>\n<itunes:image href=\"{}\"/>\n<itunes:category text=\"News\"><itunes:category text=\"Daily News\"/></itunes:category>\n<itunes:explicit>false</itunes:explicit>\n<itunes:type>episodic</itunes:type>\n",
        e(title),
        e(site_url),
        text_for_html_element(description),
        e(language),
        e(feed_url),
        e(title),
        text_for_html_element(description),
        e(cover)
    );
    for ep in episodes {
        out.push_str(&format!(
            "<item>\n<title>{}</title>\n<link>{}</link>\n<guid isPermaLink=\"false\">{}</guid>\n<pubDate>{}</pubDate>\n<description>{}</description>\n<enclosure url=\"{}\" length=\"{}\" type=\"audio/mpeg\"/>\n<itunes:duration>{}</itunes:duration>\n<itunes:author>{}</itunes:author>\n<itunes:explicit>false</itunes:explicit>\n<podcast:transcript url=\"{}\" type=\"text/html\"/>\n",
            e(&ep.title), e(&ep.url), e(&ep.guid), rfc2822(ep.published), text_for_html_element(&ep.summary), e(&ep.audio_url), ep.audio_bytes, e(&ep.duration), e(&ep.author), e(&ep.url)
        ));
        if let Some(img) = &ep.image {
            out.push_str(&format!("<itunes:image href=\"{}\"/>\n", e(img)));
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> FeedDoc {
        FeedDoc {
            title: "Ledger & <Co> \"news\" 🙂 خبر".into(),
            description: "d".into(),
            home_url: "https://x.example/".into(),
            rss_url: "https://x.example/rss/".into(),
            atom_url: "https://x.example/atom/".into(),
            json_url: "https://x.example/feed.json".into(),
            language: "en".into(),
            updated: 1_700_000_000,
            entries: vec![FeedEntry {
                id: "https://x.example/a/".into(),
                url: "https://x.example/a/".into(),
                title: "A < B & C\u{0001}".into(),
                summary: Some("s".into()),
                content_html: Some("<p>x</p>".into()),
                published: 1_700_000_000,
                updated: 1_700_000_100,
                authors: vec!["Ana".into()],
                categories: vec!["News".into()],
                enclosures: vec![Enclosure {
                    url: "https://x.example/i.jpg".into(),
                    mime: "image/jpeg".into(),
                    length: 10,
                }],
            }],
        }
    }

    /// Regression: an excerpt reading `&lt;img src=x onerror=…&gt;` was XML-escaped once, so feed readers (which
    /// un-escape `<description>` and render it as HTML) ran it.
    #[test]
    fn rss_descriptions_are_escaped_for_html_readers() {
        let mut d = doc();
        d.description = "<script>alert(1)</script> & co".into();
        d.entries[0].summary = Some("&lt;img src=x onerror=alert(1)&gt; <b>x</b>".into());
        let r = rss(&d);
        assert!(
            r.contains("<description>&amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt; &amp;amp; co</description>")
        );
        assert!(r.contains(
            "<description>&amp;amp;lt;img src=x onerror=alert(1)&amp;amp;gt; &amp;lt;b&amp;gt;x&amp;lt;/b&amp;gt;</description>"
        ));
        let ep = Episode {
            guid: "g".into(),
            url: "https://x.example/a/".into(),
            title: "t".into(),
            summary: "<img src=x onerror=alert(1)>".into(),
            author: "a".into(),
            published: 1_700_000_000,
            audio_url: "https://x.example/a.mp3".into(),
            audio_bytes: 1,
            duration: "00:01:00".into(),
            image: None,
        };
        let p = podcast_rss("T", "<i>d</i>", "https://x.example/", "https://x.example/podcast/rss/", "en", "c", &[ep]);
        assert!(p.contains("<itunes:summary>&amp;lt;i&amp;gt;d&amp;lt;/i&amp;gt;</itunes:summary>"));
        assert!(p.contains("<description>&amp;lt;img src=x onerror=alert(1)&amp;gt;</description>"));
        assert!(!p.contains("&lt;img"), "no markup survives one un-escaping");
    }

    #[test]
    fn escapes_and_drops_illegal_characters() {
        let r = rss(&doc());
        assert!(r.contains("<title>Ledger &amp; &lt;Co&gt; &quot;news&quot; 🙂 خبر</title>"));
        assert!(r.contains("<title>A &lt; B &amp; C</title>"), "control character dropped");
        assert!(r.contains("<content:encoded>&lt;p&gt;x&lt;/p&gt;</content:encoded>"));
        let a = atom(&doc());
        assert!(
            a.contains("<updated>2023-11-14T22:15:00Z</updated>")
                || a.contains("<updated>2023-11-14T22:13:20Z</updated>")
        );
        let j: serde_json::Value = serde_json::from_str(&json_feed(&doc())).unwrap();
        assert_eq!(j["items"][0]["title"], "A < B & C\u{0001}");
        assert_eq!(j["items"][0]["attachments"][0]["mime_type"], "image/jpeg");
    }
}
