//! `newsdesk import substack EXPORT.zip`: a Substack publication moves in — the zip Substack's *Settings → Exports*
//! sends: `posts.csv` (id, date, published, type, audience, title, subtitle, podcast), one `posts/{id}.html` per
//! post, and `email_list.{publication}.csv` (the subscribers).
//!
//! Posts keep their dates and subtitles (the dek); pages stay pages; paid-only posts (`only_paid`, `founding`) and
//! those for free subscribers only (`only_free`) must never be public, and Newsdesk has no memberships yet, so they
//! arrive as drafts, listed in the report. Subscribers whose mail was not turned off join a newsletter, confirmed
//! (they opted in on Substack), with the consent source "imported from Substack". `/p/{slug}` redirects to the new
//! address. A second run updates, keyed on Substack's post ids.

use std::io::Read;
use std::path::Path;

use newsdesk_domain::{Title, csv};
use newsdesk_store::Store;
use newsdesk_store::imports::ImportedPost;
use newsdesk_store::newsletters::{Consent, NewsletterInput};
use newsdesk_store::posts::PostInput;
use newsdesk_store::subscribers::ImportRow;

use super::{ImportError, ImportOptions, Progress, Report, Skipped, Slugs, SourceAuthor, clip};

/// The largest post file read.
const MAX_POST_BYTES: u64 = 2_000_000;

/// Who the posts are bylined to and which newsletter the subscribers join.
#[derive(Debug, Clone, Default)]
pub struct SubstackOptions {
    /// A newsletter's slug (it must exist); without it, one named after the publication is used or made.
    pub newsletter: Option<String>,
    /// The byline; without it, the publication's desk.
    pub author: Option<String>,
}

/// One row of `posts.csv`, checked.
struct Row {
    id: String,
    slug: String,
    date: Option<i64>,
    published: bool,
    kind: &'static str,
    audience: String,
    title: String,
    subtitle: String,
    podcast: String,
    line: usize,
}

impl Row {
    fn label(&self) -> String {
        format!("posts.csv line {} (\u{201c}{}\u{201d})", self.line, self.title)
    }
}

fn header_index(header: &[String], name: &str) -> Option<usize> {
    header.iter().position(|h| h.trim().trim_start_matches('\u{feff}').eq_ignore_ascii_case(name))
}

/// The zip's entries by name, and the name of each file we need.
struct Export {
    archive: zip::ZipArchive<std::fs::File>,
    posts_csv: String,
    email_csv: Option<String>,
    /// "the-harbour-letter", from `email_list.the-harbour-letter.csv`, else the zip's name.
    publication: String,
    /// Where `posts/` is (a prefix, for exports zipped inside a folder).
    prefix: String,
}

fn open(path: &Path) -> Result<Export, ImportError> {
    let file = std::fs::File::open(path).map_err(|e| ImportError::File(format!("{}: {e}", path.display())))?;
    let archive = zip::ZipArchive::new(file).map_err(|_| {
        ImportError::File(format!(
            "{} is not a zip file; a Substack export is the .zip Substack sends from Settings → Exports",
            path.display()
        ))
    })?;
    let names: Vec<String> = archive.file_names().map(str::to_owned).collect();
    let posts_csv = names
        .iter()
        .filter(|n| n.rsplit('/').next() == Some("posts.csv"))
        .min_by_key(|n| n.len())
        .cloned()
        .ok_or_else(|| {
            ImportError::File(format!("{}: no posts.csv inside; is this a Substack export?", path.display()))
        })?;
    let prefix = posts_csv.trim_end_matches("posts.csv").to_owned();
    let email_csv = names
        .iter()
        .find(|n| {
            let base = n.rsplit('/').next().unwrap_or("");
            base.starts_with("email_list") && base.ends_with(".csv")
        })
        .cloned();
    let publication = email_csv
        .as_deref()
        .and_then(|n| n.rsplit('/').next())
        .and_then(|b| b.strip_prefix("email_list.")?.strip_suffix(".csv").map(str::to_owned))
        .unwrap_or_else(|| path.file_stem().and_then(|s| s.to_str()).unwrap_or("substack").to_owned());
    Ok(Export { archive, posts_csv, email_csv, publication, prefix })
}

fn read_text(
    archive: &mut zip::ZipArchive<std::fs::File>,
    name: &str,
    max: u64,
) -> Result<Option<String>, ImportError> {
    let mut entry = match archive.by_name(name) {
        Ok(e) => e,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(e) => return Err(ImportError::File(format!("{name}: {e} (is the zip truncated?)"))),
    };
    if entry.size() > max {
        return Err(ImportError::File(format!(
            "{name}: {} KB; the longest a post can be is {} KB",
            entry.size() / 1000,
            max / 1000
        )));
    }
    let mut bytes = Vec::with_capacity(entry.size() as usize);
    entry
        .by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::File(format!("{name}: cannot be read ({e}); is the zip truncated?")))?;
    String::from_utf8(bytes).map(Some).map_err(|_| ImportError::File(format!("{name}: not UTF-8 text")))
}

fn rows(text: &str, problems: &mut Vec<String>) -> Result<Vec<Row>, ImportError> {
    let records = csv::parse(text).map_err(|e| ImportError::File(format!("posts.csv: {e}")))?;
    let Some(((_, header), body)) = records.split_first() else {
        return Err(ImportError::File("posts.csv is empty".into()));
    };
    let col = |name: &str| header_index(header, name);
    let (Some(id_c), Some(date_c), Some(pub_c), Some(title_c)) =
        (col("post_id"), col("post_date"), col("is_published"), col("title"))
    else {
        return Err(ImportError::File(
            "posts.csv: not Substack's (it needs post_id, post_date, is_published and title columns)".into(),
        ));
    };
    let (type_c, aud_c, sub_c, pod_c) = (col("type"), col("audience"), col("subtitle"), col("podcast_url"));
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (line, fields) in body {
        let get = |c: Option<usize>| c.and_then(|c| fields.get(c)).map(|s| s.trim().to_owned()).unwrap_or_default();
        let post_id = get(Some(id_c));
        let title = get(Some(title_c));
        let label = format!("posts.csv line {line} (\u{201c}{title}\u{201d})");
        let Some((id, slug)) = post_id.split_once('.').filter(|(id, s)| !id.is_empty() && !s.is_empty()) else {
            problems.push(format!("{label}: post_id: \"{post_id}\" is not Substack's id.slug"));
            continue;
        };
        if !seen.insert(id.to_owned()) {
            problems.push(format!("{label}: post_id: {id} appears twice"));
            continue;
        }
        let raw_date = get(Some(date_c));
        let date = if raw_date.is_empty() {
            None
        } else {
            match raw_date.parse::<jiff::Timestamp>() {
                Ok(t) => Some(t.as_second()),
                Err(_) => {
                    problems.push(format!("{label}: post_date: \"{raw_date}\" is not an ISO 8601 time"));
                    continue;
                }
            }
        };
        let published = match get(Some(pub_c)).to_ascii_lowercase().as_str() {
            "true" => true,
            "false" | "" => false,
            other => {
                problems.push(format!("{label}: is_published: \"{other}\" is not TRUE or FALSE"));
                continue;
            }
        };
        let audience = get(aud_c).to_ascii_lowercase();
        if !matches!(audience.as_str(), "" | "everyone" | "only_paid" | "founding" | "only_free") {
            problems.push(format!("{label}: audience: unknown audience \"{audience}\""));
            continue;
        }
        if title.is_empty() && published {
            problems.push(format!("{label}: title: empty"));
            continue;
        }
        out.push(Row {
            id: id.to_owned(),
            slug: slug.to_owned(),
            date,
            published,
            kind: if get(type_c) == "page" { "page" } else { "post" },
            audience,
            title,
            subtitle: get(sub_c),
            podcast: get(pod_c),
            line: *line,
        });
    }
    Ok(out)
}

/// Substack's HTML without its own furniture (subscribe and share widgets, buttons), with its video embeds as the
/// addresses the document reader makes embeds of.
fn clean_html(html: &str) -> String {
    let mut out = html.to_owned();
    for class in [
        "subscription-widget-wrap",
        "subscribe-widget",
        "button-wrapper",
        "share-dialog",
        "captioned-button-wrap",
        "footnote-anchor-wrap",
    ] {
        out = remove_elements(&out, class);
    }
    // `<div class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;ID&quot;…}">`
    while let Some(at) = out.find("class=\"youtube-wrap\"") {
        let start = out[..at].rfind('<').unwrap_or(at);
        let end = element_end(&out, start).unwrap_or(out.len());
        let tag = &out[start..end];
        let id = tag
            .split("videoId&quot;:&quot;")
            .nth(1)
            .or_else(|| tag.split("\"videoId\":\"").nth(1))
            .and_then(|r| r.split(['&', '"']).next())
            .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .map(str::to_owned);
        let replacement = match id {
            Some(id) => format!(
                "<figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">https://www.youtube.com/watch?v={id}</div></figure>"
            ),
            None => String::new(),
        };
        out.replace_range(start..end, &replacement);
    }
    out
}

/// The end (exclusive) of the element that starts at `start`, counting nested elements of the same name.
fn element_end(html: &str, start: usize) -> Option<usize> {
    let name: String = html[start + 1..].chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    if name.is_empty() {
        return None;
    }
    let (open, close) = (format!("<{name}"), format!("</{name}>"));
    let mut depth = 0usize;
    let mut i = start;
    while i < html.len() {
        let next_open = html[i..].find(&open).map(|o| i + o);
        let next_close = html[i..].find(&close).map(|c| i + c)?;
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                i = o + open.len();
            }
            _ => {
                depth = depth.saturating_sub(1);
                i = next_close + close.len();
                if depth == 0 {
                    return Some(i);
                }
            }
        }
    }
    None
}

fn remove_elements(html: &str, class: &str) -> String {
    let mut out = html.to_owned();
    let needle = format!("class=\"{class}");
    let mut from = 0;
    while let Some(rel) = out[from..].find(&needle) {
        let at = from + rel;
        let start = out[..at].rfind('<').unwrap_or(at);
        match element_end(&out, start) {
            Some(end) => out.replace_range(start..end, ""),
            None => from = at + needle.len(),
        }
    }
    out
}

/// Imports a Substack export. Nothing is written when the file fails its checks (unless `skip_invalid`).
pub async fn import(
    store: &Store,
    media: &crate::storage::MediaStore,
    path: &Path,
    opts: &ImportOptions,
    sub: &SubstackOptions,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let mut export = open(path)?;
    let source = format!("substack:{}", export.publication);
    let mut report =
        Report { source: format!("Substack, {} ({})", export.publication, path.display()), ..Default::default() };
    let mut problems = Vec::new();
    let text = read_text(&mut export.archive, &export.posts_csv.clone(), 50_000_000)?.unwrap_or_default();
    let rows = rows(&text, &mut problems)?;

    // The whole file is checked first: every post's HTML (published ones must have one), every subscriber.
    let mut bodies_ok = Vec::with_capacity(rows.len());
    for r in &rows {
        let name = format!("{}posts/{}.{}.html", export.prefix, r.id, r.slug);
        match read_text(&mut export.archive, &name, MAX_POST_BYTES) {
            Ok(Some(_)) => bodies_ok.push(true),
            Ok(None) if !r.published => bodies_ok.push(true),
            Ok(None) => {
                problems.push(format!("{}: posts/{}.{}.html is missing from the zip", r.label(), r.id, r.slug));
                bodies_ok.push(false);
            }
            Err(ImportError::File(e)) => {
                problems.push(format!("{}: {e}", r.label()));
                bodies_ok.push(false);
            }
            Err(e) => return Err(e),
        }
    }
    let mut subscribers = Vec::new();
    let mut disabled = 0;
    if let Some(name) = export.email_csv.clone() {
        let text = read_text(&mut export.archive, &name, 500_000_000)?.unwrap_or_default();
        let records = csv::parse(&text).map_err(|e| ImportError::File(format!("{name}: {e}")))?;
        if let Some(((_, header), body)) = records.split_first() {
            let Some(email_c) = header_index(header, "email") else {
                return Err(ImportError::File(format!("{name}: no email column")));
            };
            let off_c = header_index(header, "email_disabled");
            for (line, fields) in body {
                let email = fields.get(email_c).map(|s| s.trim()).unwrap_or("");
                if off_c.and_then(|c| fields.get(c)).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
                    disabled += 1;
                    continue;
                }
                match newsdesk_domain::EmailAddress::parse("email", email) {
                    Ok(e) => subscribers.push(ImportRow { email: e.as_str().to_owned(), name: None }),
                    Err(e) => problems.push(format!("{name} line {line}: email: {}", e.message)),
                }
            }
        }
    }
    if rows.is_empty() && subscribers.is_empty() && problems.is_empty() {
        return Err(ImportError::File(format!("{}: the export has no posts and no subscribers", path.display())));
    }
    if !problems.is_empty() && !opts.skip_invalid {
        return Err(ImportError::Invalid(problems));
    }
    for p in &problems {
        report.skipped.push(Skipped { item: p.split(':').next().unwrap_or_default().to_owned(), reason: p.clone() });
    }

    // The byline and the newsletter.
    let publication_name = export.publication.replace(['-', '_'], " ");
    let desk = format!("{} desk", title_case(&publication_name));
    let byline = sub.author.clone().unwrap_or(desk);
    let author_ids = super::import_authors(
        store,
        &source,
        &[SourceAuthor {
            source_id: "byline",
            slug: &byline,
            name: &byline,
            bio: None,
            kind: if sub.author.is_some() { "person" } else { "desk" },
        }],
        &mut report,
    )
    .await?;
    let author = author_ids["byline"];

    // Posts, in batches; their photos are fetched into the library.
    let mut files = super::files::Files::new(store, media, None, true)?;
    let known = store.import_ids(&source, "post").await?;
    let mut slugs = Slugs::default();
    let mut batch = super::Batch::default();
    progress.phase("posts", rows.len() as u64);
    let todo: Vec<(&Row, bool)> = rows.iter().zip(bodies_ok.iter().copied()).collect();
    for (r, ok) in todo {
        if !ok {
            progress.advance(1);
            continue;
        }
        let name = format!("{}posts/{}.{}.html", export.prefix, r.id, r.slug);
        let mut html = read_text(&mut export.archive, &name, MAX_POST_BYTES)?.unwrap_or_default();
        if !r.podcast.is_empty() && (r.podcast.starts_with("https://") || r.podcast.starts_with("http://")) {
            html = format!(
                "<p><a href=\"{}\">Listen to this episode</a></p>{html}",
                newsdesk_render::feeds::html_escape(&r.podcast)
            );
        }
        let mut doc = newsdesk_render::document::from_html(&clean_html(&html));
        // Photos, and the links to their full size that Substack wraps them in, lead to the library's file.
        let image_key = |src: &str| substack_original(src).map(|u| (u.clone(), u));
        let link_key = |href: &str| {
            href.contains("substackcdn.com/image/fetch/")
                .then(|| substack_original(href))
                .flatten()
                .map(|u| (u.clone(), u))
        };
        super::files::adopt(&mut files, &mut doc, image_key, link_key, &r.label(), &mut report).await;
        // Links to the publication's own posts become paths here.
        doc.links_mut(&mut |href| {
            if let Some(rest) = href.split_once(".substack.com/p/").map(|(_, r)| r) {
                *href = format!("/p/{}", rest.trim_end_matches('/'));
            }
        });
        // Who may read it: Substack's audience ("only_free": signed-in subscribers; "only_paid", "founding": paid).
        let visibility = match r.audience.as_str() {
            "only_paid" | "founding" => newsdesk_domain::Visibility::Paid,
            "only_free" => newsdesk_domain::Visibility::Members,
            _ => newsdesk_domain::Visibility::Public,
        };
        let rendered = crate::documents::render_body(store, &doc, !visibility.is_public()).await?;
        let existing = match known.get(&r.id) {
            Some(id) => store.post(*id).await?,
            None => None,
        };
        let title_text = if r.title.is_empty() { "Untitled".to_owned() } else { clip(&r.title, 300) };
        let title = Title::parse("title", &title_text)
            .map_err(|e| ImportError::File(format!("{}: title: {}", r.label(), e.message)))?;
        let slug = super::story_slug(
            store,
            &mut slugs,
            existing.as_ref(),
            &r.slug,
            &title_text,
            &r.id,
            &r.label(),
            &mut report,
        )
        .await?;
        let (status, published_at) =
            if r.published { ("published", Some(r.date.unwrap_or_else(newsdesk_store::now))) } else { ("draft", None) };
        let b = rendered.body;
        let paid = crate::documents::paid_part(&b);
        let input = PostInput {
            kind: r.kind.to_owned(),
            slug,
            title: title.as_str().to_owned(),
            excerpt: Some(clip(&r.subtitle, 500)).filter(|s| !s.is_empty()),
            body_md: b.markdown,
            body_doc: doc.to_json(),
            body_html: b.html,
            body_text: b.text,
            body_email_html: b.email_html,
            word_count: b.word_count as i64,
            status: status.to_owned(),
            published_at,
            feature_image_id: existing.as_ref().and_then(|p| p.row.feature_image_id),
            feature_image_alt: None,
            feature_image_caption: None,
            feature_image_credit: None,
            author_ids: vec![author],
            tag_ids: existing.as_ref().map(|p| p.tags.iter().map(|t| t.id).collect()).unwrap_or_default(),
            related_post_id: None,
            media_ids: rendered.media_ids,
            linked_post_ids: rendered.linked_post_ids,
            featured: false,
            parent_id: None,
            meta_title: None,
            meta_description: None,
            language: None,
            translation: Default::default(),
            paid,
            visibility: visibility.as_string(),
        };

        let old_paths = vec![format!("/p/{}", r.slug), format!("/p/{}/", r.slug)];
        report.redirects += old_paths.len() as u64;
        let page = r.kind == "page";
        batch.push(
            ImportedPost { source_id: r.id.clone(), existing_id: existing.map(|p| p.row.id), input, old_paths },
            page,
        );
        if batch.is_full() {
            batch.write(store, &source, &mut report, progress).await?;
        }
    }
    batch.write(store, &source, &mut report, progress).await?;
    progress.finish();

    // Subscribers.
    if export.email_csv.is_some() {
        let newsletter = match &sub.newsletter {
            Some(slug) => store
                .newsletter_by_slug(slug)
                .await?
                .ok_or_else(|| ImportError::File(format!("--newsletter: there is no newsletter \"{slug}\"")))?,
            None => {
                let slug =
                    super::slug_from(&export.publication, &publication_name).unwrap_or_else(|| "substack".into());
                match store.newsletter_by_slug(&slug).await? {
                    Some(n) => n,
                    None => {
                        let name = title_case(&publication_name);
                        let made = store
                            .create_newsletter(&NewsletterInput {
                                slug: &slug,
                                name: &name,
                                description: Some("The newsletter readers subscribed to on Substack."),
                                host_author_id: None,
                                sender_name: None,
                                sender_email: None,
                                reply_to: None,
                                cadence: None,
                                visibility: "public",
                                sort_order: 0,
                                language: None,
                            })
                            .await?;
                        report.notes.push(format!(
                            "made the newsletter \u{201c}{name}\u{201d} ({slug}) for Substack's subscribers"
                        ));
                        made
                    }
                }
            }
        };
        progress.phase("subscribers", subscribers.len() as u64);
        let consent = Consent { ip: None, form_url: None, consent_text: "imported from Substack" };
        let mut added = 0;
        let mut updated = 0;
        for chunk in subscribers.chunks(1000) {
            let s = store.import_subscribers(newsletter.id, chunk, true, &consent).await?;
            added += s.added;
            updated += s.updated;
            if s.suppressed > 0 {
                report
                    .notes
                    .push(format!("{} addresses are on the suppression list and were not imported", s.suppressed));
            }
            progress.advance(chunk.len() as u64);
        }
        progress.finish();
        report.created.subscribers += added as u64;
        report.updated.subscribers += updated as u64;
        if disabled > 0 {
            report.notes.push(format!("{disabled} subscribers had turned Substack's mail off and were left out"));
        }
    }
    files.remember(&source, &mut report).await?;
    Ok(report)
}

fn title_case(s: &str) -> String {
    s.split_whitespace()
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The photo as uploaded, for an image address in a post: Substack's CDN serves
/// `https://substackcdn.com/image/fetch/{options}/{the original's address, percent-encoded}`, and the original (on
/// Substack's own storage) is what the library wants, not a resized copy. Other web images are fetched as they are.
fn substack_original(src: &str) -> Option<String> {
    use newsdesk_domain::document::is_web_url;
    if !is_web_url(src) {
        return None;
    }
    let inner = src
        .split_once("/image/fetch/")
        .and_then(|(_, rest)| rest.split_once("/http"))
        .map(|(_, u)| percent_encoding::percent_decode_str(&format!("http{u}")).decode_utf8_lossy().into_owned());
    Some(inner.filter(|u| is_web_url(u)).unwrap_or_else(|| src.to_owned()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_are_fetched_as_uploaded() {
        assert_eq!(
            super::substack_original("https://substackcdn.com/image/fetch/w_1456,c_limit,f_auto,q_auto:good/https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com%2Fpublic%2Fimages%2Fgauge_1200x800.jpeg").as_deref(),
            Some("https://substack-post-media.s3.amazonaws.com/public/images/gauge_1200x800.jpeg")
        );
        assert_eq!(super::substack_original("https://example.org/p.jpg").as_deref(), Some("https://example.org/p.jpg"));
        assert_eq!(super::substack_original("/local.jpg"), None);
    }

    #[test]
    fn substack_furniture_is_removed_and_videos_become_embeds() {
        let html = r#"<p>Before.</p><div class="subscription-widget-wrap"><div class="subscription-widget"><p>Subscribe</p></div></div><p class="button-wrapper"><a class="button" href="x"><span>Share</span></a></p><div id="youtube2-abc" class="youtube-wrap" data-attrs="{&quot;videoId&quot;:&quot;dQw4w9WgXcQ&quot;,&quot;startTime&quot;:null}"><div class="youtube-inner"><iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe></div></div><p>After.</p>"#;
        let out = super::clean_html(html);
        assert!(!out.contains("Subscribe") && !out.contains("Share"), "{out}");
        assert!(out.contains("wp-block-embed__wrapper\">https://www.youtube.com/watch?v=dQw4w9WgXcQ<"), "{out}");
        assert!(out.starts_with("<p>Before.</p>") && out.ends_with("<p>After.</p>"), "{out}");
    }
}
