//! Moving a site in: importers for WordPress (`wordpress`), Ghost (`ghost`) and Substack (`substack`), with what every importer shares — the report, progress,
//! options, and the rules for authors, tags, files and stories that make a second run update what the first created
//! instead of duplicating it.
//!
//! Every importer works in two passes over its file: the first reads and checks everything and keeps only what is
//! small (ids, slugs, names, files); if anything is wrong it stops before writing, naming the item and the field. The
//! second writes authors, tags and files, then the stories in batches of [`BATCH`], each batch one transaction with
//! the stories' source ids and old addresses.

pub(crate) mod files;
pub mod ghost;
pub mod substack;
pub mod wordpress;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::PathBuf;

use newsdesk_domain::{Slug, Title};
use newsdesk_store::Store;
use newsdesk_store::authors::AuthorInput;
use newsdesk_store::imports::ImportedPost;
use serde::Serialize;

/// Stories per transaction.
pub const BATCH: usize = 200;

/// How an import runs.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// A copy of the old site's upload directory (WordPress's `wp-content/uploads`).
    pub uploads: Option<PathBuf>,
    /// Fetch files the uploads directory does not have over HTTP (with timeouts).
    pub fetch_media: bool,
    /// Skip items that fail the checks (and report them) instead of stopping before anything is written.
    pub skip_invalid: bool,
}

/// Told how far an import has got; the CLI draws a bar on a terminal and prints lines otherwise.
pub trait Progress: Send {
    /// A phase begins ("files", "stories") with this many steps.
    fn phase(&mut self, name: &str, total: u64);
    /// `n` more steps are done.
    fn advance(&mut self, n: u64);
    /// The phase is over.
    fn finish(&mut self);
}

/// Progress nobody watches (tests).
pub struct Quiet;

impl Progress for Quiet {
    fn phase(&mut self, _: &str, _: u64) {}
    fn advance(&mut self, _: u64) {}
    fn finish(&mut self) {}
}

/// Counts of one kind of thing.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub posts: u64,
    pub pages: u64,
    pub authors: u64,
    pub tags: u64,
    pub media: u64,
    pub subscribers: u64,
}

/// An item left out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub item: String,
    pub reason: String,
}

/// What an import did, printed at its end.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub source: String,
    pub created: Counts,
    pub updated: Counts,
    pub skipped: Vec<Skipped>,
    /// Items imported as drafts that were not public on the old site (private, password-protected, members-only).
    pub hidden: Vec<Skipped>,
    /// Files that could not be found or read: (file, why, the items that use it).
    pub media_missing: Vec<Skipped>,
    /// Shortcodes that were not understood: name → items that used them.
    pub unknown_shortcodes: BTreeMap<String, Vec<String>>,
    /// Slugs that were taken and got another: item → (wanted, given).
    pub renamed: Vec<Skipped>,
    pub redirects: u64,
    /// Comments on the old site, not imported (Newsdesk has no comments yet).
    pub comments: u64,
    pub notes: Vec<String>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |x: &Counts| {
            let subscribers =
                if x.subscribers > 0 { format!(", {} subscribers", x.subscribers) } else { String::new() };
            format!(
                "{} posts, {} pages, {} authors, {} tags, {} files{subscribers}",
                x.posts, x.pages, x.authors, x.tags, x.media
            )
        };
        writeln!(f, "Import from {}", self.source)?;
        writeln!(f, "  created: {}", c(&self.created))?;
        writeln!(f, "  updated: {}", c(&self.updated))?;
        writeln!(f, "  redirects from old addresses: {}", self.redirects)?;
        if self.comments > 0 {
            writeln!(f, "  comments not imported (Newsdesk has no comments yet): {}", self.comments)?;
        }
        let list = |f: &mut fmt::Formatter<'_>, title: &str, xs: &[Skipped]| -> fmt::Result {
            if !xs.is_empty() {
                writeln!(f, "  {title} ({}):", xs.len())?;
                for s in xs.iter().take(50) {
                    writeln!(f, "    - {}: {}", s.item, s.reason)?;
                }
                if xs.len() > 50 {
                    writeln!(f, "    … and {} more", xs.len() - 50)?;
                }
            }
            Ok(())
        };
        list(f, "imported as drafts, not public", &self.hidden)?;
        list(f, "skipped", &self.skipped)?;
        list(f, "files missing", &self.media_missing)?;
        list(f, "slugs changed", &self.renamed)?;
        if !self.unknown_shortcodes.is_empty() {
            writeln!(f, "  shortcodes removed (their text kept):")?;
            for (name, items) in &self.unknown_shortcodes {
                let shown: Vec<&str> = items.iter().take(5).map(String::as_str).collect();
                let more = if items.len() > 5 { format!(" and {} more", items.len() - 5) } else { String::new() };
                writeln!(f, "    - [{name}] in {}{more}", shown.join(", "))?;
            }
        }
        for n in &self.notes {
            writeln!(f, "  note: {n}")?;
        }
        Ok(())
    }
}

/// Why an import stopped before writing: every problem found, each with its item and field.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(String),
    #[error("{}", invalid_message(.0))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// One problem on one line; several as a first line and a list (the first 20).
fn invalid_message(problems: &[String]) -> String {
    const TAIL: &str = "nothing was imported (with --skip-invalid, the rest is)";
    match problems {
        [one] => format!("{one}; {TAIL}"),
        many => {
            let list: Vec<String> = many.iter().take(20).map(|p| format!("  - {p}")).collect();
            let more = if many.len() > 20 { format!("\n  … and {} more", many.len() - 20) } else { String::new() };
            format!("{} problems found; {TAIL}:\n{}{more}", many.len(), list.join("\n"))
        }
    }
}

impl From<newsdesk_store::StoreError> for ImportError {
    fn from(e: newsdesk_store::StoreError) -> Self {
        ImportError::Internal(e.into())
    }
}

/// Slugs handed out during one import, so two items of one file never get the same one.
#[derive(Default)]
pub(crate) struct Slugs {
    given: HashSet<String>,
}

impl Slugs {
    /// `wanted` if free (or already this post's), else `wanted-2`, `wanted-3`…
    pub async fn post_slug(&mut self, store: &Store, wanted: &str, own: Option<i64>) -> Result<String, ImportError> {
        let mut candidate = wanted.to_owned();
        let mut n = 2;
        while self.given.contains(&candidate) || store.slug_taken(&candidate, own).await? {
            candidate = format!("{wanted}-{n}");
            n += 1;
        }
        self.given.insert(candidate.clone());
        Ok(candidate)
    }
}

/// A slug from the old site's (percent-encoded, perhaps non-ASCII) slug, else from a name.
pub(crate) fn slug_from(raw: &str, fallback_text: &str) -> Option<String> {
    let decoded = percent_encoding::percent_decode_str(raw.trim()).decode_utf8_lossy().to_lowercase();
    if let Ok(s) = Slug::parse("slug", &decoded) {
        return Some(s.into_string());
    }
    Slug::from_text(&decoded).or_else(|| Slug::from_text(fallback_text)).map(Slug::into_string)
}

/// A byline from the old site.
pub(crate) struct SourceAuthor<'a> {
    pub source_id: &'a str,
    pub slug: &'a str,
    pub name: &'a str,
    pub bio: Option<&'a str>,
    /// "person" or "desk".
    pub kind: &'a str,
}

/// Creates or updates authors; returns source id → our id. An author from an earlier run is updated; a new one
/// takes an existing author with the same slug and name (the same person), else a free slug.
pub(crate) async fn import_authors(
    store: &Store,
    source: &str,
    authors: &[SourceAuthor<'_>],
    report: &mut Report,
) -> Result<HashMap<String, i64>, ImportError> {
    let known = store.import_ids(source, "author").await?;
    let mut out = HashMap::new();
    for a in authors {
        let name = newsdesk_domain::author::parse_name("authors", a.name)
            .map_err(|e| ImportError::File(format!("author {}: {}", a.source_id, e.message)))?;
        if let Some(existing) = match known.get(a.source_id) {
            Some(id) => store.author(*id).await?,
            None => None,
        } {
            let input = AuthorInput {
                slug: &existing.slug,
                name: &name,
                kind: &existing.kind,
                bio: a.bio.or(existing.bio.as_deref()),
                image_id: existing.image_id,
            };
            store.update_author(existing.id, input).await?;
            report.updated.authors += 1;
            out.insert(a.source_id.to_owned(), existing.id);
            continue;
        }
        let base = slug_from(a.slug, &name).unwrap_or_else(|| "author".into());
        let mut slug = base.clone();
        let mut n = 2;
        let id = loop {
            match store.author_by_slug(&slug).await? {
                Some(same) if same.name.eq_ignore_ascii_case(&name) => break same.id,
                Some(_) => {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                None => {
                    let input = AuthorInput { slug: &slug, name: &name, kind: a.kind, bio: a.bio, image_id: None };
                    let created = store.create_author(input).await?;
                    report.created.authors += 1;
                    break created.id;
                }
            }
        };
        store.remember_import(source, "author", a.source_id, id).await?;
        out.insert(a.source_id.to_owned(), id);
    }
    Ok(out)
}

/// A section or tag from the old site.
pub(crate) struct SourceTag<'a> {
    /// Unique within the source (e.g. "category:news").
    pub source_id: String,
    pub slug: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// The parent's source id.
    pub parent: Option<String>,
}

/// Creates or updates tags (parents first is not required); returns source id → our id. A new tag takes an
/// existing tag with the same slug only when its name is the same too: slugs that collide under different names
/// get a free slug instead of being merged by accident.
pub(crate) async fn import_tags(
    store: &Store,
    source: &str,
    tags: &[SourceTag<'_>],
    report: &mut Report,
) -> Result<HashMap<String, i64>, ImportError> {
    let known = store.import_ids(source, "tag").await?;
    let mut out = HashMap::new();
    for t in tags {
        let name = newsdesk_domain::author::parse_name("tags", t.name)
            .map_err(|e| ImportError::File(format!("tag {}: {}", t.source_id, e.message)))?;
        let description = t.description.map(str::trim).filter(|d| !d.is_empty());
        if let Some(existing) = match known.get(&t.source_id) {
            Some(id) => store.tag(*id).await?,
            None => None,
        } {
            store
                .update_tag(existing.id, &existing.slug, &name, description.or(existing.description.as_deref()))
                .await?;
            report.updated.tags += 1;
            out.insert(t.source_id.clone(), existing.id);
            continue;
        }
        let base = slug_from(t.slug, &name).unwrap_or_else(|| "tag".into());
        let mut slug = base.clone();
        let mut n = 2;
        let id = loop {
            match store.tag_by_slug(&slug).await? {
                Some(same) if same.name.eq_ignore_ascii_case(&name) => break same.id,
                Some(_) => {
                    slug = format!("{base}-{n}");
                    n += 1;
                }
                None => {
                    let created = store.create_tag(&slug, &name, description).await?;
                    report.created.tags += 1;
                    break created.id;
                }
            }
        };
        if slug != base {
            report.renamed.push(Skipped {
                item: format!("tag \u{201c}{name}\u{201d}"),
                reason: format!("slug {base} is another tag's; this one is {slug}"),
            });
        }
        store.remember_import(source, "tag", &t.source_id, id).await?;
        out.insert(t.source_id.clone(), id);
    }
    for t in tags {
        if let (Some(id), Some(parent)) = (out.get(&t.source_id), t.parent.as_ref().and_then(|p| out.get(p))) {
            store.set_tag_parent(*id, Some(*parent)).await?;
        }
    }
    Ok(out)
}

/// Stories waiting to be written, [`BATCH`] at a time, with what the report counts of each.
#[derive(Default)]
pub(crate) struct Batch {
    items: Vec<ImportedPost>,
    /// (a page, it existed before) per item.
    kinds: Vec<(bool, bool)>,
}

impl Batch {
    pub fn push(&mut self, post: ImportedPost, page: bool) {
        self.kinds.push((page, post.existing_id.is_some()));
        self.items.push(post);
    }

    pub fn is_full(&self) -> bool {
        self.items.len() >= BATCH
    }

    /// Writes the stories in one transaction and counts them; returns (source id, our id) of each.
    pub async fn write(
        &mut self,
        store: &Store,
        source: &str,
        report: &mut Report,
        progress: &mut dyn Progress,
    ) -> Result<Vec<(String, i64)>, ImportError> {
        if self.items.is_empty() {
            return Ok(Vec::new());
        }
        let ids = store.import_posts(source, &self.items, None).await?;
        for (page, existed) in self.kinds.drain(..) {
            let counts = if existed { &mut report.updated } else { &mut report.created };
            if page {
                counts.pages += 1;
            } else {
                counts.posts += 1;
            }
        }
        progress.advance(self.items.len() as u64);
        Ok(self.items.drain(..).map(|i| i.source_id).zip(ids).collect())
    }
}

/// A story's headline from the old site's title (HTML, perhaps empty): plain text, at most 300 characters, and
/// "Untitled" (reported) when there is none. Returns it parsed and as text.
pub(crate) fn headline(raw: &str, label: &str, report: &mut Report) -> Result<(Title, String), ImportError> {
    let text = plain_text(raw);
    let text = if text.is_empty() {
        report
            .renamed
            .push(Skipped { item: label.to_owned(), reason: "had no title; given \u{201c}Untitled\u{201d}".into() });
        "Untitled".to_owned()
    } else {
        clip(&text, 300)
    };
    let title =
        Title::parse("title", &text).map_err(|e| ImportError::File(format!("{label}: title: {}", e.message)))?;
    Ok((title, text))
}

/// The slug of a story: an existing one keeps its own; a new one gets the old site's slug (else one made from the
/// headline, else `post-{id}`) when it is free, else with a counter, reported.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn story_slug(
    store: &Store,
    slugs: &mut Slugs,
    existing: Option<&newsdesk_store::posts::Post>,
    old: &str,
    title_text: &str,
    id: &str,
    label: &str,
    report: &mut Report,
) -> Result<String, ImportError> {
    if let Some(p) = existing {
        return Ok(p.row.slug.clone());
    }
    let wanted = slug_from(old, title_text).unwrap_or_else(|| format!("post-{id}"));
    let given = slugs.post_slug(store, &wanted, None).await?;
    if given != wanted && !old.trim().is_empty() {
        report
            .renamed
            .push(Skipped { item: label.to_owned(), reason: format!("slug {wanted} was taken; now {given}") });
    }
    Ok(given)
}

/// Cuts text to `max` characters at a word, with an ellipsis.
pub(crate) fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let cut: String = s.chars().take(max - 1).collect();
    let at = cut.rfind(char::is_whitespace).filter(|i| *i > max / 2).unwrap_or(cut.len());
    format!("{}\u{2026}", cut[..at].trim_end())
}

/// Plain text of a short HTML fragment (excerpts, captions): tags dropped, entities decoded, space collapsed.
pub(crate) fn plain_text(html: &str) -> String {
    use newsdesk_domain::document::{Block, Inline};
    let doc = newsdesk_render::document::from_html(&format!("<p>{html}</p>"));
    let mut out = String::new();
    doc.walk(&mut |b| {
        if let Block::Paragraph { content } | Block::Heading { content, .. } | Block::PullQuote { content, .. } = b {
            for i in content {
                match i {
                    Inline::Text { text, .. } => out.push_str(text),
                    Inline::HardBreak => out.push(' '),
                }
            }
            out.push(' ');
        }
    });
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}
