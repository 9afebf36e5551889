//! The meter (`[payments] meter`): on a metered site the cached page of a public story shows a reader who is not
//! signed in only its preview and a prompt, so the page stays one cacheable copy; `meter.js` then asks
//! `POST /members/meter/{id}`, which counts the story in the reader's meter cookie and answers the rest of it, or,
//! once this month's free stories are read, the prompt to register. Without JavaScript the reader keeps the preview
//! and the prompt, never the whole story. Members (free ones too) and staff read everything and are never counted.
//!
//! The cookie (`nd_meter`, `YYYY-MM.id-id-id`) is not signed: a reader can only make it count less by editing it,
//! as by clearing it, which starts the month afresh — a meter is a soft wall; the paid tiers are the hard one.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::membership::Meter;
use newsdesk_render::locale::Arg;

use crate::auth::session::{cookie, set_cookie};
use crate::auth::{MaybeMember, MaybeStaff};
use crate::error::ApiError;
use crate::routes::api::ApiPath;
use crate::state::AppState;

/// The reader's meter cookie.
pub const METER_COOKIE: &str = "nd_meter";

/// Whether `post` is metered for whoever asks with `access`: a published public story (not a page) on a site with
/// a meter, for a reader who is neither staff nor a signed-in member.
pub fn is_metered(state: &AppState, post: &newsdesk_store::posts::PostRow, access: &newsdesk_domain::Access) -> bool {
    state.options.payments.meter > 0
        && !post.is_gated()
        && post.kind == "post"
        && post.status == "published"
        && matches!(access, newsdesk_domain::Access::Anonymous)
}

/// This month (`YYYY-MM`) in the site's time zone: the meter's period.
fn this_month(state: &AppState) -> String {
    jiff::Timestamp::now().to_zoned(state.site.timezone.tz().clone()).strftime("%Y-%m").to_string()
}

/// Every answer, a refusal too, is the asking reader's own: never kept by a cache or CDN.
#[tracing::instrument(skip_all, name = "public.meter.read", fields(post.id = id))]
pub async fn read(
    State(state): State<AppState>,
    staff: MaybeStaff,
    member: MaybeMember,
    crate::client_ip::ClientAddr(addr): crate::client_ip::ClientAddr,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let mut response = match answer(&state, &staff, &member, addr, &headers, id).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("private, no-store"));
    response
}

async fn answer(
    state: &AppState,
    staff: &MaybeStaff,
    member: &MaybeMember,
    addr: SocketAddr,
    headers: &HeaderMap,
    id: i64,
) -> Result<Response, ApiError> {
    // Generous: a reader opening many stories is fine; a script walking every id is not.
    if !state.limiter.allow(&format!("meter-ip:{}", addr.ip()), 300, Duration::from_secs(3600)).await {
        return Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests; try again later.",
        ));
    }
    let free = state.options.payments.meter as usize;
    let post = match state.store.post(id).await? {
        Some(p) if is_metered(state, &p.row, &newsdesk_domain::Access::Anonymous) => p,
        _ => return Err(ApiError::not_found("metered story")),
    };
    let locale = state.templates.locales().get(state.site.language_of(post.row.language.as_deref())).clone();
    let (_, rest) = post.row.metered_parts();
    if staff.0.is_some() || member.0.is_some() {
        return Ok(Json(serde_json::json!({ "html": rest, "left": null, "message": null })).into_response());
    }
    let month = this_month(state);
    let mut meter = Meter::decode(&cookie(headers, METER_COOKIE).unwrap_or_default(), &month);
    let before = meter.read.len();
    if !meter.admit(id, free) {
        let message = locale.text("meter_spent", &[("count", Arg::Number(free as i64))]);
        return Err(ApiError::new(StatusCode::FORBIDDEN, "meter_exhausted", message));
    }
    let left = meter.left(free);
    let message = match left {
        0 => locale.text("meter_last", &[]),
        n => locale.text("meter_left", &[("count", Arg::Number(n as i64))]),
    };
    let mut response = Json(serde_json::json!({ "html": rest, "left": left, "message": message })).into_response();
    if meter.read.len() != before {
        // Kept a little past the month's end; a new month's first read starts it afresh anyway.
        let value = set_cookie(METER_COOKIE, &meter.encode(), 40 * 86_400, state.secure_cookies);
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    tracing::debug!(left, "metered story read");
    Ok(response)
}
