//! Member sessions: readers' accounts, apart from staff sessions (their own cookie and table). The [`MaybeMember`]
//! extractor costs queries only when the member cookie is present, so anonymous readers (and the page cache) pay
//! nothing for it.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use newsdesk_domain::Access;
use newsdesk_store::members::Member;

use crate::error::AppError;
use crate::state::AppState;

/// The member session cookie (HttpOnly, SameSite=Lax).
pub const MEMBER_COOKIE: &str = "nd_member";

/// A signed-in member and what they may read.
#[derive(Debug, Clone)]
pub struct SignedInMember {
    pub member: Member,
    pub access: Access,
    /// The session's CSRF token, for the account page's forms.
    pub csrf: String,
    pub token_hash: String,
}

/// The signed-in member, if any.
pub struct MaybeMember(pub Option<SignedInMember>);

impl MaybeMember {
    /// What this reader may read (anonymous without a session).
    pub fn access(&self) -> Access {
        self.0.as_ref().map(|m| m.access.clone()).unwrap_or_default()
    }
}

async fn load(state: &AppState, parts: &Parts) -> Result<Option<SignedInMember>, AppError> {
    let Some(token) = super::session::cookie(&parts.headers, MEMBER_COOKIE) else { return Ok(None) };
    let hash = newsdesk_store::hash_token(&token);
    let Some((session, member)) = state.store.member_session(&hash).await? else { return Ok(None) };
    let access = newsdesk_services::members::access_of(&state.ctx, member.id).await?;
    Ok(Some(SignedInMember { member, access, csrf: session.csrf_token, token_hash: hash }))
}

impl FromRequestParts<AppState> for MaybeMember {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        load(state, parts).await.map(MaybeMember).map_err(IntoResponse::into_response)
    }
}

/// Whether a request carries a member cookie at all (valid or not): such requests never get a personal page from
/// the anonymous cache, and never put one there.
pub fn has_member_cookie(headers: &axum::http::HeaderMap) -> bool {
    super::session::cookie(headers, MEMBER_COOKIE).is_some()
}
