//! E-mail addresses as accepted from people: one `@`, a dotted domain, no spaces, sane lengths.

use crate::ValidationError;

/// A syntactically plausible address, trimmed, with its domain in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(field: &'static str, s: &str) -> Result<EmailAddress, ValidationError> {
        let bad = || ValidationError::new(field, "email_invalid", "Please enter a correct email address.");
        let s = s.trim();
        if s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',') {
            return Err(bad());
        }
        let (local, domain) = s.rsplit_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || local.contains('@') || local.starts_with('.') || local.ends_with('.')
        {
            return Err(bad());
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(bad());
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_ordinary_addresses() {
        assert_eq!(
            EmailAddress::parse("email", " Ana.B+news@Example.ORG ").unwrap().as_str(),
            "Ana.B+news@example.org"
        );
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in ["", "plain", "a@b", "a@@b.org", "a b@c.org", "@c.org", "a@.org", "a@-x.org", "<a@b.org>"] {
            assert!(EmailAddress::parse("email", bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn never_panics_and_never_accepts_whitespace(s in "\\PC{0,80}") {
            if let Ok(e) = EmailAddress::parse("email", &s) {
                prop_assert!(!e.as_str().contains(' '));
                prop_assert!(e.as_str().contains('@'));
            }
        }
    }
}
