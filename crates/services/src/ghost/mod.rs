//! The Ghost-compatible Content API (`/ghost/api/content/`): what `@tryghost/content-api` and the front-ends built
//! on it read — posts, pages, tags, authors and settings, in Ghost's shapes, with its `include`, `fields`,
//! `formats`, `limit`, `page`, `order` and `filter` (NQL, see [`nql`]). Only published content appears; desks
//! appear as authors.

pub mod nql;

use std::collections::HashMap;

use newsdesk_store::authors::Author;
use newsdesk_store::content_api::{ContentQuery, Field, Filter, Op, OrderField, Value};
use newsdesk_store::posts::Post;
use newsdesk_store::tags::TagWithCount;
use serde_json::{Map, Value as Json, json};

use crate::Context;

/// Ghost's error types, each with its HTTP status.
#[derive(Debug)]
pub enum GhostError {
    /// 401 `UnauthorizedError`.
    Unauthorized(String),
    /// 404 `NotFoundError`.
    NotFound(String),
    /// 400 `BadRequestError` (a filter that does not parse).
    BadRequest(String),
    /// 422 `ValidationError` (a bad `limit`, `page`, `order`, `include`…).
    Validation(String),
    Internal(anyhow::Error),
}

impl GhostError {
    pub fn status(&self) -> u16 {
        match self {
            GhostError::Unauthorized(_) => 401,
            GhostError::NotFound(_) => 404,
            GhostError::BadRequest(_) => 400,
            GhostError::Validation(_) => 422,
            GhostError::Internal(_) => 500,
        }
    }

    /// `{"errors": [{"message", "type", …}]}`.
    pub fn body(&self) -> Json {
        let (message, kind) = match self {
            GhostError::Unauthorized(m) => (m.as_str(), "UnauthorizedError"),
            GhostError::NotFound(m) => (m.as_str(), "NotFoundError"),
            GhostError::BadRequest(m) => (m.as_str(), "BadRequestError"),
            GhostError::Validation(m) => (m.as_str(), "ValidationError"),
            GhostError::Internal(_) => ("An unexpected error occurred, please try again.", "InternalServerError"),
        };
        json!({ "errors": [{
            "message": message, "context": null, "type": kind, "details": null, "property": null, "help": null,
            "code": null, "id": format!("{:032x}", rand::random::<u128>()), "ghostErrorCode": null,
        }]})
    }
}

impl<E: Into<anyhow::Error>> From<E> for GhostError {
    fn from(e: E) -> Self {
        GhostError::Internal(e.into())
    }
}

/// A request's query parameters, as sent.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Params {
    pub include: Option<String>,
    pub fields: Option<String>,
    pub formats: Option<String>,
    pub limit: Option<String>,
    pub page: Option<String>,
    pub order: Option<String>,
    pub filter: Option<String>,
}

/// What a read names: an id or a slug.
pub enum Key<'a> {
    Id(&'a str),
    Slug(&'a str),
}

fn list(s: Option<&str>) -> Vec<String> {
    s.map(|s| s.split(',').map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect()).unwrap_or_default()
}

fn limit(p: &Params) -> Result<Option<i64>, GhostError> {
    match p.limit.as_deref().map(str::trim) {
        None | Some("") => Ok(Some(15)),
        Some("all") => Ok(None),
        Some(n) => match n.parse::<i64>() {
            Ok(n) if (1..=10_000).contains(&n) => Ok(Some(n)),
            _ => Err(GhostError::Validation(format!(
                "Validation error, cannot read limit \"{n}\": a number or \"all\"."
            ))),
        },
    }
}

fn page(p: &Params) -> Result<i64, GhostError> {
    match p.page.as_deref().map(str::trim) {
        None | Some("") => Ok(1),
        Some(n) => match n.parse::<i64>() {
            Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
            _ => Err(GhostError::Validation(format!("Validation error, cannot read page \"{n}\": a number from 1."))),
        },
    }
}

fn order(p: &Params) -> Result<Vec<(OrderField, bool)>, GhostError> {
    let Some(o) = p.order.as_deref().filter(|o| !o.trim().is_empty()) else {
        return Ok(vec![(OrderField::PublishedAt, true)]);
    };
    o.split(',')
        .map(|part| {
            let mut words = part.split_whitespace();
            let field = match words.next().unwrap_or_default() {
                "published_at" => OrderField::PublishedAt,
                "updated_at" => OrderField::UpdatedAt,
                "created_at" => OrderField::CreatedAt,
                "title" => OrderField::Title,
                "slug" => OrderField::Slug,
                "featured" => OrderField::Featured,
                "id" => OrderField::Id,
                other => return Err(GhostError::Validation(format!("Validation error, cannot order by \"{other}\"."))),
            };
            let desc = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(d) => {
                    return Err(GhostError::Validation(format!("Validation error, \"{d}\" is not asc or desc.")));
                }
            };
            Ok((field, desc))
        })
        .collect()
}

fn filter(resource: nql::Resource, p: &Params) -> Result<Option<Filter>, GhostError> {
    match p.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => Ok(None),
        Some(f) => nql::parse(resource, f)
            .map(Some)
            .map_err(|e| GhostError::BadRequest(format!("Error parsing filter: Query Error: {}", e.0))),
    }
}

/// A filter's `language:` values as the store keeps them: the site's own language is "" (no language stored), the
/// others their canonical tags; a language the site does not have is Ghost's 400.
fn languages_stored(ctx: &Context, f: Filter) -> Result<Filter, GhostError> {
    Ok(match f {
        Filter::And(xs) => Filter::And(xs.into_iter().map(|x| languages_stored(ctx, x)).collect::<Result<_, _>>()?),
        Filter::Or(xs) => Filter::Or(xs.into_iter().map(|x| languages_stored(ctx, x)).collect::<Result<_, _>>()?),
        Filter::Cond { field: Field::Language, op, values } => {
            let values = values
                .into_iter()
                .map(|v| match v {
                    Value::Text(tag) => ctx
                        .site
                        .post_language("language", &tag)
                        .map(|stored| Value::Text(stored.unwrap_or_default()))
                        .map_err(|e| GhostError::BadRequest(format!("Error parsing filter: {}", e.message))),
                    other => Ok(other),
                })
                .collect::<Result<_, _>>()?;
            Filter::Cond { field: Field::Language, op, values }
        }
        other => other,
    })
}

/// Times as Ghost writes them: ISO 8601 with milliseconds and the site's offset.
fn iso(ctx: &Context, ts: Option<i64>) -> Json {
    match ts.and_then(|t| jiff::Timestamp::from_second(t).ok()) {
        Some(t) => {
            Json::String(t.to_zoned(ctx.site.timezone.tz().clone()).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string())
        }
        None => Json::Null,
    }
}

fn absolute(ctx: &Context, path: &str) -> String {
    format!("{}{path}", ctx.site.url)
}

fn tag_json(ctx: &Context, t: &newsdesk_store::tags::Tag, count: Option<i64>) -> Json {
    let mut o = json!({
        "id": t.id.to_string(), "name": t.name, "slug": t.slug, "description": t.description,
        "feature_image": null, "visibility": if t.is_internal() { "internal" } else { "public" }, "og_image": null,
        "og_title": null, "og_description": null, "twitter_image": null, "twitter_title": null, "twitter_description": null, "meta_title": null,
        "meta_description": null, "codeinjection_head": null, "codeinjection_foot": null, "canonical_url": null,
        "accent_color": null, "url": absolute(ctx, &format!("/tag/{}/", t.slug)),
    });
    if let Some(c) = count {
        o["count"] = json!({ "posts": c });
    }
    o
}

fn author_json(ctx: &Context, a: &Author, photo: Option<String>, count: Option<i64>) -> Json {
    let mut o = json!({
        "id": a.id.to_string(), "name": a.name, "slug": a.slug, "profile_image": photo, "cover_image": null,
        "bio": a.bio, "website": null, "location": null, "facebook": null, "twitter": null, "meta_title": null,
        "meta_description": null, "url": absolute(ctx, &format!("/author/{}/", a.slug)),
    });
    if let Some(c) = count {
        o["count"] = json!({ "posts": c });
    }
    o
}

fn image_url(ctx: &Context, m: &newsdesk_store::media::Media) -> String {
    let files = crate::views::media_files(m);
    absolute(ctx, &files.url(files.largest(), "jpg"))
}

/// Ghost's excerpt: the custom excerpt, else the text's first 500 characters.
fn excerpt(p: &Post) -> String {
    if let Some(e) = p.row.excerpt.as_deref().filter(|e| !e.trim().is_empty()) {
        return e.to_owned();
    }
    let text = newsdesk_render::document::stored_body_text(&p.row.body_text, &p.row.body_md);
    text.chars().take(500).collect()
}

/// Portraits of the posts' authors (id → absolute URL), looked up once for a whole page of posts.
async fn author_photos(ctx: &Context, posts: &[Post], include: &[String]) -> Result<HashMap<i64, String>, GhostError> {
    if !include.iter().any(|i| i == "authors") {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<i64> = posts.iter().flat_map(|p| p.authors.iter().filter_map(|a| a.image_id)).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ctx.store.media_many(&ids).await?.iter().map(|m| (m.id, image_url(ctx, m))).collect())
}

fn post_json(ctx: &Context, p: &Post, include: &[String], formats: &[String], photos: &HashMap<i64, String>) -> Json {
    let r = &p.row;
    let mut o = json!({
        "id": r.id.to_string(), "uuid": format!("00000000-0000-4000-8000-{:012x}", r.id), "title": r.title,
        "slug": r.slug, "comment_id": r.id.to_string(),
        "feature_image": p.feature_image.as_ref().map(|m| image_url(ctx, m)),
        "feature_image_alt": r.feature_image_alt, "feature_image_caption": r.feature_image_caption.as_ref().map(|c| {
            match &r.feature_image_credit { Some(credit) => format!("{} {}", newsdesk_render::feeds::html_escape(c), newsdesk_render::feeds::html_escape(credit)), None => newsdesk_render::feeds::html_escape(c) }
        }),
        // As Ghost answers a key without a member: a story not for everyone has only its preview in `html` and
        // `plaintext`, and `access: false`.
        "featured": r.featured == 1, "visibility": r.visibility().ghost_name(),
        // Newsdesk's own field (Ghost has no per-post language): BCP 47, its own or the site's.
        "language": ctx.site.language_of(r.language.as_deref()),
        "created_at": iso(ctx, Some(r.created_at)), "updated_at": iso(ctx, Some(r.updated_at)),
        "published_at": iso(ctx, r.published_at), "custom_excerpt": r.excerpt,
        "codeinjection_head": null, "codeinjection_foot": null, "custom_template": null, "canonical_url": null,
        "url": absolute(ctx, &format!("/{}/", r.slug)), "excerpt": excerpt(p),
        "reading_time": newsdesk_render::views::reading_time(r.word_count), "access": !r.is_gated(), "comments": false,
        "og_image": null, "og_title": null, "og_description": null, "twitter_image": null, "twitter_title": null,
        "twitter_description": null, "meta_title": r.meta_title, "meta_description": r.meta_description,
        "email_subject": null,
        "frontmatter": null,
    });
    if formats.is_empty() || formats.iter().any(|f| f == "html") {
        o["html"] = Json::String(r.body_html.clone());
    }
    if formats.iter().any(|f| f == "plaintext") {
        o["plaintext"] = Json::String(newsdesk_render::document::stored_body_text(&r.body_text, &r.body_md));
    }
    if include.iter().any(|i| i == "tags") {
        // As Ghost does: internal tags are listed (with their visibility), the primary tag is the first public one.
        let tags: Vec<Json> = p.tags.iter().map(|t| tag_json(ctx, t, None)).collect();
        o["primary_tag"] =
            p.tags.iter().find(|t| !t.is_internal()).map(|t| tag_json(ctx, t, None)).unwrap_or(Json::Null);
        o["tags"] = Json::Array(tags);
    }
    if include.iter().any(|i| i == "authors") {
        let authors: Vec<Json> = p
            .authors
            .iter()
            .map(|a| author_json(ctx, a, a.image_id.and_then(|i| photos.get(&i).cloned()), None))
            .collect();
        o["primary_author"] = authors.first().cloned().unwrap_or(Json::Null);
        o["authors"] = Json::Array(authors);
    }
    o
}

/// Keeps only the requested `fields` of each object.
fn only(fields: &[String], mut o: Json) -> Json {
    if fields.is_empty() {
        return o;
    }
    if let Json::Object(map) = &mut o {
        let kept: Map<String, Json> =
            map.iter().filter(|(k, _)| fields.contains(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        *map = kept;
    }
    o
}

fn check_include(include: &[String], allowed: &[&str]) -> Result<(), GhostError> {
    match include.iter().find(|i| !allowed.contains(&i.as_str())) {
        Some(bad) => Err(GhostError::Validation(format!(
            "Validation error, cannot include \"{bad}\"; use {}.",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn pagination(page: i64, limit: Option<i64>, total: i64) -> Json {
    let pages = match limit {
        Some(l) => ((total + l - 1) / l).max(1),
        None => 1,
    };
    json!({ "pagination": {
        "page": page, "limit": limit.map(Json::from).unwrap_or_else(|| Json::String("all".into())), "pages": pages,
        "total": total, "next": if page < pages { Json::from(page + 1) } else { Json::Null },
        "prev": if page > 1 { Json::from(page - 1) } else { Json::Null },
    }})
}

/// `GET /ghost/api/content/posts/` (or `pages/`).
pub async fn browse_posts(ctx: &Context, kind: &'static str, p: &Params) -> Result<Json, GhostError> {
    let include = list(p.include.as_deref());
    check_include(&include, &["tags", "authors"])?;
    let q = ContentQuery {
        kind,
        filter: filter(nql::Resource::Posts, p)?.map(|f| languages_stored(ctx, f)).transpose()?,
        order: order(p)?,
        limit: limit(p)?,
        page: page(p)?,
    };
    let (ids, total) = ctx.store.content_post_ids(&q).await?;
    let posts = ctx.store.posts_by_ids(&ids).await?;
    let (fields, formats) = (list(p.fields.as_deref()), list(p.formats.as_deref()));
    let photos = author_photos(ctx, &posts, &include).await?;
    let items: Vec<Json> =
        posts.iter().map(|x| only(&fields, post_json(ctx, x, &include, &formats, &photos))).collect();
    let resource = if kind == "page" { "pages" } else { "posts" };
    Ok(json!({ resource: items, "meta": pagination(q.page, q.limit, total) }))
}

/// `GET /ghost/api/content/posts/{id}/` or `…/slug/{slug}/`.
pub async fn read_post(ctx: &Context, kind: &'static str, key: Key<'_>, p: &Params) -> Result<Json, GhostError> {
    let include = list(p.include.as_deref());
    check_include(&include, &["tags", "authors"])?;
    let cond = match key {
        Key::Id(id) => match id.parse::<i64>() {
            Ok(id) => Filter::Cond { field: Field::Id, op: Op::Eq, values: vec![Value::Int(id)] },
            Err(_) => return Err(GhostError::NotFound(not_found(kind))),
        },
        Key::Slug(s) => Filter::Cond { field: Field::Slug, op: Op::Eq, values: vec![Value::Text(s.to_owned())] },
    };
    let q = ContentQuery { kind, filter: Some(cond), order: vec![], limit: Some(1), page: 1 };
    let (ids, _) = ctx.store.content_post_ids(&q).await?;
    let post = ctx.store.posts_by_ids(&ids).await?.pop().ok_or_else(|| GhostError::NotFound(not_found(kind)))?;
    let (fields, formats) = (list(p.fields.as_deref()), list(p.formats.as_deref()));
    let resource = if kind == "page" { "pages" } else { "posts" };
    let photos = author_photos(ctx, std::slice::from_ref(&post), &include).await?;
    Ok(json!({ resource: [only(&fields, post_json(ctx, &post, &include, &formats, &photos))] }))
}

/// `posts/`, `posts/{id}/` or `posts/slug/{slug}/`.
pub async fn posts(ctx: &Context, key: Option<Key<'_>>, p: &Params) -> Result<Json, GhostError> {
    match key {
        Some(k) => read_post(ctx, "post", k, p).await,
        None => browse_posts(ctx, "post", p).await,
    }
}

/// `pages/`, `pages/{id}/` or `pages/slug/{slug}/`.
pub async fn pages(ctx: &Context, key: Option<Key<'_>>, p: &Params) -> Result<Json, GhostError> {
    match key {
        Some(k) => read_post(ctx, "page", k, p).await,
        None => browse_posts(ctx, "page", p).await,
    }
}

fn not_found(kind: &str) -> String {
    match kind {
        "page" => "Page not found.".into(),
        "post" => "Post not found.".into(),
        "tag" => "Tag not found.".into(),
        _ => "Author not found.".into(),
    }
}

/// Whether a tag or author row matches a (tags or authors) filter: they are few, so it is evaluated here.
fn matches(f: &Filter, id: i64, slug: &str, name: &str) -> bool {
    match f {
        Filter::And(xs) => xs.iter().all(|x| matches(x, id, slug, name)),
        Filter::Or(xs) => xs.iter().any(|x| matches(x, id, slug, name)),
        Filter::Cond { field, op, values } => {
            let text = |v: &Value| match v {
                Value::Text(s) => s.clone(),
                Value::Int(i) => i.to_string(),
                Value::Bool(b) => b.to_string(),
                Value::Null => String::new(),
            };
            let subject = match field {
                Field::Slug => slug.to_owned(),
                Field::Title => name.to_owned(),
                Field::Id => id.to_string(),
                Field::Visibility => "public".into(),
                _ => return false,
            };
            let any = values.iter().any(|v| text(v).eq_ignore_ascii_case(&subject));
            let first = values.first().map(text).unwrap_or_default().to_lowercase();
            match op {
                Op::Eq | Op::In => any,
                Op::Ne | Op::NotIn => !any,
                Op::Contains => subject.to_lowercase().contains(&first),
                Op::StartsWith => subject.to_lowercase().starts_with(&first),
                Op::EndsWith => subject.to_lowercase().ends_with(&first),
                Op::Gt => subject > first,
                Op::Gte => subject >= first,
                Op::Lt => subject < first,
                Op::Lte => subject <= first,
            }
        }
    }
}

/// A page of already-filtered rows (tags, authors), ordered by name unless asked otherwise.
fn window<T>(mut rows: Vec<T>, lim: Option<i64>, page: i64) -> (Vec<T>, i64) {
    let total = rows.len() as i64;
    let start = lim.map(|l| ((page - 1) * l) as usize).unwrap_or(0).min(rows.len());
    let mut rest = rows.split_off(start);
    if let Some(l) = lim {
        rest.truncate(l as usize);
    }
    (rest, total)
}

/// The order of a tags or authors list, checked: (by slug rather than name, descending), from its first key.
fn list_order(p: &Params) -> Result<(bool, bool), GhostError> {
    if let Some(o) = p.order.as_deref().filter(|o| !o.trim().is_empty()) {
        for part in o.split(',') {
            let mut w = part.split_whitespace();
            if !matches!(w.next(), Some("name" | "slug"))
                || !matches!(w.next().map(str::to_ascii_lowercase).as_deref(), None | Some("asc" | "desc"))
            {
                return Err(GhostError::Validation(format!(
                    "Validation error, cannot order by \"{}\"; use name or slug.",
                    part.trim()
                )));
            }
        }
    }
    let first = p.order.as_deref().unwrap_or("").split(',').next().unwrap_or_default();
    let mut w = first.split_whitespace();
    Ok((w.next() == Some("slug"), w.next().is_some_and(|d| d.eq_ignore_ascii_case("desc"))))
}

/// `GET /ghost/api/content/tags/` (`read`: one by id or slug).
pub async fn tags(ctx: &Context, key: Option<Key<'_>>, p: &Params) -> Result<Json, GhostError> {
    let include = list(p.include.as_deref());
    check_include(&include, &["count.posts"])?;
    let (by_slug, desc) = list_order(p)?;
    let f = filter(nql::Resource::Tags, p)?;
    let all: Vec<TagWithCount> = ctx.store.tags_with_counts().await?;
    let mut rows: Vec<&TagWithCount> = all
        .iter()
        .filter(|t| match &key {
            Some(Key::Id(id)) => t.id.to_string() == *id,
            Some(Key::Slug(s)) => t.slug == *s,
            None => true,
        })
        // Ghost's Content API lists public tags only.
        .filter(|t| !t.is_internal())
        .filter(|t| f.as_ref().is_none_or(|f| matches(f, t.id, &t.slug, &t.name)))
        .collect();
    rows.sort_by_cached_key(|t| if by_slug { t.slug.to_lowercase() } else { t.name.to_lowercase() });
    if desc {
        rows.reverse();
    }
    let counts = include.iter().any(|i| i == "count.posts");
    let fields = list(p.fields.as_deref());
    let shape = |t: &TagWithCount| {
        let tag = newsdesk_store::tags::Tag {
            id: t.id,
            slug: t.slug.clone(),
            name: t.name.clone(),
            description: t.description.clone(),
            created_at: 0,
        };
        only(&fields, tag_json(ctx, &tag, counts.then_some(t.post_count)))
    };
    if key.is_some() {
        let t = rows.first().ok_or_else(|| GhostError::NotFound(not_found("tag")))?;
        return Ok(json!({ "tags": [shape(t)] }));
    }
    let (lim, pg) = (limit(p)?, page(p)?);
    let (rows, total) = window(rows, lim, pg);
    Ok(json!({ "tags": rows.into_iter().map(shape).collect::<Vec<_>>(), "meta": pagination(pg, lim, total) }))
}

/// `GET /ghost/api/content/authors/` (`read`: one by id or slug). Desks are authors too.
pub async fn authors(ctx: &Context, key: Option<Key<'_>>, p: &Params) -> Result<Json, GhostError> {
    let include = list(p.include.as_deref());
    check_include(&include, &["count.posts"])?;
    let (by_slug, desc) = list_order(p)?;
    let f = filter(nql::Resource::Authors, p)?;
    let all: Vec<Author> = ctx.store.authors().await?;
    let mut rows: Vec<&Author> = all
        .iter()
        .filter(|a| match &key {
            Some(Key::Id(id)) => a.id.to_string() == *id,
            Some(Key::Slug(s)) => a.slug == *s,
            None => true,
        })
        .filter(|a| f.as_ref().is_none_or(|f| matches(f, a.id, &a.slug, &a.name)))
        .collect();
    rows.sort_by_cached_key(|a| if by_slug { a.slug.to_lowercase() } else { a.name.to_lowercase() });
    if desc {
        rows.reverse();
    }
    let counts: HashMap<i64, i64> = if include.iter().any(|i| i == "count.posts") {
        ctx.store.published_counts_by_author(&rows.iter().map(|a| a.id).collect::<Vec<_>>()).await?
    } else {
        HashMap::new()
    };
    let with_counts = include.iter().any(|i| i == "count.posts");
    let images: HashMap<i64, String> = {
        let ids: Vec<i64> = rows.iter().filter_map(|a| a.image_id).collect();
        ctx.store.media_many(&ids).await?.iter().map(|m| (m.id, image_url(ctx, m))).collect()
    };
    let fields = list(p.fields.as_deref());
    let shape = |a: &Author| {
        let photo = a.image_id.and_then(|i| images.get(&i).cloned());
        only(&fields, author_json(ctx, a, photo, with_counts.then(|| counts.get(&a.id).copied().unwrap_or(0))))
    };
    if key.is_some() {
        let a = rows.first().ok_or_else(|| GhostError::NotFound(not_found("author")))?;
        return Ok(json!({ "authors": [shape(a)] }));
    }
    let (lim, pg) = (limit(p)?, page(p)?);
    let (rows, total) = window(rows, lim, pg);
    Ok(json!({ "authors": rows.into_iter().map(shape).collect::<Vec<_>>(), "meta": pagination(pg, lim, total) }))
}

/// `GET /ghost/api/content/settings/`.
pub async fn settings(ctx: &Context) -> Result<Json, GhostError> {
    let nav: Vec<Json> = ctx
        .store
        .tags_with_counts()
        .await?
        .into_iter()
        .filter(|t| t.post_count > 0)
        .take(8)
        .map(|t| json!({ "label": t.name, "url": format!("/tag/{}/", t.slug) }))
        .collect();
    let s = &ctx.site;
    Ok(json!({ "settings": {
        "title": s.title, "description": s.description, "logo": absolute(ctx, "/assets/logo.svg"),
        "icon": absolute(ctx, "/favicon.ico"), "accent_color": null, "cover_image": null, "facebook": null,
        "twitter": null, "lang": s.language, "locale": s.language, "timezone": s.timezone.name(),
        "codeinjection_head": null, "codeinjection_foot": null, "navigation": nav, "secondary_navigation": [],
        "meta_title": null, "meta_description": null, "og_image": null, "og_title": null, "og_description": null,
        "twitter_image": null, "twitter_title": null, "twitter_description": null,
        "members_support_address": null, "url": format!("{}/", s.url),
    }, "meta": {} }))
}
