//! Sessions: a random token in an HttpOnly cookie; the database keeps its SHA-256, the user and a CSRF token.
//! Extractors: [`Staff`] (signed in, or redirected to sign-in) and [`MaybeStaff`] (public pages, API).

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, LOCATION};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use newsdesk_domain::Role;
use newsdesk_store::users::User;

use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_COOKIE: &str = "nd_session";
/// Sessions last 14 days.
pub const SESSION_TTL: i64 = 14 * 24 * 3600;

pub use newsdesk_services::Actor;

/// A signed-in staff member.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    pub role: Role,
    pub csrf: String,
    pub token_hash: String,
}

impl Staff {
    pub fn actor(&self) -> Actor {
        Actor { user_id: Some(self.user.id), role: self.role, author_id: self.user.author_id }
    }

    pub fn require(&self, allowed: bool, what: &str) -> Result<(), AppError> {
        if allowed {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("Your role ({}) cannot {what}.", self.role.as_str())))
        }
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> HeaderValue {
    let s = format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<Staff>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = newsdesk_store::hash_token(&token);
    let Some((session, user)) = state.store.session(&hash).await? else {
        return Ok(None);
    };
    let Ok(role) = Role::parse("role", &user.role) else {
        return Ok(None);
    };
    Ok(Some(Staff { user, role, csrf: session.csrf_token, token_hash: hash }))
}

/// Rejection of [`Staff`]: a redirect to the sign-in page for pages, 401 for script requests.
pub struct SignInRequired(String);

impl IntoResponse for SignInRequired {
    fn into_response(self) -> Response {
        let next = urlencode(&self.0);
        (StatusCode::SEE_OTHER, [(LOCATION, format!("/admin/signin?next={next}"))]).into_response()
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match load(state, &parts.headers).await {
            Ok(Some(s)) => Ok(s),
            Ok(None) => {
                // Inside a nested router `parts.uri` has lost its prefix; the original URI has not.
                let uri = parts
                    .extensions
                    .get::<axum::extract::OriginalUri>()
                    .map(|o| o.0.clone())
                    .unwrap_or_else(|| parts.uri.clone());
                let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/admin/").to_owned();
                Err(SignInRequired(path).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The signed-in staff member, if any. Costs a query only when a session cookie is present.
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<AppState> for MaybeStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        load(state, &parts.headers).await.map(MaybeStaff).map_err(IntoResponse::into_response)
    }
}
