//! What editors put forward: Editors' Picks (ordered) and the home page's slots (lead, top stories). Both are on
//! public pages; the store moves the content version with each change.

use newsdesk_store::StoreError;

use crate::{Actor, Context, ServiceError};

fn require(actor: &Actor) -> Result<(), ServiceError> {
    if actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!(
            "Your role ({}) cannot curate the home page and Editors' Picks.",
            actor.role.as_str()
        )))
    }
}

fn refused(field: &'static str, message: String) -> ServiceError {
    ServiceError::invalid(field, "invalid", message)
}

/// A post named by id, slug or URL (`/some-story/`), if it exists.
pub async fn post_id_from(ctx: &Context, key: &str) -> Result<Option<i64>, ServiceError> {
    let key = key.trim().trim_matches('/');
    Ok(match key.parse::<i64>() {
        Ok(id) => ctx.store.post(id).await?.map(|p| p.row.id),
        Err(_) if key.is_empty() => None,
        Err(_) => ctx.store.post_by_slug(key.rsplit('/').next().unwrap_or(key)).await?.map(|p| p.row.id),
    })
}

/// Adds a published post (by id, slug or URL) to the end of Editors' Picks.
pub async fn add_pick(ctx: &Context, actor: &Actor, post: &str) -> Result<(), ServiceError> {
    require(actor)?;
    let Some(id) = post_id_from(ctx, post).await? else {
        return Err(refused("pick", "Choose a published post to add.".into()));
    };
    match ctx.store.add_pick(id, actor.user_id).await {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict { message, .. }) => Err(refused("pick", message)),
        Err(e) => Err(e.into()),
    }
}

/// Moves a pick one place up (`up`) or down.
pub async fn move_pick(ctx: &Context, actor: &Actor, post_id: i64, up: bool) -> Result<(), ServiceError> {
    require(actor)?;
    match ctx.store.move_pick(post_id, if up { -1 } else { 1 }).await {
        Ok(()) => Ok(()),
        Err(StoreError::NotFound) => Err(refused(
            "pick",
            "That post is no longer an Editors' Pick (someone removed it); the list below is current.".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Takes a post off Editors' Picks (already gone is fine).
pub async fn remove_pick(ctx: &Context, actor: &Actor, post_id: i64) -> Result<(), ServiceError> {
    require(actor)?;
    match ctx.store.remove_pick(post_id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Sets the home page's slots given (slot name → post id, or `None` to empty it); slots not given stay.
pub async fn set_home_slots(
    ctx: &Context,
    actor: &Actor,
    slots: &[(&'static str, Option<i64>)],
) -> Result<(), ServiceError> {
    require(actor)?;
    for (slot, id) in slots {
        match ctx.store.set_home_slot(slot, *id).await {
            Ok(()) => {}
            Err(StoreError::Conflict { message, .. }) => return Err(refused("slots", message)),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
