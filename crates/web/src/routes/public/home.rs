//! The front page: the lead story, then the latest stories, paginated at `/page/N/`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use newsdesk_render::views::PostView;
use newsdesk_store::posts::PostFilter;

use super::edition::{Edition, with_edition};
use super::{Cached, PER_PAGE, cached, not_found, page_number, serve};
use crate::auth::MaybeStaff;
use crate::error::AppError;
use crate::state::AppState;
use newsdesk_services::views::{pagination, post_view};

/// The lead and top stories editors placed (published ones only), in slot order.
async fn curated(state: &AppState) -> Result<(Option<PostView>, Vec<PostView>), AppError> {
    let slots = state.store.home_slots().await?;
    let ids: Vec<i64> = newsdesk_store::curation::HOME_SLOTS
        .iter()
        .filter_map(|name| slots.iter().find(|(s, _)| s == name).map(|(_, id)| *id))
        .collect();
    let posts = state.store.posts_by_ids(&ids).await?;
    let lead_id = slots.iter().find(|(s, _)| s == "lead").map(|(_, id)| *id);
    let lead = lead_id.and_then(|id| posts.iter().find(|p| p.row.id == id)).map(post_view);
    let top = posts.iter().filter(|p| Some(p.row.id) != lead_id).map(post_view).collect();
    Ok((lead, top))
}

pub async fn index(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    render(&state, &staff, &headers, &edition, 1).await
}

pub async fn paged(
    State(state): State<AppState>,
    staff: MaybeStaff,
    edition: Edition,
    headers: HeaderMap,
    Path(n): Path<String>,
) -> Result<Response, AppError> {
    match page_number(&n) {
        Some(n) => render(&state, &staff, &headers, &edition, n).await,
        None => not_found(&state, &staff, &headers).await,
    }
}

async fn render(
    state: &AppState,
    staff: &MaybeStaff,
    headers: &HeaderMap,
    edition: &Edition,
    n: i64,
) -> Result<Response, AppError> {
    let path = if n == 1 { "/".to_owned() } else { format!("/page/{n}/") };
    let key = edition.path(&path);
    let claim = match cached(state, staff, headers, &key).await {
        Cached::Hit(r) => return Ok(r),
        Cached::Miss(claim) => claim,
    };
    // Page 1 shows the lead story plus PER_PAGE more; later pages continue after them.
    let filter = PostFilter { language: edition.filter(), ..PostFilter::published_posts() };
    let page = state.store.list_posts(&filter, n, PER_PAGE).await?;
    if n > 1 && page.items.is_empty() {
        return not_found(state, staff, headers).await;
    }
    // Page 1: editors' lead and top stories (slots, which belong to the site's own edition), falling back to the
    // newest stories.
    let (lead, top) = if n == 1 && edition.prefix.is_empty() { curated(state).await? } else { (None, Vec::new()) };
    serve(state, staff, headers, &key, claim, || async move {
        let shown: Vec<i64> = lead.iter().chain(top.iter()).map(|p| p.id).collect();
        let mut posts: Vec<PostView> = page.items.iter().map(post_view).filter(|p| !shown.contains(&p.id)).collect();
        let mut lead = match lead {
            Some(l) => Some(l),
            None if n == 1 && !posts.is_empty() => Some(posts.remove(0)),
            None => None,
        };
        let mut top = top;
        edition.localize(&mut posts);
        edition.localize(&mut top);
        edition.localize(lead.as_mut_slice());
        let site = &state.site;
        let website = newsdesk_render::jsonld::website(&site.title, &site.url, &site.language);
        let data = serde_json::json!({
            "lead": lead, "top": top, "posts": posts, "pagination": pagination(&page, &edition.path("/")),
            "jsonld": if n == 1 { vec![newsdesk_render::jsonld::script_json(&website)] } else { Vec::new() },
        });
        let data = with_edition(data, edition, &state.site, &path);
        Ok((StatusCode::OK, "home.html", data))
    })
    .await
}
