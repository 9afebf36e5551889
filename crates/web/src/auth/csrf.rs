//! CSRF protection. Signed-in forms carry the session's token; anonymous forms (sign-in, account setup) use a
//! double-submit cookie. Comparison is constant-time.

use axum::http::HeaderMap;

use crate::error::AppError;

pub const ANON_COOKIE: &str = "nd_csrf";

pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a submitted token against the expected one.
pub fn check(expected: &str, submitted: Option<&str>) -> Result<(), AppError> {
    match submitted {
        Some(s) if !expected.is_empty() && constant_time_eq(expected, s) => Ok(()),
        _ => Err(AppError::Forbidden(
            "The form expired or came from another site (CSRF check failed). Reload the page and try again.".into(),
        )),
    }
}

/// The anonymous CSRF token from the cookie, or a fresh one (which the response must set).
pub fn anon_token(headers: &HeaderMap) -> (String, bool) {
    match crate::auth::session::cookie(headers, ANON_COOKIE) {
        Some(t) if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) => (t, false),
        _ => (newsdesk_store::new_token().0, true),
    }
}
