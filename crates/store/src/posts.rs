//! Posts and pages with their ordered authors and tags.
//!
//! Lists load relations in three batched queries (authors, tags, images) whatever the page size: no N+1.
//! Every write runs in one transaction that also enqueues the jobs it causes (scheduled publishing) and bumps the
//! content version when public content changed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use crate::authors::Author;
use crate::jobs::{self, NewJob};
use crate::media::Media;
use crate::site::bump_content_version;
use crate::tags::Tag;
use sqlx::AssertSqlSafe;

use crate::Backend;
use crate::args::{Arg, bind_args, next};
use crate::{Store, StoreError, StoreResult, now, placeholders};

/// Job kind that publishes a scheduled post when its time comes.
pub const JOB_PUBLISH_SCHEDULED: &str = "publish_scheduled";

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PostRow {
    pub id: i64,
    /// "post" or "page".
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub excerpt: Option<String>,
    /// The body as Markdown, written from `body_doc` at save (the API's `markdown`, the revision diff).
    pub body_md: String,
    /// The body: document-model JSON (`newsdesk_domain::document`), the source everything else is rendered from.
    pub body_doc: String,
    /// Sanitised page HTML rendered from `body_doc` when the post was saved (also the feeds' content).
    pub body_html: String,
    /// Plain text rendered from `body_doc`, read aloud by narration and read by search.
    pub body_text: String,
    /// The newsletter's e-mail HTML rendered from `body_doc`.
    pub body_email_html: String,
    pub word_count: i64,
    /// "draft", "scheduled" or "published".
    pub status: String,
    pub published_at: Option<i64>,
    pub feature_image_id: Option<i64>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    pub created_by: Option<i64>,
    /// A post to promote under this one (else the theme shows the latest of the same primary tag).
    pub related_post_id: Option<i64>,
    /// 1 when the article gets an audio edition (the default), 0 when staff turned narration off.
    pub narration: i64,
    /// Incremented on every save; lets a save detect that someone else saved in between.
    pub revision: i64,
    /// 1 for a featured story (WordPress's sticky posts, Ghost's featured flag).
    pub featured: i64,
    /// A page's parent page (imported page hierarchies).
    pub parent_id: Option<i64>,
    /// The `<title>` search engines show, when it should differ from the headline.
    pub meta_title: Option<String>,
    /// The description search engines and link previews show, when it should differ from the dek.
    pub meta_description: Option<String>,
    /// A canonical BCP 47 tag from `[site] languages`; `None` for the site's own language.
    pub language: Option<String>,
    /// The group of posts that are translations of one another (the id of one of them), if any.
    pub translation_group: Option<i64>,
    /// Who may read it whole: `public`, `members`, `paid` or tier slugs (`newsdesk_domain::Visibility`). For any
    /// but `public`, `body_html`, `body_text` and `body_email_html` are the public preview only.
    pub visibility: String,
    /// The rest of a story not for everyone, after its preview. Never serialised: only code that has checked the
    /// reader's access reads it.
    #[serde(skip)]
    pub paid_html: String,
    #[serde(skip)]
    pub paid_text: String,
    #[serde(skip)]
    pub paid_email_html: String,
    /// Where the public preview ends in `body_html` (bytes), for a metered reader; `None` until measured (posts
    /// saved before migration 0019 are measured at start-up).
    #[serde(skip)]
    pub preview_end: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PostRow {
    /// A metered reader's page before the meter lets them on, and the rest it gives them: `body_html` cut where the
    /// preview ends (all of it is the rest when that is unknown or does not fall on a character).
    pub fn metered_parts(&self) -> (&str, &str) {
        let end =
            self.preview_end.and_then(|e| usize::try_from(e).ok()).filter(|e| self.body_html.is_char_boundary(*e));
        self.body_html.split_at(end.unwrap_or(0))
    }

    pub fn visibility(&self) -> newsdesk_domain::Visibility {
        newsdesk_domain::Visibility::from_stored(&self.visibility)
    }

    /// Whether some readers get only the preview.
    pub fn is_gated(&self) -> bool {
        self.visibility != "public"
    }
}

/// The part of a story after its public preview, for readers entitled to it (empty for a public story).
#[derive(Debug, Clone, Default)]
pub struct PaidBody {
    pub html: String,
    pub text: String,
    pub email_html: String,
    /// Where the public preview ends in the page HTML (`PostRow::preview_end`).
    pub preview_end: Option<i64>,
}

/// A post with everything a page or API response shows about it.
#[derive(Debug, Clone, Serialize)]
pub struct Post {
    #[serde(flatten)]
    pub row: PostRow,
    pub authors: Vec<Author>,
    pub tags: Vec<Tag>,
    pub feature_image: Option<Media>,
}

impl Post {
    pub fn primary_tag(&self) -> Option<&Tag> {
        self.tags.first()
    }
}

/// Everything a save writes. Built by the caller from parsed input; `body_html` is already rendered and sanitised.
#[derive(Debug, Clone)]
pub struct PostInput {
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub excerpt: Option<String>,
    pub body_md: String,
    pub body_doc: String,
    pub body_html: String,
    pub body_text: String,
    pub body_email_html: String,
    pub word_count: i64,
    pub status: String,
    pub published_at: Option<i64>,
    pub feature_image_id: Option<i64>,
    pub feature_image_alt: Option<String>,
    pub feature_image_caption: Option<String>,
    pub feature_image_credit: Option<String>,
    pub author_ids: Vec<i64>,
    pub tag_ids: Vec<i64>,
    pub related_post_id: Option<i64>,
    /// Library files the body uses (the feature image is added to these as the post's usage).
    pub media_ids: Vec<i64>,
    /// Posts the body's related-story cards show.
    pub linked_post_ids: Vec<i64>,
    pub featured: bool,
    pub parent_id: Option<i64>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    /// A canonical tag from `[site] languages`, or `None` for the site's own language.
    pub language: Option<String>,
    pub translation: Translation,
    /// `public`, `members`, `paid` or tier slugs; `body_html`, `body_text` and `body_email_html` are then the
    /// preview and `paid` the rest.
    pub visibility: String,
    pub paid: PaidBody,
}

/// What a save does to the post's translation links.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Translation {
    /// Leaves the links as they are (a language change is still checked against the group).
    #[default]
    Keep,
    /// Takes the post out of its group.
    Unlink,
    /// Joins the group of this other post (making one with it if it has none).
    Of(i64),
}

/// A post in a translation group, for "Read in" links and `hreflang` alternates.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct TranslationRow {
    pub translation_group: i64,
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub language: Option<String>,
    pub status: String,
}

/// A body converted to the document model by [`Store::set_converted_bodies`].
#[derive(Debug, Clone)]
pub struct ConvertedBody {
    pub id: i64,
    /// Library files the body uses.
    pub media_ids: Vec<i64>,
    /// Posts the body's related-story cards show.
    pub linked_post_ids: Vec<i64>,
    pub body_doc: String,
    pub body_html: String,
    pub body_text: String,
    pub body_email_html: String,
    pub word_count: i64,
    pub paid: PaidBody,
}

/// Filters for lists. Public lists set `status = Some("published")`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PostFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub tag_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Only posts whose byline includes the author linked to this user, or that this user created.
    pub owned_by_user: Option<(i64, Option<i64>)>,
    pub search: Option<String>,
    /// Only posts in one language: `Some(None)` the site's own (no language stored), `Some(Some(tag))` that one.
    pub language: Option<Option<String>>,
    /// PostgreSQL: the text-search configurations `search` looks in (`search::pg_config`); English when empty.
    #[serde(skip)]
    pub search_configs: Vec<&'static str>,
}

impl PostFilter {
    /// Published stories (not pages): what every public list and feed shows.
    pub fn published_posts() -> PostFilter {
        PostFilter { kind: Some("post".into()), status: Some("published".into()), ..Default::default() }
    }
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }
}

const COLS: &str =
    "p.id, p.kind, p.slug, p.title, p.excerpt, p.body_md, p.body_doc, p.body_html, p.body_text, p.body_email_html, p.word_count, p.status, p.published_at,
    p.feature_image_id, p.feature_image_alt, p.feature_image_caption, p.feature_image_credit, p.created_by,
    p.related_post_id, p.narration, p.revision, p.featured, p.parent_id, p.meta_title, p.meta_description,
    p.language, p.translation_group, p.visibility, p.paid_html, p.paid_text, p.paid_email_html, p.preview_end, p.created_at,
    p.updated_at";

fn where_clause(f: &PostFilter, backend: Backend) -> (String, Vec<Arg>) {
    let mut sql = vec!["1 = 1".to_owned()];
    let mut args = Vec::new();
    if let Some(k) = &f.kind {
        sql.push(format!("p.kind = {}", next(&mut args, Arg::S(k.clone()))));
    }
    if let Some(s) = &f.status {
        sql.push(format!("p.status = {}", next(&mut args, Arg::S(s.clone()))));
    }
    match &f.language {
        None => {}
        Some(None) => sql.push("p.language IS NULL".to_owned()),
        Some(Some(tag)) => sql.push(format!("p.language = {}", next(&mut args, Arg::S(tag.clone())))),
    }
    if let Some(t) = f.tag_id {
        let p = next(&mut args, Arg::I(t));
        sql.push(format!("EXISTS (SELECT 1 FROM post_tags pt WHERE pt.post_id = p.id AND pt.tag_id = {p})"));
    }
    if let Some(a) = f.author_id {
        let p = next(&mut args, Arg::I(a));
        sql.push(format!("EXISTS (SELECT 1 FROM post_authors pa WHERE pa.post_id = p.id AND pa.author_id = {p})"));
    }
    if let Some((user_id, author_id)) = f.owned_by_user {
        let u = next(&mut args, Arg::I(user_id));
        let a = next(&mut args, Arg::I(author_id.unwrap_or(-1)));
        sql.push(format!(
            "(p.created_by = {u} OR EXISTS (SELECT 1 FROM post_authors pa2 WHERE pa2.post_id = p.id AND pa2.author_id = {a}))"
        ));
    }
    // Staff search: a headline containing the text (as typed: slugs, numbers, half words), or the full-text index,
    // which holds every post whatever its status (bodies, captions, tags and bylines, stemmed).
    if let Some(q) = f.search.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let like = next(&mut args, Arg::S(format!("%{}%", crate::like_escape(&q.to_lowercase()))));
        let title = format!("lower(p.title) LIKE {like} ESCAPE '\\'");
        let query = newsdesk_domain::search::Query::parse(q);
        sql.push(
            match crate::search::matching_ids(backend, &query, &f.search_configs, &mut |v| next(&mut args, Arg::S(v))) {
                Some(ids) => format!("({title} OR p.id IN ({ids}))"),
                None => title,
            },
        );
    }
    (sql.join(" AND "), args)
}

impl Store {
    /// Ids of the posts matching `filter`, newest first. Published lists follow the (status, kind, published_at)
    /// index; mixed lists (the admin) sort drafts by their last edit. Only ids are sorted: the rows, with their
    /// bodies, are fetched afterwards for the page alone.
    async fn ids_in_order(&self, filter: &PostFilter, limit: i64, offset: i64) -> StoreResult<Vec<i64>> {
        let (cond, args) = where_clause(filter, self.backend);
        let order = if filter.status.as_deref() == Some("published") {
            "p.published_at DESC, p.id DESC"
        } else {
            "COALESCE(p.published_at, p.updated_at) DESC, p.id DESC"
        };
        let sql = format!("SELECT p.id FROM posts p WHERE {cond} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
        Ok(bind_args!(sqlx::query_scalar(AssertSqlSafe(sql.clone())), &args).fetch_all(&self.pool).await?)
    }

    /// A page of posts, newest first, with the total count for pagination.
    pub async fn list_posts(&self, filter: &PostFilter, page: i64, per_page: i64) -> StoreResult<Page<Post>> {
        let page = page.max(1);
        let (cond, args) = where_clause(filter, self.backend);
        let count_sql = format!("SELECT COUNT(*) FROM posts p WHERE {cond}");
        let total: i64 =
            bind_args!(sqlx::query_scalar(AssertSqlSafe(count_sql.clone())), &args).fetch_one(&self.pool).await?;
        let ids = self.ids_in_order(filter, per_page, (page - 1) * per_page).await?;
        let items = self.posts_by_ids(&ids).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// The first `n` posts of a list, without counting the whole list (promos, "latest" boxes, feeds).
    pub async fn top_posts(&self, filter: &PostFilter, n: i64) -> StoreResult<Vec<Post>> {
        let ids = self.ids_in_order(filter, n, 0).await?;
        self.posts_by_ids(&ids).await
    }

    /// Posts with their relations, in the order of `ids`.
    pub async fn posts_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<Post>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!("SELECT {COLS} FROM posts p WHERE p.id IN ({})", placeholders(1, ids.len()));
        let mut q = sqlx::query_as::<_, PostRow>(AssertSqlSafe(sql));
        for id in ids {
            q = q.bind(*id);
        }
        let mut rows = q.fetch_all(&self.pool).await?;
        rows.sort_by_key(|r| ids.iter().position(|i| *i == r.id));
        self.with_relations(rows).await
    }

    /// The published post or page at `slug`.
    pub async fn published_by_slug(&self, slug: &str) -> StoreResult<Option<Post>> {
        let row: Option<PostRow> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {COLS} FROM posts p WHERE p.slug = $1 AND p.status = 'published'"
        )))
        .bind(slug)
        .fetch_optional(&self.pool)
        .await?;
        Ok(self.with_relations(row.into_iter().collect()).await?.pop())
    }

    /// Any post at `slug`, whatever its status (staff preview).
    pub async fn post_by_slug(&self, slug: &str) -> StoreResult<Option<Post>> {
        let row: Option<PostRow> =
            sqlx::query_as(AssertSqlSafe(format!("SELECT {COLS} FROM posts p WHERE p.slug = $1")))
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?;
        Ok(self.with_relations(row.into_iter().collect()).await?.pop())
    }

    pub async fn post(&self, id: i64) -> StoreResult<Option<Post>> {
        let row: Option<PostRow> = sqlx::query_as(AssertSqlSafe(format!("SELECT {COLS} FROM posts p WHERE p.id = $1")))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(self.with_relations(row.into_iter().collect()).await?.pop())
    }

    /// Attaches authors, tags and feature images to rows with one query each.
    pub async fn with_relations(&self, rows: Vec<PostRow>) -> StoreResult<Vec<Post>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let list = placeholders(1, ids.len());

        #[derive(sqlx::FromRow)]
        struct AuthorLink {
            post_id: i64,
            #[sqlx(flatten)]
            author: Author,
        }
        let sql = format!(
            "SELECT pa.post_id, a.* FROM post_authors pa JOIN authors a ON a.id = pa.author_id
             WHERE pa.post_id IN ({list}) ORDER BY pa.post_id, pa.position"
        );
        let mut q = sqlx::query_as::<_, AuthorLink>(AssertSqlSafe(sql.clone()));
        for id in &ids {
            q = q.bind(*id);
        }
        let mut authors: HashMap<i64, Vec<Author>> = HashMap::new();
        for l in q.fetch_all(&self.pool).await? {
            authors.entry(l.post_id).or_default().push(l.author);
        }

        #[derive(sqlx::FromRow)]
        struct TagLink {
            post_id: i64,
            #[sqlx(flatten)]
            tag: Tag,
        }
        let sql = format!(
            "SELECT pt.post_id, t.* FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
             WHERE pt.post_id IN ({list}) ORDER BY pt.post_id, pt.position"
        );
        let mut q = sqlx::query_as::<_, TagLink>(AssertSqlSafe(sql.clone()));
        for id in &ids {
            q = q.bind(*id);
        }
        let mut tags: HashMap<i64, Vec<Tag>> = HashMap::new();
        for l in q.fetch_all(&self.pool).await? {
            tags.entry(l.post_id).or_default().push(l.tag);
        }

        let mut image_ids: Vec<i64> = rows.iter().filter_map(|r| r.feature_image_id).collect();
        image_ids.sort_unstable();
        image_ids.dedup();
        let images: HashMap<i64, Media> = self.media_many(&image_ids).await?.into_iter().map(|m| (m.id, m)).collect();

        Ok(rows
            .into_iter()
            .map(|row| Post {
                authors: authors.remove(&row.id).unwrap_or_default(),
                tags: tags.remove(&row.id).unwrap_or_default(),
                feature_image: row.feature_image_id.and_then(|i| images.get(&i).cloned()),
                row,
            })
            .collect())
    }

    /// Creates a post; returns its id.
    pub async fn create_post(&self, input: &PostInput, created_by: Option<i64>) -> StoreResult<i64> {
        let mut tx = self.write_tx().await?;
        let id = insert_post(&mut tx, input, created_by, true).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Saves a post. With `expected_revision`, refuses (with [`StoreError::Conflict`] on `revision`) when someone
    /// else saved since that revision was read.
    pub async fn update_post(
        &self,
        id: i64,
        input: &PostInput,
        expected_revision: Option<i64>,
        user_id: Option<i64>,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let (old_status, revision): (String, i64) = sqlx::query_as("SELECT status, revision FROM posts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if let Some(expected) = expected_revision.filter(|e| *e != revision) {
            return Err(StoreError::Conflict {
                field: "revision",
                message: format!(
                    "This post was changed by someone else since you opened it (revision {expected}, now {revision}). \
                     Your text is kept below; reload to see their changes."
                ),
            });
        }
        overwrite_post(&mut tx, id, input, old_status == "published", user_id, true).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Posts whose related-story cards show this one (to draw them again when it changes).
    pub async fn posts_linking_to(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT post_id FROM post_links WHERE target_id = $1 ORDER BY post_id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Posts whose body predates the document model (no `body_doc` yet), with their Markdown: at most `limit`.
    pub async fn posts_without_document(&self, limit: i64) -> StoreResult<Vec<(i64, String)>> {
        Ok(sqlx::query_as("SELECT id, body_md FROM posts WHERE body_doc = '' ORDER BY id LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Posts with a document whose preview's end is not measured yet (saved before migration 0019), by id.
    pub async fn posts_without_preview_end(&self, after: i64, limit: i64) -> StoreResult<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM posts WHERE preview_end IS NULL AND body_doc <> '' AND id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Who may read post `id` whole (`None`: no such post).
    pub async fn post_visibility(&self, id: i64) -> StoreResult<Option<newsdesk_domain::Visibility>> {
        let v: Option<String> = sqlx::query_scalar("SELECT visibility FROM posts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(v.map(|v| newsdesk_domain::Visibility::from_stored(&v)))
    }

    /// Writes bodies converted to the document model, in one transaction, without making revisions (a conversion is
    /// not an edit). Only rows still without a document are written, so two nodes converting at once agree.
    pub async fn set_converted_bodies(&self, bodies: &[ConvertedBody]) -> StoreResult<()> {
        self.write_bodies(bodies, true).await
    }

    /// Writes bodies rendered again from their unchanged documents (a library file they use was replaced), without
    /// making revisions.
    pub async fn set_rerendered_bodies(&self, bodies: &[ConvertedBody]) -> StoreResult<()> {
        self.write_bodies(bodies, false).await
    }

    async fn write_bodies(&self, bodies: &[ConvertedBody], only_unconverted: bool) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let only = if only_unconverted { " AND body_doc = ''" } else { "" };
        for b in bodies {
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE posts SET body_doc = $1, body_html = $2, body_text = $3, body_email_html = $4, word_count = $5,
                    paid_html = $7, paid_text = $8, paid_email_html = $9, preview_end = $10
                 WHERE id = $6{only}"
            )))
            .bind(&b.body_doc)
            .bind(&b.body_html)
            .bind(&b.body_text)
            .bind(&b.body_email_html)
            .bind(b.word_count)
            .bind(b.id)
            .bind(&b.paid.html)
            .bind(&b.paid.text)
            .bind(&b.paid.email_html)
            .bind(b.paid.preview_end)
            .execute(&mut *tx)
            .await?;
            let feature: Option<i64> = sqlx::query_scalar("SELECT feature_image_id FROM posts WHERE id = $1")
                .bind(b.id)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
            let mut ids = b.media_ids.clone();
            ids.extend(feature);
            crate::media::record_usage(&mut tx, b.id, &ids).await?;
            record_links(&mut tx, b.id, &b.linked_post_ids).await?;
            sqlx::query("UPDATE post_revisions SET body_doc = $1 WHERE post_id = $2 AND body_doc = '' AND body_md = (SELECT body_md FROM posts WHERE id = $2)")
                .bind(&b.body_doc)
                .bind(b.id)
                .execute(&mut *tx)
                .await?;
        }
        if !bodies.is_empty() {
            bump_content_version(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Sets only the status (and publication time), e.g. publish now, unpublish, or a scheduled post going live.
    pub async fn set_post_status(&self, id: i64, status: &str, published_at: Option<i64>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let old: Option<String> =
            sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let old = old.ok_or(StoreError::NotFound)?;
        sqlx::query(
            "UPDATE posts SET status = $1, published_at = $2, revision = revision + 1, updated_at = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(published_at)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        if status == "scheduled" {
            enqueue_publish(&mut tx, id, published_at.unwrap_or_else(now)).await?;
        }
        crate::revisions::record(&mut tx, id, None).await?;
        crate::search::reindex(&mut tx, id).await?;
        if status == "published" {
            crate::audio::enqueue_narration(&mut tx, id, &format!("s{}", now())).await?;
        }
        if old == "published" || status == "published" {
            bump_content_version(&mut tx).await?;
        }
        let event = match (old == "published", status == "published") {
            (false, true) => Some("post.published"),
            (true, true) => Some("post.updated"),
            (true, false) => Some("post.unpublished"),
            (false, false) => None,
        };
        if let Some(event) = event {
            crate::webhooks::emit_post(&mut tx, event, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Publishes a scheduled post whose time has come. Idempotent: does nothing when the post was rescheduled,
    /// unpublished or deleted since the job was queued. Returns whether it published.
    pub async fn publish_if_due(&self, id: i64, scheduled_for: i64) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE posts SET status = 'published', updated_at = $1
             WHERE id = $2 AND status = 'scheduled' AND published_at = $3 AND published_at <= $1",
        )
        .bind(now())
        .bind(id)
        .bind(scheduled_for)
        .execute(&mut *tx)
        .await?;
        let published = done.rows_affected() > 0;
        if published {
            crate::search::reindex(&mut tx, id).await?;
            bump_content_version(&mut tx).await?;
            crate::audio::enqueue_narration(&mut tx, id, &format!("at{scheduled_for}")).await?;
            crate::webhooks::emit_post(&mut tx, "post.published", id).await?;
        }
        tx.commit().await?;
        Ok(published)
    }

    pub async fn delete_post(&self, id: i64) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let status: Option<String> =
            sqlx::query_scalar("SELECT status FROM posts WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let status = status.ok_or(StoreError::NotFound)?;
        let corrections: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM corrections WHERE post_id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if corrections > 0 {
            return Err(StoreError::Conflict {
                field: "post",
                message: "This article has published corrections, which are never deleted; unpublish it instead."
                    .into(),
            });
        }
        crate::webhooks::emit_post(&mut tx, "post.deleted", id).await?;
        crate::translations::leave(&mut tx, id).await?;
        sqlx::query("DELETE FROM posts WHERE id = $1").bind(id).execute(&mut *tx).await?;
        crate::search::reindex(&mut tx, id).await?;
        if status == "published" {
            bump_content_version(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn slug_taken(&self, slug: &str, except_id: Option<i64>) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts WHERE slug = $1 AND id <> $2")
            .bind(slug)
            .bind(except_id.unwrap_or(-1))
            .fetch_one(&self.pool)
            .await?;
        Ok(n > 0)
    }

    /// Counts per status, for the admin's filter tabs.
    pub async fn post_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as("SELECT status, COUNT(*) FROM posts GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?)
    }
}

fn slug_conflict(slug: &str) -> impl FnOnce(sqlx::Error) -> StoreError {
    StoreError::conflict_on("slug", format!("Another post already uses the slug \"{slug}\"."))
}

/// Binds `$1`…`$13`, the fields an insert and an update of a post write first, in the same order.
macro_rules! bind_fields {
    ($q:expr, $input:expr) => {
        $q.bind(&$input.kind)
            .bind(&$input.slug)
            .bind(&$input.title)
            .bind(&$input.excerpt)
            .bind(&$input.body_md)
            .bind(&$input.body_html)
            .bind($input.word_count)
            .bind(&$input.status)
            .bind($input.published_at)
            .bind($input.feature_image_id)
            .bind(&$input.feature_image_alt)
            .bind(&$input.feature_image_caption)
            .bind(&$input.feature_image_credit)
    };
}

/// Inserts a post with its relations, jobs and first revision, inside the caller's transaction.
pub(crate) async fn insert_post(
    conn: &mut AnyConnection,
    input: &PostInput,
    created_by: Option<i64>,
    live: bool,
) -> StoreResult<i64> {
    let t = now();
    let id: i64 = bind_fields!(
        sqlx::query_scalar(
            "INSERT INTO posts (kind, slug, title, excerpt, body_md, body_html, word_count, status, published_at,
            feature_image_id, feature_image_alt, feature_image_caption, feature_image_credit, created_by, revision,
            created_at, updated_at, related_post_id, body_doc, body_text, body_email_html, featured, parent_id,
            meta_title, meta_description, language, visibility, paid_html, paid_text, paid_email_html, preview_end)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 1, $15, $15, $16, $17, $18, $19, $20, $21,
            $22, $23, $24, $25, $26, $27, $28, $29)
         RETURNING id",
        ),
        input
    )
    .bind(created_by)
    .bind(t)
    .bind(input.related_post_id)
    .bind(&input.body_doc)
    .bind(&input.body_text)
    .bind(&input.body_email_html)
    .bind(i64::from(input.featured))
    .bind(input.parent_id)
    .bind(&input.meta_title)
    .bind(&input.meta_description)
    .bind(&input.language)
    .bind(&input.visibility)
    .bind(&input.paid.html)
    .bind(&input.paid.text)
    .bind(&input.paid.email_html)
    .bind(input.paid.preview_end)
    .fetch_one(&mut *conn)
    .await
    .map_err(slug_conflict(&input.slug))?;
    crate::translations::apply(conn, id, input.translation).await?;
    write_relations(conn, id, input).await?;
    crate::search::reindex(conn, id).await?;
    after_write(conn, id, input, false, live).await?;
    crate::revisions::record(conn, id, created_by).await?;
    Ok(id)
}

/// Rewrites a post and its relations (and records a revision), inside the caller's transaction.
pub(crate) async fn overwrite_post(
    conn: &mut AnyConnection,
    id: i64,
    input: &PostInput,
    was_published: bool,
    user_id: Option<i64>,
    live: bool,
) -> StoreResult<()> {
    let old_slug: Option<String> =
        sqlx::query_scalar("SELECT slug FROM posts WHERE id = $1").bind(id).fetch_optional(&mut *conn).await?;
    bind_fields!(sqlx::query(
        "UPDATE posts SET kind = $1, slug = $2, title = $3, excerpt = $4, body_md = $5, body_html = $6, word_count = $7,
            status = $8, published_at = $9, feature_image_id = $10, feature_image_alt = $11, feature_image_caption = $12,
            feature_image_credit = $13, revision = revision + 1, updated_at = $14, related_post_id = $16,
            body_doc = $17, body_text = $18, body_email_html = $19, featured = $20, parent_id = $21,
            meta_title = $22, meta_description = $23, language = $24, visibility = $25, paid_html = $26,
            paid_text = $27, paid_email_html = $28, preview_end = $29
         WHERE id = $15",
    ), input)
    .bind(now())
    .bind(id)
    .bind(input.related_post_id.filter(|r| *r != id))
    .bind(&input.body_doc)
    .bind(&input.body_text)
    .bind(&input.body_email_html)
    .bind(i64::from(input.featured))
    .bind(input.parent_id.filter(|p| *p != id))
    .bind(&input.meta_title)
    .bind(&input.meta_description)
    .bind(&input.language)
    .bind(&input.visibility)
    .bind(&input.paid.html)
    .bind(&input.paid.text)
    .bind(&input.paid.email_html)
    .bind(input.paid.preview_end)
    .execute(&mut *conn)
    .await
    .map_err(slug_conflict(&input.slug))?;
    crate::translations::apply(conn, id, input.translation).await?;
    sqlx::query("DELETE FROM post_authors WHERE post_id = $1").bind(id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM post_tags WHERE post_id = $1").bind(id).execute(&mut *conn).await?;
    write_relations(conn, id, input).await?;
    crate::search::reindex(conn, id).await?;
    after_write(conn, id, input, was_published, live).await?;
    crate::revisions::record(conn, id, user_id).await?;
    // Links to a published story's old address keep working.
    if let Some(old) = old_slug.filter(|o| was_published && *o != input.slug) {
        let r = crate::redirects::NewRedirect {
            from_path: format!("/{old}/"),
            target: crate::redirects::RedirectTarget::Post(id),
            status: 301,
            source: "slug".into(),
        };
        crate::redirects::upsert(conn, &[r], true).await?;
    }
    Ok(())
}

async fn write_relations(conn: &mut AnyConnection, id: i64, input: &PostInput) -> StoreResult<()> {
    for (pos, author_id) in input.author_ids.iter().enumerate() {
        sqlx::query(
            "INSERT INTO post_authors (post_id, author_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(*author_id)
        .bind(pos as i64)
        .execute(&mut *conn)
        .await?;
    }
    for (pos, tag_id) in input.tag_ids.iter().enumerate() {
        sqlx::query("INSERT INTO post_tags (post_id, tag_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(*tag_id)
            .bind(pos as i64)
            .execute(&mut *conn)
            .await?;
    }
    let mut media_ids = input.media_ids.clone();
    media_ids.extend(input.feature_image_id);
    crate::media::record_usage(conn, id, &media_ids).await?;
    record_links(conn, id, &input.linked_post_ids).await
}

/// Replaces the posts a post's related-story cards point to, inside the caller's transaction.
async fn record_links(conn: &mut AnyConnection, post_id: i64, targets: &[i64]) -> StoreResult<()> {
    sqlx::query("DELETE FROM post_links WHERE post_id = $1").bind(post_id).execute(&mut *conn).await?;
    let mut ids = targets.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for t in ids.into_iter().filter(|t| *t != post_id) {
        sqlx::query("INSERT INTO post_links (post_id, target_id) SELECT $1, id FROM posts WHERE id = $2")
            .bind(post_id)
            .bind(t)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// What follows a write: a scheduled publish queued, the cache version bumped, and — for `live` writes, the
/// newsroom's own — narration queued and webhooks told. An import is not live: an archive of thousands of stories
/// would keep the narrator busy for days and flood every webhook endpoint with stories that are not news.
async fn after_write(
    conn: &mut AnyConnection,
    id: i64,
    input: &PostInput,
    was_published: bool,
    live: bool,
) -> StoreResult<()> {
    if input.status == "scheduled" {
        enqueue_publish(conn, id, input.published_at.unwrap_or_else(now)).await?;
    }
    if input.status == "published" && live {
        // The job compares a hash of the text: a save that changes nothing narratable costs nothing.
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM posts WHERE id = $1").bind(id).fetch_one(&mut *conn).await?;
        crate::audio::enqueue_narration(conn, id, &format!("r{revision}")).await?;
    }
    if was_published || input.status == "published" {
        bump_content_version(conn).await?;
    }
    let event = match (was_published, input.status == "published") {
        (false, true) => Some("post.published"),
        (true, true) => Some("post.updated"),
        (true, false) => Some("post.unpublished"),
        (false, false) => None,
    };
    if let Some(event) = event.filter(|_| live) {
        crate::webhooks::emit_post(conn, event, id).await?;
    }
    Ok(())
}

/// The payload of a scheduled publish: the post, and the exact time it was queued for (a rescheduled post gets a
/// new job; the old one then does nothing).
#[derive(Debug, Serialize, serde::Deserialize)]
pub struct PublishScheduled {
    pub post_id: i64,
    pub scheduled_for: i64,
}

impl jobs::Payload for PublishScheduled {
    const KIND: &'static str = JOB_PUBLISH_SCHEDULED;
    const MAX_ATTEMPTS: i64 = 10;
}

async fn enqueue_publish(conn: &mut AnyConnection, id: i64, at: i64) -> StoreResult<()> {
    let payload = PublishScheduled { post_id: id, scheduled_for: at };
    jobs::enqueue(conn, &NewJob::of(&payload, at, Some(format!("publish:{id}:{at}")))).await?;
    Ok(())
}

/// A published post's address and dates, for sitemaps (no bodies loaded).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostIndexRow {
    pub slug: String,
    pub title: String,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    /// `None` for the site's own language.
    pub language: Option<String>,
}

impl Store {
    /// Published posts (or pages) of `kind`, newest first; only those published since `since` when given.
    pub async fn published_index(&self, kind: &str, since: Option<i64>, limit: i64) -> StoreResult<Vec<PostIndexRow>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "SELECT slug, title, published_at, updated_at, language FROM posts
             WHERE status = 'published' AND kind = $1 AND published_at >= $2
             ORDER BY published_at DESC, id DESC LIMIT {limit}"
        )))
        .bind(kind)
        .bind(since.unwrap_or(i64::MIN))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Authors with at least one published post, and when their newest post changed.
    pub async fn authors_with_posts(&self) -> StoreResult<Vec<(String, i64)>> {
        Ok(sqlx::query_as(
            "SELECT a.slug, MAX(p.updated_at) FROM authors a
             JOIN post_authors pa ON pa.author_id = a.id
             JOIN posts p ON p.id = pa.post_id AND p.status = 'published'
             GROUP BY a.id, a.slug ORDER BY a.slug",
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
