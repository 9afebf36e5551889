//! Newsletter issues over the API (`newsletters` scope, editors and above): send one article or a digest (its
//! `key` makes a repeated request find the issue it made instead of sending twice), send a test copy, follow the
//! send's progress, and pause, resume or cancel it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::issues;
use newsdesk_store::issues::IssueControl;
use newsdesk_store::mail::MailPayload;
use serde::Deserialize;

use super::{ApiAuth, ApiPath, json_body};
use crate::error::ApiError;
use crate::state::AppState;

fn need(auth: &ApiAuth) -> Result<(), ApiError> {
    if auth.actor.role.can_manage_newsletters() {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("A token with the role {} cannot send newsletters.", auth.actor.role.as_str())))
    }
}

#[derive(Deserialize)]
struct IssueBody {
    /// Ids or slugs of published articles, in order.
    posts: Vec<serde_json::Value>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    intro: String,
    /// Makes the request idempotent: the same key finds the issue made before (8 to 128 characters).
    #[serde(default)]
    key: String,
    /// For a test copy: where it goes.
    #[serde(default)]
    to: String,
}

async fn post_ids(state: &AppState, keys: &[serde_json::Value]) -> Result<Vec<i64>, ApiError> {
    let mut ids = Vec::with_capacity(keys.len());
    for k in keys {
        let id = match (k.as_i64(), k.as_str()) {
            (Some(id), _) => Some(id),
            (None, Some(slug)) => state.store.post_by_slug(slug).await?.map(|p| p.row.id),
            _ => None,
        };
        ids.push(id.unwrap_or(-1));
    }
    Ok(ids)
}

/// What a send or a test asks for: the body, the newsletter, the post ids asked for and the published posts found.
async fn parts(
    state: &AppState,
    auth: &ApiAuth,
    slug: &str,
    bytes: &[u8],
) -> Result<(IssueBody, newsdesk_store::newsletters::Newsletter, Vec<i64>, Vec<newsdesk_store::posts::Post>), ApiError>
{
    need(auth)?;
    let b: IssueBody = json_body(bytes, "issue")?;
    let n = state.store.newsletter_by_slug(slug).await?.ok_or_else(|| ApiError::not_found("newsletter"))?;
    let ids = post_ids(state, &b.posts).await?;
    let posts = issues::chosen_posts(state, &ids).await?;
    Ok((b, n, ids, posts))
}

async fn issue_json(state: &AppState, id: i64) -> Result<serde_json::Value, ApiError> {
    let issue = state.store.issue(id).await?.ok_or_else(|| ApiError::not_found("issue"))?;
    let p = state.store.issue_progress(id).await?;
    Ok(serde_json::json!({
        "id": issue.id, "newsletter_id": issue.newsletter_id, "kind": issue.kind, "subject": issue.subject,
        "status": issue.status, "stop_reason": issue.stop_reason,
        "created_at": super::rfc3339(Some(issue.created_at)), "started_at": super::rfc3339(issue.started_at),
        "finished_at": super::rfc3339(issue.finished_at),
        "progress": { "total": p.total, "queued": p.queued, "sending": p.sending, "sent": p.sent, "failed": p.failed,
            "bounced": p.bounced, "skipped": p.skipped, "remaining": p.remaining(), "rate_per_second": p.rate },
    }))
}

/// `POST /newsletters/{slug}/issues` `{"posts": [id or slug…], "subject", "intro", "key"}`: makes the issue and
/// starts sending it. `201` when made, `200` when the key found the issue made before.
#[tracing::instrument(skip_all, name = "api.issues.create")]
pub async fn create(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (b, n, ids, posts) = parts(&state, &auth, &slug, &bytes).await?;
    let key = b.key.trim();
    if !(8..=128).contains(&key.chars().count()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "issue_invalid",
            "key: send a key of 8 to 128 characters that names this send; repeating it never sends twice.",
        ));
    }
    let request = issues::Request {
        newsletter: &n,
        posts: &posts,
        requested: ids.len(),
        subject: b.subject.trim(),
        intro: b.intro.trim(),
    };
    let (issue, made) = issues::start(&state, &request, key, None).await?;
    let status = if made { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(serde_json::json!({ "issue": issue_json(&state, issue.id).await? }))).into_response())
}

/// `POST /newsletters/{slug}/issues/test` `{"posts", "subject", "intro", "to"}`: one copy to `to`, marked [Test].
#[tracing::instrument(skip_all, name = "api.issues.test")]
pub async fn test(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(slug): ApiPath<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let (b, n, ids, posts) = parts(&state, &auth, &slug, &bytes).await?;
    let to = newsdesk_domain::EmailAddress::parse("to", &b.to)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "email_invalid", format!("to: {}", e.message)))?;
    let request = issues::Request {
        newsletter: &n,
        posts: &posts,
        requested: ids.len(),
        subject: b.subject.trim(),
        intro: b.intro.trim(),
    };
    let errors = issues::check(&request);
    if !errors.is_empty() {
        return Err(newsdesk_services::ServiceError::Invalid { errors, code: "issue_invalid" }.into());
    }
    let copy = newsdesk_services::newsletter_mail::sample(&issues::render(&state, &request)?, &state.site.url, None);
    state
        .store
        .enqueue_mail(&MailPayload {
            to: to.as_str().to_lowercase(),
            subject: format!("[Test] {}", copy.subject),
            text: copy.text,
            html: Some(copy.html),
            reply_to: n.reply_to.clone(),
            headers: Vec::new(),
        })
        .await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "queued": true, "to": to.as_str().to_lowercase() })))
        .into_response())
}

/// `GET /issues/{id}`: the issue and its send's progress.
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    need(&auth)?;
    Ok(Json(serde_json::json!({ "issue": issue_json(&state, id).await? })))
}

/// `POST /issues/{id}/pause`, `/resume`, `/cancel`.
#[tracing::instrument(skip_all, name = "api.issues.control")]
pub async fn control(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath((id, action)): ApiPath<(i64, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    need(&auth)?;
    let control = IssueControl::parse(&action)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "Use pause, resume or cancel."))?;
    let issue = state.store.issue(id).await?.ok_or_else(|| ApiError::not_found("issue"))?;
    if !state.store.control_issue(id, control).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "issue_state",
            format!("This send is {} and cannot be {} now.", issue.status, control.done()),
        ));
    }
    Ok(Json(serde_json::json!({ "issue": issue_json(&state, id).await? })))
}
