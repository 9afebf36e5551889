//! `newsdesk import wordpress EXPORT.xml [--uploads DIR]`: a WordPress site (Tools → Export → All content) moves in.
//!
//! Posts and pages (with their hierarchy), authors, categories and tags (both become tags; categories keep their
//! parents and come first, so a story's category is its kicker), featured images and every attachment, excerpts,
//! sticky posts (featured), and statuses: drafts and pending stay drafts, scheduled stories keep their date, private
//! and password-protected ones arrive as drafts and are listed in the report. Publication times are WordPress's GMT
//! fields. Every old address the export shows — date-based permalinks, `?p=`, `?page_id=`, page paths, category,
//! tag and author archives, attachment pages and files — answers with a redirect to the new one.

pub mod content;
pub mod wxr;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use newsdesk_domain::SiteSettings;
use newsdesk_domain::document::{Block, Figure};
use newsdesk_store::Store;
use newsdesk_store::imports::ImportedPost;
use newsdesk_store::posts::PostInput;
use newsdesk_store::redirects::{NewRedirect, RedirectTarget, normalize_path};

use self::content::{AttachmentRef, Attachments};
use self::wxr::{Channel, WxrItem, WxrReader};
use super::files::Files;
use super::{ImportError, ImportOptions, Progress, Report, Skipped, Slugs, SourceAuthor, SourceTag, clip, plain_text};

/// The largest body an item may have (its stored HTML).
const MAX_CONTENT_BYTES: usize = 2_000_000;

/// WordPress's own item types that are not content.
const INTERNAL_TYPES: &[(&str, &str)] = &[
    ("nav_menu_item", "navigation menu items"),
    ("revision", "revisions"),
    ("wp_global_styles", "theme styles"),
    ("wp_navigation", "navigation menus"),
    ("wp_template", "templates"),
    ("wp_template_part", "template parts"),
    ("wp_block", "reusable blocks"),
    ("customize_changeset", "customizer changes"),
    ("oembed_cache", "cached embeds"),
    ("custom_css", "custom CSS"),
    ("user_request", "privacy requests"),
];

/// An attachment (a file in the library).
#[derive(Debug, Clone)]
struct Attachment {
    id: String,
    url: String,
    link: String,
    parent: String,
    title: String,
    caption: String,
    alt: String,
    /// `_wp_attached_file`: the path under the uploads directory.
    file: Option<String>,
    mime: String,
}

/// What the first pass learnt: small things only (no bodies).
#[derive(Default)]
struct Plan {
    channel: Channel,
    attachments: HashMap<String, Attachment>,
    /// Attachment ids in file order, per parent post.
    children: HashMap<String, Vec<String>>,
    /// Story ids to import, with their type, in file order.
    stories: Vec<(String, String)>,
    /// Pages: id → (slug, parent id), for their hierarchical addresses.
    pages: HashMap<String, (String, String)>,
    /// Item ids to skip in the second pass (with --skip-invalid).
    bad: std::collections::HashSet<String>,
    problems: Vec<String>,
    internal: BTreeMap<String, u64>,
    other_types: BTreeMap<String, u64>,
    trashed: u64,
    comments: u64,
}

impl Attachments for Plan {
    fn by_id(&self, id: &str) -> Option<AttachmentRef> {
        self.attachments.get(id).map(|a| AttachmentRef {
            url: a.url.clone(),
            alt: a.alt.clone(),
            caption: a.caption.clone(),
        })
    }

    fn children_of(&self, post_id: &str) -> Vec<AttachmentRef> {
        self.children
            .get(post_id)
            .map(|ids| {
                ids.iter()
                    .filter(|id| self.attachments.get(*id).is_some_and(|a| a.mime.starts_with("image/")))
                    .filter_map(|id| self.by_id(id))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// WordPress's `YYYY-MM-DD HH:MM:SS` in GMT; `None` for its "0000-00-00 00:00:00" (never published).
fn gmt_time(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() || s.starts_with("0000-00-00") {
        return Ok(None);
    }
    let dt: jiff::civil::DateTime =
        s.replace(' ', "T").parse().map_err(|_| format!("\"{s}\" is not a date and time (YYYY-MM-DD HH:MM:SS)"))?;
    dt.to_zoned(jiff::tz::TimeZone::UTC).map(|z| Some(z.timestamp().as_second())).map_err(|e| e.to_string())
}

/// The site-local date, read in this site's time zone (only when WordPress left the GMT one empty).
fn local_time(s: &str, tz: &jiff::tz::TimeZone) -> Option<i64> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
    dt.to_zoned(tz.clone()).ok().map(|z| z.timestamp().as_second())
}

/// The path under `uploads/` that a file URL names (`2024/05/photo-300x200.jpg`), when it is an upload.
fn upload_key(url: &str) -> Option<String> {
    let path = normalize_path(url)?;
    let path = path.split('?').next().unwrap_or_default();
    let i = path.find("/uploads/")?;
    Some(path[i + "/uploads/".len()..].to_owned())
}

/// `photo-300x200.jpg` → `photo.jpg`; `photo-scaled.jpg` → `photo.jpg` (WordPress's size variants).
fn original_key(key: &str) -> Option<String> {
    let (stem, ext) = key.rsplit_once('.')?;
    if let Some(base) = stem.strip_suffix("-scaled") {
        return Some(format!("{base}.{ext}"));
    }
    let (base, size) = stem.rsplit_once('-')?;
    let (w, h) = size.split_once('x')?;
    (!w.is_empty() && !h.is_empty() && w.chars().all(|c| c.is_ascii_digit()) && h.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{base}.{ext}"))
}

/// Reads the export's first pass: checks every item, keeps what the second pass needs.
fn plan(path: &Path, opts: &ImportOptions) -> Result<Plan, ImportError> {
    let file = File::open(path).map_err(|e| ImportError::File(format!("{}: {e}", path.display())))?;
    let mut reader = WxrReader::new(BufReader::with_capacity(256 * 1024, file));
    let mut plan = Plan { channel: reader.channel().map_err(|e| ImportError::File(e.0))?, ..Default::default() };
    let logins: std::collections::HashSet<String> = plan.channel.authors.iter().map(|a| a.login.clone()).collect();
    let mut seen_ids = std::collections::HashSet::new();
    while let Some(item) = reader.next_item().map_err(|e| ImportError::File(e.0))? {
        let label = item.label();
        if item.id.is_empty() {
            plan.problems.push(format!("{label} at byte {}: wp:post_id: missing", item.offset));
            continue;
        }
        if !seen_ids.insert(item.id.clone()) {
            plan.problems.push(format!("{label}: wp:post_id: {} appears twice in the export", item.id));
            plan.bad.insert(item.id.clone());
            continue;
        }
        match item.post_type.as_str() {
            "attachment" => {
                let url = if item.attachment_url.is_empty() { item.guid.clone() } else { item.attachment_url.clone() };
                let a = Attachment {
                    id: item.id.clone(),
                    link: item.link.clone(),
                    parent: item.parent.clone(),
                    title: item.title.clone(),
                    caption: plain_text(&item.excerpt),
                    alt: item.meta.get("_wp_attachment_image_alt").cloned().unwrap_or_default(),
                    file: item.meta.get("_wp_attached_file").cloned(),
                    mime: mime_of(&url),
                    url,
                };
                plan.children.entry(a.parent.clone()).or_default().push(a.id.clone());
                plan.attachments.insert(a.id.clone(), a);
            }
            "post" | "page" => {
                plan.comments += item.comments.iter().filter(|c| *c == "1").count() as u64;
                if matches!(item.status.as_str(), "trash" | "auto-draft" | "inherit") {
                    plan.trashed += 1;
                    continue;
                }
                let mut problems = Vec::new();
                if !logins.is_empty() && !logins.contains(&item.creator) {
                    problems.push(format!(
                        "{label}: dc:creator: the author \"{}\" is not among the export's authors",
                        item.creator
                    ));
                }
                if item.creator.trim().is_empty() && logins.is_empty() {
                    problems.push(format!("{label}: dc:creator: no author"));
                }
                if item.content.len() > MAX_CONTENT_BYTES {
                    problems.push(format!(
                        "{label}: content:encoded: the body is {} KB; the longest a story can be is {} KB",
                        item.content.len() / 1000,
                        MAX_CONTENT_BYTES / 1000
                    ));
                }
                if let Err(e) = gmt_time(&item.date_gmt) {
                    problems.push(format!("{label}: wp:post_date_gmt: {e}"));
                }
                if !matches!(item.status.as_str(), "publish" | "future" | "draft" | "pending" | "private") {
                    problems.push(format!("{label}: wp:status: unknown status \"{}\"", item.status));
                }
                if item.post_type == "page" {
                    plan.pages.insert(item.id.clone(), (item.slug.clone(), item.parent.clone()));
                }
                if problems.is_empty() {
                    plan.stories.push((item.id.clone(), item.post_type.clone()));
                } else {
                    plan.bad.insert(item.id.clone());
                    plan.problems.extend(problems);
                }
            }
            other => match INTERNAL_TYPES.iter().find(|(t, _)| *t == other) {
                Some((_, what)) => *plan.internal.entry((*what).to_owned()).or_default() += 1,
                None => *plan.other_types.entry(other.to_owned()).or_default() += 1,
            },
        }
    }
    if plan.stories.is_empty() && plan.problems.is_empty() {
        return Err(ImportError::File(format!("{}: the export has no posts or pages", path.display())));
    }
    if !plan.problems.is_empty() && !opts.skip_invalid {
        return Err(ImportError::Invalid(std::mem::take(&mut plan.problems)));
    }
    Ok(plan)
}

fn mime_of(url: &str) -> String {
    let ext = url.rsplit('.').next().unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "pdf" => "application/pdf",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" => "audio/ogg",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// Our file for an address in a body: the upload itself, or the original of a size variant.
fn lookup(files: &Files<'_>, url: &str) -> Option<(i64, String)> {
    let key = upload_key(url)?;
    files.get(&key).or_else(|| original_key(&key).and_then(|k| files.get(&k)))
}

/// The old site's origin (`https://old.example.org`), from the export.
fn origin_of(ch: &Channel) -> String {
    let base = if ch.base_blog_url.is_empty() { &ch.base_site_url } else { &ch.base_blog_url };
    let base = if base.is_empty() { &ch.link } else { base };
    base.trim_end_matches('/').to_owned()
}

/// Imports a WordPress export. Nothing is written when the file fails its checks (unless `skip_invalid`).
pub async fn import(
    store: &Store,
    site: &SiteSettings,
    media: &crate::storage::MediaStore,
    path: &Path,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let plan = plan(path, opts)?;
    let origin = origin_of(&plan.channel);
    let source = format!("wordpress:{origin}");
    let mut report = Report { source: format!("WordPress, {origin} ({})", path.display()), ..Default::default() };
    for p in &plan.problems {
        report.skipped.push(Skipped { item: p.split(':').next().unwrap_or_default().to_owned(), reason: p.clone() });
    }
    report.comments = plan.comments;
    for (what, n) in &plan.internal {
        report.notes.push(format!("left out {n} {what} (WordPress's own, not content)"));
    }
    for (t, n) in &plan.other_types {
        report.notes.push(format!("left out {n} items of type \"{t}\" (Newsdesk imports posts and pages)"));
    }
    if plan.trashed > 0 {
        report.notes.push(format!("left out {} trashed or auto-saved items", plan.trashed));
    }

    // Authors.
    let authors: Vec<SourceAuthor<'_>> = plan
        .channel
        .authors
        .iter()
        .map(|a| SourceAuthor {
            source_id: &a.login,
            slug: &a.login,
            name: if a.display_name.trim().is_empty() { &a.login } else { &a.display_name },
            bio: Some(a.description.as_str()).filter(|d| !d.trim().is_empty()),
            kind: "person",
        })
        .collect();
    let author_ids = super::import_authors(store, &source, &authors, &mut report).await?;
    if !plan.channel.authors.is_empty() {
        report.notes.push(format!(
            "{} WordPress users became bylines; invite the ones who will work in Newsdesk under Staff",
            plan.channel.authors.len()
        ));
    }

    // Sections and tags: categories (with parents), then tags. WordPress's "Uncategorized" is not a section.
    // WordPress lists a term under <wp:category>/<wp:tag> and again under <wp:term>: once each here.
    let mut seen_terms = std::collections::HashSet::new();
    let terms: Vec<&wxr::WxrTerm> = plan
        .channel
        .terms
        .iter()
        .filter(|t| matches!(t.taxonomy.as_str(), "category" | "post_tag"))
        .filter(|t| !(t.taxonomy == "category" && t.slug == "uncategorized"))
        .filter(|t| seen_terms.insert((t.taxonomy.clone(), t.slug.clone())))
        .collect();
    let tag_key =
        |taxonomy: &str, slug: &str| format!("{}:{slug}", if taxonomy == "category" { "category" } else { "tag" });
    let source_tags: Vec<SourceTag<'_>> = terms
        .iter()
        .map(|t| SourceTag {
            source_id: tag_key(&t.taxonomy, &t.slug),
            slug: &t.slug,
            name: if t.name.trim().is_empty() { &t.slug } else { &t.name },
            description: Some(t.description.as_str()),
            parent: (!t.parent.is_empty()).then(|| tag_key(&t.taxonomy, &t.parent)),
        })
        .collect();
    let tag_ids = super::import_tags(store, &source, &source_tags, &mut report).await?;

    // Files.
    let known_media = store.import_ids(&source, "media").await?;
    let mut files = Files::new(store, media, opts.uploads.clone(), opts.fetch_media)?;
    let mut attachment_media: HashMap<String, (i64, String)> = HashMap::new();
    let mut ordered: Vec<&Attachment> = plan.attachments.values().collect();
    ordered.sort_by_key(|a| a.id.parse::<i64>().unwrap_or(i64::MAX));
    progress.phase("files", ordered.len() as u64);
    for a in ordered {
        progress.advance(1);
        let Some(key) = a.file.clone().or_else(|| upload_key(&a.url)) else {
            report.media_missing.push(Skipped {
                item: format!("attachment {}", a.id),
                reason: format!("{}: not an address under uploads/", a.url),
            });
            continue;
        };
        match files.import(&key, &a.url, false).await {
            Ok((id, url)) => {
                if known_media.contains_key(&a.id) {
                    report.updated.media += 1;
                } else {
                    report.created.media += 1;
                    store.remember_import(&source, "media", &a.id, id).await?;
                }
                if let Some(m) = store.media(id).await? {
                    let alt = Some(a.alt.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
                    let caption = Some(a.caption.trim()).filter(|s| !s.is_empty()).map(|c| clip(c, 1000));
                    if m.alt.is_none() && m.caption.is_none() && (alt.is_some() || caption.is_some()) {
                        let meta = newsdesk_store::media::MediaMeta {
                            alt: alt.map(|a| clip(&a, 500)),
                            caption,
                            credit: m.credit.clone(),
                            focal_x: m.focal_x,
                            focal_y: m.focal_y,
                        };
                        store.update_media_meta(id, &meta).await?;
                    }
                }
                attachment_media.insert(a.id.clone(), (id, url));
            }
            Err(why) => report
                .media_missing
                .push(Skipped { item: format!("attachment {} (\u{201c}{}\u{201d})", a.id, a.title), reason: why }),
        }
    }
    progress.finish();

    // Stories, in batches.
    let known_posts = store.import_ids(&source, "post").await?;
    let tz = site.timezone.tz().clone();
    let file = File::open(path).map_err(|e| ImportError::File(format!("{}: {e}", path.display())))?;
    let mut reader = WxrReader::new(BufReader::with_capacity(256 * 1024, file));
    reader.channel().map_err(|e| ImportError::File(e.0))?;
    let mut slugs = Slugs::default();
    let mut batch = super::Batch::default();
    let mut our_ids: HashMap<String, i64> = HashMap::new();
    let mut page_parents: Vec<(String, String)> = Vec::new();
    let mut unknown_languages: std::collections::BTreeMap<String, u64> = Default::default();
    let mut translation_groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let wanted: std::collections::HashSet<&str> = plan.stories.iter().map(|(id, _)| id.as_str()).collect();
    progress.phase("stories", plan.stories.len() as u64);
    while let Some(item) = reader.next_item().map_err(|e| ImportError::File(e.0))? {
        if !wanted.contains(item.id.as_str()) || plan.bad.contains(&item.id) {
            continue;
        }
        let existing = match known_posts.get(&item.id) {
            Some(id) => store.post(*id).await?,
            None => None,
        };
        let mut input = story(
            store,
            &item,
            &plan,
            &mut files,
            &attachment_media,
            &author_ids,
            &tag_ids,
            existing.as_ref(),
            &mut slugs,
            &origin,
            &tz,
            &mut report,
        )
        .await?;
        // Polylang keeps a story's language and its translations as terms of the `language` and
        // `post_translations` taxonomies.
        if let Some(lang) = item.terms.iter().find(|t| t.domain == "language").map(|t| t.slug.as_str()) {
            match site.post_language("language", lang) {
                Ok(language) => input.language = language,
                Err(_) => *unknown_languages.entry(lang.to_owned()).or_default() += 1,
            }
        }
        if let Some(group) = item.terms.iter().find(|t| t.domain == "post_translations") {
            translation_groups.entry(group.slug.clone()).or_default().push(item.id.clone());
        }
        if item.post_type == "page" && item.parent != "0" && !item.parent.is_empty() {
            page_parents.push((item.id.clone(), item.parent.clone()));
        }
        let mut old_paths = Vec::new();
        old_paths.extend(normalize_path(&item.link));
        let id_path = if item.post_type == "page" { "page_id" } else { "p" };
        old_paths.push(format!("/?{id_path}={}", item.id));
        if item.guid.contains("?p=") || item.guid.contains("?page_id=") {
            old_paths.extend(normalize_path(&item.guid));
        }
        if item.post_type == "page" {
            old_paths.extend(page_path(&plan, &item.id));
        }
        old_paths.sort();
        old_paths.dedup();
        report.redirects += old_paths.iter().filter(|p| **p != format!("/{}/", input.slug)).count() as u64;
        let post =
            ImportedPost { source_id: item.id.clone(), existing_id: existing.map(|p| p.row.id), input, old_paths };
        batch.push(post, item.post_type == "page");
        if batch.is_full() {
            our_ids.extend(batch.write(store, &source, &mut report, progress).await?);
        }
    }
    our_ids.extend(batch.write(store, &source, &mut report, progress).await?);
    progress.finish();

    // The page hierarchy, once every page exists.
    let pairs: Vec<(i64, i64)> =
        page_parents.iter().filter_map(|(child, parent)| Some((*our_ids.get(child)?, *our_ids.get(parent)?))).collect();
    store.set_parents(&pairs).await?;

    // Translations, once every story exists; a group the store refuses (two stories in one language) is reported.
    for (lang, n) in &unknown_languages {
        report.notes.push(format!(
            "{n} stories are in \"{lang}\", which is not one of the site's languages: imported in the site's own; \
             add it to [site] languages and import again to keep their language"
        ));
    }
    let groups: Vec<Vec<i64>> = translation_groups
        .values()
        .map(|members| members.iter().filter_map(|m| our_ids.get(m).copied()).collect::<Vec<_>>())
        .filter(|g| g.len() > 1)
        .collect();
    for problem in store.set_translation_groups(&groups).await? {
        report.notes.push(format!("translations not linked: {problem}"));
    }

    // Old addresses of sections, authors, attachment pages and files.
    let mut redirects = Vec::new();
    let redirect = |from: String, target: RedirectTarget| NewRedirect {
        from_path: from,
        target,
        status: 301,
        source: source.clone(),
    };
    let by_slug: HashMap<&str, &wxr::WxrTerm> =
        plan.channel.terms.iter().filter(|t| t.taxonomy == "category").map(|t| (t.slug.as_str(), t)).collect();
    for t in &terms {
        let Some(id) = tag_ids.get(&tag_key(&t.taxonomy, &t.slug)) else { continue };
        let ours = store.tag(*id).await?.map(|t| t.slug).unwrap_or_default();
        let old = if t.taxonomy == "category" {
            let mut chain = vec![t.slug.clone()];
            let mut parent = t.parent.clone();
            while let Some(p) = by_slug.get(parent.as_str()).filter(|_| chain.len() < 10) {
                chain.insert(0, p.slug.clone());
                parent = p.parent.clone();
            }
            format!("/category/{}/", chain.join("/"))
        } else {
            format!("/tag/{}/", t.slug)
        };
        if let Some(from) = normalize_path(&old).filter(|o| *o != format!("/tag/{ours}/")) {
            redirects.push(redirect(from, RedirectTarget::Tag(*id)));
        }
        if t.taxonomy == "category" && !t.id.is_empty() {
            redirects.push(redirect(format!("/?cat={}", t.id), RedirectTarget::Tag(*id)));
        }
    }
    for a in &plan.channel.authors {
        let Some(id) = author_ids.get(&a.login) else { continue };
        let ours = store.author(*id).await?.map(|a| a.slug).unwrap_or_default();
        let nicename = super::slug_from(&a.login, &a.display_name).unwrap_or_default();
        if !nicename.is_empty() && nicename != ours {
            redirects.push(redirect(format!("/author/{nicename}/"), RedirectTarget::Author(*id)));
        }
        if !a.id.is_empty() {
            redirects.push(redirect(format!("/?author={}", a.id), RedirectTarget::Author(*id)));
        }
    }
    for a in plan.attachments.values() {
        let target = match our_ids.get(&a.parent) {
            Some(post) => Some(RedirectTarget::Post(*post)),
            None => attachment_media.get(&a.id).map(|(_, url)| RedirectTarget::Path(url.clone())),
        };
        if let Some(target) = target {
            for from in [normalize_path(&a.link), Some(format!("/?attachment_id={}", a.id))].into_iter().flatten() {
                if !from.starts_with("/?p=") {
                    redirects.push(redirect(from, target.clone()));
                }
            }
        }
        if let (Some((_, url)), Some(from)) = (attachment_media.get(&a.id), normalize_path(&a.url)) {
            redirects.push(redirect(from, RedirectTarget::Path(url.clone())));
        }
    }
    redirects.push(redirect("/feed/".into(), RedirectTarget::Path("/rss/".into())));
    report.redirects += store.import_redirects(&redirects).await?;
    Ok(report)
}

/// A page's address under pretty permalinks: its ancestors' slugs and its own (`/about/team/`).
fn page_path(plan: &Plan, id: &str) -> Option<String> {
    let mut chain = Vec::new();
    let mut at = id.to_owned();
    while let Some((slug, parent)) = plan.pages.get(&at) {
        if slug.is_empty() || chain.len() > 10 {
            return None;
        }
        chain.insert(0, slug.clone());
        at = parent.clone();
    }
    normalize_path(&format!("/{}/", chain.join("/")))
}

/// One item as a story ready to write.
#[allow(clippy::too_many_arguments)]
async fn story(
    store: &Store,
    item: &WxrItem,
    plan: &Plan,
    files: &mut Files<'_>,
    attachment_media: &HashMap<String, (i64, String)>,
    author_ids: &HashMap<String, i64>,
    tag_ids: &HashMap<String, i64>,
    existing: Option<&newsdesk_store::posts::Post>,
    slugs: &mut Slugs,
    origin: &str,
    tz: &jiff::tz::TimeZone,
    report: &mut Report,
) -> Result<PostInput, ImportError> {
    let label = item.label();
    let converted = content::convert(&item.content, &item.id, plan);
    for name in converted.unknown_shortcodes.keys() {
        report.unknown_shortcodes.entry(name.clone()).or_default().push(label.clone());
    }
    let mut doc = newsdesk_render::document::from_html(&converted.html);
    // Images: the old site's uploads become library files.
    let mut wanted: Vec<String> = Vec::new();
    doc.walk(&mut |b| match b {
        Block::Image { attrs } => wanted.push(attrs.src.clone()),
        Block::Gallery { attrs } => wanted.extend(attrs.images.iter().map(|f| f.src.clone())),
        _ => {}
    });
    for src in wanted {
        if lookup(files, &src).is_some() || !is_old_upload(&src, origin) {
            continue;
        }
        let Some(key) = upload_key(&src) else { continue };
        let key =
            if files.root().is_some_and(|d| !d.join(&key).exists()) { original_key(&key).unwrap_or(key) } else { key };
        if let Err(why) = files.import(&key, &absolute(&src, origin), true).await
            && why != "missing"
        {
            report.media_missing.push(Skipped { item: label.clone(), reason: why });
        }
    }
    let mut unresolved = Vec::new();
    doc.walk_mut(&mut |b| {
        let mut fix = |f: &mut Figure| {
            if let Some((id, url)) = lookup(files, &f.src) {
                f.media_id = Some(id);
                f.src = url;
                f.width = None;
                f.height = None;
            } else if is_old_upload(&f.src, origin) {
                unresolved.push(f.src.clone());
            }
        };
        match b {
            Block::Image { attrs } => fix(attrs),
            Block::Gallery { attrs } => attrs.images.iter_mut().for_each(fix),
            _ => {}
        }
    });
    for src in unresolved {
        report.media_missing.push(Skipped { item: label.clone(), reason: format!("{src}: not in the uploads") });
    }
    // Links to the old site become paths of this one (where the redirects answer), files our files.
    doc.links_mut(&mut |href| {
        if let Some((_, url)) = lookup(files, href) {
            *href = url;
        } else if let Some(rest) = href.strip_prefix(origin)
            && (rest.is_empty() || rest.starts_with('/') || rest.starts_with('?'))
        {
            *href = if rest.is_empty() { "/".into() } else { rest.to_owned() };
        }
    });
    doc.normalize();
    let rendered = crate::documents::render_body(store, &doc, false).await?;

    let (title, title_text) = super::headline(&item.title, &label, report)?;
    let slug = super::story_slug(store, slugs, existing, &item.slug, &title_text, &item.id, &label, report).await?;
    let (status, published_at) = match item.status.as_str() {
        "publish" => {
            let t = gmt_time(&item.date_gmt).ok().flatten().or_else(|| local_time(&item.date, tz));
            ("published", Some(t.unwrap_or_else(newsdesk_store::now)))
        }
        "future" => ("scheduled", gmt_time(&item.date_gmt).ok().flatten().or_else(|| local_time(&item.date, tz))),
        "private" => {
            report
                .hidden
                .push(Skipped { item: label.clone(), reason: "private on WordPress: imported as a draft".into() });
            ("draft", None)
        }
        _ => ("draft", None),
    };
    let (status, published_at) = if !item.password.is_empty() && status != "draft" {
        report.hidden.push(Skipped {
            item: label.clone(),
            reason: "password-protected on WordPress: imported as a draft".into(),
        });
        ("draft", None)
    } else if status == "scheduled" && published_at.is_none() {
        ("draft", None)
    } else {
        (status, published_at)
    };

    // Tags: the primary category first (Yoast's choice when there is one), then the other categories, then tags.
    let primary = item.meta.get("_yoast_wpseo_primary_category").cloned().unwrap_or_default();
    let primary_slug =
        plan.channel.terms.iter().find(|t| t.id == primary && t.taxonomy == "category").map(|t| t.slug.clone());
    let mut terms: Vec<&wxr::ItemTerm> = item.terms.iter().filter(|t| t.domain == "category").collect();
    terms.sort_by_key(|t| Some(&t.slug) != primary_slug.as_ref());
    terms.extend(item.terms.iter().filter(|t| t.domain == "post_tag"));
    let mut tag_list = Vec::new();
    for t in terms {
        let key = format!("{}:{}", if t.domain == "category" { "category" } else { "tag" }, t.slug);
        if let Some(id) = tag_ids.get(&key)
            && !tag_list.contains(id)
        {
            tag_list.push(*id);
        }
    }
    let author = author_ids.get(&item.creator).copied();
    let author_ids: Vec<i64> = match author {
        Some(a) => vec![a],
        None => existing.map(|p| p.authors.iter().map(|a| a.id).collect()).unwrap_or_default(),
    };
    if author_ids.is_empty() {
        return Err(ImportError::File(format!("{label}: dc:creator: no author for \"{}\"", item.creator)));
    }
    let feature =
        item.meta.get("_thumbnail_id").and_then(|id| Some((attachment_media.get(id)?, plan.attachments.get(id)?)));
    let excerpt = Some(plain_text(&item.excerpt)).filter(|e| !e.is_empty()).map(|e| clip(&e, 500));
    let r = rendered.body;
    let paid = crate::documents::paid_part(&r);
    Ok(PostInput {
        kind: item.post_type.clone(),
        slug,
        title: title.as_str().to_owned(),
        excerpt,
        body_md: r.markdown,
        body_doc: doc.to_json(),
        body_html: r.html,
        body_text: r.text,
        body_email_html: r.email_html,
        word_count: r.word_count as i64,
        status: status.to_owned(),
        published_at,
        feature_image_id: feature.map(|((id, _), _)| *id),
        feature_image_alt: feature.map(|(_, a)| clip(a.alt.trim(), 500)).filter(|a| !a.is_empty()),
        feature_image_caption: feature.map(|(_, a)| clip(a.caption.trim(), 1000)).filter(|c| !c.is_empty()),
        feature_image_credit: None,
        author_ids,
        tag_ids: tag_list,
        related_post_id: existing.and_then(|p| p.row.related_post_id),
        media_ids: rendered.media_ids,
        linked_post_ids: rendered.linked_post_ids,
        featured: item.sticky,
        parent_id: None,
        meta_title: yoast(item, "_yoast_wpseo_title", 300),
        meta_description: yoast(item, "_yoast_wpseo_metadesc", 500),
        language: None,
        translation: Default::default(),
        visibility: "public".into(),
        paid,
    })
}

/// Yoast's meta title or description, unless it is a template of Yoast's variables (`%%title%% %%sep%%`).
fn yoast(item: &WxrItem, key: &str, max: usize) -> Option<String> {
    let v = plain_text(item.meta.get(key)?);
    (!v.is_empty() && !v.contains("%%")).then(|| clip(&v, max))
}

/// Whether an image address is one of the old site's uploads.
fn is_old_upload(src: &str, origin: &str) -> bool {
    (src.starts_with(origin) || src.starts_with('/')) && upload_key(src).is_some()
}

fn absolute(src: &str, origin: &str) -> String {
    if src.starts_with('/') { format!("{origin}{src}") } else { src.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_variants_lead_to_their_original() {
        assert_eq!(
            upload_key("https://old.example/wp-content/uploads/2024/02/a-300x200.jpg").as_deref(),
            Some("2024/02/a-300x200.jpg")
        );
        assert_eq!(original_key("2024/02/a-300x200.jpg").as_deref(), Some("2024/02/a.jpg"));
        assert_eq!(original_key("2024/02/big-scaled.jpg").as_deref(), Some("2024/02/big.jpg"));
        assert_eq!(original_key("2024/02/two-words.jpg"), None);
        assert_eq!(gmt_time("0000-00-00 00:00:00"), Ok(None));
        assert_eq!(gmt_time("2024-05-02 16:45:00"), Ok(Some(1714668300)));
        assert!(gmt_time("yesterday").is_err());
    }
}
