//! The article page (and static pages) at `/{slug}/`. Staff also see drafts and scheduled posts, with a note.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use newsdesk_render::views::PostView;
use newsdesk_store::posts::{Post, PostFilter};

use newsdesk_domain::{Access, Visibility};

use super::{Cached, cached, not_found, serve_page};
use crate::auth::{MaybeMember, MaybeStaff};
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_services::views::{correction_view, post_view};

/// The promo under an article: the post editors chose, else the latest other published post of its section (the
/// primary tag), else of its other tags in order — the lead story included, whatever the home page shows.
async fn related(state: &AppState, post: &Post) -> Result<Option<PostView>, AppError> {
    if let Some(id) = post.row.related_post_id
        && let Some(p) = state.store.post(id).await?.filter(|p| p.row.status == "published")
    {
        return Ok(Some(post_view(&p)));
    }
    for tag in &post.tags {
        let filter = PostFilter { tag_id: Some(tag.id), ..PostFilter::published_posts() };
        let candidates = state.store.top_posts(&filter, 2).await?;
        if let Some(p) = candidates.iter().find(|p| p.row.id != post.row.id) {
            return Ok(Some(post_view(p)));
        }
    }
    Ok(None)
}

/// The paywall a reader who may not read the whole story sees instead of the rest: what it takes (an account, a
/// paid tier, one of some tiers) and whether they are signed in already.
fn paywall(post: &Post, member: &MaybeMember, key: &str, tiers: &[newsdesk_store::members::Tier]) -> serde_json::Value {
    let visibility = post.row.visibility();
    let kind = match &visibility {
        Visibility::Members => "members",
        Visibility::Paid => "paid",
        _ => "tiers",
    };
    let names: Vec<&str> = match &visibility {
        Visibility::Tiers(slugs) => tiers.iter().filter(|t| slugs.contains(&t.slug)).map(|t| t.name.as_str()).collect(),
        _ => Vec::new(),
    };
    serde_json::json!({
        "kind": kind,
        "signed_in": member.0.is_some(),
        "tiers": newsdesk_domain::byline_names(&names),
        "next": crate::auth::session::urlencode(key),
    })
}

pub async fn show(
    State(state): State<AppState>,
    staff: MaybeStaff,
    member: MaybeMember,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let key = format!("/{slug}/");
    let claim = match cached(&state, &staff, &headers, &key).await {
        Cached::Hit(r) => return Ok(r),
        Cached::Miss(claim) => claim,
    };
    let post = match &staff.0 {
        Some(_) => state.store.post_by_slug(&slug).await?,
        None => state.store.published_by_slug(&slug).await?,
    };
    let Some(post) = post else {
        return not_found(&state, &staff, &headers).await;
    };
    let corrections: Vec<_> = state
        .store
        .corrections_for(&[post.row.id])
        .await?
        .remove(&post.row.id)
        .unwrap_or_default()
        .iter()
        .map(correction_view)
        .collect();
    let related = related(&state, &post).await?;
    let mut view = post_view(&post);
    // Who may read the whole story: the cached copy is always the anonymous reader's.
    let access = if staff.0.is_some() { Access::Staff } else { member.access() };
    let gated = post.row.is_gated();
    let entitled = post.row.visibility().allows(&access);
    // A metered page shows the preview; `meter.js` asks for the rest (`routes::public::meter`).
    let metered = super::meter::is_metered(&state, &post.row, &access);
    let paywall = match (gated, entitled) {
        (true, true) => {
            view.html = format!("{}<div class=\"paid-content\">{}</div>", view.html, post.row.paid_html);
            serde_json::Value::Null
        }
        (true, false) => paywall(&post, &member, &key, &state.store.tiers().await?),
        _ if metered => {
            view.html = post.row.metered_parts().0.to_owned();
            serde_json::json!({ "kind": "meter", "signed_in": false, "free": state.options.payments.meter,
                "payments": !state.options.payments.stripe_secret_key.is_empty(),
                "next": crate::auth::session::urlencode(&key), "url": format!("/members/meter/{}", post.row.id) })
        }
        _ => serde_json::Value::Null,
    };
    // The audio edition reads the whole story: only for those who may read it (not a metered page's reader, who
    // may be past the meter).
    if entitled && !metered {
        view.audio = newsdesk_services::views::audio_of(&post, state.store.audio_edition(post.row.id).await?.as_ref());
    }
    let publisher = newsdesk_render::jsonld::Publisher {
        name: &state.site.title,
        url: &format!("{}/", state.site.url),
        logo_url: &format!("{}/assets/logo.svg", state.site.url),
    };
    let mut article =
        newsdesk_render::jsonld::news_article(&view, &state.site.url, &publisher, &corrections, &super::iso_in(&state));
    article["inLanguage"] = state.site.language_of(post.row.language.as_deref()).into();
    if gated || metered {
        // Google's markup for paywalled (and metered) content: the part in `.paid-content` (or the `.metered-content`
        // the meter fills) is not free.
        article["isAccessibleForFree"] = false.into();
        article["hasPart"] = serde_json::json!({ "@type": "WebPageElement", "isAccessibleForFree": false,
            "cssSelector": if gated { ".paid-content" } else { ".metered-content" } });
    }
    let mut trail = Vec::new();
    if let Some(t) = &view.primary_tag {
        trail.push((t.name.as_str(), t.url.clone()));
    }
    trail.push((view.title.as_str(), view.url.clone()));
    let jsonld = vec![newsdesk_render::jsonld::script_json(&article), super::breadcrumbs(&state, &trail)];
    let languages = translations(&state, &post).await?;
    // Only anonymous renders are cached, and for them `metered` is the site's meter: members never get that copy.
    serve_page(&state, &staff, &headers, &key, claim, gated || metered, || async {
        let template = if view.kind == "page" { "page.html" } else { "post.html" };
        // The article's own language and alternates (its translations) win over its edition's.
        let lang = state.site.language_of(post.row.language.as_deref());
        let data = serde_json::json!({ "post": view, "corrections": corrections, "related": related, "jsonld": jsonld,
            "narration_policy_url": state.options.narration_policy_url, "lang": lang,
            "dir": newsdesk_domain::language::direction(lang),
            "translations": languages.links, "alternates": languages.alternates, "paywall": paywall,
            // The theme's donation prompt, unless the story places its own.
            "donations": !state.options.payments.stripe_secret_key.is_empty() && !view.html.contains("prompt-donation") });
        let edition = super::edition::Edition::of_post(&state.site, post.row.language.as_deref());
        Ok((StatusCode::OK, template, super::edition::with_edition(data, &edition, &state.site, &key)))
    })
    .await
}

/// The published translations of a post: "Read in" links (the others) and `hreflang` alternates (all of them,
/// this one too, and `x-default`: the version in the site's own language, else the story's first).
struct Languages {
    links: Vec<serde_json::Value>,
    alternates: Vec<serde_json::Value>,
}

async fn translations(state: &AppState, post: &newsdesk_store::posts::Post) -> Result<Languages, AppError> {
    let Some(group) = post.row.translation_group else {
        return Ok(Languages { links: Vec::new(), alternates: Vec::new() });
    };
    let members: Vec<_> = state
        .store
        .translation_group(group)
        .await?
        .into_iter()
        .filter(|t| t.status == "published" || t.id == post.row.id)
        .collect();
    if members.len() < 2 {
        return Ok(Languages { links: Vec::new(), alternates: Vec::new() });
    }
    let tag = |t: &newsdesk_store::posts::TranslationRow| state.site.language_of(t.language.as_deref()).to_owned();
    let links = members
        .iter()
        .filter(|t| t.id != post.row.id)
        .map(|t| {
            let lang = tag(t);
            let (name, dir) = (newsdesk_domain::language::autonym(&lang), newsdesk_domain::language::direction(&lang));
            serde_json::json!({ "url": format!("/{}/", t.slug), "lang": lang, "dir": dir, "name": name, "title": t.title })
        })
        .collect();
    let default = members.iter().find(|t| t.language.is_none()).unwrap_or(&members[0]);
    let mut alternates: Vec<serde_json::Value> =
        members.iter().map(|t| serde_json::json!({ "hreflang": tag(t), "url": format!("/{}/", t.slug) })).collect();
    alternates.push(serde_json::json!({ "hreflang": "x-default", "url": format!("/{}/", default.slug) }));
    Ok(Languages { links, alternates })
}
