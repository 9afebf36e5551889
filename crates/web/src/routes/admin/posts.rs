//! Posts in the admin: the filtered list, the editor (new and edit), autosave of drafts, live preview, delete.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use newsdesk_render::views::ImageView;
use newsdesk_store::posts::{Post, PostFilter};
use serde::Deserialize;

use super::{check_csrf, errors_json, flash_text, invalid, page, see_other};
use crate::auth::Staff;
use crate::error::AppError;
use crate::forms::{FieldErrors, FormData};
use crate::state::AppState;
use newsdesk_services::media::{UploadError, store_image};
use newsdesk_services::posts::{self as content, Action, PostDraft, SaveError};
use newsdesk_services::views::{image_view, pagination, post_view};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    author: Option<String>,
    tag: Option<String>,
    page: Option<i64>,
    done: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let author = q.author.as_deref().and_then(|a| a.parse::<i64>().ok());
    let tag = q.tag.as_deref().and_then(|a| a.parse::<i64>().ok());
    let status = q.status.clone().filter(|s| matches!(s.as_str(), "draft" | "scheduled" | "published"));
    let filter = PostFilter {
        status: status.clone(),
        author_id: author,
        tag_id: tag,
        search: q.q.clone(),
        search_configs: newsdesk_services::search::configs(&state.site, &None),
        owned_by_user: (!staff.role.can_edit_others()).then_some((staff.user.id, staff.user.author_id)),
        ..Default::default()
    };
    let result = state.store.list_posts(&filter, q.page.unwrap_or(1), 30).await?;
    let counts: std::collections::HashMap<String, i64> = state.store.post_counts().await?.into_iter().collect();
    let posts: Vec<_> = result.items.iter().map(post_view).collect();
    let mut pag = pagination(&result, "/admin/posts");
    let query_base = format!(
        "/admin/posts?status={}&q={}&author={}&tag={}&page=",
        status.as_deref().unwrap_or(""),
        crate::auth::session::urlencode(q.q.as_deref().unwrap_or("")),
        author.map(|a| a.to_string()).unwrap_or_default(),
        tag.map(|a| a.to_string()).unwrap_or_default()
    );
    pag.prev = (result.page > 1).then(|| format!("{query_base}{}", result.page - 1));
    pag.next = (result.page < result.pages()).then(|| format!("{query_base}{}", result.page + 1));
    let data = serde_json::json!({
        "posts": posts,
        "counts": counts,
        "authors": state.store.authors().await?,
        "tags": state.store.tags_with_counts().await?,
        "filter": { "status": status, "q": q.q, "author": author, "tag": tag },
        "pagination": pag,
    });
    page(&state, &staff, "admin/posts.html", "posts", flash_text(q.done.as_deref()), data)
}

/// What the editor template needs.
struct EditorState<'a> {
    post: Option<&'a Post>,
    values: serde_json::Value,
    image: Option<ImageView>,
    errors: FieldErrors,
    preview_html: String,
}

async fn editor(
    state: &AppState,
    staff: &Staff,
    e: EditorState<'_>,
    flash: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let post_json = match e.post {
        Some(p) => {
            let v = post_view(p);
            serde_json::json!({ "id": v.id, "status": v.status, "url": v.url, "published_at": v.published_at })
        }
        None => serde_json::json!({}),
    };
    let autosave = e.post.is_none_or(|p| p.row.status == "draft");
    let corrections: Vec<_> = match e.post {
        Some(p) => state.store.corrections_for(&[p.row.id]).await?.remove(&p.row.id).unwrap_or_default(),
        None => Vec::new(),
    }
    .iter()
    .map(newsdesk_services::views::correction_view)
    .collect();
    let data = serde_json::json!({
        "post": post_json,
        "values": e.values,
        "image": e.image,
        "authors": state.store.authors().await?,
        "errors": errors_json(&e.errors),
        "preview_html": e.preview_html,
        "autosave": autosave,
        "corrections": corrections,
        "audio": match e.post {
            Some(p) => state.store.audio_edition(p.row.id).await?,
            None => None,
        },
        "site_languages": super::site_languages(&state.site),
        "paid_tiers": state.store.tiers().await?.into_iter().filter(|t| t.is_paid()).collect::<Vec<_>>(),
        "newsletters": if staff.role.can_manage_newsletters() && e.post.is_some_and(|p| p.row.status == "published") {
            state.store.all_newsletters().await?
        } else {
            Vec::new()
        },
    });
    let section = if e.post.is_some() { "posts" } else { "new" };
    if status == StatusCode::OK {
        page(state, staff, "admin/editor.html", section, flash, data)
    } else {
        Ok((status, invalid(state, staff, "admin/editor.html", section, data)?).into_response())
    }
}

fn values_of(
    p: &Post,
    site: &newsdesk_domain::SiteSettings,
    related_slug: Option<String>,
    translation_of: Option<String>,
) -> serde_json::Value {
    let tz = site.timezone.tz();
    let r = &p.row;
    let publish_at = r
        .published_at
        .filter(|_| r.status == "scheduled")
        .and_then(|t| jiff::Timestamp::from_second(t).ok())
        .map(|t| t.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M").to_string());
    serde_json::json!({
        "title": r.title, "slug": r.slug, "excerpt": r.excerpt, "body": r.body_md, "kind": r.kind,
        "document": newsdesk_services::documents::stored(&r.body_doc, &r.body_md).to_json(),
        "authors": p.authors.iter().map(|a| a.id).collect::<Vec<_>>(),
        "tags": p.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "),
        "feature_image_alt": r.feature_image_alt, "feature_image_caption": r.feature_image_caption,
        "feature_image_credit": r.feature_image_credit, "revision": r.revision, "publish_at": publish_at,
        "related": related_slug,
        "narration": r.narration, "meta_title": r.meta_title, "meta_description": r.meta_description,
        "language": site.language_of(r.language.as_deref()), "translation_of": translation_of,
        "visibility": r.visibility,
    })
}

fn values_from_form(form: &FormData, image_id: Option<i64>) -> serde_json::Value {
    serde_json::json!({
        "title": form.str("title"), "slug": form.str("slug"), "excerpt": form.str("excerpt"), "body": form.str("body"),
        "document": form.get("document"),
        "kind": form.str("kind"), "tags": form.str("tags"), "publish_at": form.str("publish_at"),
        "authors": form.all("author").iter().filter_map(|a| a.parse::<i64>().ok()).collect::<Vec<_>>(),
        "feature_image_alt": form.str("feature_image_alt"), "feature_image_caption": form.str("feature_image_caption"),
        "feature_image_credit": form.str("feature_image_credit"), "revision": form.str("revision"), "feature_image_id": image_id,
        "related": form.str("related"), "meta_title": form.str("meta_title"),
        "meta_description": form.str("meta_description"),
        "language": form.str("language"), "translation_of": form.str("translation_of"),
        "visibility": form.str("visibility"),
    })
}

pub async fn new_form(State(state): State<AppState>, staff: Staff) -> Result<Response, AppError> {
    let values = serde_json::json!({ "authors": staff.user.author_id.into_iter().collect::<Vec<_>>(), "kind": "post" });
    let e = EditorState { post: None, values, image: None, errors: FieldErrors::new(), preview_html: String::new() };
    editor(&state, &staff, e, None, StatusCode::OK).await
}

async fn load_editable(state: &AppState, staff: &Staff, id: i64) -> Result<Post, AppError> {
    let post = state.store.post(id).await?.ok_or(AppError::NotFound)?;
    if !content::can_edit(&staff.actor(), &post) {
        return Err(AppError::Forbidden(format!("Your role ({}) cannot edit this post.", staff.role.as_str())));
    }
    Ok(post)
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<super::DoneQuery>,
) -> Result<Response, AppError> {
    let post = load_editable(&state, &staff, id).await?;
    let related_slug = match post.row.related_post_id {
        Some(id) => state.store.post(id).await?.map(|p| p.row.slug),
        None => None,
    };
    // The story this one translates, as the editor names it: another post of its translations.
    let translation_of = match post.row.translation_group {
        Some(g) => state.store.translation_group(g).await?.into_iter().find(|t| t.id != id).map(|t| t.slug),
        None => None,
    };
    let image = post.feature_image.as_ref().map(|m| image_view(m, None, None, None));
    let e = EditorState {
        values: values_of(&post, &state.site, related_slug, translation_of),
        image,
        errors: FieldErrors::new(),
        // Staff preview the whole story; readers who may not read it get the part before the cut.
        preview_html: format!("{}{}", post.row.body_html, post.row.paid_html),
        post: Some(&post),
    };
    editor(&state, &staff, e, flash_text(q.done.as_deref()), StatusCode::OK).await
}

/// Turns the editor's fields into a draft; uploads the image first when one was sent.
async fn draft_from_form(
    state: &AppState,
    form: &mut FormData,
    errors: &mut FieldErrors,
) -> Result<(PostDraft, Option<i64>), AppError> {
    let mut image_id = form.get("feature_image_id").and_then(|v| v.parse::<i64>().ok());
    if form.get("remove_image").is_some() {
        image_id = None;
    }
    if let Some(upload) = form.file.take() {
        match store_image(&state.store, &state.media, &upload.filename, upload.bytes, "feature_image").await {
            Ok(m) => image_id = Some(m.id),
            Err(UploadError::Invalid(e)) => {
                errors.insert(e.field, e.message);
            }
            Err(UploadError::Internal(e)) => return Err(AppError::Internal(e)),
        }
    }
    let draft = PostDraft {
        kind: form.get("kind").map(str::to_owned),
        title: form.str("title").to_owned(),
        slug: form.get("slug").map(str::to_owned),
        excerpt: form.get("excerpt").map(str::to_owned),
        body: form.str("body").replace("\r\n", "\n"),
        // The rich-text editor sends the document; without JavaScript (or in Markdown mode) only the Markdown.
        document: form.get("document").filter(|_| form.get("body_format") != Some("markdown")).map(str::to_owned),
        authors: form.all("author").into_iter().map(str::to_owned).collect(),
        tags: form.str("tags").split(',').map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect(),
        publish_at: form.get("publish_at").map(str::to_owned),
        feature_image_id: image_id,
        feature_image_alt: form.get("feature_image_alt").map(str::to_owned),
        feature_image_caption: form.get("feature_image_caption").map(str::to_owned),
        feature_image_credit: form.get("feature_image_credit").map(str::to_owned),
        revision: form.get("revision").and_then(|r| r.parse().ok()),
        related: form.get("related").map(str::to_owned),
        meta_title: form.get("meta_title").map(str::to_owned),
        meta_description: form.get("meta_description").map(str::to_owned),
        // Sent only when the site has other languages (the editor shows the fields then).
        language: form.get("language").map(str::to_owned),
        translation_of: form.get("translation_of").map(str::to_owned),
        visibility: form.get("visibility").map(str::to_owned),
    };
    Ok((draft, image_id))
}

fn action_of(form: &FormData) -> Action {
    match form.get("action") {
        Some("publish") => Action::Publish,
        Some("unpublish") => Action::Unpublish,
        _ => Action::Save,
    }
}

async fn save(
    state: &AppState,
    staff: &Staff,
    existing: Option<Post>,
    mut form: FormData,
) -> Result<Response, AppError> {
    check_csrf(staff, &form)?;
    let mut errors = FieldErrors::new();
    let (draft, image_id) = draft_from_form(state, &mut form, &mut errors).await?;
    let action = action_of(&form);
    let result = if errors.is_empty() {
        content::save_post(&state.store, &state.site, &staff.actor(), existing.as_ref(), draft, action).await
    } else {
        Err(SaveError::Invalid(errors.clone(), "invalid"))
    };
    match result {
        Ok(id) => {
            // The checkbox is only in the editor; other callers leave narration as it is.
            if form.get("narration_field").is_some() {
                let on = form.get("narration").is_some();
                if existing.as_ref().is_none_or(|p| (p.row.narration == 1) != on) {
                    state.store.set_narration(id, on).await?;
                }
            }
            state.refresh_version().await;
            let post = state.store.post(id).await?.ok_or(AppError::NotFound)?;
            let done = match (action, post.row.status.as_str()) {
                (Action::Unpublish, _) => "unpublished",
                (Action::Publish, "scheduled") => "scheduled",
                (Action::Publish, _) => "published",
                _ => "saved",
            };
            tracing::info!(post.id = id, post.status = %post.row.status, user.id = staff.user.id, "post saved");
            Ok(see_other(&format!("/admin/posts/{id}/edit?done={done}")))
        }
        Err(SaveError::Invalid(mut errs, _)) => {
            errs.extend(errors);
            let image = match image_id {
                Some(id) => state.store.media(id).await?.map(|m| image_view(&m, None, None, None)),
                None => None,
            };
            let preview_html =
                newsdesk_services::documents::preview_html(&state.store, form.get("document"), form.str("body"))
                    .await?;
            let e = EditorState {
                post: existing.as_ref(),
                values: values_from_form(&form, image_id),
                image,
                errors: errs,
                preview_html,
            };
            editor(state, staff, e, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(SaveError::Forbidden(m)) => Err(AppError::Forbidden(m)),
        Err(SaveError::NotFound) => Err(AppError::NotFound),
        Err(SaveError::Internal(e)) => Err(AppError::Internal(e)),
    }
}

#[tracing::instrument(skip_all, name = "admin.posts.create")]
pub async fn create(State(state): State<AppState>, staff: Staff, form: FormData) -> Result<Response, AppError> {
    save(&state, &staff, None, form).await
}

#[tracing::instrument(skip_all, name = "admin.posts.update", fields(posts.id = id))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    let post = load_editable(&state, &staff, id).await?;
    save(&state, &staff, Some(post), form).await
}

/// Autosave from the editor script: drafts only, never a published post. Answers JSON.
#[tracing::instrument(skip_all, name = "admin.posts.autosave")]
pub async fn autosave(State(state): State<AppState>, staff: Staff, mut form: FormData) -> Response {
    let fail = |status: StatusCode, code: &str, message: String| {
        (status, Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    };
    if check_csrf(&staff, &form).is_err() {
        return fail(StatusCode::FORBIDDEN, "csrf", "The page expired; reload it.".into());
    }
    let existing = match form.get("id").and_then(|v| v.parse::<i64>().ok()) {
        Some(id) => match state.store.post(id).await {
            Ok(Some(p)) if content::can_edit(&staff.actor(), &p) => Some(p),
            Ok(_) => {
                return fail(StatusCode::NOT_FOUND, "not_found", "That post is gone or not yours.".into());
            }
            Err(e) => return crate::error::ApiError::from(e).into_response(),
        },
        None => None,
    };
    if existing.as_ref().is_some_and(|p| p.row.status != "draft") {
        return fail(
            StatusCode::CONFLICT,
            "not_a_draft",
            "Only drafts are autosaved; use Update to change a live post.".into(),
        );
    }
    form.file = None;
    let mut errors = FieldErrors::new();
    let (draft, _) = match draft_from_form(&state, &mut form, &mut errors).await {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    match content::save_post(&state.store, &state.site, &staff.actor(), existing.as_ref(), draft, Action::Save).await {
        Ok(id) => {
            let revision = state.store.post(id).await.ok().flatten().map(|p| p.row.revision).unwrap_or(0);
            Json(serde_json::json!({ "id": id, "revision": revision })).into_response()
        }
        Err(SaveError::Invalid(errs, code)) => {
            let message = errs.values().cloned().collect::<Vec<_>>().join(" ");
            fail(StatusCode::UNPROCESSABLE_ENTITY, code, message)
        }
        Err(SaveError::Forbidden(m)) => fail(StatusCode::FORBIDDEN, "forbidden", m),
        Err(SaveError::NotFound) => fail(StatusCode::NOT_FOUND, "not_found", "Not found.".into()),
        Err(SaveError::Internal(e)) => crate::error::ApiError::from(e).into_response(),
    }
}

/// Live preview: the same renderer and sanitiser as a save. CSRF token in `X-CSRF-Token`.
/// The body is Markdown, or document JSON when the request says `Content-Type: application/json`.
pub async fn preview(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AppError> {
    let token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    crate::auth::csrf::check(&staff.csrf, token)?;
    if body.len() > newsdesk_domain::document::MAX_JSON_BYTES {
        return Err(AppError::BadRequest("The text is too long to preview.".into()));
    }
    let text = String::from_utf8_lossy(&body);
    let json =
        headers.get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("application/json"));
    let (document, markdown) = if json { (Some(text.as_ref()), "") } else { (None, text.as_ref()) };
    let html = newsdesk_services::documents::preview_html(&state.store, document, markdown).await?;
    Ok(Html(html).into_response())
}

#[tracing::instrument(skip_all, name = "admin.posts.delete", fields(posts.id = id))]
pub async fn delete(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let post = load_editable(&state, &staff, id).await?;
    staff.require(staff.role.can_edit_others() || post.row.status == "draft", "delete a published post")?;
    content::delete_post(&state.store, id).await?;
    state.refresh_version().await;
    tracing::info!(post.id = id, user.id = staff.user.id, "post deleted");
    Ok(see_other("/admin/posts?done=deleted"))
}

/// "Narrate again": queues a fresh narration of a published post, even if its text did not change.
#[tracing::instrument(skip_all, name = "admin.posts.narrate", fields(posts.id = id))]
pub async fn narrate(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, AppError> {
    check_csrf(&staff, &form)?;
    let post = load_editable(&state, &staff, id).await?;
    staff.require(staff.role.can_publish(), "narrate articles")?;
    if post.row.status != "published" {
        return Err(AppError::BadRequest("Only published articles are narrated.".into()));
    }
    state.store.set_audio_state(id, "queued", Some("Waiting for a worker"), None).await?;
    state.store.request_narration(id, true).await?;
    Ok(see_other(&format!("/admin/posts/{id}/edit?done=narrating")))
}
