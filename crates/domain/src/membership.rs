//! Who may read what: a post's [`Visibility`] and a reader's [`Access`], and the one rule between them
//! ([`Visibility::allows`]). Everything that lets a story out — the page, feeds, APIs, newsletters, audio — asks
//! this rule; nothing else decides.

use crate::{Slug, ValidationError};

/// Who may read a story whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Everyone.
    #[default]
    Public,
    /// Any signed-in member, free ones too.
    Members,
    /// Members of any paid tier.
    Paid,
    /// Members of one of these tiers (slugs).
    Tiers(Vec<String>),
}

impl Visibility {
    /// Reads `public`, `members`, `paid`, or tier slugs separated by commas (`supporter, patron`). Ghost's
    /// `tiers` (with the list elsewhere) is not a value here: name the tiers.
    pub fn parse(field: &'static str, text: &str) -> Result<Visibility, ValidationError> {
        let t = text.trim().to_ascii_lowercase();
        match t.as_str() {
            "" | "public" => Ok(Visibility::Public),
            "members" => Ok(Visibility::Members),
            "paid" => Ok(Visibility::Paid),
            _ => {
                let mut tiers = Vec::new();
                for part in t.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                    let slug = Slug::parse(field, part).map_err(|_| {
                        ValidationError::new(
                            field,
                            "visibility_invalid",
                            format!(
                                "\"{}\" is not a visibility: use public, members, paid, or tier slugs separated by commas.",
                                text.trim().chars().take(80).collect::<String>()
                            ),
                        )
                    })?;
                    if !tiers.contains(&slug.as_str().to_owned()) {
                        tiers.push(slug.into_string());
                    }
                }
                if tiers.is_empty() { Ok(Visibility::Public) } else { Ok(Visibility::Tiers(tiers)) }
            }
        }
    }

    /// The stored and API form: `public`, `members`, `paid`, or `tier-a,tier-b`.
    pub fn as_string(&self) -> String {
        match self {
            Visibility::Public => "public".into(),
            Visibility::Members => "members".into(),
            Visibility::Paid => "paid".into(),
            Visibility::Tiers(t) => t.join(","),
        }
    }

    /// The stored form read back; anything unreadable is treated as the strictest (paid), never as public.
    pub fn from_stored(text: &str) -> Visibility {
        Visibility::parse("visibility", text).unwrap_or(Visibility::Paid)
    }

    pub fn is_public(&self) -> bool {
        matches!(self, Visibility::Public)
    }

    /// Whether a reader with `access` may read the whole story.
    pub fn allows(&self, access: &Access) -> bool {
        match (self, access) {
            (Visibility::Public, _) | (_, Access::Staff) => true,
            (_, Access::Anonymous) => false,
            (Visibility::Members, Access::Member { .. }) => true,
            (Visibility::Paid, Access::Member { paid_tiers }) => !paid_tiers.is_empty(),
            (Visibility::Tiers(wanted), Access::Member { paid_tiers }) => {
                wanted.iter().any(|w| paid_tiers.iter().any(|t| t == w))
            }
        }
    }

    /// Ghost's name for it (`public`, `members`, `paid`, `tiers`).
    pub fn ghost_name(&self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Members => "members",
            Visibility::Paid => "paid",
            Visibility::Tiers(_) => "tiers",
        }
    }
}

/// What a reader is entitled to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Access {
    /// Nobody signed in (and every cached page).
    #[default]
    Anonymous,
    /// A signed-in member, with the paid tiers they hold now (slugs; empty for a free member).
    Member { paid_tiers: Vec<String> },
    /// Signed-in staff, and API tokens: they read everything.
    Staff,
}

impl Access {
    pub fn is_member(&self) -> bool {
        matches!(self, Access::Member { .. })
    }
}

/// A price in a currency's minor units (pence, cents), shown as `£5.00`/`€5.00`/`5.00 NOK`.
pub fn format_price(minor: i64, currency: &str) -> String {
    let cur = currency.to_ascii_uppercase();
    let symbol = match cur.as_str() {
        "GBP" => Some("£"),
        "EUR" => Some("€"),
        "USD" | "AUD" | "CAD" | "NZD" => Some("$"),
        "JPY" => Some("¥"),
        _ => None,
    };
    let zero_decimal = matches!(cur.as_str(), "JPY" | "KRW");
    let amount = if zero_decimal { minor.to_string() } else { format!("{}.{:02}", minor / 100, (minor % 100).abs()) };
    match symbol {
        Some(s) => format!("{s}{amount}"),
        None => format!("{amount} {cur}"),
    }
}

/// Reads an amount typed by a person (`5`, `5.50`, `£5`) into minor units; refuses zero, negatives and more than
/// two decimals.
pub fn parse_amount(field: &'static str, text: &str) -> Result<i64, ValidationError> {
    let t = text.trim().trim_start_matches(['£', '€', '$', '¥']).trim().replace(',', "");
    let bad = || ValidationError::new(field, "amount_invalid", format!("\"{}\" is not an amount.", text.trim()));
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() && frac.is_empty() || frac.len() > 2 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
    let minor = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).ok_or_else(bad)?;
    if minor <= 0 {
        return Err(ValidationError::new(field, "amount_invalid", "The amount must be more than zero."));
    }
    if minor > 100_000_000 {
        return Err(ValidationError::new(field, "amount_invalid", "That amount is larger than we can take online."));
    }
    Ok(minor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_round_trips_and_rules() {
        for s in ["public", "members", "paid", "supporter,patron"] {
            assert_eq!(Visibility::parse("v", s).unwrap().as_string(), s);
        }
        assert_eq!(Visibility::parse("v", " Supporter , patron,supporter").unwrap().as_string(), "supporter,patron");
        assert!(Visibility::parse("v", "paid!!").is_err());
        assert_eq!(Visibility::from_stored("??"), Visibility::Paid, "unreadable is never public");
        let free = Access::Member { paid_tiers: vec![] };
        let supporter = Access::Member { paid_tiers: vec!["supporter".into()] };
        assert!(!Visibility::Members.allows(&Access::Anonymous));
        assert!(Visibility::Members.allows(&free));
        assert!(!Visibility::Paid.allows(&free));
        assert!(Visibility::Paid.allows(&supporter));
        assert!(Visibility::Tiers(vec!["supporter".into()]).allows(&supporter));
        assert!(!Visibility::Tiers(vec!["patron".into()]).allows(&supporter));
        assert!(Visibility::Tiers(vec!["patron".into()]).allows(&Access::Staff));
    }

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("a", "5").unwrap(), 500);
        assert_eq!(parse_amount("a", "£5.5").unwrap(), 550);
        assert_eq!(parse_amount("a", "1,000.25").unwrap(), 100_025);
        assert!(parse_amount("a", "0").is_err());
        assert!(parse_amount("a", "-5").is_err());
        assert!(parse_amount("a", "5.555").is_err());
        assert!(parse_amount("a", "five").is_err());
        assert_eq!(format_price(500, "gbp"), "£5.00");
        assert_eq!(format_price(1250, "NOK"), "12.50 NOK");
    }
}
