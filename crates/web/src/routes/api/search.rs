//! `GET /api/v1/search`: full-text search over published stories and pages (public), for front-ends.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use newsdesk_services::api_views::{ApiSearchHit, PageMeta, search_hit};
use newsdesk_services::search;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiQuery, MaybeApiAuth};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words (all must match), `"a phrase"`, `-excluded`; the last word matches as a prefix.
    q: Option<String>,
    /// Only stories with this tag (its slug).
    tag: Option<String>,
    /// Only stories bylined to this author or desk (its slug).
    author: Option<String>,
    /// Published on or after this day (YYYY-MM-DD, the site's time zone).
    from: Option<String>,
    /// Published on or before this day (YYYY-MM-DD, the site's time zone).
    to: Option<String>,
    /// "relevance" (the default) or "newest".
    sort: Option<String>,
    page: Option<i64>,
    /// 1 to 50; 10 when absent.
    limit: Option<i64>,
    /// Only stories in this language (BCP 47, one of the site's); every language when absent.
    language: Option<String>,
}

/// A page of results.
#[derive(Serialize, ToSchema)]
pub struct SearchAnswer {
    results: Vec<ApiSearchHit>,
    meta: PageMeta,
}

/// Published stories and pages matching a query, best first (public). Headline matches weigh most; an
/// unpublished story is never found.
#[utoipa::path(get, path = "/search", tag = "search", params(SearchQuery), security((), ("token" = [])),
    responses((status = 200, description = "A page of results", body = SearchAnswer),
        (status = 422, description = "`date_invalid`, `invalid` for an unknown sort, `language_invalid` or `language_unknown`"),
        (status = 429, description = "`rate_limited`: more searches from one address than a reader types (without a token)")))]
pub async fn search(
    State(state): State<AppState>,
    auth: MaybeApiAuth,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Json<SearchAnswer>, ApiError> {
    if auth.0.is_none() && !crate::routes::public::search::allowed(&state, &addr).await {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many searches from this address; wait a minute, or send an API token.",
        ));
    }
    let request = search::Request {
        q: q.q.as_deref().unwrap_or(""),
        tag: q.tag.as_deref(),
        author: q.author.as_deref(),
        from: q.from.as_deref(),
        to: q.to.as_deref(),
        sort: q.sort.as_deref(),
        page: q.page.unwrap_or(1),
        limit: q.limit.unwrap_or(10),
        language: match q.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(tag) => Some(state.site.post_language("language", tag)?),
            None => None,
        },
    };
    let found = search::search(&state, &request).await?;
    Ok(Json(SearchAnswer {
        results: found.hits.iter().map(|h| search_hit(&state, h)).collect(),
        meta: PageMeta::new(found.page, found.limit, found.total),
    }))
}
