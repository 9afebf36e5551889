//! What a reader typed into the search box, as terms the engines can run safely.
//!
//! The syntax is the one people know from web search: words (all must match), `"a phrase"`, `-word` and
//! `-"a phrase"` to exclude, and the last word matched as a prefix (so results can follow typing: `barrier del`
//! finds "delay"). Everything else is not syntax: a word is a run of letters and digits in any script, and any
//! other character only separates words — so no query reaches an engine's own syntax (FTS5's `NEAR`, `*`, `:`,
//! PostgreSQL's `&`, `|`, `!`), and an unbalanced quote simply ends at the end. Long input is cut to
//! [`MAX_CHARS`] characters and [`MAX_TERMS`] terms.

/// The longest query read; the rest is ignored.
pub const MAX_CHARS: usize = 300;
/// The most terms run.
pub const MAX_TERMS: usize = 12;

/// One term: a word, or several words that must stand together (a quoted phrase, or `o'brien`, `e-mail`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Lower-case words, letters and digits only.
    pub words: Vec<String>,
    /// Written in quotes.
    pub quoted: bool,
    /// `-word`: a result must not have it.
    pub negated: bool,
    /// The last word is matched as a prefix.
    pub prefix: bool,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let input: String = input.chars().take(MAX_CHARS).collect();
        let mut terms = Vec::new();
        let mut chars = input.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
                continue;
            }
            let mut negated = false;
            if c == '-' {
                chars.next();
                match chars.peek() {
                    Some(&n) if n == '"' || n.is_alphanumeric() => negated = true,
                    _ => continue,
                }
            }
            let quoted = chars.peek() == Some(&'"');
            let mut raw = String::new();
            if quoted {
                chars.next();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    raw.push(c);
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || c == '"' {
                        break;
                    }
                    raw.push(c);
                    chars.next();
                }
            }
            let words = words(&raw);
            if !words.is_empty() {
                terms.push(Term { words, quoted, negated, prefix: false });
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        // The last word typed, unless quoted or excluded, is matched as a prefix (two letters at least).
        if let Some(last) = terms.last_mut()
            && !last.quoted
            && !last.negated
            && last.words.last().is_some_and(|w| w.chars().count() >= 2)
        {
            last.prefix = true;
        }
        Query { terms }
    }

    /// Whether anything is asked for: a query of only exclusions (or nothing) finds nothing.
    pub fn is_empty(&self) -> bool {
        !self.terms.iter().any(|t| !t.negated)
    }

    /// The words a result was found by (for highlighting), without the excluded ones.
    pub fn wanted_words(&self) -> Vec<&str> {
        self.terms.iter().filter(|t| !t.negated).flat_map(|t| t.words.iter().map(String::as_str)).collect()
    }
}

/// The words of a piece of text: runs of letters and digits, lower-cased.
fn words(raw: &str) -> Vec<String> {
    raw.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn term(words: &[&str], quoted: bool, negated: bool, prefix: bool) -> Term {
        Term { words: words.iter().map(|w| (*w).to_owned()).collect(), quoted, negated, prefix }
    }

    #[test]
    fn words_phrases_exclusions_and_the_last_prefix() {
        let q = Query::parse(r#"Barrier "dredging contract" -opinion -"letters page" del"#);
        assert_eq!(
            q.terms,
            vec![
                term(&["barrier"], false, false, false),
                term(&["dredging", "contract"], true, false, false),
                term(&["opinion"], false, true, false),
                term(&["letters", "page"], true, true, false),
                term(&["del"], false, false, true),
            ]
        );
        assert_eq!(q.wanted_words(), ["barrier", "dredging", "contract", "del"]);
    }

    #[test]
    fn engine_syntax_is_only_separators() {
        // FTS5 and tsquery operators, SQL and HTML: none survive as syntax.
        let q = Query::parse(r#"a* NEAR(b c) title:x & y | !z ' OR 1=1; -- <script>alert(1)</script>"#);
        for t in &q.terms {
            assert!(t.words.iter().all(|w| w.chars().all(char::is_alphanumeric)), "{t:?}");
        }
        assert!(q.terms.iter().any(|t| t.words.first().is_some_and(|w| w == "script")));
        // A lone hyphen or quote is nothing.
        assert!(Query::parse(r#"- " -"#).is_empty());
        assert!(Query::parse("-opinion").is_empty(), "only exclusions ask for nothing");
    }

    #[test]
    fn unbalanced_quotes_long_input_and_other_scripts() {
        let q = Query::parse(r#"harbour "barrier vote"#);
        assert_eq!(q.terms[1], term(&["barrier", "vote"], true, false, false));
        let long = "word ".repeat(5_000);
        let q = Query::parse(&long);
        assert_eq!(q.terms.len(), MAX_TERMS);
        let q = Query::parse("Київ переговори 🙂 o'brien");
        assert_eq!(q.terms[0].words, ["київ"]);
        assert_eq!(q.terms[2].words, ["o", "brien"], "an apostrophe keeps the words together");
        assert!(q.terms[2].prefix);
        assert!(!Query::parse("a").terms[0].prefix, "one letter is not a prefix worth matching");
    }
}
