//! Tags (sections) and authors (people and desks): the checks and the save, for the admin's forms (and, later,
//! importers and the API). Both are on every public page (nav, bylines), so each save moves the content version.

use newsdesk_domain::author::parse_name;
use newsdesk_domain::text::optional;
use newsdesk_domain::{AuthorKind, Slug};
use newsdesk_store::authors::AuthorInput;

use crate::error::Problems;
use crate::{Actor, Context, ServiceError};

/// A tag as typed in the form.
pub struct TagForm<'a> {
    pub name: &'a str,
    /// Empty or missing: made from the name.
    pub slug: Option<&'a str>,
    pub description: Option<&'a str>,
}

/// An author as typed in the form; `image_id` is a photo already stored (see `media`).
pub struct AuthorForm<'a> {
    pub name: &'a str,
    pub slug: Option<&'a str>,
    pub kind: &'a str,
    pub bio: Option<&'a str>,
    pub image_id: Option<i64>,
}

fn slug_for(given: Option<&str>, name: Option<&str>, p: &mut Problems) -> Option<Slug> {
    match given.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse("slug", s).map_err(|e| p.note(e)).ok(),
        None => name.and_then(Slug::from_text),
    }
}

fn require_taxonomy(actor: &Actor, what: &str) -> Result<(), ServiceError> {
    if actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("Your role ({}) cannot {what}.", actor.role.as_str())))
    }
}

/// Creates (`id = None`) or changes a tag. Returns its id.
pub async fn save_tag(ctx: &Context, actor: &Actor, id: Option<i64>, f: &TagForm<'_>) -> Result<i64, ServiceError> {
    require_taxonomy(actor, "manage tags")?;
    let mut p = Problems::default();
    let name = parse_name("name", f.name).map_err(|e| p.note(e)).ok();
    let description = optional("description", f.description, 500).map_err(|e| p.note(e)).ok().flatten();
    let slug = slug_for(f.slug, name.as_deref(), &mut p);
    p.check()?;
    let (Some(name), Some(slug)) = (name, slug) else { return Err(ServiceError::BadRequest("Name the tag.".into())) };
    let id = match id {
        Some(id) => {
            ctx.store.update_tag(id, slug.as_str(), &name, description.as_deref()).await?;
            id
        }
        None => ctx.store.create_tag(slug.as_str(), &name, description.as_deref()).await?.id,
    };
    tracing::info!(tag.id = id, "tag saved");
    Ok(id)
}

/// Creates (`id = None`) or changes an author or desk. Returns its id.
pub async fn save_author(
    ctx: &Context,
    actor: &Actor,
    id: Option<i64>,
    f: &AuthorForm<'_>,
) -> Result<i64, ServiceError> {
    require_taxonomy(actor, "manage authors")?;
    let mut p = Problems::default();
    let name = parse_name("name", f.name).map_err(|e| p.note(e)).ok();
    let kind = AuthorKind::parse("kind", f.kind).map_err(|e| p.note(e)).ok();
    let bio = optional("bio", f.bio, 1000).map_err(|e| p.note(e)).ok().flatten();
    let slug = slug_for(f.slug, name.as_deref(), &mut p);
    p.check()?;
    let (Some(name), Some(kind), Some(slug)) = (name, kind, slug) else {
        return Err(ServiceError::BadRequest("Name the author.".into()));
    };
    let input = AuthorInput {
        slug: slug.as_str(),
        name: &name,
        kind: kind.as_str(),
        bio: bio.as_deref(),
        image_id: f.image_id,
    };
    let id = match id {
        Some(id) => {
            ctx.store.update_author(id, input).await?;
            id
        }
        None => ctx.store.create_author(input).await?.id,
    };
    tracing::info!(author.id = id, "author saved");
    Ok(id)
}
