//! The error codes are written down once: `newsdesk_services::error::CODES`. These tests keep the sources and
//! `docs/api.md` telling the same story — no code is used that is not listed, and the docs list exactly the codes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is the failure report

use std::path::{Path, PathBuf};

use newsdesk_services::error::{CODES, is_known};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literal right after `skip` comma-separated arguments (no nesting in those arguments).
fn literal_after(rest: &str, skip: usize) -> Option<String> {
    let mut rest = rest;
    for _ in 0..skip {
        rest = &rest[rest.find(',')? + 1..];
    }
    let rest = rest.trim_start();
    let body = rest.strip_prefix('"')?;
    let lit: String = body.chars().take_while(|c| *c != '"').collect();
    (!lit.is_empty() && lit.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then_some(lit)
}

/// Every code literal the sources use in the forms codes take.
fn used_codes() -> Vec<(String, String)> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(crates).unwrap().flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            sources(&src, &mut files);
        }
    }
    let forms: &[(&str, usize)] = &[
        ("ValidationError::new(", 1),
        ("ApiError::new(", 1),
        ("code: ", 0),
        ("get_or_insert(", 0),
        ("ServiceError::invalid(", 1),
        ("note(&mut errors, ", 2),
    ];
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        // Code after `#[cfg(test)]` is tests; comments are prose.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        let text: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
        for (needle, skip) in forms {
            for (at, _) in text.match_indices(needle) {
                if let Some(code) = literal_after(&text[at + needle.len()..], *skip) {
                    found.push((code, f.display().to_string()));
                }
            }
        }
    }
    found
}

#[test]
fn every_code_the_sources_use_is_listed_once() {
    let used = used_codes();
    assert!(used.len() > 40, "the scan found the codes ({})", used.len());
    let unknown: Vec<_> = used.iter().filter(|(c, _)| !is_known(c)).collect();
    assert!(unknown.is_empty(), "codes used but not in CODES: {unknown:?}");
    let mut seen = std::collections::HashSet::new();
    for (code, _, _) in CODES {
        assert!(seen.insert(code), "{code} is listed twice");
    }
}

#[test]
fn docs_api_md_lists_exactly_the_codes() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md");
    let text = std::fs::read_to_string(docs).unwrap();
    let section = text.split("## Error codes").nth(1).expect("docs/api.md has an Error codes section");
    let section = section.split("\n## ").next().unwrap();
    let listed: std::collections::BTreeSet<String> = section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_owned))
        .collect();
    let codes: std::collections::BTreeSet<String> = CODES.iter().map(|(c, _, _)| (*c).to_owned()).collect();
    let missing: Vec<_> = codes.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&codes).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not in the docs: {missing:?}; in the docs only: {extra:?}");
    for (code, status, _) in CODES {
        let row = section.lines().find(|l| l.starts_with(&format!("| `{code}`"))).unwrap();
        assert!(row.contains(&format!("| {status} |")), "{code}: the docs give another status: {row}");
    }
}
