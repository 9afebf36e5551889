//! Reading a subscriber list someone exported from another tool: CSV with an `email` column (and optionally
//! `name`), or no header and the address first. Every bad row is reported by its line number; repeated addresses
//! are merged.

use crate::EmailAddress;

#[derive(Debug, Default)]
pub struct ParsedImport {
    /// (address in lower case, name)
    pub rows: Vec<(String, Option<String>)>,
    /// (line number, what is wrong)
    pub errors: Vec<(usize, String)>,
    /// Rows that repeated an address already read.
    pub duplicates: usize,
}

pub fn parse_import(text: &str) -> Result<ParsedImport, String> {
    let records = crate::csv::parse(text)?;
    let mut out = ParsedImport::default();
    let Some((_, first)) = records.first() else { return Err("the file has no rows".into()) };
    let lower: Vec<String> = first.iter().map(|h| h.trim().to_lowercase()).collect();
    let header = lower.iter().position(|h| h == "email" || h == "email address" || h == "e-mail");
    let (email_col, name_col, skip) = match header {
        Some(e) => (e, lower.iter().position(|h| h == "name" || h == "full name"), 1),
        None => (0, Some(1), 0),
    };
    let mut seen = std::collections::HashSet::new();
    for (line, record) in records.iter().skip(skip) {
        let raw = record.get(email_col).map(|s| s.trim()).unwrap_or("");
        let Ok(address) = EmailAddress::parse("email", raw) else {
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
        let name = name_col.and_then(|c| record.get(c)).map(|n| n.trim()).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().count() > 200) {
            out.errors.push((*line, "the name is longer than 200 characters".into()));
            continue;
        }
        let email = address.as_str().to_lowercase();
        if !seen.insert(email.clone()) {
            out.duplicates += 1;
            continue;
        }
        out.rows.push((email, name.map(str::to_owned)));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_bad_rows_by_line_and_merges_repeats() {
        let p =
            super::parse_import("Name,Email\nAna,ANA@x.org\nBo,not-an-address\n,\nAna again,ana@x.org\nCy,cy@x.org\n")
                .unwrap();
        assert_eq!(p.rows, vec![("ana@x.org".into(), Some("Ana".into())), ("cy@x.org".into(), Some("Cy".into()))]);
        assert_eq!(p.errors.iter().map(|e| e.0).collect::<Vec<_>>(), vec![3, 4]);
        assert_eq!(p.duplicates, 1);
        let bare = super::parse_import("a@x.org\nb@x.org,Bee\n").unwrap();
        assert_eq!(bare.rows.len(), 2);
        assert!(super::parse_import("").is_err());
    }
}
