//! `newsdesk import markdown PATH`: Markdown files with YAML front matter become posts.
//!
//! All files are read and checked first (front matter, dates, status, images); if any is wrong, the command stops
//! with one line naming the file and the field, and nothing is imported. A post whose slug already exists is
//! updated, so re-running an import is safe. Authors named in front matter are created when missing.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use newsdesk_domain::{AuthorKind, PostStatus, Role, SiteSettings, Slug};
use newsdesk_services::Actor;
use newsdesk_services::posts::{self as content, Action, PostDraft, SaveError};
use newsdesk_store::Store;
use newsdesk_store::authors::AuthorInput;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum AuthorSpec {
    Name(String),
    Full { name: String, kind: Option<String> },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    title: String,
    slug: Option<String>,
    excerpt: Option<String>,
    #[serde(default)]
    authors: Vec<AuthorSpec>,
    #[serde(default)]
    tags: Vec<String>,
    status: Option<String>,
    published_at: Option<String>,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    feature_image_credit: Option<String>,
    meta_title: Option<String>,
    meta_description: Option<String>,
    /// BCP 47; the site's language when absent.
    language: Option<String>,
    /// The slug of the story this file translates (imported first, whatever the files' order).
    translation_of: Option<String>,
    /// `public` (the default), `members`, `paid`, or paid tier slugs separated by commas.
    visibility: Option<String>,
}

/// One file, parsed and checked.
struct Prepared {
    path: PathBuf,
    fm: FrontMatter,
    status: PostStatus,
    authors: Vec<(String, AuthorKind)>,
    body: String,
    image: Option<(String, Vec<u8>)>,
}

fn markdown_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    if !path.is_dir() {
        bail!("{}: no such file or directory", path.display());
    }
    let mut files = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let p = entry?.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "md" || e == "markdown") {
                files.push(p);
            }
        }
    }
    files.sort();
    if files.is_empty() {
        bail!("{}: no .md files found", path.display());
    }
    Ok(files)
}

/// Splits `---\nyaml\n---\nbody`.
fn split_front_matter(text: &str) -> Option<(&str, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n"))?;
    let end = rest
        .find("\n---\n")
        .or_else(|| rest.find("\n---\r\n"))
        .or_else(|| rest.strip_suffix("\n---").map(|r| r.len()))?;
    let yaml = &rest[..end];
    let body = rest[end..].trim_start_matches('\n').trim_start_matches("---").trim_start_matches(['\r', '\n']);
    Some((yaml, body))
}

fn prepare(path: &Path, tz: &jiff::tz::TimeZone) -> anyhow::Result<Prepared> {
    let text = std::fs::read_to_string(path).context("cannot read file")?;
    let (yaml, body) =
        split_front_matter(&text).context("no YAML front matter (the file must start with a line of ---)")?;
    let fm: FrontMatter = serde_yaml::from_str(yaml).map_err(|e| anyhow::anyhow!("front matter: {e}"))?;
    newsdesk_domain::Title::parse("title", &fm.title).map_err(|e| anyhow::anyhow!("title: {}", e.message))?;
    if let Some(s) = &fm.slug {
        Slug::parse("slug", s).map_err(|e| anyhow::anyhow!("slug: {}", e.message))?;
    }
    let status = PostStatus::parse("status", fm.status.as_deref().unwrap_or("published"))
        .map_err(|e| anyhow::anyhow!("status: {}", e.message))?;
    if let Some(d) = &fm.published_at {
        // Front matter dates must carry their offset: RFC 3339.
        d.trim().parse::<jiff::Timestamp>().map_err(|_| {
            anyhow::anyhow!("published_at: \"{d}\" is not an RFC 3339 date-time (e.g. 2026-10-07T09:30:00+01:00)")
        })?;
        content::parse_time("published_at", d, tz).map_err(|e| anyhow::anyhow!("published_at: {}", e.message))?;
    } else if status == PostStatus::Scheduled {
        bail!("published_at: a scheduled post needs a publication time");
    }
    let mut authors = Vec::new();
    for a in &fm.authors {
        let (name, kind) = match a {
            AuthorSpec::Name(n) => (n.clone(), AuthorKind::Person),
            AuthorSpec::Full { name, kind } => (
                name.clone(),
                AuthorKind::parse("kind", kind.as_deref().unwrap_or("person"))
                    .map_err(|e| anyhow::anyhow!("authors: {}", e.message))?,
            ),
        };
        newsdesk_domain::author::parse_name("authors", &name).map_err(|e| anyhow::anyhow!("authors: {}", e.message))?;
        authors.push((name, kind));
    }
    if authors.is_empty() {
        bail!("authors: at least one author is required");
    }
    let image = match &fm.feature_image {
        Some(rel) => {
            let p = path.parent().unwrap_or(Path::new(".")).join(rel);
            let bytes = std::fs::read(&p).with_context(|| format!("feature_image: cannot read {}", p.display()))?;
            image::guess_format(&bytes)
                .map_err(|_| anyhow::anyhow!("feature_image: {} is not an image", p.display()))?;
            Some((rel.clone(), bytes))
        }
        None => None,
    };
    Ok(Prepared { path: path.to_path_buf(), fm, status, authors, body: body.to_owned(), image })
}

/// Imports every Markdown file under `path`. Returns the number of posts created or updated.
pub async fn run(
    store: &Store,
    site: &SiteSettings,
    media: &newsdesk_services::storage::MediaStore,
    path: &Path,
) -> anyhow::Result<usize> {
    let tz = site.timezone.tz();
    let files = markdown_files(path)?;
    let mut prepared = Vec::with_capacity(files.len());
    for f in &files {
        prepared.push(prepare(f, tz).with_context(|| f.display().to_string())?);
    }
    // Translations after the stories they translate (the sort is stable: the files' order stays otherwise).
    prepared.sort_by_key(|p| p.fm.translation_of.is_some());
    let actor = Actor { user_id: None, role: Role::Owner, author_id: None };
    let total = prepared.len();
    for (i, p) in prepared.into_iter().enumerate() {
        let name = p.path.display().to_string();
        let mut author_keys = Vec::new();
        for (a, kind) in &p.authors {
            let found = store.author_by_slug_or_name(a).await?;
            let author = match found {
                Some(x) => x,
                None => {
                    let slug = Slug::from_text(a)
                        .with_context(|| format!("{name}: authors: cannot make a slug from \"{a}\""))?;
                    store
                        .create_author(AuthorInput {
                            slug: slug.as_str(),
                            name: a,
                            kind: kind.as_str(),
                            bio: None,
                            image_id: None,
                        })
                        .await?
                }
            };
            author_keys.push(author.id.to_string());
        }
        let image_id = match p.image {
            Some((rel, bytes)) => {
                match newsdesk_services::media::store_image(store, media, &rel, bytes, "feature_image").await {
                    Ok(m) => Some(m.id),
                    Err(newsdesk_services::media::UploadError::Invalid(e)) => {
                        bail!("{name}: feature_image: {}", e.message)
                    }
                    Err(newsdesk_services::media::UploadError::Internal(e)) => return Err(e.context(name)),
                }
            }
            None => None,
        };
        let slug = p.fm.slug.clone().or_else(|| Slug::from_text(&p.fm.title).map(Slug::into_string));
        let existing = match &slug {
            Some(s) => store.post_by_slug(s).await?,
            None => None,
        };
        let draft = PostDraft {
            kind: Some("post".into()),
            title: p.fm.title,
            slug,
            excerpt: p.fm.excerpt,
            body: p.body,
            document: None,
            authors: author_keys,
            tags: p.fm.tags,
            publish_at: p.fm.published_at,
            feature_image_id: image_id.or(existing.as_ref().and_then(|e| e.row.feature_image_id)),
            feature_image_alt: p.fm.feature_image_alt,
            feature_image_caption: p.fm.feature_image_caption,
            feature_image_credit: p.fm.feature_image_credit,
            revision: None,
            related: None,
            meta_title: p.fm.meta_title,
            meta_description: p.fm.meta_description,
            language: p.fm.language,
            translation_of: p.fm.translation_of,
            visibility: p.fm.visibility,
        };
        let result = content::save_post(store, site, &actor, existing.as_ref(), draft, Action::Status(p.status)).await;
        match result {
            Ok(id) => eprintln!(
                "[{}/{total}] {} {name} → post {id}",
                i + 1,
                if existing.is_some() { "updated" } else { "imported" }
            ),
            Err(SaveError::Invalid(errs, _)) => {
                let msg = errs.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; ");
                bail!("{name}: {msg}");
            }
            Err(SaveError::Forbidden(m)) => bail!("{name}: {m}"),
            Err(SaveError::NotFound) => bail!("{name}: post vanished during import"),
            Err(SaveError::Internal(e)) => return Err(e.context(name)),
        }
    }
    Ok(total)
}

/// Progress on the terminal: a bar when stderr is one, else a line every few seconds (logs, CI).
pub struct CliProgress {
    bar: Option<indicatif::ProgressBar>,
    phase: String,
    total: u64,
    done: u64,
    last_line: std::time::Instant,
}

impl CliProgress {
    pub fn new() -> CliProgress {
        CliProgress { bar: None, phase: String::new(), total: 0, done: 0, last_line: std::time::Instant::now() }
    }
}

impl Default for CliProgress {
    fn default() -> Self {
        CliProgress::new()
    }
}

impl newsdesk_services::import::Progress for CliProgress {
    fn phase(&mut self, name: &str, total: u64) {
        use std::io::IsTerminal;
        self.phase = name.to_owned();
        self.total = total;
        self.done = 0;
        self.last_line = std::time::Instant::now();
        if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(total);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{prefix:>8} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(name.to_owned());
            self.bar = Some(bar);
        } else {
            eprintln!("{name}: 0/{total}");
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(bar) => bar.inc(n),
            None if self.last_line.elapsed().as_secs() >= 2 => {
                self.last_line = std::time::Instant::now();
                eprintln!("{}: {}/{}", self.phase, self.done, self.total);
            }
            None => {}
        }
    }

    fn finish(&mut self) {
        match self.bar.take() {
            Some(bar) => bar.finish_and_clear(),
            None => eprintln!("{}: {}/{} done", self.phase, self.done, self.total),
        }
    }
}

/// `newsdesk import wordpress FILE`: runs the importer with progress and prints its report (also as JSON with
/// `--report`).
pub async fn wordpress(
    config: &crate::config::Config,
    file: &Path,
    opts: &newsdesk_services::import::ImportOptions,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(dir) = &opts.uploads
        && !dir.is_dir()
    {
        bail!("--uploads: {} is not a directory", dir.display());
    }
    let site = config.site_settings(None)?;
    let store = crate::init::open(config, false).await?;
    let started = std::time::Instant::now();
    let mut progress = CliProgress::new();
    let media = config.media()?;
    let result = newsdesk_services::import::wordpress::import(&store, &site, &media, file, opts, &mut progress).await;
    store.close().await;
    finish(result, file, report_file, started)
}

/// `newsdesk import ghost EXPORT.json [--content DIR]`.
pub async fn ghost(
    config: &crate::config::Config,
    file: &Path,
    content: Option<&Path>,
    opts: &newsdesk_services::import::ImportOptions,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    if let Some(dir) = content
        && !dir.is_dir()
    {
        bail!("--content: {} is not a directory", dir.display());
    }
    let store = crate::init::open(config, false).await?;
    let started = std::time::Instant::now();
    let mut progress = CliProgress::new();
    let media = config.media()?;
    let site = config.site_settings(None)?;
    let result =
        newsdesk_services::import::ghost::import(&store, &site, &media, file, content, opts, &mut progress).await;
    store.close().await;
    finish(result, file, report_file, started)
}

/// `newsdesk import substack FILE.zip`.
pub async fn substack(
    config: &crate::config::Config,
    file: &Path,
    opts: &newsdesk_services::import::ImportOptions,
    sub: &newsdesk_services::import::substack::SubstackOptions,
    report_file: Option<&Path>,
) -> anyhow::Result<()> {
    let store = crate::init::open(config, false).await?;
    let started = std::time::Instant::now();
    let mut progress = CliProgress::new();
    let media = config.media()?;
    let result = newsdesk_services::import::substack::import(&store, &media, file, opts, sub, &mut progress).await;
    store.close().await;
    finish(result, file, report_file, started)
}

/// `newsdesk export archive FILE` (`export`) and `newsdesk import archive FILE`.
pub async fn archive(config: &crate::config::Config, file: &Path, export: bool) -> anyhow::Result<()> {
    use newsdesk_services::import::ImportError;
    let store = crate::init::open(config, false).await?;
    let started = std::time::Instant::now();
    let mut progress = CliProgress::new();
    let media = config.media()?;
    let result = if export {
        newsdesk_services::archive::export(&store, &media, file, &mut progress).await
    } else {
        newsdesk_services::archive::import(&store, &media, file, &mut progress).await
    };
    store.close().await;
    let s = match result {
        Ok(s) => s,
        Err(ImportError::Internal(e)) => return Err(e.context(format!("archive {}", file.display()))),
        Err(e) => bail!("{e}"),
    };
    let verb = if export { "wrote" } else { "restored" };
    println!(
        "{verb} {} rows of {} tables and {} files ({}) in {:.1} s",
        s.rows,
        s.tables,
        s.media_files,
        file.display(),
        started.elapsed().as_secs_f64()
    );
    if !export {
        println!(
            "staff passwords are not in archives: each member of staff signs in with \"Forgot password\" (or newsdesk user add)"
        );
    }
    Ok(())
}

/// Prints an importer's report (and writes it as JSON when asked), or its refusal as the CLI's one line.
fn finish(
    result: Result<newsdesk_services::import::Report, newsdesk_services::import::ImportError>,
    file: &Path,
    report_file: Option<&Path>,
    started: std::time::Instant,
) -> anyhow::Result<()> {
    use newsdesk_services::import::ImportError;
    let report = match result {
        Ok(r) => r,
        Err(ImportError::Internal(e)) => return Err(e.context(format!("importing {}", file.display()))),
        Err(e) => bail!("{e}"),
    };
    print!("{report}");
    println!("  took {:.1} s", started.elapsed().as_secs_f64());
    if let Some(p) = report_file {
        std::fs::write(p, serde_json::to_vec_pretty(&report)?).with_context(|| format!("writing {}", p.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn splits_front_matter() {
        let (y, b) = super::split_front_matter("---\ntitle: A\n---\nBody text\n").unwrap();
        assert_eq!(y, "title: A");
        assert_eq!(b, "Body text\n");
        assert!(super::split_front_matter("no front matter").is_none());
    }
}
