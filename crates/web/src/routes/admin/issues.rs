//! Sending an issue (editors and above): one article in full ("send this article as …") or a digest of several,
//! previewed as a subscriber will see it, tried on one address, then sent. Sending makes an issue once per form
//! (its idempotency key), so a double-click or a resubmitted form never sends twice; the worker fans it out to
//! delivery records and delivers them. The issue page shows progress and pauses, resumes or cancels the send.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use newsdesk_domain::EmailAddress;
use newsdesk_store::issues::IssueControl;
use newsdesk_store::mail::MailPayload;
use newsdesk_store::newsletters::Newsletter;
use newsdesk_store::posts::PostFilter;

use super::{check_csrf, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_services::issues;
use newsdesk_services::newsletter_mail::sample;

async fn newsletter(state: &AppState, staff: &Staff, id: i64) -> Result<Newsletter, AppError> {
    staff.require(staff.role.can_manage_newsletters(), "send newsletters")?;
    state.store.newsletter(id).await?.ok_or(AppError::NotFound)
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
    let posts = issues::chosen_posts(state, &c.post_ids).await?;
    let preview = if posts.is_empty() {
        None
    } else {
        let r = issues::Request {
            newsletter: n,
            posts: &posts,
            requested: posts.len(),
            subject: &c.subject,
            intro: &c.intro,
        };
        Some(sample(&issues::render(state, &r)?, &state.site.url, Some(&staff.user.name)))
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
#[tracing::instrument(skip_all, name = "admin.issues.create", fields(issues.id = id))]
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
    let posts = issues::chosen_posts(&state, &c.post_ids).await?;
    let request = issues::Request {
        newsletter: &n,
        posts: &posts,
        requested: c.post_ids.len(),
        subject: &c.subject,
        intro: &c.intro,
    };
    let mut errors = issues::check(&request);
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
    if action == "test" {
        let copy = sample(&issues::render(&state, &request)?, &state.site.url, Some(&staff.user.name));
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
    let (issue, _) = issues::start(&state, &request, &c.key, Some(staff.user.id)).await?;
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

#[tracing::instrument(skip_all, name = "admin.issues.control")]
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
