//! The JSON shapes of the API (`/api/v1/`): one function per resource, used by every response that carries it, so
//! a post or an item reads the same from a list, a read and a write.

use newsdesk_store::posts::Post;

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

/// The JSON shape of a post, used in every response.
pub fn post(state: &Context, p: &Post) -> serde_json::Value {
    let v = post_view(p);
    serde_json::json!({
        "id": v.id,
        "type": v.kind,
        "slug": v.slug,
        "url": absolute(state, &v.url),
        "title": v.title,
        "excerpt": v.excerpt,
        "html": v.html,
        "markdown": p.row.body_md,
        "status": v.status,
        "published_at": rfc3339(v.published_at),
        "updated_at": rfc3339(Some(v.updated_at)),
        "reading_time": v.reading_time,
        "revision": p.row.revision,
        "byline": v.byline,
        "authors": v.authors.iter().map(|a| serde_json::json!({ "id": a.id, "name": a.name, "slug": a.slug, "kind": a.kind, "url": absolute(state, &a.url) })).collect::<Vec<_>>(),
        "tags": v.tags.iter().map(|t| serde_json::json!({ "id": t.id, "name": t.name, "slug": t.slug, "url": absolute(state, &t.url) })).collect::<Vec<_>>(),
        "primary_tag": v.primary_tag.as_ref().map(|t| t.name.clone()),
        "feature_image": v.feature_image.as_ref().map(|i| serde_json::json!({
            "id": i.id, "url": absolute(state, &i.src), "width": i.width, "height": i.height,
            "alt": i.alt, "caption": i.caption, "credit": i.credit })),
    })
}

/// The JSON shape of a News Feed item, used in every response.
pub fn feed_item(state: &Context, f: &newsdesk_store::feed::FeedItem) -> serde_json::Value {
    let v = feed_item_view(f);
    serde_json::json!({
        "id": v.id, "headline": v.headline, "summary": v.summary,
        "url": v.link.as_ref().map(|l| if l.starts_with('/') { absolute(state, l) } else { l.clone() }),
        "tag": v.tag_name, "author": v.author_name,
        "published_at": rfc3339(Some(v.published_at)), "updated_at": rfc3339(Some(v.updated_at)),
        "retracted": v.retracted_at.is_some(), "retracted_at": rfc3339(v.retracted_at), "retraction_note": v.retraction_note,
    })
}
