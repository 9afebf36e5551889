//! Newsletter issues: one article sent in full, or a digest of several. The rules (published articles only, in
//! the order chosen, at most [`MAX_POSTS`]), the rendering, and making the issue once per idempotency key live
//! here, for the admin's send form and `newsdesk send` alike.

use newsdesk_store::issues::{Issue, NewIssue};
use newsdesk_store::newsletters::Newsletter;
use newsdesk_store::posts::Post;

use crate::newsletter_mail::{RenderedIssue, render_issue};
use crate::{Context, FieldErrors, ServiceError};

/// Most articles a digest may carry.
pub const MAX_POSTS: usize = 20;

/// Longest subject and introduction (characters).
pub const MAX_SUBJECT: usize = 200;
pub const MAX_INTRO: usize = 2000;

/// The published posts among `ids`, in the order of `ids` (links in a newsletter must work).
pub async fn chosen_posts(ctx: &Context, ids: &[i64]) -> Result<Vec<Post>, ServiceError> {
    let found = ctx.store.posts_by_ids(ids).await?;
    Ok(ids
        .iter()
        .filter_map(|id| found.iter().find(|p| p.row.id == *id && p.row.status == "published").cloned())
        .collect())
}

/// "post" for one article, "digest" for several.
pub fn kind(posts: &[Post]) -> &'static str {
    if posts.len() == 1 { "post" } else { "digest" }
}

/// What an issue asks for.
pub struct Request<'a> {
    pub newsletter: &'a Newsletter,
    /// The published posts chosen, in order.
    pub posts: &'a [Post],
    /// How many posts were asked for (more than `posts` when some are not published).
    pub requested: usize,
    pub subject: &'a str,
    pub intro: &'a str,
}

/// The rules an issue must meet, as messages beside the fields of the send form.
pub fn check(r: &Request<'_>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if r.posts.is_empty() {
        errors.insert("post", "Choose at least one published article.".into());
    } else if r.posts.len() > MAX_POSTS {
        errors.insert("post", format!("A digest carries at most {MAX_POSTS} articles."));
    } else if r.posts.len() != r.requested {
        errors.insert("post", "One of the articles chosen is not published (or no longer exists).".into());
    }
    if r.subject.chars().count() > MAX_SUBJECT {
        errors.insert("subject", format!("Keep the subject under {MAX_SUBJECT} characters."));
    }
    if r.intro.chars().count() > MAX_INTRO {
        errors.insert("intro", "Keep the introduction under 2,000 characters.".into());
    }
    errors
}

/// Renders the issue as the theme's e-mail templates make it (once; each reader's parts are filled in at send).
pub fn render(ctx: &Context, r: &Request<'_>) -> Result<RenderedIssue, ServiceError> {
    render_issue(ctx, r.newsletter, kind(r.posts), r.posts, Some(r.intro), Some(r.subject))
}

/// Checks, renders and makes the issue; its fan-out job is queued with it. The same `key` finds the issue made
/// before and queues nothing. Returns the issue and whether it was made now.
pub async fn start(
    ctx: &Context,
    r: &Request<'_>,
    key: &str,
    created_by: Option<i64>,
) -> Result<(Issue, bool), ServiceError> {
    let errors = check(r);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid { errors, code: "issue_invalid" });
    }
    let rendered = render(ctx, r)?;
    let post_ids: Vec<i64> = r.posts.iter().map(|p| p.row.id).collect();
    let (issue, made) = ctx
        .store
        .create_issue(&NewIssue {
            newsletter_id: r.newsletter.id,
            idempotency_key: key,
            kind: kind(r.posts),
            post_ids: &post_ids,
            subject: &rendered.subject,
            html: &rendered.html,
            text: &rendered.text,
            created_by,
            visibility: &rendered.visibility,
            whole_html: rendered.whole.as_ref().map(|w| w.0.as_str()).unwrap_or(""),
            whole_text: rendered.whole.as_ref().map(|w| w.1.as_str()).unwrap_or(""),
        })
        .await?;
    tracing::info!(issue.id = issue.id, newsletter = %r.newsletter.slug, made, "newsletter issue created");
    Ok((issue, made))
}
