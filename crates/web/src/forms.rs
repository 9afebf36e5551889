//! Form bodies as ordered name/value pairs (repeated names allowed: several `author` fields make a byline), from
//! `application/x-www-form-urlencoded` or `multipart/form-data`, with at most one uploaded file.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;

use crate::error::AppError;

pub use newsdesk_services::media::MAX_UPLOAD;

/// Body limits per kind of route (bytes), set in `router.rs`. A body over its route's limit is refused with 413
/// before it is read whole.
pub mod limits {
    /// Public forms (signups, sign-in, preferences): a few short fields.
    pub const PUBLIC_FORM: usize = 16 * 1024;
    /// Staff forms and API requests without a file: a story of `MAX_BODY_BYTES` with its other fields, encoded.
    pub const FORM: usize = 4 * 1024 * 1024;
    /// A Stripe webhook event (a few kilobytes; an invoice with many lines more).
    pub const WEBHOOK: usize = 1024 * 1024;
    /// Routes that take a file: the upload limit and room for the form's other fields.
    pub const UPLOAD: usize = super::MAX_UPLOAD + 4 * 1024 * 1024;
}

/// At most `max_chars` of what a visitor sent, for showing it back in a form: nobody gets more echoed than the
/// field can hold.
pub fn echo(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

/// The refusal for a body that could not be read: 413 when it was over the limit.
fn unreadable(status: axum::http::StatusCode, text: String) -> AppError {
    if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge("What was sent is larger than this form takes.".into())
    } else {
        AppError::BadRequest(text)
    }
}

#[derive(Debug, Clone)]
pub struct Upload {
    pub field: String,
    pub filename: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default, Clone)]
pub struct FormData {
    pub fields: Vec<(String, String)>,
    pub file: Option<Upload>,
}

impl FormData {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn str(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ct = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        if ct.starts_with("multipart/form-data") {
            let mut mp =
                Multipart::from_request(req, state).await.map_err(|e| unreadable(e.status(), e.body_text()))?;
            let mut form = FormData::default();
            while let Some(field) = mp.next_field().await.map_err(|e| unreadable(e.status(), e.body_text()))? {
                let name = field.name().unwrap_or("").to_owned();
                match field.file_name().map(str::to_owned) {
                    Some(filename) => {
                        let bytes = field.bytes().await.map_err(|e| unreadable(e.status(), e.body_text()))?;
                        if !bytes.is_empty() && form.file.is_none() {
                            form.file = Some(Upload { field: name, filename, bytes: bytes.to_vec() });
                        }
                    }
                    None => {
                        let text = field.text().await.map_err(|e| unreadable(e.status(), e.body_text()))?;
                        form.fields.push((name, text));
                    }
                }
            }
            Ok(form)
        } else {
            let bytes =
                axum::body::Bytes::from_request(req, state).await.map_err(|e| unreadable(e.status(), e.body_text()))?;
            let fields: Vec<(String, String)> = serde_urlencoded_pairs(&bytes);
            Ok(FormData { fields, file: None })
        }
    }
}

/// Decodes `a=1&b=2` pairs, keeping order and repeats.
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &str) -> String {
        let s = s.replace('+', " ");
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' && i + 2 < bytes.len() {
                let hex = |b: u8| (b as char).to_digit(16);
                if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect()
}

/// Field name → message, rendered beside each field.
pub use newsdesk_services::FieldErrors;

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_repeated_fields_in_order() {
        let f = super::serde_urlencoded_pairs(b"author=3&author=1&title=Caf%C3%A9+news&x");
        assert_eq!(f[0], ("author".into(), "3".into()));
        assert_eq!(f[1], ("author".into(), "1".into()));
        assert_eq!(f[2], ("title".into(), "Café news".into()));
        assert_eq!(f[3], ("x".into(), "".into()));
    }
}
