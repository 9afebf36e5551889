//! Staff pages under `/admin/`. Every handler takes a [`Staff`] (signed in, or redirected to sign-in), checks the
//! role on the server, and checks the CSRF token of every POST.

pub mod account;
pub mod authors;
pub mod curation;
pub mod editor_api;
pub mod issues;
pub mod jobs;
pub mod media;
pub mod members;
pub mod news_feed;
pub mod newsletters;
pub mod outbox;
pub mod posts;
pub mod redirects;
pub mod revenue;
pub mod revisions;
pub mod session;
pub mod subscribers;
pub mod tags;
pub mod tiers;
pub mod tokens;
pub mod users;
pub mod webhooks;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use newsdesk_render::minijinja::Value;
use serde::Serialize;

use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;

#[derive(Serialize)]
struct Can {
    publish: bool,
    taxonomy: bool,
    staff: bool,
    delete: bool,
    newsletters: bool,
    /// Add or change raw HTML blocks in stories.
    raw_html: bool,
}

#[derive(Serialize)]
struct AdminCommon<'a, T: Serialize> {
    #[serde(flatten)]
    page: T,
    user: Option<&'a newsdesk_store::users::User>,
    csrf: &'a str,
    can: Can,
    section: &'a str,
    flash: Option<&'a str>,
}

/// Renders an admin template with the signed-in user, CSRF token and permission flags.
pub fn render<T: Serialize>(
    state: &AppState,
    staff: Option<&Staff>,
    csrf: &str,
    template: &str,
    section: &str,
    flash: Option<&str>,
    data: T,
) -> Result<Html<String>, AppError> {
    let role = staff.map(|s| s.role);
    let can = Can {
        publish: role.is_some_and(|r| r.can_publish()),
        taxonomy: role.is_some_and(|r| r.can_manage_taxonomy()),
        staff: role.is_some_and(|r| r.can_manage_staff()),
        delete: role.is_some_and(|r| r.can_publish()),
        newsletters: role.is_some_and(|r| r.can_manage_newsletters()),
        raw_html: role.is_some_and(newsdesk_services::documents::may_write_raw_html),
    };
    let ctx = AdminCommon { page: data, user: staff.map(|s| &s.user), csrf, can, section, flash };
    Ok(Html(state.templates.render(template, Value::from_serialize(&ctx))?))
}

/// A page for a signed-in user.
pub fn page<T: Serialize>(
    state: &AppState,
    staff: &Staff,
    template: &str,
    section: &str,
    flash: Option<&str>,
    data: T,
) -> Result<Response, AppError> {
    Ok(render(state, Some(staff), &staff.csrf, template, section, flash, data)?.into_response())
}

/// The same page again with field errors, status 422.
pub fn invalid<T: Serialize>(
    state: &AppState,
    staff: &Staff,
    template: &str,
    section: &str,
    data: T,
) -> Result<Response, AppError> {
    let html = render(state, Some(staff), &staff.csrf, template, section, None, data)?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// Checks the CSRF token of a signed-in form.
pub fn check_csrf(staff: &Staff, form: &FormData) -> Result<(), AppError> {
    crate::auth::csrf::check(&staff.csrf, form.get("csrf_token"))
}

/// Flash messages are passed as a short code in the query string (`?done=saved`) so no state is kept.
pub fn flash_text(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "saved" => "Saved.",
        "published" => "Published. It is live on the site.",
        "scheduled" => "Scheduled. It will go live at the time shown.",
        "unpublished" => "Unpublished. Readers can no longer see it.",
        "deleted" => "Deleted.",
        "created" => "Created.",
        "password" => "Your password was changed; other sessions were signed out.",
        "retried" => "The job was queued again.",
        "revoked" => "Token revoked.",
        "posted" => "Posted to the News Feed. Open pages show it within seconds.",
        "retracted" => "Retracted. The item stays visible, marked as retracted, with your note.",
        "corrected" => "Correction appended; readers see it at the foot of the article.",
        "restored" => "Restored as a new revision; the revisions in between are kept.",
        "narrating" => "Narration queued; the status below updates when you reload.",
        "added" => "Added.",
        "removed" => "Removed.",
        "suppressed" => "Suppressed: this address will not get newsletter mail again.",
        "unsuppressed" => "Taken off the suppression list. The address must sign up again to get mail.",
        "paused" => "Paused. Messages already handed to the mail server still arrive.",
        "resumed" => "Resumed.",
        "cancelled" => "Cancelled. Nobody else will get this issue.",
        "test-sent" => "Test message queued; it arrives within seconds.",
        _ => return None,
    })
}

pub fn see_other(to: &str) -> Response {
    crate::redirect::see_other(to)
}

pub fn errors_json(errors: &FieldErrors) -> serde_json::Value {
    serde_json::to_value(errors).unwrap_or_default()
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    pub done: Option<String>,
    pub edit: Option<i64>,
    pub status: Option<String>,
}

/// The site's languages for a form's select, the site's own first: `{tag, name}` with each language's own name.
pub(super) fn site_languages(site: &newsdesk_domain::SiteSettings) -> Vec<serde_json::Value> {
    std::iter::once(&site.language)
        .chain(&site.languages)
        .map(|tag| serde_json::json!({ "tag": tag, "name": newsdesk_domain::language::autonym(tag) }))
        .collect()
}
