//! Form bodies as ordered name/value pairs (repeated names allowed: several `author` fields make a byline), from
//! `application/x-www-form-urlencoded` or `multipart/form-data`, with at most one uploaded file.

use std::collections::BTreeMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;

use crate::error::AppError;

/// Largest upload accepted (bytes).
pub const MAX_UPLOAD: usize = 25 * 1024 * 1024;

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
            let mut mp = Multipart::from_request(req, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
            let mut form = FormData::default();
            while let Some(field) = mp.next_field().await.map_err(|e| AppError::BadRequest(e.body_text()))? {
                let name = field.name().unwrap_or("").to_owned();
                match field.file_name().map(str::to_owned) {
                    Some(filename) => {
                        let bytes = field.bytes().await.map_err(|e| AppError::BadRequest(e.body_text()))?;
                        if !bytes.is_empty() && form.file.is_none() {
                            form.file = Some(Upload { field: name, filename, bytes: bytes.to_vec() });
                        }
                    }
                    None => {
                        let text = field.text().await.map_err(|e| AppError::BadRequest(e.body_text()))?;
                        form.fields.push((name, text));
                    }
                }
            }
            Ok(form)
        } else {
            let bytes =
                axum::body::Bytes::from_request(req, state).await.map_err(|e| AppError::BadRequest(e.body_text()))?;
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
pub type FieldErrors = BTreeMap<&'static str, String>;

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
