//! Just enough CSV (RFC 4180) for subscriber lists: quoted fields with commas, doubled quotes and line breaks;
//! CRLF or LF; a UTF-8 byte-order mark at the start is ignored.

/// Splits `text` into records of fields. Each record carries the line number it starts on (1-based), so errors can
/// name rows the way a spreadsheet shows them. Blank lines are skipped. Fails on a quote that never closes.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut line = 1;
    let mut start_line = 1;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => quoted = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if !(record.len() == 1 && record[0].trim().is_empty()) {
                    records.push((start_line, std::mem::take(&mut record)));
                }
                record.clear();
                line += 1;
                start_line = line;
            }
            _ => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {start_line}: a quoted field is never closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        if !(record.len() == 1 && record[0].trim().is_empty()) {
            records.push((start_line, record));
        }
    }
    Ok(records)
}

/// One field, quoted when it needs to be. Fields that a spreadsheet would run as a formula are prefixed with `'`.
pub fn field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
}

/// One record with a trailing CRLF.
pub fn record(fields: &[&str]) -> String {
    let mut out = fields.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_quotes_commas_and_line_numbers() {
        let rows =
            parse("\u{feff}email,name\r\n\"a@x.org\",\"Lee, \"\"Al\"\"\"\n\nb@x.org,\"two\nlines\"\nc@x.org").unwrap();
        assert_eq!(rows[0], (1, vec!["email".to_owned(), "name".to_owned()]));
        assert_eq!(rows[1], (2, vec!["a@x.org".to_owned(), "Lee, \"Al\"".to_owned()]));
        assert_eq!(rows[2], (4, vec!["b@x.org".to_owned(), "two\nlines".to_owned()]));
        assert_eq!(rows[3], (6, vec!["c@x.org".to_owned()]));
        assert!(parse("a,\"open\n").is_err());
    }

    #[test]
    fn writes_what_it_reads() {
        let line = record(&["a@x.org", "Lee, \"Al\"", "=cmd()"]);
        assert_eq!(line, "a@x.org,\"Lee, \"\"Al\"\"\",'=cmd()\r\n");
        assert_eq!(parse(&line).unwrap()[0].1, vec!["a@x.org", "Lee, \"Al\"", "'=cmd()"]);
    }
}
