//! Sending an issue (editors and above): one article in full ("send this article as …") or a digest of several,
//! previewed as a subscriber will see it, tried on one address, then sent. Sending makes an issue once per form
//! (its idempotency key), so a double-click or a resubmitted form never sends twice; the worker fans it out to
//! delivery records and delivers them. The issue page shows progress and pauses, resumes or cancels the send.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::EmailAddress;
use newsdesk_store::issues::{IssueControl, NewIssue};
use newsdesk_store::mail::MailPayload;
use newsdesk_store::newsletters::Newsletter;
use newsdesk_store::posts::{Post, PostFilter};

use super::{check_csrf, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_services::newsletter_mail::{render_issue, sample};

/// Most articles a digest may carry.
const MAX_POSTS: usize = 20;

async fn newsletter(state: &AppState, staff: &Staff, id: i64) -> Result<Newsletter, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "send newsletters")?;
    state.store.newsletter(id).await?.ok_or(AppError::NotFound)
}

/// The chosen posts, in the order chosen; only published ones (their links must work).
async fn chosen_posts(state: &AppState, ids: &[i64]) -> Result<Vec<Post>, AppError> {
    let found = state.store.posts_by_ids(ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|p| p.row.id == *id && p.row.status == "published").cloned())
        .collect())
}

struct Compose {
    post_ids: Vec<i64>,
    subject: String,
    intro: String,
    test_to: String,
    key: String,
}

async fn compose_page(
    state: &AppState,
    staff: &Staff,
    n: &Newsletter,
    c: &Compose,
    errors: FieldErrors,
    flash: Option<&str>,
) -> Result<Response, AppError> {
    let posts = chosen_posts(state, &c.post_ids).await?;
    let kind = if posts.len() == 1 { "post" } else { "digest" };
    let preview = if posts.is_empty() {
        None
    } else {
        let rendered = render_issue(state, n, kind, &posts, Some(&c.intro), Some(&c.subject))?;
        Some(sample(&rendered, &state.site.url, Some(&staff.user.name)))
    };
    let recent =
        state.store.top_posts(&PostFilter { status: Some("published".into()), ..Default::default() }, 30).await?;
    let recipients = state.store.confirmed_count(n.id).await?;
    let data = serde_json::json!({
        "newsletter": n,
        "recent": recent.iter().map(|p| serde_json::json!({ "id": p.row.id, "title": p.row.title, "published_at": p.row.published_at })).collect::<Vec<_>>(),
        "chosen": c.post_ids,
        "subject": if c.subject.is_empty() { preview.as_ref().map(|p| p.subject.clone()).unwrap_or_default() } else { c.subject.clone() },
        "intro": c.intro,
        "test_to": if c.test_to.is_empty() { staff.user.email.clone() } else { c.test_to.clone() },
        "key": c.key,
        "preview": preview,
        "recipients": recipients,
        "errors": super::errors_json(&errors),
    });
    if errors.is_empty() {
        page(state, staff, "admin/send.html", "newsletters", flash, data)
    } else {
        invalid(state, staff, "admin/send.html", "newsletters", data)
    }
}

pub async fn compose(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let n = newsletter(&state, &staff, id).await?;
    let post_ids = q.iter().filter(|(k, _)| k == "post").filter_map(|(_, v)| v.parse().ok()).collect();
    let c = Compose {
        post_ids,
        subject: String::new(),
        intro: String::new(),
        test_to: String::new(),
        key: newsdesk_store::new_token().0,
    };
    compose_page(&state, &staff, &n, &c, FieldErrors::new(), None).await
}

/// The compose form's buttons: `preview` shows it again, `test` mails one address, `send` makes the issue.
pub async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let n = newsletter(&state, &staff, id).await?;
    let mut c = Compose {
        post_ids: form.all("post").iter().filter_map(|v| v.parse().ok()).collect(),
        subject: form.str("subject").trim().to_owned(),
        intro: form.str("intro").trim().to_owned(),
        test_to: form.str("test_to").trim().to_owned(),
        key: form.str("key").to_owned(),
    };
    c.post_ids.dedup();
    let mut errors = FieldErrors::new();
    let posts = chosen_posts(&state, &c.post_ids).await?;
    if posts.is_empty() {
        errors.insert("post", "Choose at least one published article.".into());
    } else if posts.len() > MAX_POSTS {
        errors.insert("post", format!("A digest carries at most {MAX_POSTS} articles."));
    } else if posts.len() != c.post_ids.len() {
        errors.insert("post", "One of the articles chosen is not published (or no longer exists).".into());
    }
    if c.subject.chars().count() > 200 {
        errors.insert("subject", "Keep the subject under 200 characters.".into());
    }
    if c.intro.chars().count() > 2000 {
        errors.insert("intro", "Keep the introduction under 2,000 characters.".into());
    }
    let action = form.str("action");
    if action == "test" && EmailAddress::parse("test_to", &c.test_to).is_err() {
        errors.insert("test_to", crate::routes::public::newsletters::BAD_ADDRESS.into());
    }
    if action == "send" && (c.key.len() < 32 || c.key.len() > 128) {
        errors.insert("post", "This form is out of date; reload the page.".into());
    }
    if !errors.is_empty() || action == "preview" {
        if c.key.len() < 32 {
            c.key = newsdesk_store::new_token().0;
        }
        return compose_page(&state, &staff, &n, &c, errors, None).await;
    }
    let kind = if posts.len() == 1 { "post" } else { "digest" };
    let rendered = render_issue(&state, &n, kind, &posts, Some(&c.intro), Some(&c.subject))?;
    if action == "test" {
        let copy = sample(&rendered, &state.site.url, Some(&staff.user.name));
        state
            .store
            .enqueue_mail(&MailPayload {
                to: c.test_to.to_lowercase(),
                subject: format!("[Test] {}", copy.subject),
                text: copy.text,
                html: Some(copy.html),
                reply_to: n.reply_to.clone(),
                headers: Vec::new(),
            })
            .await?;
        tracing::info!(newsletter = %n.slug, "newsletter test queued");
        return compose_page(&state, &staff, &n, &c, errors, flash_text(Some("test-sent"))).await;
    }
    let post_ids: Vec<i64> = posts.iter().map(|p| p.row.id).collect();
    let (issue, made) = state
        .store
        .create_issue(&NewIssue {
            newsletter_id: n.id,
            idempotency_key: &c.key,
            kind,
            post_ids: &post_ids,
            subject: &rendered.subject,
            html: &rendered.html,
            text: &rendered.text,
            created_by: Some(staff.user.id),
        })
        .await?;
    tracing::info!(issue.id = issue.id, newsletter = %n.slug, made, "newsletter issue created");
    Ok(see_other(&format!("/admin/issues/{}", issue.id)))
}

pub async fn show(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<super::DoneQuery>,
) -> Result<Response, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "send newsletters")?;
    let issue = state.store.issue(id).await?.ok_or(AppError::NotFound)?;
    let n = state.store.newsletter(issue.newsletter_id).await?.ok_or(AppError::NotFound)?;
    let progress = state.store.issue_progress(id).await?;
    let rendered = newsdesk_services::newsletter_mail::RenderedIssue::from(&issue);
    let data = serde_json::json!({
        "issue": issue,
        "newsletter": n,
        "progress": progress,
        "remaining": progress.remaining(),
        "preview": sample(&rendered, &state.site.url, Some(&staff.user.name)),
        "problems": state.store.failed_deliveries(id, 100).await?,
    });
    page(&state, &staff, "admin/issue.html", "newsletters", flash_text(q.done.as_deref()), data)
}

pub async fn control(
    State(state): State<AppState>,
    staff: Staff,
    Path((id, action)): Path<(i64, String)>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    staff.require(staff.role.can_manage_newsletters(), "send newsletters")?;
    let control = IssueControl::parse(&action).ok_or(AppError::NotFound)?;
    let issue = state.store.issue(id).await?.ok_or(AppError::NotFound)?;
    if !state.store.control_issue(id, control).await? {
        let done = control.done();
        return Err(AppError::BadRequest(format!("This send is {} and cannot be {done} now.", issue.status)));
    }
    tracing::info!(issue.id = id, action, "newsletter send control");
    Ok(see_other(&format!("/admin/issues/{id}?done={}", control.done())))
}
