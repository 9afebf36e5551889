//! schema.org structured data as JSON-LD: `NewsArticle` for articles (desks as `Organization`), `LiveBlogPosting`
//! for the News Feed, `BreadcrumbList` for navigation. Serialised for a `<script type="application/ld+json">`,
//! with `<` escaped so no text can close the script element.

use serde_json::{Value, json};

use crate::views::{CorrectionView, FeedItemView, PostView};

/// The publisher, as schema.org wants it.
pub struct Publisher<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub logo_url: &'a str,
}

/// ISO 8601 with the site's offset, e.g. 2026-07-01T12:59:00+01:00.
pub type Iso = dyn Fn(i64) -> String;

pub fn news_article(
    post: &PostView,
    site_url: &str,
    publisher: &Publisher,
    corrections: &[CorrectionView],
    iso: &Iso,
) -> Value {
    let url = format!("{site_url}{}", post.url);
    let authors: Vec<Value> = post
        .authors
        .iter()
        .map(|a| {
            json!({
                "@type": if a.kind == "desk" { "Organization" } else { "Person" },
                "name": a.name,
                "url": format!("{site_url}{}", a.url),
            })
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": { "@type": "WebPage", "@id": url },
        "url": url,
        "headline": post.title,
        "author": authors,
        "publisher": {
            "@type": "NewsMediaOrganization",
            "name": publisher.name,
            "url": publisher.url,
            "logo": { "@type": "ImageObject", "url": publisher.logo_url },
        },
        "dateModified": iso(post.updated_at),
        "wordCount": post.word_count,
        "isAccessibleForFree": true,
    });
    if let Some(p) = post.published_at {
        v["datePublished"] = json!(iso(p));
    }
    if let Some(d) = &post.excerpt {
        v["description"] = json!(d);
    }
    if let Some(t) = &post.primary_tag {
        v["articleSection"] = json!(t.name);
    }
    if !post.tags.is_empty() {
        v["keywords"] = json!(post.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>());
    }
    if let Some(img) = &post.feature_image {
        v["image"] = json!([{
            "@type": "ImageObject",
            "url": format!("{site_url}{}", img.src),
            "width": img.width,
            "height": img.height,
            "caption": img.caption.clone().or_else(|| Some(img.alt.clone())),
        }]);
    }
    if let Some(a) = &post.audio {
        v["audio"] = json!({
            "@type": "AudioObject",
            "name": format!("Audio edition: {}", post.title),
            "description": "This audio is created with AI assistance.",
            "contentUrl": format!("{site_url}{}", a.src),
            "encodingFormat": "audio/mpeg",
            "duration": a.iso_duration,
            "contentSize": a.bytes.to_string(),
        });
    }
    if !corrections.is_empty() {
        v["correction"] = json!(corrections
            .iter()
            .map(|c| json!({ "@type": "CorrectionComment", "text": format!("{}: {}", c.label, c.body), "datePublished": iso(c.created_at) }))
            .collect::<Vec<_>>());
    }
    v
}

pub fn live_blog(title: &str, url: &str, items: &[FeedItemView], site_url: &str, iso: &Iso) -> Value {
    let updates: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut u = json!({
                "@type": "BlogPosting",
                "headline": i.headline,
                "articleBody": match &i.retraction_note {
                    Some(note) if i.retracted_at.is_some() => format!("[Retracted: {note}] {}", i.summary),
                    _ => i.summary.clone(),
                },
                "datePublished": iso(i.published_at),
                "dateModified": iso(i.updated_at),
                "url": format!("{url}#feed-{}", i.id),
            });
            if let Some(a) = &i.author_name {
                u["author"] = json!({ "@type": "Person", "name": a });
            }
            if let Some(l) = &i.link {
                u["mainEntityOfPage"] = json!(if l.starts_with('/') { format!("{site_url}{l}") } else { l.clone() });
            }
            u
        })
        .collect();
    let mut v = json!({
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "headline": title,
        "url": url,
        "liveBlogUpdate": updates,
    });
    if let Some(first) = items.first() {
        v["dateModified"] = json!(iso(first.updated_at));
        v["coverageStartTime"] = json!(iso(items.last().map(|i| i.published_at).unwrap_or(first.published_at)));
    }
    v
}

/// The site itself, with the `SearchAction` that lets search engines offer a search box for it (`site_url`
/// without a trailing slash).
pub fn website(title: &str, site_url: &str, language: &str) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": title,
        "url": format!("{site_url}/"),
        "inLanguage": language,
        "potentialAction": {
            "@type": "SearchAction",
            "target": { "@type": "EntryPoint", "urlTemplate": format!("{site_url}/search/?q={{search_term_string}}") },
            "query-input": "required name=search_term_string",
        },
    })
}

/// (name, absolute URL) from the home page down.
pub fn breadcrumbs(trail: &[(String, String)]) -> Value {
    json!({
        "@context": "https://schema.org",
        "@type": "BreadcrumbList",
        "itemListElement": trail.iter().enumerate().map(|(i, (name, url))| json!({
            "@type": "ListItem", "position": i + 1, "name": name, "item": url,
        })).collect::<Vec<_>>(),
    })
}

/// JSON for inside `<script type="application/ld+json">`: `<`, `>` and `&` escaped as Unicode.
pub fn script_json(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default().replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")
}

#[cfg(test)]
mod tests {
    #[test]
    fn script_json_cannot_close_the_script_element() {
        let v = serde_json::json!({ "headline": "</script><script>alert(1)</script> & more" });
        let s = super::script_json(&v);
        assert!(!s.contains("</script>") && !s.contains('&'), "{s}");
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["headline"], "</script><script>alert(1)</script> & more");
    }
}
