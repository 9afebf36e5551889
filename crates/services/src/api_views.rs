//! The JSON shapes of the API (`/api/v1/`): one function per resource, used by every response that carries it, so
//! a post or an item reads the same from a list, a read and a write.

use newsdesk_store::posts::Post;
use serde::Serialize;
use utoipa::ToSchema;

use crate::Context;
use crate::views::{author_view, feed_item_view, image_view, post_view};

/// An absolute URL on this site.
pub fn absolute(state: &Context, path: &str) -> String {
    format!("{}{path}", state.site.url)
}

/// RFC 3339 in UTC.
pub fn rfc3339(ts: Option<i64>) -> Option<String> {
    ts.and_then(|t| jiff::Timestamp::from_second(t).ok()).map(|t| t.to_string())
}

/// A post as the JSON API shows it, in every response that carries one.
#[derive(Debug, Serialize, ToSchema)]
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
    #[schema(value_type = Object)]
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
    /// The post's language (BCP 47): its own, or the site's.
    pub language: String,
    /// Posts sharing this number are translations of one another (null: none).
    pub translation_group: Option<i64>,
    /// Who may read it whole: `public`, `members`, `paid`, or tier slugs separated by commas.
    pub visibility: String,
    /// Whether `html`, `markdown` and `document` are the whole story (false: only its public preview, for a
    /// request without a token).
    pub access: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiAuthor {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// "person" or "desk".
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTag {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
    /// An internal tag (`#name`): for staff and tools, never shown to readers.
    pub internal: bool,
}

#[derive(Debug, Serialize, ToSchema)]
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
#[derive(Debug, Serialize, ToSchema)]
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

/// A post for the API: `whole` for a token holder (staff and tools read everything); without it a story that is
/// not for everyone carries only its public preview, in every format.
pub fn post(state: &Context, p: &Post, whole: bool) -> ApiPost {
    let mut v = post_view(p);
    let access = whole || !p.row.is_gated();
    let doc = crate::documents::stored(&p.row.body_doc, &p.row.body_md);
    let (markdown, doc) = if access {
        v.html.push_str(&p.row.paid_html);
        (p.row.body_md.clone(), doc)
    } else {
        let preview = newsdesk_render::document::split_paid(&doc).0;
        (newsdesk_render::document::to_markdown(&preview), preview)
    };
    ApiPost {
        visibility: p.row.visibility.clone(),
        access,
        id: v.id,
        url: absolute(state, &v.url),
        published_at: rfc3339(v.published_at),
        updated_at: rfc3339(Some(v.updated_at)),
        markdown,
        document: serde_json::to_value(doc).unwrap_or(serde_json::Value::Null),
        language: state.site.language_of(p.row.language.as_deref()).to_owned(),
        translation_group: p.row.translation_group,
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

/// Where a list is: page `page` of `pages`, `limit` to a page, `total` in all.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageMeta {
    pub page: i64,
    pub limit: i64,
    pub pages: i64,
    pub total: i64,
}

impl PageMeta {
    pub fn new(page: i64, limit: i64, total: i64) -> PageMeta {
        PageMeta { page, limit, pages: ((total + limit - 1) / limit.max(1)).max(1), total }
    }
}

/// An author or desk with its bio and portrait.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiAuthorProfile {
    pub id: i64,
    pub name: String,
    pub slug: String,
    /// "person" or "desk".
    pub kind: String,
    pub bio: Option<String>,
    pub url: String,
    /// The portrait's address.
    pub photo: Option<String>,
}

pub fn author(
    state: &Context,
    a: &newsdesk_store::authors::Author,
    photo: Option<&newsdesk_store::media::Media>,
) -> ApiAuthorProfile {
    let v = author_view(a);
    ApiAuthorProfile {
        url: absolute(state, &v.url),
        photo: photo.map(|m| absolute(state, &image_view(m, None, None, None).src)),
        id: v.id,
        name: v.name,
        slug: v.slug,
        kind: v.kind,
        bio: v.bio,
    }
}

/// A tag with its description (and, in the list, how many published stories carry it).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTagInfo {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub url: String,
    /// An internal tag (`#name`): for staff and tools, never shown to readers.
    pub internal: bool,
    /// Published stories with the tag (in `GET /tags` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_count: Option<i64>,
}

pub fn tag(state: &Context, t: &newsdesk_store::tags::Tag) -> ApiTagInfo {
    tag_info(state, t.id, &t.slug, &t.name, t.description.as_deref(), None)
}

pub fn tag_counted(state: &Context, t: &newsdesk_store::tags::TagWithCount) -> ApiTagInfo {
    tag_info(state, t.id, &t.slug, &t.name, t.description.as_deref(), Some(t.post_count))
}

fn tag_info(
    state: &Context,
    id: i64,
    slug: &str,
    name: &str,
    description: Option<&str>,
    count: Option<i64>,
) -> ApiTagInfo {
    ApiTagInfo {
        id,
        name: name.to_owned(),
        slug: slug.to_owned(),
        description: description.map(str::to_owned),
        url: absolute(state, &format!("/tag/{slug}/")),
        internal: newsdesk_store::tags::is_internal(name),
        post_count: count,
    }
}

/// A file of the media library.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiMedia {
    pub id: i64,
    /// "image", "audio" or "document".
    pub kind: String,
    pub mime: String,
    pub url: String,
    pub width: i64,
    pub height: i64,
    pub size_bytes: i64,
    /// The name it was uploaded under.
    pub name: String,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub focal: ApiFocal,
    /// How many stories use it (in the list only).
    pub used_in: Option<i64>,
    /// The `srcset` of its renditions (images).
    pub srcset: Option<String>,
    pub created_at: Option<String>,
}

/// A focal point, in per cent from the left and from the top.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiFocal {
    pub x: i64,
    pub y: i64,
}

pub fn media(state: &Context, m: &newsdesk_store::media::Media, used_in: Option<i64>) -> ApiMedia {
    let (url, srcset) = if m.kind == "image" {
        let view = image_view(m, None, None, None);
        (absolute(state, &view.src), Some(view.srcset))
    } else {
        (absolute(state, &format!("/media/{}/original.{}", m.file_key, crate::media::original_ext(&m.mime))), None)
    };
    ApiMedia {
        id: m.id,
        kind: m.kind.clone(),
        mime: m.mime.clone(),
        url,
        width: m.width,
        height: m.height,
        size_bytes: m.size_bytes,
        name: m.original_name.clone(),
        alt: m.alt.clone(),
        caption: m.caption.clone(),
        credit: m.credit.clone(),
        focal: ApiFocal { x: m.focal_x, y: m.focal_y },
        used_in,
        srcset,
        created_at: rfc3339(Some(m.created_at)),
    }
}

/// An entry of a story's corrections log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiCorrection {
    pub id: i64,
    pub post_id: i64,
    /// "correction" or "update".
    pub kind: String,
    pub body: String,
    pub created_at: Option<String>,
}

pub fn correction(c: &newsdesk_store::corrections::Correction) -> ApiCorrection {
    ApiCorrection {
        id: c.id,
        post_id: c.post_id,
        kind: c.kind.clone(),
        body: c.body.clone(),
        created_at: rfc3339(Some(c.created_at)),
    }
}

/// An old address and where it leads.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiRedirect {
    pub id: i64,
    pub from: String,
    /// The path it leads to now; null for a story that is not published.
    pub to: Option<String>,
    /// 301, 302, 307 or 308.
    pub status: i64,
    /// Who made it: "manual", "slug_change", an importer…
    pub source: String,
    pub created_at: Option<String>,
}

pub fn redirect(r: &newsdesk_store::redirects::Redirect) -> ApiRedirect {
    ApiRedirect {
        id: r.id,
        from: r.from_path.clone(),
        to: r.target_path(),
        status: r.status,
        source: r.source.clone(),
        created_at: rfc3339(Some(r.created_at)),
    }
}

/// A newsletter with its sender.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiNewsletter {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    /// "public" (offered on the signup forms) or "hidden".
    pub visibility: String,
    pub cadence: Option<String>,
    pub sender_name: Option<String>,
    pub sender_email: Option<String>,
    pub reply_to: Option<String>,
    pub sort_order: i64,
    /// The newsletter's language (BCP 47): its own, or the site's.
    pub language: String,
    /// Confirmed subscribers (in `GET /newsletters` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confirmed_subscribers: Option<i64>,
}

pub fn newsletter(
    state: &Context,
    n: &newsdesk_store::newsletters::Newsletter,
    confirmed: Option<i64>,
) -> ApiNewsletter {
    ApiNewsletter {
        id: n.id,
        slug: n.slug.clone(),
        name: n.name.clone(),
        description: n.description.clone(),
        visibility: n.visibility.clone(),
        cadence: n.cadence.clone(),
        sender_name: n.sender_name.clone(),
        sender_email: n.sender_email.clone(),
        reply_to: n.reply_to.clone(),
        sort_order: n.sort_order,
        language: state.site.language_of(n.language.as_deref()).to_owned(),
        confirmed_subscribers: confirmed,
    }
}

/// A subscriber of one newsletter.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSubscriber {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    /// "pending", "confirmed", "unsubscribed", "bounced" or "complained".
    pub status: String,
    pub created_at: Option<String>,
    pub confirmed_at: Option<String>,
    pub unsubscribed_at: Option<String>,
}

pub fn subscriber(r: &newsdesk_store::subscribers::SubscriptionRow) -> ApiSubscriber {
    ApiSubscriber {
        id: r.id,
        email: r.email.clone(),
        name: r.name.clone(),
        status: r.status.clone(),
        created_at: rfc3339(Some(r.created_at)),
        confirmed_at: rfc3339(r.confirmed_at),
        unsubscribed_at: rfc3339(r.unsubscribed_at),
    }
}

/// A newsletter issue and its send.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiIssue {
    pub id: i64,
    pub newsletter_id: i64,
    /// "post" (one article) or "digest".
    pub kind: String,
    pub subject: String,
    /// "queued", "sending", "paused", "sent", "cancelled" or "failed".
    pub status: String,
    pub stop_reason: Option<String>,
    pub created_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub progress: ApiProgress,
}

/// How far a send is, by delivery state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiProgress {
    pub total: i64,
    pub queued: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub bounced: i64,
    pub skipped: i64,
    pub remaining: i64,
    /// Messages per second over the last minute of sending.
    pub rate_per_second: f64,
}

pub fn issue(i: &newsdesk_store::issues::Issue, p: &newsdesk_store::issues::Progress) -> ApiIssue {
    ApiIssue {
        id: i.id,
        newsletter_id: i.newsletter_id,
        kind: i.kind.clone(),
        subject: i.subject.clone(),
        status: i.status.clone(),
        stop_reason: i.stop_reason.clone(),
        created_at: rfc3339(Some(i.created_at)),
        started_at: rfc3339(i.started_at),
        finished_at: rfc3339(i.finished_at),
        progress: ApiProgress {
            total: p.total,
            queued: p.queued,
            sending: p.sending,
            sent: p.sent,
            failed: p.failed,
            bounced: p.bounced,
            skipped: p.skipped,
            remaining: p.remaining(),
            rate_per_second: p.rate,
        },
    }
}

/// A search result: what a results list shows, and the snippet.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSearchHit {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub slug: String,
    pub url: String,
    pub title: String,
    pub excerpt: Option<String>,
    /// The kicker.
    pub primary_tag: Option<String>,
    pub byline: String,
    pub published_at: Option<String>,
    /// Part of the body as escaped HTML, with the matched words in `<mark>`.
    pub snippet: String,
}

pub fn search_hit(state: &Context, hit: &crate::search::Hit) -> ApiSearchHit {
    let v = post_view(&hit.post);
    ApiSearchHit {
        id: v.id,
        kind: v.kind,
        slug: v.slug,
        url: absolute(state, &v.url),
        title: v.title,
        excerpt: v.excerpt,
        primary_tag: v.primary_tag.map(|t| t.name),
        byline: v.byline,
        published_at: rfc3339(v.published_at),
        snippet: hit.snippet_html.clone(),
    }
}

/// A membership tier, as the membership page shows it (prices in minor units of `currency`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiTier {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub benefits: Vec<String>,
    /// False for the free tier.
    pub paid: bool,
    /// ISO 4217, lower case.
    pub currency: String,
    /// Pence or cents a month; null when the tier has no monthly price.
    pub monthly_price: Option<i64>,
    pub yearly_price: Option<i64>,
    pub trial_days: i64,
    /// False once archived: members keep it, nobody new can join.
    pub active: bool,
    pub position: i64,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

pub fn tier(t: &newsdesk_store::members::Tier) -> ApiTier {
    ApiTier {
        id: t.id,
        slug: t.slug.clone(),
        name: t.name.clone(),
        description: t.description.clone(),
        benefits: t.benefit_lines(),
        paid: t.is_paid(),
        currency: t.currency.clone(),
        monthly_price: t.monthly_price,
        yearly_price: t.yearly_price,
        trial_days: t.trial_days,
        active: t.active == 1,
        position: t.position,
        created_at: rfc3339(Some(t.created_at)),
        updated_at: rfc3339(Some(t.updated_at)),
    }
}

/// What gives a member a tier: a Stripe subscription or a grant by staff.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiMemberTier {
    pub id: i64,
    pub tier: String,
    pub tier_name: String,
    /// "stripe" or "comp".
    pub source: String,
    /// Stripe's status (`active`, `trialing`, `past_due`, `canceled`…), or `active`/`revoked` for a grant.
    pub status: String,
    /// Whether it gives the tier now (a failed payment within the grace period still does).
    pub gives_access: bool,
    /// "month" or "year" for a subscription.
    pub cadence: Option<String>,
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub current_period_end: Option<String>,
    pub cancel_at_period_end: bool,
    /// When a grant ends (null: until revoked).
    pub expires_at: Option<String>,
    pub note: Option<String>,
    pub granted_by: Option<String>,
    pub created_at: Option<String>,
}

/// A member (a reader's account).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiMember {
    pub id: i64,
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    /// How they came: "signup", "staff", "import", "checkout" or "donation".
    pub source: String,
    /// "paid" (a paid tier now), "comped" (only by grants) or "free".
    pub status: String,
    /// The slugs of the paid tiers they hold now.
    pub tiers: Vec<String>,
    /// Everything that gives or gave them a tier (on a single member only; the list leaves it empty).
    pub subscriptions: Vec<ApiMemberTier>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub last_seen_at: Option<String>,
}

/// A member with what their subscriptions give at `now`; without `with_subscriptions`, the list's short form.
pub fn member(
    m: &newsdesk_store::members::Member,
    subs: &[newsdesk_store::members::MemberSubscription],
    now: i64,
    grace: i64,
    with_subscriptions: bool,
) -> ApiMember {
    let tiers = match crate::members::access_from(subs, grace) {
        newsdesk_domain::Access::Member { paid_tiers } => paid_tiers,
        _ => Vec::new(),
    };
    let paying = subs.iter().any(|s| s.tier_paid == 1 && s.source == "stripe" && s.grants_access(now, grace));
    let status = if paying {
        "paid"
    } else if tiers.is_empty() {
        "free"
    } else {
        "comped"
    };
    let subscriptions = if !with_subscriptions {
        Vec::new()
    } else {
        subs.iter()
            .map(|s| ApiMemberTier {
                id: s.id,
                tier: s.tier_slug.clone(),
                tier_name: s.tier_name.clone(),
                source: s.source.clone(),
                status: s.status.clone(),
                gives_access: s.grants_access(now, grace),
                cadence: s.cadence.clone(),
                amount: s.amount,
                currency: s.currency.clone(),
                current_period_end: rfc3339(s.current_period_end),
                cancel_at_period_end: s.cancel_at_period_end == 1,
                expires_at: rfc3339(s.expires_at),
                note: s.note.clone(),
                granted_by: s.granted_by.clone(),
                created_at: rfc3339(Some(s.created_at)),
            })
            .collect()
    };
    ApiMember {
        id: m.id,
        email: m.email.clone(),
        name: m.name.clone(),
        note: m.note.clone(),
        source: m.source.clone(),
        status: status.into(),
        tiers,
        subscriptions,
        created_at: rfc3339(Some(m.created_at)),
        updated_at: rfc3339(Some(m.updated_at)),
        last_seen_at: rfc3339(m.last_seen_at),
    }
}
