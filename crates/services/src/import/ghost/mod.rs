//! `newsdesk import ghost EXPORT.json [--content DIR]`: a Ghost site (Settings → Advanced → Import/Export → Export
//! content, Ghost 1 to 6) moves in.
//!
//! Posts and pages, from their `html`, or rendered from `lexical` (Ghost 5 and 6) or `mobiledoc` (Ghost 1 to 4)
//! when the export has no HTML; tags in `posts_tags` order (the primary tag first, so it is the kicker; internal
//! `#tags` stay internal); users as bylines in `posts_authors` order, with their bios and portraits; feature images
//! with their alt text and captions, custom excerpts, featured flags, meta titles and descriptions; newsletters;
//! and every `__GHOST_URL__` placeholder made an address of this site. Files come from `--content`, a copy of Ghost's
//! `content/` directory (its `images/`, `media/` and `files/`); images elsewhere on the web are fetched. Old addresses
//! of files, of stories whose slug had to change, and the redirects in `content/data/redirects.json` keep working.
//!
//! Members-only and paid stories never become readable by the public: Newsdesk has no memberships yet, so they
//! arrive as drafts and the report lists them. Passwords, e-mail addresses of staff, API keys, sessions and Ghost's
//! settings are not read at all: the export's types below have no field for them.

pub mod cards;
pub mod lexical;
pub mod mobiledoc;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use newsdesk_store::Store;
use newsdesk_store::imports::ImportedPost;
use newsdesk_store::newsletters::NewsletterInput;
use newsdesk_store::posts::PostInput;
use newsdesk_store::redirects::{NewRedirect, RedirectTarget, normalize_path};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::files::Files;
use super::{
    Batch, ImportError, ImportOptions, Progress, Report, Skipped, Slugs, SourceAuthor, SourceTag, clip, plain_text,
};

/// The largest body a story may have (its HTML, or its lexical or mobiledoc source).
const MAX_CONTENT_BYTES: usize = 2_000_000;
/// The largest export read (Ghost's JSON holds every post up to three times: HTML, lexical and plain text).
const MAX_EXPORT_BYTES: u64 = 1_000_000_000;

/// An id: Ghost's 24-character object ids, or the numbers of Ghost 0.x.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Id(String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Id(s)),
            Value::Number(n) => Ok(Id(n.to_string())),
            Value::Null => Ok(Id::default()),
            other => Err(serde::de::Error::custom(format!("an id must be a string or a number, not {other}"))),
        }
    }
}

/// The length of a string field, read without keeping it (`null` is 0).
#[derive(Debug, Clone, Copy, Default)]
struct Len(usize);

impl<'de> Deserialize<'de> for Len {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Len;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or null")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Len, E> {
                Ok(Len(v.trim().len()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Len, E> {
                Ok(Len(0))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Len, E> {
                Ok(Len(0))
            }
        }
        d.deserialize_any(V)
    }
}

/// The lexical and mobiledoc sources of the posts that have no HTML, read in a second pass over the file that keeps
/// only those (each other post's is dropped as soon as it is read).
#[derive(Default)]
struct Sources(HashMap<Id, (Option<String>, Option<String>)>);

impl<'de> Deserialize<'de> for Sources {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        struct Body {
            id: Id,
            html: Len,
            lexical: Option<String>,
            mobiledoc: Option<String>,
        }
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Sources;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of posts")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Sources, A::Error> {
                let mut out = HashMap::new();
                while let Some(b) = seq.next_element::<Body>()? {
                    if b.html.0 == 0 && (b.lexical.is_some() || b.mobiledoc.is_some()) {
                        out.insert(b.id, (b.lexical, b.mobiledoc));
                    }
                }
                Ok(Sources(out))
            }
        }
        d.deserialize_seq(V)
    }
}

/// A flag: `true`/`false`, or MySQL's and SQLite's 0 and 1.
#[derive(Debug, Clone, Copy, Default)]
struct Flag(bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Flag(match Value::deserialize(d)? {
            Value::Bool(b) => b,
            Value::Number(n) => n.as_i64().unwrap_or(0) != 0,
            Value::String(s) => matches!(s.as_str(), "1" | "true"),
            _ => false,
        }))
    }
}

/// The file: `{"db": [{"meta", "data"}]}` as Ghost's admin writes it, or `{"meta", "data"}`.
#[derive(Deserialize)]
struct Root {
    db: Option<Vec<Export>>,
    meta: Option<Meta>,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Export {
    meta: Option<Meta>,
    data: Data,
}

#[derive(Deserialize, Default)]
struct Meta {
    #[serde(default)]
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Data {
    posts: Vec<GhostPost>,
    posts_meta: Vec<PostMeta>,
    tags: Vec<GhostTag>,
    posts_tags: Vec<PostTag>,
    users: Vec<GhostUser>,
    posts_authors: Vec<PostAuthor>,
    newsletters: Vec<GhostNewsletter>,
    settings: Vec<Setting>,
    roles: Vec<Role>,
    roles_users: Vec<RoleUser>,
    /// Filled by [`read_sources`].
    #[serde(skip)]
    sources: Sources,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Role {
    id: Id,
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleUser {
    role_id: Id,
    user_id: Id,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GhostPost {
    id: Id,
    title: Option<String>,
    slug: Option<String>,
    html: Option<String>,
    /// Only the length: a post's lexical or mobiledoc source is read (by [`read_sources`]) when it has no HTML, so
    /// an export of thousands of posts never holds every body twice.
    lexical: Len,
    mobiledoc: Len,
    feature_image: Option<String>,
    featured: Flag,
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Ghost 0.x and 1.x: a page is a post with `page` set.
    page: Flag,
    status: Option<String>,
    visibility: Option<String>,
    published_at: Option<Value>,
    custom_excerpt: Option<String>,
    /// Ghost before multiple authors.
    author_id: Option<Id>,
    /// Ghost before `posts_meta` (1.x to 3.x).
    meta_title: Option<String>,
    meta_description: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PostMeta {
    post_id: Id,
    meta_title: Option<String>,
    meta_description: Option<String>,
    feature_image_alt: Option<String>,
    feature_image_caption: Option<String>,
    email_only: Flag,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GhostTag {
    id: Id,
    name: String,
    slug: String,
    description: Option<String>,
    parent_id: Option<Id>,
    visibility: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PostTag {
    post_id: Id,
    tag_id: Id,
    sort_order: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GhostUser {
    id: Id,
    name: String,
    slug: String,
    bio: Option<String>,
    profile_image: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PostAuthor {
    post_id: Id,
    author_id: Id,
    sort_order: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GhostNewsletter {
    id: Id,
    name: String,
    slug: String,
    description: Option<String>,
    sender_name: Option<String>,
    sender_email: Option<String>,
    status: Option<String>,
    sort_order: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Setting {
    key: String,
    value: Option<Value>,
}

/// The second pass: the sources of the posts without HTML.
fn read_sources(path: &Path) -> Result<Sources, ImportError> {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Posts {
        posts: Sources,
    }
    #[derive(Deserialize)]
    struct Db {
        data: Posts,
    }
    #[derive(Deserialize)]
    struct File {
        db: Option<Vec<Db>>,
        data: Option<Posts>,
    }
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| ImportError::File(format!("{shown}: {e}")))?;
    let f: File = serde_json::from_reader(std::io::BufReader::with_capacity(256 * 1024, file))
        .map_err(|e| ImportError::File(format!("{shown}: not a Ghost export ({e})")))?;
    Ok(f.db.and_then(|mut d| (!d.is_empty()).then(|| d.swap_remove(0).data)).or(f.data).unwrap_or_default().posts)
}

/// Reads the export: the one database in it (and, when some posts have no HTML, their sources).
fn read(path: &Path) -> Result<(Meta, Data), ImportError> {
    let (meta, mut data) = read_data(path)?;
    let html_less = |p: &GhostPost| p.html.as_deref().is_none_or(|h| h.trim().is_empty());
    if data.posts.iter().any(|p| html_less(p) && (p.lexical.0 > 0 || p.mobiledoc.0 > 0)) {
        data.sources = read_sources(path)?;
    }
    Ok((meta, data))
}

fn read_data(path: &Path) -> Result<(Meta, Data), ImportError> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| ImportError::File(format!("{shown}: {e}")))?;
    if file.metadata().map(|m| m.len()).unwrap_or(0) > MAX_EXPORT_BYTES {
        return Err(ImportError::File(format!("{shown}: larger than {} MB", MAX_EXPORT_BYTES / 1_000_000)));
    }
    let root: Root = serde_json::from_reader(std::io::BufReader::with_capacity(256 * 1024, file))
        .map_err(|e| ImportError::File(format!("{shown}: not a Ghost export ({e})")))?;
    match (root.db, root.data) {
        (Some(mut dbs), _) if !dbs.is_empty() => {
            let e = dbs.swap_remove(0);
            Ok((e.meta.unwrap_or_default(), e.data))
        }
        (_, Some(data)) => Ok((root.meta.unwrap_or_default(), data)),
        _ => Err(ImportError::File(format!("{shown}: not a Ghost export (it has no \"db\" or \"data\")"))),
    }
}

/// A time in the export: ISO 8601 (`2024-05-02T16:45:00.000Z`), SQL's `2024-05-02 16:45:00` (UTC), or
/// milliseconds since 1970.
fn time_of(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_i64().map(|ms| ms / 1000)),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => {
            let s = s.trim();
            if let Ok(t) = s.parse::<jiff::Timestamp>() {
                return Ok(Some(t.as_second()));
            }
            let dt: jiff::civil::DateTime =
                s.replace(' ', "T").parse().map_err(|_| format!("\"{s}\" is not a date and time (ISO 8601)"))?;
            dt.to_zoned(jiff::tz::TimeZone::UTC).map(|z| Some(z.timestamp().as_second())).map_err(|e| e.to_string())
        }
        other => Err(format!("{other} is not a date and time")),
    }
}

/// The key of a Ghost file under `content/` (`images/2024/05/quay.jpg`) for an address, with the size and format
/// variants Ghost serves (`images/size/w600/format/webp/…`) led back to their original.
fn content_key(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    let i = path.find("/content/")?;
    let rest = &path[i + "/content/".len()..];
    let (dir, mut tail) = rest.split_once('/')?;
    if !matches!(dir, "images" | "media" | "files") {
        return None;
    }
    if let Some(t) = tail.strip_prefix("size/") {
        tail = t.split_once('/').map(|(_, r)| r)?;
    }
    if let Some(t) = tail.strip_prefix("format/") {
        tail = t.split_once('/').map(|(_, r)| r)?;
    }
    let key = format!("{dir}/{}", percent_encoding::percent_decode_str(tail).decode_utf8_lossy());
    (!key.split('/').any(|s| s.is_empty() || s == "..")).then_some(key)
}

/// The key of a file: Ghost's own under `content/`, or the address of an image elsewhere on the web.
fn file_key(url: &str) -> Option<String> {
    content_key(url).or_else(|| newsdesk_domain::document::is_web_url(url).then(|| url.to_owned()))
}

/// Ghost keeps the photo as uploaded beside the copy it serves (`quay_o.jpg` beside `quay.jpg`, which it shrank to
/// 2,000 pixels): the library takes the original when the content directory has it.
fn original_in(root: Option<&Path>, key: &str) -> String {
    let Some((stem, ext)) = key.rsplit_once('.').filter(|_| key.starts_with("images/")) else { return key.to_owned() };
    let original = format!("{stem}_o.{ext}");
    match root {
        Some(dir) if dir.join(&original).is_file() => original,
        _ => key.to_owned(),
    }
}

fn ghost_url(s: &str) -> String {
    s.replace("__GHOST_URL__", "")
}

/// What the checks learnt.
struct Plan {
    /// Post id → (authors, tags), in Ghost's order.
    authors: HashMap<Id, Vec<Id>>,
    tags: HashMap<Id, Vec<Id>>,
    meta: HashMap<Id, usize>,
    bad: HashSet<Id>,
    problems: Vec<String>,
}

fn label(p: &GhostPost) -> String {
    let kind = if is_page(p) { "page" } else { "post" };
    match p.title.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) => format!("{kind} {} (\u{201c}{}\u{201d})", p.id.0, clip(t, 60)),
        None => format!("{kind} {}", p.id.0),
    }
}

fn is_page(p: &GhostPost) -> bool {
    p.kind.as_deref() == Some("page") || p.page.0
}

fn in_order<T>(links: &[T], key: impl Fn(&T) -> (&Id, &Id, Option<i64>)) -> HashMap<Id, Vec<Id>> {
    let mut by_post: HashMap<Id, Vec<(i64, usize, Id)>> = HashMap::new();
    for (i, l) in links.iter().enumerate() {
        let (post, other, order) = key(l);
        by_post.entry(post.clone()).or_default().push((order.unwrap_or(0), i, other.clone()));
    }
    by_post
        .into_iter()
        .map(|(post, mut xs)| {
            xs.sort();
            let mut ids: Vec<Id> = Vec::new();
            for (_, _, id) in xs {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
            (post, ids)
        })
        .collect()
}

/// Checks every post; nothing is written when one fails (unless `skip_invalid`).
fn plan(data: &Data, opts: &ImportOptions) -> Result<Plan, ImportError> {
    let mut plan = Plan {
        authors: in_order(&data.posts_authors, |l| (&l.post_id, &l.author_id, l.sort_order)),
        tags: in_order(&data.posts_tags, |l| (&l.post_id, &l.tag_id, l.sort_order)),
        meta: data.posts_meta.iter().enumerate().map(|(i, m)| (m.post_id.clone(), i)).collect(),
        bad: HashSet::new(),
        problems: Vec::new(),
    };
    let users: HashSet<&Id> = data.users.iter().map(|u| &u.id).collect();
    let tags: HashSet<&Id> = data.tags.iter().map(|t| &t.id).collect();
    let mut seen = HashSet::new();
    for p in &data.posts {
        let label = label(p);
        let mut problems = Vec::new();
        if p.id.0.is_empty() {
            problems.push(format!("{label}: id: missing"));
        } else if !seen.insert(&p.id) {
            problems.push(format!("{label}: id: {} appears twice in the export", p.id.0));
        }
        let status = p.status.as_deref().unwrap_or("draft");
        if !matches!(status, "published" | "draft" | "scheduled" | "sent") {
            problems.push(format!("{label}: status: unknown status \"{status}\""));
        }
        match p.published_at.as_ref().map(time_of).transpose() {
            Err(e) => problems.push(format!("{label}: published_at: {e}")),
            Ok(t) if status == "scheduled" && t.flatten().is_none() => {
                problems.push(format!("{label}: published_at: a scheduled post needs its time"))
            }
            Ok(_) => {}
        }
        let html = p.html.as_ref().map_or(0, String::len);
        for (field, len) in [("html", html), ("lexical", p.lexical.0), ("mobiledoc", p.mobiledoc.0)] {
            if len > MAX_CONTENT_BYTES {
                problems.push(format!(
                    "{label}: {field}: the body is {} KB; the longest a story can be is {} KB",
                    len / 1000,
                    MAX_CONTENT_BYTES / 1000
                ));
            }
        }
        if let Err(e) = body_of(p, &data.sources) {
            problems.push(format!("{label}: {e}"));
        }
        let mut authors = plan.authors.get(&p.id).cloned().unwrap_or_default();
        if authors.is_empty()
            && let Some(a) = p.author_id.clone()
        {
            authors.push(a.clone());
            plan.authors.insert(p.id.clone(), vec![a]);
        }
        if authors.is_empty() {
            problems.push(format!("{label}: posts_authors: the post has no author"));
        }
        for a in authors.iter().filter(|a| !users.contains(a)) {
            problems.push(format!("{label}: posts_authors: the author {} is not among the export's users", a.0));
        }
        for t in plan.tags.get(&p.id).into_iter().flatten().filter(|t| !tags.contains(t)) {
            problems.push(format!("{label}: posts_tags: the tag {} is not among the export's tags", t.0));
        }
        if !problems.is_empty() {
            plan.bad.insert(p.id.clone());
            plan.problems.extend(problems);
        }
    }
    if data.posts.is_empty() {
        return Err(ImportError::File("the export has no posts or pages".into()));
    }
    if !plan.problems.is_empty() && !opts.skip_invalid {
        return Err(ImportError::Invalid(std::mem::take(&mut plan.problems)));
    }
    Ok(plan)
}

/// A post's body: its HTML, else its lexical or mobiledoc rendered.
fn body_of(p: &GhostPost, sources: &Sources) -> Result<cards::Rendered, String> {
    let some = |s: Option<&String>| s.map(|s| s.trim()).filter(|s| !s.is_empty()).map(ghost_url);
    if let Some(html) = some(p.html.as_ref()) {
        let mut r = cards::Rendered::default();
        r.html(&html);
        return Ok(r);
    }
    let (lexical, mobiledoc) = sources.0.get(&p.id).map(|(l, m)| (l.as_ref(), m.as_ref())).unwrap_or_default();
    if let Some(l) = some(lexical) {
        return lexical::render(&l);
    }
    if let Some(m) = some(mobiledoc) {
        return mobiledoc::render(&m);
    }
    Ok(cards::Rendered::default())
}

/// Imports a Ghost export. Nothing is written when it fails its checks (unless `skip_invalid`).
pub async fn import(
    store: &Store,
    site: &newsdesk_domain::SiteSettings,
    media: &crate::storage::MediaStore,
    path: &Path,
    content: Option<&Path>,
    opts: &ImportOptions,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let (meta, data) = read(path)?;
    let plan = plan(&data, opts)?;
    let setting =
        |key: &str| data.settings.iter().find(|s| s.key == key).and_then(|s| s.value.as_ref()).and_then(Value::as_str);
    let title = setting("title").unwrap_or("Ghost").to_owned();
    // A site is known by its owner's id (stable across exports, unlike its title), so a second import updates.
    let owner_role = data.roles.iter().find(|r| r.name == "Owner").map(|r| &r.id);
    let owner = data.roles_users.iter().find(|ru| Some(&ru.role_id) == owner_role).map(|ru| ru.user_id.0.as_str());
    let source = format!("ghost:{}", owner.unwrap_or(&title));
    let version = if meta.version.is_empty() { String::new() } else { format!(" {}", meta.version) };
    let mut report = Report {
        source: format!("Ghost{version}, \u{201c}{title}\u{201d} ({})", path.display()),
        ..Default::default()
    };
    for p in &plan.problems {
        report.skipped.push(Skipped { item: p.split(':').next().unwrap_or_default().to_owned(), reason: p.clone() });
    }
    let mut files = Files::new(store, media, content.map(Path::to_path_buf), true)?;

    // Bylines, with their portraits.
    let authors: Vec<SourceAuthor<'_>> = data
        .users
        .iter()
        .map(|u| SourceAuthor {
            source_id: &u.id.0,
            slug: &u.slug,
            name: if u.name.trim().is_empty() { &u.slug } else { &u.name },
            bio: u.bio.as_deref().filter(|b| !b.trim().is_empty()),
            kind: "person",
        })
        .collect();
    let author_ids = super::import_authors(store, &source, &authors, &mut report).await?;
    for u in &data.users {
        let (Some(id), Some(url)) = (author_ids.get(&u.id.0), u.profile_image.as_deref().map(ghost_url)) else {
            continue;
        };
        let Some(author) = store.author(*id).await?.filter(|a| a.image_id.is_none()) else { continue };
        let Some(key) = file_key(&url).map(|k| original_in(content, &k)) else { continue };
        match files.import(&key, &url, true).await {
            Ok((media, _)) => {
                let input = newsdesk_store::authors::AuthorInput {
                    slug: &author.slug,
                    name: &author.name,
                    kind: &author.kind,
                    bio: author.bio.as_deref(),
                    image_id: Some(media),
                };
                store.update_author(author.id, input).await?;
            }
            Err(why) => report.media_missing.push(Skipped { item: format!("portrait of {}", u.name), reason: why }),
        }
    }
    if !data.users.is_empty() {
        report.notes.push(format!(
            "{} Ghost staff users became bylines (their passwords and e-mail addresses were not imported); invite the \
             ones who will work in Newsdesk under Staff",
            data.users.len()
        ));
    }

    // Tags: internal ones (`#name`, Ghost's visibility "internal") stay internal.
    let names: Vec<String> = data
        .tags
        .iter()
        .map(|t| {
            let name = if t.name.trim().is_empty() { t.slug.clone() } else { t.name.trim().to_owned() };
            if t.visibility.as_deref() == Some("internal") && !newsdesk_store::tags::is_internal(&name) {
                format!("#{name}")
            } else {
                name
            }
        })
        .collect();
    let source_tags: Vec<SourceTag<'_>> = data
        .tags
        .iter()
        .zip(&names)
        .map(|(t, name)| SourceTag {
            source_id: t.id.0.clone(),
            slug: &t.slug,
            name,
            description: t.description.as_deref(),
            parent: t.parent_id.as_ref().filter(|p| !p.0.is_empty()).map(|p| p.0.clone()),
        })
        .collect();
    let tag_ids = super::import_tags(store, &source, &source_tags, &mut report).await?;

    import_newsletters(store, &data.newsletters, &mut report).await?;

    // Stories, in batches.
    let known = store.import_ids(&source, "post").await?;
    let mut slugs = Slugs::default();
    let mut batch = Batch::default();
    let mut dropped: BTreeMap<String, u64> = BTreeMap::new();
    let wanted: Vec<&GhostPost> = data.posts.iter().filter(|p| !plan.bad.contains(&p.id)).collect();
    // Ghost has no language per post; multilingual Ghost sites mark one with an internal tag (`#uk`). A tag that
    // names one of this site's languages gives the story that language.
    let tag_languages: HashMap<String, Option<String>> = data
        .tags
        .iter()
        .filter_map(|t| {
            let tag = t.name.strip_prefix('#')?;
            newsdesk_domain::language::Language::parse("language", tag).ok()?;
            Some((t.id.0.clone(), site.post_language("language", tag).ok()?))
        })
        .collect();
    progress.phase("stories", wanted.len() as u64);
    for p in wanted {
        let existing = match known.get(&p.id.0) {
            Some(id) => store.post(*id).await?,
            None => None,
        };
        let post_meta = plan.meta.get(&p.id).map(|i| &data.posts_meta[*i]);
        let ctx = Story {
            plan: &plan,
            author_ids: &author_ids,
            tag_ids: &tag_ids,
            tag_languages: &tag_languages,
            meta: post_meta,
            sources: &data.sources,
        };
        let (input, old_slug) =
            story(store, p, &ctx, &mut files, existing.as_ref(), &mut slugs, &mut dropped, &mut report).await?;
        let mut old_paths = Vec::new();
        if let Some(old) = old_slug.filter(|o| *o != input.slug) {
            old_paths.extend(normalize_path(&format!("/{old}/")));
        }
        old_paths.extend(normalize_path(&format!("/{}/amp/", old_slug_or(p, &input.slug))));
        report.redirects += old_paths.len() as u64;
        let post =
            ImportedPost { source_id: p.id.0.clone(), existing_id: existing.map(|e| e.row.id), input, old_paths };
        batch.push(post, is_page(p));
        if batch.is_full() {
            batch.write(store, &source, &mut report, progress).await?;
        }
    }
    batch.write(store, &source, &mut report, progress).await?;
    progress.finish();
    for (card, n) in dropped {
        report.notes.push(format!("left out {n} \u{201c}{card}\u{201d} cards (Ghost's own, with no place in a story)"));
    }

    // Old addresses of files, and the site's own redirects.
    let mut redirects: Vec<NewRedirect> = Vec::new();
    let redirect = |from: String, target: RedirectTarget| NewRedirect {
        from_path: from,
        target,
        status: 301,
        source: source.clone(),
    };
    files.remember(&source, &mut report).await?;
    for (key, (_, url)) in files.stored() {
        if !key.starts_with("http") {
            redirects.push(redirect(format!("/content/{key}"), RedirectTarget::Path(url.clone())));
            if let Some(served) = key.rsplit_once("_o.").map(|(stem, ext)| format!("/content/{stem}.{ext}")) {
                redirects.push(redirect(served, RedirectTarget::Path(url.clone())));
            }
        }
    }
    if let Some(dir) = content {
        redirects.extend(site_redirects(&dir.join("data"), &source, &mut report));
    }
    report.redirects += store.import_redirects(&redirects).await?;
    let members = data.posts.iter().filter(|p| p.visibility.as_deref().is_some_and(|v| v != "public")).count();
    if members > 0 {
        report.notes.push(format!(
            "{members} members-only or paid stories arrived as drafts: Newsdesk has no memberships yet, and nothing \
             paid is ever shown to the public"
        ));
    }
    report.notes.push(
        "Ghost exports members separately (Members → Export): import that CSV into a newsletter with \
         `newsdesk subscribers import`"
            .into(),
    );
    Ok(report)
}

fn old_slug_or<'a>(p: &'a GhostPost, ours: &'a str) -> &'a str {
    p.slug.as_deref().filter(|s| !s.is_empty()).unwrap_or(ours)
}

/// Newsletters that do not exist yet (by slug) are made; archived ones hidden.
async fn import_newsletters(store: &Store, list: &[GhostNewsletter], report: &mut Report) -> Result<(), ImportError> {
    for n in list {
        let Some(slug) = super::slug_from(&n.slug, &n.name) else { continue };
        if store.newsletter_by_slug(&slug).await?.is_some() {
            continue;
        }
        let name = if n.name.trim().is_empty() { slug.clone() } else { clip(n.name.trim(), 100) };
        let email = n
            .sender_email
            .as_deref()
            .and_then(|e| newsdesk_domain::email::EmailAddress::parse("sender_email", e).ok())
            .map(|e| e.as_str().to_owned());
        store
            .create_newsletter(&NewsletterInput {
                slug: &slug,
                name: &name,
                description: n.description.as_deref().map(str::trim).filter(|d| !d.is_empty()),
                host_author_id: None,
                sender_name: n.sender_name.as_deref().filter(|s| !s.trim().is_empty()),
                sender_email: email.as_deref(),
                reply_to: None,
                cadence: None,
                visibility: if n.status.as_deref() == Some("archived") { "hidden" } else { "public" },
                sort_order: n.sort_order.unwrap_or(0),
                language: None,
            })
            .await?;
        report.notes.push(format!("made the newsletter \u{201c}{name}\u{201d} ({slug}) (Ghost's id {})", n.id.0));
    }
    Ok(())
}

/// Ghost's own redirects (`content/data/redirects.json`): the plain ones become ours; the regular expressions are
/// listed in the report to be made by hand.
fn site_redirects(dir: &Path, source: &str, report: &mut Report) -> Vec<NewRedirect> {
    #[derive(Deserialize)]
    struct GhostRedirect {
        from: String,
        to: String,
        #[serde(default)]
        permanent: bool,
    }
    let file: PathBuf = dir.join("redirects.json");
    let Ok(text) = std::fs::read_to_string(&file) else { return Vec::new() };
    let list: Vec<GhostRedirect> = match serde_json::from_str(&text) {
        Ok(l) => l,
        Err(e) => {
            report.notes.push(format!("{}: not read ({e})", file.display()));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for r in list {
        let from = r.from.trim_start_matches('^').trim_end_matches('$').trim_end_matches("/?");
        let plain = !from.contains(['(', '[', '*', '+', '|', '\\', '{', '?', '.']) || from.contains(".html");
        let to = r.to.trim();
        let target = if to.starts_with('/') {
            normalize_path(to).map(RedirectTarget::Path)
        } else {
            url::Url::parse(to).ok().map(|_| RedirectTarget::Path(to.to_owned()))
        };
        match (plain, normalize_path(&format!("{}/", from.trim_end_matches('/'))), target) {
            (true, Some(from_path), Some(target)) => out.push(NewRedirect {
                from_path,
                target,
                status: if r.permanent { 301 } else { 302 },
                source: source.to_owned(),
            }),
            _ => report.skipped.push(Skipped {
                item: format!("redirect {}", r.from),
                reason: "a pattern, not an address: add it by hand under Redirects".into(),
            }),
        }
    }
    out
}

/// What a story is read with.
struct Story<'a> {
    plan: &'a Plan,
    author_ids: &'a HashMap<String, i64>,
    tag_ids: &'a HashMap<String, i64>,
    /// Ghost tag id → the language its internal tag (`#uk`) names.
    tag_languages: &'a HashMap<String, Option<String>>,
    meta: Option<&'a PostMeta>,
    sources: &'a Sources,
}

fn text(s: Option<&str>, max: usize) -> Option<String> {
    let t = plain_text(&ghost_url(s.unwrap_or_default()));
    (!t.is_empty()).then(|| clip(&t, max))
}

/// One post as a story ready to write, and the slug it had on Ghost.
#[allow(clippy::too_many_arguments)]
async fn story(
    store: &Store,
    p: &GhostPost,
    ctx: &Story<'_>,
    files: &mut Files<'_>,
    existing: Option<&newsdesk_store::posts::Post>,
    slugs: &mut Slugs,
    dropped: &mut BTreeMap<String, u64>,
    report: &mut Report,
) -> Result<(PostInput, Option<String>), ImportError> {
    let label = label(p);
    let rendered = body_of(p, ctx.sources).map_err(|e| ImportError::File(format!("{label}: {e}")))?;
    for (card, n) in &rendered.dropped {
        *dropped.entry(card.clone()).or_default() += n;
    }
    let mut doc = rendered.document();

    // Ghost's files (and images on the web) become library files.
    let root = files.root().cloned();
    let image_key = |src: &str| file_key(src).map(|k| (original_in(root.as_deref(), &k), src.to_owned()));
    let link_key = |href: &str| content_key(href).map(|k| (original_in(root.as_deref(), &k), href.to_owned()));
    super::files::adopt(files, &mut doc, image_key, link_key, &label, report).await;
    doc.normalize();
    // Who may read it: Ghost's own visibility (a tier list becomes "paid": tiers are not imported yet).
    let ghost_visibility = p.visibility.as_deref().unwrap_or("public");
    let visibility = match ghost_visibility {
        "members" => newsdesk_domain::Visibility::Members,
        "paid" => newsdesk_domain::Visibility::Paid,
        "tiers" => {
            report.hidden.push(Skipped {
                item: label.clone(),
                reason: "for chosen tiers on Ghost: imported for every paid tier (choose the tiers again)".into(),
            });
            newsdesk_domain::Visibility::Paid
        }
        _ => newsdesk_domain::Visibility::Public,
    };
    let body = crate::documents::render_body(store, &doc, !visibility.is_public()).await?;

    // The feature image, its alt text and caption (Ghost's caption is HTML: a credit with links, often).
    let meta = ctx.meta;
    let pick = |a: Option<&String>, b: &Option<String>| a.cloned().or_else(|| b.clone());
    let feature = match p.feature_image.as_deref().map(ghost_url).filter(|u| !u.trim().is_empty()) {
        Some(url) => match file_key(&url).map(|k| original_in(files.root().map(PathBuf::as_path), &k)) {
            Some(key) => match files.import(&key, &url, true).await {
                Ok((id, _)) => Some(id),
                Err(why) => {
                    if why != "missing" {
                        report.media_missing.push(Skipped { item: label.clone(), reason: why });
                    }
                    None
                }
            },
            None => {
                report
                    .media_missing
                    .push(Skipped { item: label.clone(), reason: format!("{url}: not a file address") });
                None
            }
        },
        None => None,
    };
    let alt = pick(meta.and_then(|m| m.feature_image_alt.as_ref()), &p.feature_image_alt);
    let caption = pick(meta.and_then(|m| m.feature_image_caption.as_ref()), &p.feature_image_caption);

    let (title, title_text) = super::headline(p.title.as_deref().unwrap_or_default(), &label, report)?;
    let ghost_slug = p.slug.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let old = ghost_slug.as_deref().unwrap_or_default();
    let slug = super::story_slug(store, slugs, existing, old, &title_text, &p.id.0, &label, report).await?;

    // Status: nothing e-mail-only becomes public; members-only and paid stories keep their visibility.
    let published_at = p.published_at.as_ref().and_then(|v| time_of(v).ok().flatten());
    let email_only = meta.is_some_and(|m| m.email_only.0);
    let (status, published_at) = match p.status.as_deref().unwrap_or("draft") {
        "sent" => {
            report.hidden.push(Skipped {
                item: label.clone(),
                reason: "sent by e-mail only on Ghost: imported as a draft".into(),
            });
            ("draft", None)
        }
        "published" if email_only => {
            report
                .hidden
                .push(Skipped { item: label.clone(), reason: "e-mail only on Ghost: imported as a draft".into() });
            ("draft", None)
        }
        "published" => ("published", Some(published_at.unwrap_or_else(newsdesk_store::now))),
        "scheduled" => ("scheduled", published_at),
        _ => ("draft", None),
    };

    let author_ids: Vec<i64> =
        ctx.plan.authors.get(&p.id).into_iter().flatten().filter_map(|a| ctx.author_ids.get(&a.0).copied()).collect();
    if author_ids.is_empty() {
        return Err(ImportError::File(format!("{label}: posts_authors: no author")));
    }
    let tag_ids: Vec<i64> =
        ctx.plan.tags.get(&p.id).into_iter().flatten().filter_map(|t| ctx.tag_ids.get(&t.0).copied()).collect();
    let r = body.body;
    let paid = crate::documents::paid_part(&r);
    let input = PostInput {
        kind: if is_page(p) { "page" } else { "post" }.to_owned(),
        slug,
        title: title.as_str().to_owned(),
        excerpt: text(p.custom_excerpt.as_deref(), 500),
        body_md: r.markdown,
        body_doc: doc.to_json(),
        body_html: r.html,
        body_text: r.text,
        body_email_html: r.email_html,
        word_count: r.word_count as i64,
        status: status.to_owned(),
        published_at,
        feature_image_id: feature,
        feature_image_alt: text(alt.as_deref(), 500).filter(|_| feature.is_some()),
        feature_image_caption: text(caption.as_deref(), 1000).filter(|_| feature.is_some()),
        feature_image_credit: None,
        author_ids,
        tag_ids,
        related_post_id: existing.and_then(|e| e.row.related_post_id),
        media_ids: body.media_ids,
        linked_post_ids: body.linked_post_ids,
        featured: p.featured.0,
        parent_id: None,
        meta_title: text(pick(meta.and_then(|m| m.meta_title.as_ref()), &p.meta_title).as_deref(), 300),
        meta_description: text(
            pick(meta.and_then(|m| m.meta_description.as_ref()), &p.meta_description).as_deref(),
            500,
        ),
        language: ctx
            .plan
            .tags
            .get(&p.id)
            .into_iter()
            .flatten()
            .find_map(|t| ctx.tag_languages.get(&t.0).cloned())
            .flatten(),
        translation: Default::default(),
        paid,
        visibility: visibility.as_string(),
    };
    Ok((input, ghost_slug))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_keys_and_times() {
        assert_eq!(content_key("/content/images/2024/05/quay.jpg").as_deref(), Some("images/2024/05/quay.jpg"));
        assert_eq!(
            content_key("https://old.example/content/images/size/w600/format/webp/2024/05/quay.jpg?v=1").as_deref(),
            Some("images/2024/05/quay.jpg")
        );
        assert_eq!(content_key("/content/media/2024/05/clip.mp4").as_deref(), Some("media/2024/05/clip.mp4"));
        assert_eq!(content_key("/content/themes/casper/x.png"), None);
        assert_eq!(content_key("/content/images/../../etc/passwd"), None);
        let dir = std::env::temp_dir().join(format!("ghost-originals-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("images/2024")).unwrap();
        std::fs::write(dir.join("images/2024/a_o.jpg"), b"x").unwrap();
        assert_eq!(original_in(Some(&dir), "images/2024/a.jpg"), "images/2024/a_o.jpg");
        assert_eq!(original_in(Some(&dir), "images/2024/b.jpg"), "images/2024/b.jpg");
        assert_eq!(original_in(None, "images/2024/a.jpg"), "images/2024/a.jpg");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(file_key("https://images.example.org/p.jpg").as_deref(), Some("https://images.example.org/p.jpg"));
        assert_eq!(time_of(&Value::from("2024-05-02T16:45:00.000Z")), Ok(Some(1714668300)));
        assert_eq!(time_of(&Value::from("2024-05-02 16:45:00")), Ok(Some(1714668300)));
        assert_eq!(time_of(&Value::from(1714668300000i64)), Ok(Some(1714668300)));
        assert_eq!(time_of(&Value::Null), Ok(None));
        assert!(time_of(&Value::from("soon")).is_err());
    }
}
