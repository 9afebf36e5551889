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

/// What to add to `amount` so that, after the payment provider takes `percent` % and `fixed` (minor units) of the
/// charge, the newsroom receives `amount`: the "cover the fees" option. Rounded up to a whole minor unit.
pub fn covering_fee(amount: i64, percent: f64, fixed: i64) -> i64 {
    let rate = (percent / 100.0).clamp(0.0, 0.5);
    let charge = ((amount + fixed.max(0)) as f64 / (1.0 - rate)).ceil() as i64;
    (charge - amount).max(0)
}

/// The smallest and largest donation taken online, in minor units (Stripe's floor is about 0.50 in most currencies).
pub const DONATION_MIN: i64 = 100;
pub const DONATION_MAX: i64 = 1_000_000;

/// The stories an anonymous reader has read whole this month, as their signed meter cookie carries them: a soft
/// wall (clearing cookies starts it again), which is what a meter is; the paid tiers are the hard one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meter {
    /// The month counted, `YYYY-MM` in the site's time zone.
    pub month: String,
    /// The stories read whole in it, in order.
    pub read: Vec<i64>,
}

impl Meter {
    /// The stories one cookie may carry (more than any sensible allowance).
    pub const MAX: usize = 100;

    /// The cookie's text without its signature: `YYYY-MM.id-id-id`.
    pub fn encode(&self) -> String {
        let ids: Vec<String> = self.read.iter().map(i64::to_string).collect();
        format!("{}.{}", self.month, ids.join("-"))
    }

    /// The meter of `month`: the decoded cookie when it is of that month, else an empty one.
    pub fn decode(text: &str, month: &str) -> Meter {
        let fresh = Meter { month: month.to_owned(), read: Vec::new() };
        let Some((m, ids)) = text.split_once('.') else { return fresh };
        if m != month {
            return fresh;
        }
        let read: Option<Vec<i64>> = ids.split('-').filter(|s| !s.is_empty()).map(|s| s.parse().ok()).collect();
        match read {
            Some(read) if read.len() <= Self::MAX => Meter { month: fresh.month, read },
            _ => fresh,
        }
    }

    /// Whether story `post` may be read whole under an allowance of `free` a month; counts it when it is new.
    /// A story already counted stays open all month.
    pub fn admit(&mut self, post: i64, free: usize) -> bool {
        if self.read.contains(&post) {
            return true;
        }
        if self.read.len() >= free.min(Self::MAX) {
            return false;
        }
        self.read.push(post);
        true
    }

    /// Free stories left this month under an allowance of `free`.
    pub fn left(&self, free: usize) -> usize {
        free.saturating_sub(self.read.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meter_counts_each_story_once_a_month() {
        let mut m = Meter::decode("", "2026-12");
        assert!(m.admit(7, 2) && m.admit(7, 2) && m.admit(9, 2), "a story read again is not counted twice");
        assert!(!m.admit(11, 2), "the third story is over the allowance");
        assert!(m.admit(9, 2), "a counted story stays open");
        assert_eq!((m.encode().as_str(), m.left(2)), ("2026-12.7-9", 0));
        assert_eq!(Meter::decode(&m.encode(), "2026-12"), m);
        assert_eq!(Meter::decode(&m.encode(), "2027-01").read, Vec::<i64>::new(), "a new month starts afresh");
        assert!(Meter::decode("2026-12.7-x", "2026-12").read.is_empty(), "an unreadable cookie counts nothing");
        assert_eq!(Meter::decode("2026-12.", "2026-12").read, Vec::<i64>::new());
    }

    #[test]
    fn the_fee_covered_leaves_the_gift_whole() {
        // £10 at 1.5 % + 20p: the charge is 10.36, of which the provider takes 0.1554 + 0.20.
        let fee = covering_fee(1000, 1.5, 20);
        assert_eq!(fee, 36);
        let charge = (1000 + fee) as f64;
        assert!(charge - (charge * 0.015 + 20.0) >= 1000.0);
        assert_eq!(covering_fee(1000, 0.0, 0), 0);
    }

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

/// One member from a members CSV (Ghost's columns: `email`, `name`, `note`, `subscribed_to_emails`,
/// `complimentary_plan`, `stripe_customer_id`, `created_at`, `labels`, `tiers`; only `email` is required).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberRow {
    /// In lower case.
    pub email: String,
    pub name: Option<String>,
    pub note: Option<String>,
    pub stripe_customer_id: Option<String>,
    /// `complimentary_plan`: a grant of a paid tier (the ones in `tiers`, else the first paid tier).
    pub complimentary: bool,
    /// Tier names (Ghost writes them comma-separated in one field).
    pub tiers: Vec<String>,
    pub subscribed_to_emails: bool,
}

/// A members CSV read, with every bad row named by its line.
#[derive(Debug, Default)]
pub struct MembersImport {
    pub rows: Vec<MemberRow>,
    pub errors: Vec<(usize, String)>,
    pub duplicates: usize,
}

/// The columns of a members CSV, in Ghost's order (export writes them; import reads any order).
pub const MEMBER_COLUMNS: &[&str] = &[
    "id",
    "email",
    "name",
    "note",
    "subscribed_to_emails",
    "complimentary_plan",
    "stripe_customer_id",
    "created_at",
    "deleted_at",
    "labels",
    "tiers",
];

/// Reads a members CSV exported from Ghost (or written by hand: a header row with at least `email`).
pub fn parse_members_csv(text: &str) -> Result<MembersImport, String> {
    let records = crate::csv::parse(text)?;
    let Some((_, header)) = records.first() else { return Err("the file has no rows".into()) };
    let cols: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let col = |name: &str| cols.iter().position(|c| c == name);
    let Some(email_col) = col("email") else { return Err("the first row names no `email` column".into()) };
    let get = |record: &[String], name: &str| -> Option<String> {
        col(name).and_then(|i| record.get(i)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    };
    let truthy = |v: Option<String>| v.is_some_and(|v| matches!(v.to_lowercase().as_str(), "true" | "yes" | "1"));
    let mut out = MembersImport::default();
    let mut seen = std::collections::HashSet::new();
    for (line, record) in records.iter().skip(1) {
        let raw = record.get(email_col).map(|s| s.trim()).unwrap_or("");
        let Ok(address) = crate::EmailAddress::parse("email", raw) else {
            out.errors.push((
                *line,
                if raw.is_empty() {
                    "no email address".into()
                } else {
                    format!("\"{}\" is not an email address", raw.chars().take(80).collect::<String>())
                },
            ));
            continue;
        };
        let email = address.as_str().to_lowercase();
        if !seen.insert(email.clone()) {
            out.duplicates += 1;
            continue;
        }
        let name = get(record, "name");
        if name.as_ref().is_some_and(|n| n.chars().count() > 200) {
            out.errors.push((*line, "the name is longer than 200 characters".into()));
            continue;
        }
        out.rows.push(MemberRow {
            email,
            name,
            note: get(record, "note").map(|n| n.chars().take(2000).collect()),
            stripe_customer_id: get(record, "stripe_customer_id").filter(|c| c.starts_with("cus_")),
            complimentary: truthy(get(record, "complimentary_plan")),
            tiers: get(record, "tiers")
                .map(|t| t.split(',').map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned).collect())
                .unwrap_or_default(),
            subscribed_to_emails: truthy(get(record, "subscribed_to_emails")),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod csv_tests {
    #[test]
    fn reads_ghosts_members_csv_and_names_bad_rows() {
        let text = "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n\
            6650,Ada@Example.org,Ada,,true,false,cus_123,2024-01-01T00:00:00.000Z,,,Supporter\n\
            6651,not-an-address,Bad,,false,false,,,,,\n\
            6652,bo@example.org,,student,false,true,,,,,\"Supporter, Patron\"\n\
            6653,ada@example.org,Again,,,,,,,,\n";
        let p = super::parse_members_csv(text).unwrap();
        assert_eq!(p.rows.len(), 2);
        assert_eq!(p.errors, vec![(3, "\"not-an-address\" is not an email address".to_owned())]);
        assert_eq!(p.duplicates, 1);
        assert_eq!(p.rows[0].email, "ada@example.org");
        assert!(p.rows[0].subscribed_to_emails && !p.rows[0].complimentary);
        assert_eq!(p.rows[0].stripe_customer_id.as_deref(), Some("cus_123"));
        assert!(p.rows[1].complimentary);
        assert_eq!(p.rows[1].tiers, ["Supporter", "Patron"]);
        assert!(super::parse_members_csv("name\nx\n").is_err());
    }
}
