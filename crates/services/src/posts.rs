//! Saving posts: the one path by which the editor, the JSON API and the Markdown importer create and change posts.
//!
//! Input arrives as a [`PostDraft`] of raw strings; this module parses it into domain types, applies the role rules,
//! renders the body (document model) once, and hands a finished `PostInput` to the store. Every refusal names a field, so forms
//! can show it beside that field and the API can return it as a code.

use jiff::civil::DateTime;
use newsdesk_domain::text::optional;
use newsdesk_domain::{PostStatus, Slug, Title, ValidationError};
use newsdesk_store::posts::{Post, PostInput, Translation};
use newsdesk_store::{Store, StoreError};

use crate::{Actor, FieldErrors, ServiceError};

/// Slugs the site's own pages take (`/account/`, `/membership/`…), refused for stories.
pub const RESERVED_SLUGS: &[&str] =
    &["account", "members", "membership", "support", "search", "newsletters", "news-feed"];

/// What the caller wants done with the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Keep the status (a new post is a draft).
    Save,
    /// Publish now, or schedule when `publish_at` is in the future.
    Publish,
    /// Back to draft.
    Unpublish,
    /// Set exactly this status (API and importer).
    Status(PostStatus),
}

/// Raw input for a save.
#[derive(Debug, Clone, Default)]
pub struct PostDraft {
    pub kind: Option<String>,
    pub title: String,
    pub slug: Option<String>,
    pub excerpt: Option<String>,
    /// The body as Markdown (the API, the importer, the editor's Markdown mode); read when `document` is absent.
    pub body: String,
    /// The body as document JSON (the rich-text editor, the API's `document`); wins over `body` when given.
    pub document: Option<String>,
    /// Author ids, slugs or names, in byline order.
    pub authors: Vec<String>,
    /// Tag names; the first is the primary tag.
    pub tags: Vec<String>,
    /// When given: RFC 3339, or `YYYY-MM-DDTHH:MM` in the site's time zone.
    pub publish_at: Option<String>,
    pub feature_image_id: Option<i64>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    /// The revision the editor started from; a save is refused when the post changed since.
    pub revision: Option<i64>,
    /// A post to promote under this one: its slug or id. `Some("")` clears it; `None` keeps it.
    pub related: Option<String>,
    /// The title search engines show. `Some("")` clears it (the headline is used); `None` keeps it.
    pub meta_title: Option<String>,
    /// The description search engines and link previews show. `Some("")` clears it (the dek is used); `None` keeps
    /// it.
    pub meta_description: Option<String>,
    /// The post's language (BCP 47): the site's own (or `Some("")`), or one of `[site] languages`. `None` keeps it.
    pub language: Option<String>,
    /// A post this one is a translation of (its slug or id), joining its story's translations. `Some("")` takes the
    /// post out of its translations; `None` keeps them.
    pub translation_of: Option<String>,
    /// Who may read it whole: `public`, `members`, `paid`, or paid tier slugs separated by commas. `None` keeps it
    /// (a new post is public).
    pub visibility: Option<String>,
}

#[derive(Debug)]
pub enum SaveError {
    Invalid(FieldErrors, &'static str),
    Forbidden(String),
    NotFound,
    Internal(anyhow::Error),
}

impl From<ServiceError> for SaveError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid { errors, code } => SaveError::Invalid(errors, code),
            ServiceError::Forbidden(m) => SaveError::Forbidden(m),
            ServiceError::NotFound => SaveError::NotFound,
            ServiceError::BadRequest(m) => SaveError::Internal(anyhow::anyhow!(m)),
            ServiceError::Internal(e) => SaveError::Internal(e),
        }
    }
}

/// The same codes as every other path (see `ServiceError`'s mapping of store conflicts).
impl From<StoreError> for SaveError {
    fn from(e: StoreError) -> Self {
        SaveError::from(ServiceError::from(e))
    }
}

impl SaveError {
    fn field(e: ValidationError) -> SaveError {
        SaveError::from(ServiceError::field(e))
    }
}

/// Whether `actor` may edit `post` at all. Editors and above edit anything; authors their own posts;
/// contributors their own posts that are not published.
pub fn can_edit(actor: &Actor, post: &Post) -> bool {
    if actor.role.can_edit_others() {
        return true;
    }
    let own = actor.user_id.is_some() && post.row.created_by == actor.user_id
        || actor.author_id.is_some_and(|a| post.authors.iter().any(|x| x.id == a));
    own && (actor.role.can_publish() || post.row.status == "draft")
}

/// Parses a publication time: RFC 3339 with offset, or a local `YYYY-MM-DDTHH:MM[:SS]` in the site's zone.
pub fn parse_time(field: &'static str, s: &str, tz: &jiff::tz::TimeZone) -> Result<i64, ValidationError> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts.as_second());
    }
    match s.parse::<DateTime>() {
        Ok(dt) => dt
            .to_zoned(tz.clone())
            .map(|z| z.timestamp().as_second())
            .map_err(|e| ValidationError::new(field, "date_invalid", format!("\"{s}\" is not a valid time here: {e}"))),
        Err(_) => Err(ValidationError::new(
            field,
            "date_invalid",
            format!("\"{s}\" is not a date and time; use RFC 3339, e.g. 2026-10-07T09:30:00+01:00."),
        )),
    }
}

/// Creates (`existing = None`) or updates a post. Returns the post id.
pub async fn save_post(
    store: &Store,
    site: &newsdesk_domain::SiteSettings,
    actor: &Actor,
    existing: Option<&Post>,
    draft: PostDraft,
    action: Action,
) -> Result<i64, SaveError> {
    if let Some(p) = existing
        && !can_edit(actor, p)
    {
        return Err(SaveError::Forbidden(format!("Your role ({}) cannot edit this post.", actor.role.as_str())));
    }
    let mut errors = FieldErrors::new();
    let mut first_code: Option<&'static str> = None;
    let mut note = |errors: &mut FieldErrors, e: ValidationError| {
        first_code.get_or_insert(e.code);
        errors.entry(e.field).or_insert(e.message);
    };

    let title = Title::parse("title", &draft.title).map_err(|e| note(&mut errors, e)).ok();
    let excerpt = optional("excerpt", draft.excerpt.as_deref(), 500).map_err(|e| note(&mut errors, e)).ok().flatten();
    let alt = optional("feature_image_alt", draft.feature_image_alt.as_deref(), 500)
        .map_err(|e| note(&mut errors, e))
        .ok()
        .flatten();
    let caption = optional("feature_image_caption", draft.feature_image_caption.as_deref(), 1000)
        .map_err(|e| note(&mut errors, e))
        .ok()
        .flatten();
    let credit = optional("feature_image_credit", draft.feature_image_credit.as_deref(), 200)
        .map_err(|e| note(&mut errors, e))
        .ok()
        .flatten();
    let mut meta = |field: &'static str, given: Option<&str>, kept: Option<&String>, max: usize| match given {
        None => kept.cloned(),
        Some(s) => optional(field, Some(s), max).map_err(|e| note(&mut errors, e)).ok().flatten(),
    };
    let meta_title =
        meta("meta_title", draft.meta_title.as_deref(), existing.and_then(|p| p.row.meta_title.as_ref()), 300);
    let meta_description = meta(
        "meta_description",
        draft.meta_description.as_deref(),
        existing.and_then(|p| p.row.meta_description.as_ref()),
        500,
    );
    let document = crate::documents::parse_body(draft.document.as_deref(), &draft.body)
        .and_then(|doc| {
            let old = existing.map(|p| crate::documents::stored(&p.row.body_doc, &p.row.body_md));
            crate::documents::check_raw_html(actor.role, old.as_ref(), &doc).map(|()| doc)
        })
        .map_err(|e| note(&mut errors, e))
        .ok();
    let kind = match draft.kind.as_deref().map(str::trim) {
        None | Some("") => existing.map(|p| p.row.kind.clone()).unwrap_or_else(|| "post".into()),
        Some(k @ ("post" | "page")) => k.to_owned(),
        Some(other) => {
            note(
                &mut errors,
                ValidationError::new("kind", "kind_invalid", format!("Type must be post or page, not \"{other}\".")),
            );
            "post".into()
        }
    };

    // Slug: given → must be well-formed and free; derived from the title → made unique with a counter.
    let explicit_slug = draft.slug.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut slug: Option<String> = None;
    if let Some(s) = explicit_slug {
        match Slug::parse("slug", s) {
            Ok(s) => slug = Some(s.into_string()),
            Err(e) => note(&mut errors, e),
        }
    } else if let Some(p) = existing {
        slug = Some(p.row.slug.clone());
    } else if let Some(t) = &title {
        let base = Slug::from_text(t.as_str()).map(Slug::into_string).unwrap_or_else(|| "post".into());
        let mut candidate = base.clone();
        let mut n = 2;
        while store.slug_taken(&candidate, None).await? {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        slug = Some(candidate);
    }
    // Readers' own pages live at these addresses: a story there could never be reached.
    if let Some(s) = &slug
        && RESERVED_SLUGS.contains(&s.as_str())
    {
        note(
            &mut errors,
            ValidationError::new(
                "slug",
                "slug_reserved",
                format!("/{s}/ is the address of a page of the site; choose another slug."),
            ),
        );
    }
    // A language's edition lives at its tag (`/uk/`): a story there could never be reached.
    if let Some(s) = &slug
        && site.languages.iter().any(|l| l.eq_ignore_ascii_case(s))
    {
        note(
            &mut errors,
            ValidationError::new(
                "slug",
                "slug_reserved",
                format!("\"{s}\" is the address of the site's {s} edition; choose another slug."),
            ),
        );
    }
    if let (Some(s), Some(_)) = (&slug, explicit_slug)
        && store.slug_taken(s, existing.map(|p| p.row.id)).await?
    {
        note(
            &mut errors,
            ValidationError::new("slug", "slug_taken", format!("Another post already uses the slug \"{s}\".")),
        );
    }

    // Byline: every name must be a known author; none given means the actor's own byline.
    let mut author_ids = Vec::new();
    for key in draft.authors.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let found = match key.parse::<i64>() {
            Ok(id) => store.author(id).await?,
            Err(_) => store.author_by_slug_or_name(key).await?,
        };
        match found {
            Some(a) if !author_ids.contains(&a.id) => author_ids.push(a.id),
            Some(_) => {}
            None => note(
                &mut errors,
                ValidationError::new("authors", "author_unknown", format!("There is no author \"{key}\".")),
            ),
        }
    }
    if author_ids.is_empty() && !errors.contains_key("authors") {
        match actor.author_id {
            Some(a) => author_ids.push(a),
            None => note(
                &mut errors,
                ValidationError::new("authors", "authors_required", "Choose at least one author for the byline."),
            ),
        }
    }

    let related_post_id = match draft.related.as_deref().map(str::trim) {
        None => existing.and_then(|p| p.row.related_post_id),
        Some("") => None,
        Some(key) => {
            let found = match key.parse::<i64>() {
                Ok(id) => store.post(id).await?,
                Err(_) => store.post_by_slug(key.trim_matches('/')).await?,
            };
            match found {
                Some(p) if existing.is_some_and(|e| e.row.id == p.row.id) => {
                    note(&mut errors, ValidationError::new("related", "related_self", "A post cannot promote itself."));
                    None
                }
                Some(p) => Some(p.row.id),
                None => {
                    note(
                        &mut errors,
                        ValidationError::new("related", "related_unknown", format!("There is no post \"{key}\".")),
                    );
                    None
                }
            }
        }
    };

    let language = match draft.language.as_deref() {
        None => existing.and_then(|p| p.row.language.clone()),
        Some(text) => site.post_language("language", text).map_err(|e| note(&mut errors, e)).ok().flatten(),
    };
    let translation = match draft.translation_of.as_deref().map(str::trim) {
        None => Translation::Keep,
        Some("") => Translation::Unlink,
        Some(key) => {
            let found = match key.parse::<i64>() {
                Ok(id) => store.post(id).await?,
                Err(_) => store.post_by_slug(key.trim_matches('/')).await?,
            };
            let problem = |code: &'static str, message: String| ValidationError::new("translation_of", code, message);
            match found {
                Some(p) if existing.is_some_and(|e| e.row.id == p.row.id) => {
                    note(&mut errors, problem("translation_self", "A post cannot be a translation of itself.".into()));
                    Translation::Keep
                }
                Some(p) if p.row.language == language => {
                    let which = site.language_of(language.as_deref()).to_owned();
                    note(
                        &mut errors,
                        problem(
                            "translation_language",
                            format!(
                                "“{}” is in the same language ({which}); a translation is in another.",
                                p.row.title
                            ),
                        ),
                    );
                    Translation::Keep
                }
                Some(p) => Translation::Of(p.row.id),
                None => {
                    note(&mut errors, problem("translation_unknown", format!("There is no post \"{key}\".")));
                    Translation::Keep
                }
            }
        }
    };

    let visibility = match draft.visibility.as_deref() {
        None => existing.map(|p| p.row.visibility()).unwrap_or_default(),
        Some(text) => match newsdesk_domain::Visibility::parse("visibility", text) {
            Ok(v) => {
                if let newsdesk_domain::Visibility::Tiers(slugs) = &v {
                    for slug in slugs {
                        match store.tier_by_slug(slug).await? {
                            Some(t) if t.is_paid() => {}
                            Some(_) => note(
                                &mut errors,
                                ValidationError::new(
                                    "visibility",
                                    "tier_unknown",
                                    "The free tier is every member: choose \"members\" for that.",
                                ),
                            ),
                            None => note(
                                &mut errors,
                                ValidationError::new(
                                    "visibility",
                                    "tier_unknown",
                                    format!("There is no tier \"{slug}\"."),
                                ),
                            ),
                        }
                    }
                }
                v
            }
            Err(e) => {
                note(&mut errors, e);
                newsdesk_domain::Visibility::Public
            }
        },
    };

    let publish_at = match draft.publish_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => parse_time("publish_at", s, site.timezone.tz()).map_err(|e| note(&mut errors, e)).ok(),
        None => None,
    };

    // Status, by action and role.
    let now = newsdesk_store::now();
    let old_status = existing.map(|p| p.row.status.as_str()).unwrap_or("draft");
    let old_published_at = existing.and_then(|p| p.row.published_at);
    let (status, published_at) = match action {
        Action::Save => (old_status.to_owned(), publish_at.or(old_published_at)),
        Action::Unpublish => ("draft".to_owned(), None),
        Action::Publish | Action::Status(PostStatus::Published) => match publish_at {
            Some(t) if t > now && action == Action::Publish => ("scheduled".to_owned(), Some(t)),
            Some(t) => ("published".to_owned(), Some(t)),
            None => {
                ("published".to_owned(), Some(old_published_at.filter(|_| old_status == "published").unwrap_or(now)))
            }
        },
        Action::Status(PostStatus::Scheduled) => match publish_at {
            Some(t) => ("scheduled".to_owned(), Some(t)),
            None => {
                note(
                    &mut errors,
                    ValidationError::new("publish_at", "date_required", "A scheduled post needs a publication time."),
                );
                ("draft".to_owned(), None)
            }
        },
        Action::Status(PostStatus::Draft) => ("draft".to_owned(), publish_at),
    };
    if status != old_status && !actor.role.can_publish() && (status != "draft" || old_status != "draft") {
        return Err(SaveError::Forbidden(format!(
            "Your role ({}) cannot publish, schedule or unpublish.",
            actor.role.as_str()
        )));
    }
    if status == "published" && old_status == "published" && action == Action::Save && !actor.role.can_publish() {
        return Err(SaveError::Forbidden("Your role cannot change a published post.".into()));
    }

    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors, first_code.unwrap_or("invalid")));
    }
    let (Some(title), Some(slug), Some(document)) = (title, slug, document) else {
        return Err(SaveError::field(ValidationError::new("title", "title_empty", "Title cannot be empty.")));
    };

    // Tags are created on first use.
    let mut tag_ids = Vec::new();
    for name in draft.tags.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let name = newsdesk_domain::author::parse_name("tags", name).map_err(SaveError::field)?;
        let tslug = Slug::from_text(&name).map(Slug::into_string).unwrap_or_else(|| "tag".into());
        // An internal tag's slug says so, as Ghost's do (`#from-wire` → `hash-from-wire`), so it never takes the
        // public tag of the same words.
        let tslug = if newsdesk_store::tags::is_internal(&name) { format!("hash-{tslug}") } else { tslug };
        let tag = store.tag_by_name_or_create(&name, &tslug).await?;
        if !tag_ids.contains(&tag.id) {
            tag_ids.push(tag.id);
        }
    }

    let crate::documents::Rendered { body: rendered, media_ids, linked_post_ids } =
        crate::documents::render_body(store, &document, !visibility.is_public()).await?;
    let paid = crate::documents::paid_part(&rendered);
    let input = PostInput {
        kind,
        slug,
        title: title.as_str().to_owned(),
        excerpt,
        body_md: rendered.markdown,
        body_doc: document.to_json(),
        body_html: rendered.html,
        body_text: rendered.text,
        body_email_html: rendered.email_html,
        word_count: rendered.word_count as i64,
        status,
        published_at,
        feature_image_id: draft.feature_image_id,
        feature_image_alt: alt,
        feature_image_caption: caption,
        feature_image_credit: credit,
        author_ids,
        tag_ids,
        related_post_id,
        media_ids,
        linked_post_ids,
        featured: existing.is_some_and(|p| p.row.featured == 1),
        parent_id: existing.and_then(|p| p.row.parent_id),
        meta_title,
        meta_description,
        language,
        translation,
        paid,
        visibility: visibility.as_string(),
    };
    let id = match existing {
        Some(p) => {
            store.update_post(p.row.id, &input, draft.revision, actor.user_id).await?;
            p.row.id
        }
        None => store.create_post(&input, actor.user_id).await?,
    };
    // Cards elsewhere that show this story follow its headline, image, status and slug.
    match existing.map(|p| p.row.slug.as_str()).filter(|old| *old != input.slug) {
        Some(old) => crate::documents::follow_slug(store, id, old, &input.slug).await?,
        None => crate::documents::rerender_linking(store, id, None).await?,
    }
    Ok(id)
}

/// Deletes a post (the caller has checked the role) and draws again the related-story cards that showed it.
pub async fn delete_post(store: &Store, id: i64) -> Result<(), crate::ServiceError> {
    let linking = store.posts_linking_to(id).await?;
    store.delete_post(id).await?;
    crate::documents::rerender_linking(store, id, Some(linking)).await?;
    Ok(())
}

/// Appends a correction or an update ("correction" unless `kind` is "update") to a published story's log, which
/// the database keeps append-only. Only those who can edit the story and publish may.
pub async fn add_correction(
    store: &Store,
    actor: &Actor,
    post_id: i64,
    kind: &str,
    body: &str,
) -> Result<(), crate::ServiceError> {
    use crate::ServiceError;
    let post = store.post(post_id).await?.ok_or(ServiceError::NotFound)?;
    if !can_edit(actor, &post) || !actor.role.can_publish() {
        return Err(ServiceError::Forbidden(format!(
            "Your role ({}) cannot add corrections to this article.",
            actor.role.as_str()
        )));
    }
    let kind = if kind == "update" { "update" } else { "correction" };
    let body = body.trim();
    if body.is_empty() {
        return Err(ServiceError::BadRequest("Write what was wrong and what is right now.".into()));
    }
    if body.chars().count() > 2000 {
        return Err(ServiceError::BadRequest("Keep a correction under 2,000 characters.".into()));
    }
    match store.add_correction(post_id, kind, body, actor.user_id).await {
        Ok(_) => {
            tracing::info!(post.id = post_id, correction.kind = kind, user.id = actor.user_id, "correction appended");
            Ok(())
        }
        Err(StoreError::Conflict { message, .. }) => Err(ServiceError::BadRequest(message)),
        Err(e) => Err(e.into()),
    }
}

/// Restores an earlier revision's headline, slug, dek and body as a new revision (the ones in between are kept).
/// `based_on` is the revision the editor saw; a post changed since is refused, never overwritten.
pub async fn restore_revision(
    store: &Store,
    site: &newsdesk_domain::SiteSettings,
    actor: &Actor,
    post_id: i64,
    revision: i64,
    based_on: Option<i64>,
) -> Result<(), SaveError> {
    let Some(post) = store.post(post_id).await? else {
        return Err(SaveError::Internal(anyhow::anyhow!("post {post_id} is gone")));
    };
    let Some(rev) = store.revision(post_id, revision).await? else { return Err(SaveError::NotFound) };
    let draft = PostDraft {
        title: rev.title,
        slug: Some(rev.slug),
        excerpt: Some(rev.excerpt.unwrap_or_default()),
        document: Some(rev.body_doc).filter(|d| !d.is_empty()),
        body: rev.body_md,
        authors: post.authors.iter().map(|a| a.id.to_string()).collect(),
        tags: post.tags.iter().map(|t| t.name.clone()).collect(),
        feature_image_id: post.row.feature_image_id,
        feature_image_alt: post.row.feature_image_alt.clone(),
        feature_image_caption: post.row.feature_image_caption.clone(),
        feature_image_credit: post.row.feature_image_credit.clone(),
        revision: based_on,
        ..Default::default()
    };
    save_post(store, site, actor, Some(&post), draft, Action::Save).await?;
    tracing::info!(post.id = post_id, restored.revision = revision, user.id = actor.user_id, "revision restored");
    Ok(())
}
