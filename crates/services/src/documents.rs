//! A story's body as the document model: reading it from the editor's JSON or from Markdown, the rule on raw HTML
//! blocks, rendering everything the body becomes (with the related-story cards and newsletters it refers to, looked
//! up once), and converting posts saved before the model existed.

use newsdesk_domain::document::Document;
use newsdesk_domain::{Role, ValidationError};
use newsdesk_render::document::{self as doc_render, Env, MediaRef, PromptNewsletter, RelatedCard, RenderedBody};
use newsdesk_store::posts::ConvertedBody;
use newsdesk_store::{Store, StoreResult};

/// The consent sentence under a signup prompt placed in a story.
const PROMPT_CONSENT: &str = "By subscribing you agree to receive these emails. You can unsubscribe at any time.";

/// Whether a role may add or change raw HTML blocks: those who may edit everyone's stories.
pub fn may_write_raw_html(role: Role) -> bool {
    role.can_edit_others()
}

/// The body a save carries: the editor's document JSON when given, else Markdown.
pub fn parse_body(document: Option<&str>, markdown: &str) -> Result<Document, ValidationError> {
    match document.map(str::trim).filter(|d| !d.is_empty()) {
        Some(json) => Document::from_json("body", json),
        None => {
            if markdown.len() > newsdesk_domain::post::MAX_BODY_BYTES {
                return Err(ValidationError::new(
                    "body",
                    "body_too_long",
                    format!(
                        "The story is {} KB; the longest a story can be is {} KB. Split it into parts.",
                        markdown.len() / 1000,
                        newsdesk_domain::post::MAX_BODY_BYTES / 1000
                    ),
                ));
            }
            Ok(doc_render::from_markdown(markdown))
        }
    }
}

/// Refuses raw HTML blocks that `role` may not write: every raw block of `new` must already be in `old`, unchanged.
pub fn check_raw_html(role: Role, old: Option<&Document>, new: &Document) -> Result<(), ValidationError> {
    if may_write_raw_html(role) {
        return Ok(());
    }
    let before: Vec<&str> = old.map(Document::raw_html).unwrap_or_default();
    if new.raw_html().iter().all(|h| before.contains(h)) {
        Ok(())
    } else {
        Err(ValidationError::new(
            "body",
            "raw_html_not_allowed",
            format!("Your role ({}) cannot add or change raw HTML blocks; an editor can.", role.as_str()),
        ))
    }
}

/// The document a stored post has (its JSON, or its Markdown when it predates the model).
pub fn stored(body_doc: &str, body_md: &str) -> Document {
    if body_doc.is_empty() {
        return doc_render::from_markdown(body_md);
    }
    Document::from_json("body", body_doc).unwrap_or_else(|_| doc_render::from_markdown(body_md))
}

/// Looks up what a document refers to: related stories (published ones only) and the public newsletters.
pub async fn env_for(store: &Store, doc: &Document) -> StoreResult<Env> {
    let mut env = Env { consent_text: PROMPT_CONSENT.to_owned(), ..Default::default() };
    for key in doc_render::related_keys(doc) {
        let post = match key.parse::<i64>() {
            Ok(id) => store.post(id).await?,
            Err(_) => store.post_by_slug(&key).await?,
        };
        let Some(p) = post else { continue };
        env.related_ids.insert(key.clone(), p.row.id);
        if p.row.status == "published" {
            let view = crate::views::post_view(&p);
            env.related.insert(
                key,
                RelatedCard {
                    id: p.row.id,
                    url: view.url,
                    title: view.title,
                    kicker: view.primary_tag.map(|t| t.name),
                    image: view.feature_image.map(|i| i.src),
                },
            );
        }
    }
    let (ids, keys) = doc_render::media_refs(doc);
    let mut files = store.media_many(&ids).await?;
    files.extend(store.media_by_keys(&keys).await?);
    for m in files {
        env.media_keys.insert(m.file_key.clone(), m.id);
        env.media.insert(
            m.id,
            MediaRef {
                id: m.id,
                files: crate::views::media_files(&m),
                width: m.width as u32,
                height: m.height as u32,
                focal: (m.focal_x, m.focal_y),
                alt: m.alt,
                caption: m.caption,
                credit: m.credit,
            },
        );
    }
    let uses_prompt = {
        let mut found = false;
        doc.walk(&mut |b| found |= matches!(b, newsdesk_domain::document::Block::Prompt { .. }));
        found
    };
    if uses_prompt {
        env.newsletters = store
            .public_newsletters()
            .await?
            .into_iter()
            .map(|n| PromptNewsletter { slug: n.slug, name: n.name, description: n.description })
            .collect();
    }
    Ok(env)
}

/// A body rendered, with what it uses.
pub struct Rendered {
    pub body: RenderedBody,
    /// Library files the body shows.
    pub media_ids: Vec<i64>,
    /// Posts its related-story cards name.
    pub linked_post_ids: Vec<i64>,
}

/// Renders everything a body becomes — for a story not for everyone (`gated`), its public preview and the rest
/// apart (`document::render_for`); also answers which library files and posts it uses.
pub async fn render_body(store: &Store, doc: &Document, gated: bool) -> StoreResult<Rendered> {
    let env = env_for(store, doc).await?;
    Ok(Rendered {
        body: doc_render::render_for(doc, &env, gated),
        media_ids: env.used_media(doc),
        linked_post_ids: env.linked_posts(),
    })
}

/// The part of a rendered body after its preview, as the store keeps it.
pub fn paid_part(r: &RenderedBody) -> newsdesk_store::posts::PaidBody {
    newsdesk_store::posts::PaidBody {
        html: r.paid_html.clone(),
        text: r.paid_text.clone(),
        email_html: r.paid_email_html.clone(),
        preview_end: i64::try_from(r.preview_end).ok(),
    }
}

async fn converted(store: &Store, id: i64, doc: &Document, gated: bool) -> StoreResult<ConvertedBody> {
    let Rendered { body: r, media_ids, linked_post_ids } = render_body(store, doc, gated).await?;
    Ok(ConvertedBody {
        paid: paid_part(&r),
        id,
        media_ids,
        linked_post_ids,
        body_doc: doc.to_json(),
        body_html: r.html,
        body_text: r.text,
        body_email_html: r.email_html,
        word_count: r.word_count as i64,
    })
}

/// Renders stories again from their documents (after a library file they use was replaced or its details changed).
pub async fn rerender(store: &Store, post_ids: &[i64]) -> StoreResult<()> {
    rerender_with(store, post_ids, &|_| {}).await
}

/// Renders stories again after `change` has been applied to each one's document (the change is stored too).
async fn rerender_with(store: &Store, post_ids: &[i64], change: &(dyn Fn(&mut Document) + Sync)) -> StoreResult<()> {
    let mut bodies = Vec::with_capacity(post_ids.len());
    for id in post_ids {
        if let Some(p) = store.post(*id).await? {
            let mut doc = stored(&p.row.body_doc, &p.row.body_md);
            change(&mut doc);
            bodies.push(converted(store, *id, &doc, p.row.is_gated()).await?);
        }
    }
    store.set_rerendered_bodies(&bodies).await
}

/// After post `id`'s slug changed from `old` to `new`: the related-story blocks that named it by its old slug name it
/// by the new one (so their cards keep showing it), and their stories are drawn again.
pub async fn follow_slug(store: &Store, id: i64, old: &str, new: &str) -> StoreResult<()> {
    let linking = store.posts_linking_to(id).await?;
    if linking.is_empty() {
        return Ok(());
    }
    let (old, new) = (old.to_owned(), new.to_owned());
    rerender_with(store, &linking, &move |doc: &mut Document| {
        for b in doc.content.iter_mut() {
            retarget(b, &old, &new);
        }
    })
    .await
}

fn retarget(b: &mut newsdesk_domain::document::Block, old: &str, new: &str) {
    use newsdesk_domain::document::Block;
    match b {
        Block::Related { attrs } if attrs.post.trim().trim_matches('/') == old => attrs.post = new.to_owned(),
        Block::BulletList { content } | Block::OrderedList { content, .. } => {
            for item in content {
                item.content.iter_mut().for_each(|b| retarget(b, old, new));
            }
        }
        Block::Blockquote { content } | Block::Callout { content, .. } => {
            content.iter_mut().for_each(|b| retarget(b, old, new))
        }
        _ => {}
    }
}

/// Draws again the related-story cards that show post `id` (after it was saved, published, unpublished or deleted):
/// call after the change is stored; `linking` is taken before a delete, when the links are still there.
pub async fn rerender_linking(store: &Store, id: i64, linking: Option<Vec<i64>>) -> StoreResult<()> {
    let posts = match linking {
        Some(p) => p,
        None => store.posts_linking_to(id).await?,
    };
    if posts.is_empty() {
        return Ok(());
    }
    rerender(store, &posts).await?;
    tracing::debug!(post.id = id, posts = posts.len(), "related-story cards drawn again");
    Ok(())
}

/// The page HTML for the editor's preview (and a refused save's form): the document JSON when given, else the
/// Markdown; a document that does not parse previews as nothing.
pub async fn preview_html(store: &Store, document: Option<&str>, markdown: &str) -> StoreResult<String> {
    let Ok(doc) = parse_body(document, markdown) else { return Ok(String::new()) };
    let r = render_body(store, &doc, false).await?.body;
    Ok(r.html)
}

/// Converts posts saved before the document model, in batches; returns how many were converted. Then measures where
/// the preview ends in posts saved before that was kept (for the meter). Runs at start-up after the migrations; a
/// second node doing the same at once writes nothing twice (the measure is the same).
pub async fn convert_existing(store: &Store) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let batch = store.posts_without_document(200).await?;
        if batch.is_empty() {
            break;
        }
        let mut bodies = Vec::with_capacity(batch.len());
        for (id, md) in &batch {
            // Posts from before the document model are all public.
            bodies.push(converted(store, *id, &doc_render::from_markdown(md), false).await?);
        }
        store.set_converted_bodies(&bodies).await?;
        total += bodies.len();
        tracing::info!(posts = total, "converted stories to the document model");
    }
    let (mut after, mut measured) = (0, 0);
    loop {
        let batch = store.posts_without_preview_end(after, 200).await?;
        let Some(last) = batch.last() else { break };
        after = *last;
        rerender(store, &batch).await?;
        measured += batch.len();
        tracing::info!(posts = measured, "measured the previews of stories");
    }
    Ok(total)
}
