//! The site's time zone, an IANA name such as `Europe/London`, checked against the time zone database.

use crate::ValidationError;

#[derive(Debug, Clone)]
pub struct Timezone {
    name: String,
    tz: jiff::tz::TimeZone,
}

impl Timezone {
    pub fn parse(field: &'static str, name: &str) -> Result<Timezone, ValidationError> {
        let name = name.trim();
        match jiff::tz::TimeZone::get(name) {
            Ok(tz) if !name.is_empty() => Ok(Timezone { name: name.to_owned(), tz }),
            _ => Err(ValidationError::new(
                field,
                "timezone_invalid",
                format!("\"{name}\" is not a known IANA time zone (for example Europe/London or America/New_York)."),
            )),
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn tz(&self) -> &jiff::tz::TimeZone {
        &self.tz
    }

    /// The instant as a date-time in this zone.
    pub fn local(&self, ts: jiff::Timestamp) -> jiff::Zoned {
        ts.to_zoned(self.tz.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_iana_names_and_refuses_others() {
        assert!(Timezone::parse("timezone", "Europe/London").is_ok());
        let err = Timezone::parse("timezone", "Mars/Olympus").unwrap_err();
        assert_eq!(err.code, "timezone_invalid");
        assert!(Timezone::parse("timezone", "").is_err());
    }

    #[test]
    fn converts_to_local_time() {
        let tz = Timezone::parse("timezone", "America/New_York").unwrap();
        let ts: jiff::Timestamp = "2026-07-01T04:59:00Z".parse().unwrap();
        assert_eq!(tz.local(ts).strftime("%H:%M").to_string(), "00:59");
    }
}
