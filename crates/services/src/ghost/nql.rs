//! Ghost's filter language (NQL) for the cases front-ends use: `key:value`, `key:-value`, `key:[a,b]`,
//! `key:-[a,b]`, `key:>value` (and `>=`, `<`, `<=`), `key:~text` (contains, `~^` starts, `~$` ends), quoted
//! `'values'`, `null`, `true`/`false`, relative dates (`now-30d`), `+` (and) binding tighter than `,` (or), and
//! parentheses. Anything else is refused with a message naming where, which the API answers as Ghost's 400.

use newsdesk_store::content_api::{Field, Filter, Op, Value};

/// What a filter may name, for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Posts,
    Tags,
    Authors,
}

fn field(resource: Resource, key: &str) -> Option<Field> {
    Some(match (resource, key) {
        (Resource::Posts, "tag" | "tags" | "tags.slug") => Field::Tag,
        (Resource::Posts, "author" | "authors" | "authors.slug") => Field::Author,
        (Resource::Posts, "primary_tag" | "primary_tag.slug") => Field::PrimaryTag,
        (Resource::Posts, "primary_author" | "primary_author.slug") => Field::PrimaryAuthor,
        (Resource::Posts, "featured") => Field::Featured,
        (Resource::Posts, "language" | "lang") => Field::Language,
        (Resource::Posts, "title") => Field::Title,
        (Resource::Posts, "published_at") => Field::PublishedAt,
        (Resource::Posts, "updated_at") => Field::UpdatedAt,
        (Resource::Posts, "created_at") => Field::CreatedAt,
        (Resource::Tags | Resource::Authors, "name") => Field::Title,
        (_, "slug") => Field::Slug,
        (_, "id") => Field::Id,
        (_, "visibility") => Field::Visibility,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Prop(String),
    Value(Value),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Or,
    And,
    Not,
    Op(Op),
}

/// A filter that could not be read, with its position (1-based character).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NqlError(pub String);

fn lex(s: &str) -> Result<Vec<(usize, Tok)>, NqlError> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let at = i + 1;
        match c {
            ' ' | '\t' | '\n' => i += 1,
            '(' => {
                out.push((at, Tok::LParen));
                i += 1
            }
            ')' => {
                out.push((at, Tok::RParen));
                i += 1
            }
            '[' => {
                out.push((at, Tok::LBracket));
                i += 1
            }
            ']' => {
                out.push((at, Tok::RBracket));
                i += 1
            }
            ',' => {
                out.push((at, Tok::Or));
                i += 1
            }
            '+' => {
                out.push((at, Tok::And));
                i += 1
            }
            '-' => {
                out.push((at, Tok::Not));
                i += 1
            }
            '>' | '<' => {
                let eq = chars.get(i + 1) == Some(&'=');
                let op = match (c, eq) {
                    ('>', false) => Op::Gt,
                    ('>', true) => Op::Gte,
                    ('<', false) => Op::Lt,
                    _ => Op::Lte,
                };
                out.push((at, Tok::Op(op)));
                i += if eq { 2 } else { 1 };
            }
            '~' => {
                let op = match chars.get(i + 1) {
                    Some('^') => Op::StartsWith,
                    Some('$') => Op::EndsWith,
                    _ => Op::Contains,
                };
                out.push((at, Tok::Op(op)));
                i += if op == Op::Contains { 1 } else { 2 };
            }
            '\'' | '"' => {
                let mut v = String::new();
                let mut j = i + 1;
                loop {
                    match chars.get(j) {
                        None => return Err(NqlError(format!("a quoted value starting at char {at} never ends"))),
                        Some('\\') if j + 1 < chars.len() => {
                            v.push(chars[j + 1]);
                            j += 2;
                        }
                        Some(q) if *q == c => break,
                        Some(x) => {
                            v.push(*x);
                            j += 1;
                        }
                    }
                }
                out.push((at, Tok::Value(Value::Text(v))));
                i = j + 1;
            }
            _ => {
                let mut word = String::new();
                let mut j = i;
                while let Some(&x) = chars.get(j) {
                    if x == '\\' && j + 1 < chars.len() {
                        word.push(chars[j + 1]);
                        j += 2;
                        continue;
                    }
                    if matches!(
                        x,
                        ' ' | '\t' | '\n' | '\'' | '"' | '+' | ',' | '(' | ')' | '>' | '<' | '=' | '[' | ']' | '~'
                    ) || x == ':'
                    {
                        break;
                    }
                    // A hyphen inside a word (a slug) is part of it.
                    word.push(x);
                    j += 1;
                }
                if chars.get(j) == Some(&':') && !word.is_empty() {
                    if !word.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        || !word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    {
                        return Err(NqlError(format!("unexpected \"{word}\" at char {at}")));
                    }
                    out.push((at, Tok::Prop(word)));
                    i = j + 1;
                    continue;
                }
                if word.is_empty() {
                    return Err(NqlError(format!("unrecognized text \"{c}\" in filter at char {at}")));
                }
                let v = match word.as_str() {
                    "null" | "NULL" | "Null" => Value::Null,
                    "true" | "TRUE" | "True" => Value::Bool(true),
                    "false" | "FALSE" | "False" => Value::Bool(false),
                    w if w.chars().all(|c| c.is_ascii_digit()) && w.len() < 18 => {
                        Value::Int(w.parse().map_err(|_| NqlError(format!("bad number at char {at}")))?)
                    }
                    w => Value::Text(w.to_owned()),
                };
                out.push((at, Tok::Value(v)));
                i = j;
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [(usize, Tok)],
    pos: usize,
    resource: Resource,
    depth: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(_, t)| t)
    }

    fn at(&self) -> String {
        match self.toks.get(self.pos) {
            Some((at, _)) => format!("at char {at}"),
            None => "at the end".into(),
        }
    }

    fn expression(&mut self) -> Result<Filter, NqlError> {
        let mut ors = vec![self.and_condition()?];
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            ors.push(self.and_condition()?);
        }
        Ok(if ors.len() == 1 { ors.pop().unwrap_or(Filter::And(vec![])) } else { Filter::Or(ors) })
    }

    fn and_condition(&mut self) -> Result<Filter, NqlError> {
        let mut ands = vec![self.filter_expr()?];
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            ands.push(self.filter_expr()?);
        }
        Ok(if ands.len() == 1 { ands.pop().unwrap_or(Filter::And(vec![])) } else { Filter::And(ands) })
    }

    fn filter_expr(&mut self) -> Result<Filter, NqlError> {
        match self.peek().cloned() {
            Some(Tok::LParen) => {
                self.depth += 1;
                if self.depth > 20 {
                    return Err(NqlError("the filter nests parentheses too deeply".into()));
                }
                self.pos += 1;
                let e = self.expression()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(NqlError(format!("expected ) {}", self.at())));
                }
                self.pos += 1;
                self.depth -= 1;
                Ok(e)
            }
            Some(Tok::Prop(key)) => {
                let at = self.at();
                self.pos += 1;
                let field = field(self.resource, &key)
                    .ok_or_else(|| NqlError(format!("\"{key}\" cannot be filtered on here ({at})")))?;
                let (op, values) = self.value_expr()?;
                let values = values.into_iter().map(|v| convert(field, v)).collect::<Result<Vec<_>, _>>()?;
                Ok(Filter::Cond { field, op, values })
            }
            _ => Err(NqlError(format!("expected a property such as tag: {}", self.at()))),
        }
    }

    fn value_expr(&mut self) -> Result<(Op, Vec<Value>), NqlError> {
        let negated = self.peek() == Some(&Tok::Not);
        if negated {
            self.pos += 1;
        }
        match self.peek().cloned() {
            Some(Tok::LBracket) => {
                self.pos += 1;
                let mut values = vec![self.value()?];
                while self.peek() == Some(&Tok::Or) {
                    self.pos += 1;
                    values.push(self.value()?);
                }
                if self.peek() != Some(&Tok::RBracket) {
                    return Err(NqlError(format!("expected ] {}", self.at())));
                }
                self.pos += 1;
                Ok((if negated { Op::NotIn } else { Op::In }, values))
            }
            Some(Tok::Op(op)) if !negated || matches!(op, Op::Contains | Op::StartsWith | Op::EndsWith) => {
                self.pos += 1;
                if negated {
                    return Err(NqlError("negated text matches (-~) are not supported".into()));
                }
                Ok((op, vec![self.value()?]))
            }
            _ => Ok((if negated { Op::Ne } else { Op::Eq }, vec![self.value()?])),
        }
    }

    fn value(&mut self) -> Result<Value, NqlError> {
        match self.peek().cloned() {
            Some(Tok::Value(v)) => {
                self.pos += 1;
                Ok(v)
            }
            _ => Err(NqlError(format!("expected a value {}", self.at()))),
        }
    }
}

/// Dates become Unix seconds: `'2024-05-01'`, `'2024-05-01 10:00:00'`, RFC 3339, or `now-30d`.
fn convert(field: Field, v: Value) -> Result<Value, NqlError> {
    if !matches!(field, Field::PublishedAt | Field::UpdatedAt | Field::CreatedAt) {
        return Ok(v);
    }
    let Value::Text(s) = &v else { return Ok(v) };
    let s = s.trim();
    if let Some(rel) = s.strip_prefix("now") {
        let (sign, rest) = match rel.chars().next() {
            Some('-') => (-1, &rel[1..]),
            Some('+') => (1, &rel[1..]),
            _ => return Ok(Value::Int(jiff::Timestamp::now().as_second())),
        };
        let unit = rest.chars().last().unwrap_or('d');
        let n: i64 =
            rest[..rest.len().saturating_sub(1)].parse().map_err(|_| NqlError(format!("bad relative date {s}")))?;
        let secs = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'M' => 30 * 86_400,
            'y' => 365 * 86_400,
            _ => return Err(NqlError(format!("bad relative date {s}"))),
        };
        return Ok(Value::Int(jiff::Timestamp::now().as_second() + sign * n * secs));
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(Value::Int(ts.as_second()));
    }
    let civil = s.replace(' ', "T");
    let parsed = civil
        .parse::<jiff::civil::DateTime>()
        .or_else(|_| civil.parse::<jiff::civil::Date>().map(|d| d.to_datetime(jiff::civil::Time::midnight())));
    match parsed.ok().and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok()) {
        Some(z) => Ok(Value::Int(z.timestamp().as_second())),
        None => Err(NqlError(format!("\"{s}\" is not a date (use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM:SS')"))),
    }
}

/// Parses a filter for `resource`.
pub fn parse(resource: Resource, s: &str) -> Result<Filter, NqlError> {
    if s.len() > 2000 {
        return Err(NqlError("the filter is longer than 2,000 characters".into()));
    }
    let toks = lex(s)?;
    if toks.is_empty() {
        return Err(NqlError("the filter is empty".into()));
    }
    let mut p = Parser { toks: &toks, pos: 0, resource, depth: 0 };
    let f = p.expression()?;
    if p.pos != toks.len() {
        return Err(NqlError(format!("unexpected text {}", p.at())));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cond(field: Field, op: Op, values: Vec<Value>) -> Filter {
        Filter::Cond { field, op, values }
    }
    fn t(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn reads_what_front_ends_send() {
        assert_eq!(parse(Resource::Posts, "tag:harbour").unwrap(), cond(Field::Tag, Op::Eq, vec![t("harbour")]));
        assert_eq!(
            parse(Resource::Posts, "tags:[harbour,flood-defences]+featured:true").unwrap(),
            Filter::And(vec![
                cond(Field::Tag, Op::In, vec![t("harbour"), t("flood-defences")]),
                cond(Field::Featured, Op::Eq, vec![Value::Bool(true)]),
            ])
        );
        assert_eq!(
            parse(Resource::Posts, "author:maya,tag:-news+primary_tag:courts").unwrap(),
            Filter::Or(vec![
                cond(Field::Author, Op::Eq, vec![t("maya")]),
                Filter::And(vec![
                    cond(Field::Tag, Op::Ne, vec![t("news")]),
                    cond(Field::PrimaryTag, Op::Eq, vec![t("courts")])
                ]),
            ])
        );
        assert_eq!(
            parse(Resource::Posts, "published_at:>'2024-05-01 00:00:00'").unwrap(),
            cond(Field::PublishedAt, Op::Gt, vec![Value::Int(1_714_521_600)])
        );
        assert_eq!(
            parse(Resource::Posts, "(tag:a,tag:b)+slug:-[x,y]").unwrap(),
            Filter::And(vec![
                Filter::Or(vec![cond(Field::Tag, Op::Eq, vec![t("a")]), cond(Field::Tag, Op::Eq, vec![t("b")])]),
                cond(Field::Slug, Op::NotIn, vec![t("x"), t("y")]),
            ])
        );
        assert_eq!(
            parse(Resource::Posts, "title:~'Barrier'").unwrap(),
            cond(Field::Title, Op::Contains, vec![t("Barrier")])
        );
        assert!(matches!(parse(Resource::Posts, "published_at:>now-30d").unwrap(), Filter::Cond { op: Op::Gt, .. }));
        assert_eq!(
            parse(Resource::Tags, "visibility:public").unwrap(),
            cond(Field::Visibility, Op::Eq, vec![t("public")])
        );
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "",
            "tag",
            "tag:",
            "tag:[a,b",
            "(tag:a",
            "password:x",
            "tag:a+",
            "tag:'open",
            "published_at:>'soon'",
            "tag:a)",
        ] {
            assert!(parse(Resource::Posts, bad).is_err(), "{bad:?}");
        }
        assert!(parse(Resource::Tags, "featured:true").is_err());
        let deep = format!("{}tag:a{}", "(".repeat(50), ")".repeat(50));
        assert!(parse(Resource::Posts, &deep).is_err());
    }
}
