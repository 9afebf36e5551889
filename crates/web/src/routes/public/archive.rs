//! Tag and author archives: `/tag/{slug}/` and `/author/{slug}/`, paginated at `…/page/N/`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use newsdesk_store::posts::PostFilter;

use super::edition::{Edition, with_edition};
use super::{Cached, PER_PAGE, cached, not_found, page_number, serve};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_services::views::{author_view, image_view, pagination, post_view, tag_view};

#[derive(Clone, Copy)]
enum Kind {
    Tag,
    Author,
}

pub async fn tag(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    archive(&state, &staff, &headers, &edition, Kind::Tag, &slug, "1").await
}

pub async fn tag_paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
    Path((slug, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    archive(&state, &staff, &headers, &edition, Kind::Tag, &slug, &n).await
}

pub async fn author(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    archive(&state, &staff, &headers, &edition, Kind::Author, &slug, "1").await
}

pub async fn author_paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
    Path((slug, n)): Path<(String, String)>,
) -> Result<Response, AppError> {
    archive(&state, &staff, &headers, &edition, Kind::Author, &slug, &n).await
}

/// One archive page. `n` is "1" for the first page, else the path segment after `page/` (only 2.. is valid).
async fn archive(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    edition: &Edition,
    kind: Kind,
    slug: &str,
    n: &str,
) -> Result<Response, AppError> {
    let Some(n) = (if n == "1" { Some(1) } else { page_number(n) }) else {
        return not_found(state, staff, headers).await;
    };
    let base = match kind {
        Kind::Tag => format!("/tag/{slug}/"),
        Kind::Author => format!("/author/{slug}/"),
    };
    let path = if n == 1 { base.clone() } else { format!("{base}page/{n}/") };
    let key = edition.path(&path);
    let base = edition.path(&base);
    let claim = match cached(state, staff, headers, &key).await {
        Cached::Hit(r) => return Ok(r),
        Cached::Miss(claim) => claim,
    };
    // The archive's subject, the posts filter, and its template data.
    let subject = match kind {
        Kind::Tag => state.store.tag_by_slug(slug).await?.filter(|t| !t.is_internal()).map(|t| {
            let mut v = serde_json::to_value(tag_view(&t)).unwrap_or_default();
            v["description"] = serde_json::json!(t.description);
            (PostFilter { tag_id: Some(t.id), ..PostFilter::published_posts() }, "tag.html", "tag", v)
        }),
        Kind::Author => match state.store.author_by_slug(slug).await? {
            Some(a) => {
                let mut view = author_view(&a);
                if let Some(id) = a.image_id {
                    view.photo = state.store.media(id).await?.map(|m| image_view(&m, None, None, None));
                }
                let v = serde_json::to_value(view).unwrap_or_default();
                Some((
                    PostFilter { author_id: Some(a.id), ..PostFilter::published_posts() },
                    "author.html",
                    "author",
                    v,
                ))
            }
            None => None,
        },
    };
    let Some((mut filter, template, name, subject)) = subject else { return not_found(state, staff, headers).await };
    filter.language = edition.filter();
    let page = state.store.list_posts(&filter, n, PER_PAGE).await?;
    if n > 1 && page.items.is_empty() {
        return not_found(state, staff, headers).await;
    }
    serve(state, staff, headers, &key, claim, || async {
        let mut posts: Vec<_> = page.items.iter().map(post_view).collect();
        edition.localize(&mut posts);
        let title = subject["name"].as_str().unwrap_or_default().to_owned();
        let mut data = serde_json::json!({
            "posts": posts,
            "pagination": pagination(&page, &base),
            "feed_links": super::feed_links(&base, &format!("{title} – {}", state.site.title)),
            "jsonld": [super::breadcrumbs(state, &[(title.as_str(), base.clone())])],
            "page_title": format!("{title} – {}", state.site.title),
        });
        data[name] = subject;
        Ok((StatusCode::OK, template, with_edition(data, edition, &state.site, &path)))
    })
    .await
}
