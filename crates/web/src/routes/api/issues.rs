//! Newsletter issues over the API (`newsletters` scope, editors and above): send one article or a digest (its
//! `key` makes a repeated request find the issue it made instead of sending twice), send a test copy, follow the
//! send's progress, and pause, resume or cancel it.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use newsdesk_services::api_views::{self, ApiIssue};
use newsdesk_services::issues;
use newsdesk_store::issues::IssueControl;
use newsdesk_store::mail::MailPayload;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// An issue: one article, or a digest of up to 12.
#[derive(Deserialize, ToSchema)]
pub struct IssueBody {
    /// Ids or slugs of published articles, in order.
    #[schema(value_type = Vec<PostKey>)]
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

/// A post's id or slug.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum PostKey {
    Id(i64),
    Slug(String),
}

/// One issue.
#[derive(Serialize, ToSchema)]
pub struct IssueAnswer {
    issue: ApiIssue,
}

/// A test copy on its way.
#[derive(Serialize, ToSchema)]
pub struct TestQueued {
    queued: bool,
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

async fn issue_json(state: &AppState, id: i64) -> Result<IssueAnswer, ApiError> {
    let issue = state.store.issue(id).await?.ok_or_else(|| ApiError::not_found("issue"))?;
    let p = state.store.issue_progress(id).await?;
    Ok(IssueAnswer { issue: api_views::issue(&issue, &p) })
}

/// Makes an issue and starts sending it (editors). The same `key` again finds the issue made before and sends
/// nothing.
#[utoipa::path(post, path = "/newsletters/{slug}/issues", tag = "issues", request_body = IssueBody,
    params(("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 201, description = "Made; the send starts", body = IssueAnswer),
        (status = 200, description = "The key found the issue made before", body = IssueAnswer),
        (status = 422, description = "`issue_invalid`")))]
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
    Ok((status, Json(issue_json(&state, issue.id).await?)).into_response())
}

/// Sends one copy, marked [Test], to `to` (editors).
#[utoipa::path(post, path = "/newsletters/{slug}/issues/test", tag = "issues", request_body = IssueBody,
    params(("slug" = String, Path, description = "The newsletter's slug")), security(("token" = [])),
    responses((status = 202, description = "Queued", body = TestQueued), (status = 422, description = "`email_invalid`, `issue_invalid`")))]
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
    Ok((StatusCode::ACCEPTED, Json(TestQueued { queued: true, to: to.as_str().to_lowercase() })).into_response())
}

/// An issue and its send's progress (editors).
#[utoipa::path(get, path = "/issues/{id}", tag = "issues", params(("id" = i64, Path, description = "The issue's id")),
    security(("token" = [])), responses((status = 200, description = "The issue", body = IssueAnswer)))]
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IssueAnswer>, ApiError> {
    need(&auth)?;
    Ok(Json(issue_json(&state, id).await?))
}

/// Pauses a send (editors); a queued issue has nothing to pause yet.
#[utoipa::path(post, path = "/issues/{id}/pause", tag = "issues", params(("id" = i64, Path, description = "The issue's id")),
    security(("token" = [])), responses((status = 200, description = "Paused", body = IssueAnswer), (status = 409, description = "`issue_state`")))]
pub async fn pause(
    state: State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IssueAnswer>, ApiError> {
    control(state, auth, id, IssueControl::Pause).await
}

/// Resumes a paused send (editors).
#[utoipa::path(post, path = "/issues/{id}/resume", tag = "issues", params(("id" = i64, Path, description = "The issue's id")),
    security(("token" = [])), responses((status = 200, description = "Sending again", body = IssueAnswer), (status = 409, description = "`issue_state`")))]
pub async fn resume(
    state: State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IssueAnswer>, ApiError> {
    control(state, auth, id, IssueControl::Resume).await
}

/// Cancels a send that has not finished (editors): what is not sent yet never is.
#[utoipa::path(post, path = "/issues/{id}/cancel", tag = "issues", params(("id" = i64, Path, description = "The issue's id")),
    security(("token" = [])), responses((status = 200, description = "Cancelled", body = IssueAnswer), (status = 409, description = "`issue_state`")))]
pub async fn cancel(
    state: State<AppState>,
    auth: ApiAuth,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<IssueAnswer>, ApiError> {
    control(state, auth, id, IssueControl::Cancel).await
}

#[tracing::instrument(skip_all, name = "api.issues.control", fields(issues.id = id))]
async fn control(
    State(state): State<AppState>,
    auth: ApiAuth,
    id: i64,
    control: IssueControl,
) -> Result<Json<IssueAnswer>, ApiError> {
    need(&auth)?;
    let issue = state.store.issue(id).await?.ok_or_else(|| ApiError::not_found("issue"))?;
    if !state.store.control_issue(id, control).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "issue_state",
            format!("This send is {} and cannot be {} now.", issue.status, control.done()),
        ));
    }
    Ok(Json(issue_json(&state, id).await?))
}
