//! The JSON shapes of the API (`/api/v1/`): one function per resource, used by every response that carries it, so
//! a post or an item reads the same from a list, a read and a write.

use newsdesk_store::posts::Post;
use serde::Serialize;

use crate::Context;
use crate::views::{feed_item_view, post_view};

/// An absolute URL on this site.
pub fn absolute(state: &Context, path: &str) -> String {
    format!("{}{path}", state.site.url)
}

/// RFC 3339 in UTC.
pub fn rfc3339(ts: Option<i64>) -> Option<String> {
    ts.and_then(|t| jiff::Timestamp::from_second(t).ok()).map(|t| t.to_string())
}

/// A post as the JSON API shows it, in every response that carries one.
#[derive(Debug, Serialize)]
pub struct ApiPost {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub html: String,
    pub markdown: String,
    /// The body in the document model (`docs/document.md`).
    pub document: serde_json::Value,
    pub status: String,
    pub published_at: Option<String>,
    pub updated_at: Option<String>,
    pub reading_time: u32,
    /// The revision a change must be based on (`revision` in a PATCH).
    pub revision: i64,
    pub byline: String,
    pub authors: Vec<ApiAuthor>,
    pub tags: Vec<ApiTag>,
    pub primary_tag: Option<String>,
    pub feature_image: Option<ApiImage>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ApiAuthor {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// "person" or "desk".
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
pub struct ApiTag {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
    /// An internal tag (`#name`): for staff and tools, never shown to readers.
    pub internal: bool,
}

#[derive(Debug, Serialize)]
pub struct ApiImage {
    pub id: i64,
    pub url: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// A News Feed item as the JSON API shows it.
#[derive(Debug, Serialize)]
pub struct ApiFeedItem {
    pub id: i64,
    pub headline: String,
    pub summary: String,
    pub url: Option<String>,
    pub tag: Option<String>,
    pub author: Option<String>,
    pub published_at: Option<String>,
    pub updated_at: Option<String>,
    pub retracted: bool,
    pub retracted_at: Option<String>,
    pub retraction_note: Option<String>,
}

pub fn post(state: &Context, p: &Post) -> ApiPost {
    let v = post_view(p);
    ApiPost {
        id: v.id,
        url: absolute(state, &v.url),
        published_at: rfc3339(v.published_at),
        updated_at: rfc3339(Some(v.updated_at)),
        markdown: p.row.body_md.clone(),
        document: serde_json::to_value(crate::documents::stored(&p.row.body_doc, &p.row.body_md))
            .unwrap_or(serde_json::Value::Null),
        revision: p.row.revision,
        authors: v
            .authors
            .iter()
            .map(|a| ApiAuthor {
                id: a.id,
                name: a.name.clone(),
                slug: a.slug.clone(),
                kind: a.kind.clone(),
                url: absolute(state, &a.url),
            })
            .collect(),
        // Every tag, internal ones too, so a client that writes the list back keeps them.
        tags: p
            .tags
            .iter()
            .map(|t| ApiTag {
                id: t.id,
                name: t.name.clone(),
                slug: t.slug.clone(),
                url: absolute(state, &format!("/tag/{}/", t.slug)),
                internal: t.is_internal(),
            })
            .collect(),
        primary_tag: v.primary_tag.as_ref().map(|t| t.name.clone()),
        feature_image: v.feature_image.as_ref().map(|i| ApiImage {
            id: i.id,
            url: absolute(state, &i.src),
            width: i.width,
            height: i.height,
            alt: i.alt.clone(),
            caption: i.caption.clone(),
            credit: i.credit.clone(),
        }),
        kind: v.kind,
        slug: v.slug,
        title: v.title,
        excerpt: v.excerpt,
        html: v.html,
        status: v.status,
        reading_time: v.reading_time,
        byline: v.byline,
        meta_title: v.meta_title,
        meta_description: v.meta_description,
    }
}

pub fn feed_item(state: &Context, f: &newsdesk_store::feed::FeedItem) -> ApiFeedItem {
    let v = feed_item_view(f);
    ApiFeedItem {
        url: v.link.as_ref().map(|l| if l.starts_with('/') { absolute(state, l) } else { l.clone() }),
        published_at: rfc3339(Some(v.published_at)),
        updated_at: rfc3339(Some(v.updated_at)),
        retracted: v.retracted_at.is_some(),
        retracted_at: rfc3339(v.retracted_at),
        id: v.id,
        headline: v.headline,
        summary: v.summary,
        tag: v.tag_name,
        author: v.author_name,
        retraction_note: v.retraction_note,
    }
}
