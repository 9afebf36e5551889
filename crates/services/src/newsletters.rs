//! Newsletters as staff define them: name, slug, description, host, sender and reply-to, cadence, public or
//! hidden, order. Their names and descriptions are in every page's signup forms, so each save moves the content
//! version (in the store, in the same transaction).

use newsdesk_domain::text::{optional, single_line};
use newsdesk_domain::{EmailAddress, Slug, ValidationError};
use newsdesk_store::newsletters::NewsletterInput;

use crate::error::Problems;
use crate::{Actor, Context, ServiceError};

/// A newsletter as typed in the admin's form.
pub struct NewsletterForm<'a> {
    pub name: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub description: Option<&'a str>,
    pub sender_name: Option<&'a str>,
    pub sender_email: &'a str,
    pub reply_to: &'a str,
    pub cadence: Option<&'a str>,
    pub visibility: &'a str,
    pub sort_order: &'a str,
    pub host_author_id: &'a str,
    /// BCP 47: the site's language (or empty) or one of `[site] languages`; `None` keeps it.
    pub language: Option<&'a str>,
}

fn address(field: &'static str, raw: &str, p: &mut Problems) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    EmailAddress::parse(field, raw).map(|a| a.as_str().to_owned()).map_err(|e| p.note(e)).ok()
}

/// Creates (`id = None`) or changes a newsletter. Returns its id.
pub async fn save(ctx: &Context, actor: &Actor, id: Option<i64>, f: &NewsletterForm<'_>) -> Result<i64, ServiceError> {
    if !actor.role.can_manage_newsletters() {
        return Err(ServiceError::Forbidden(format!("Your role ({}) cannot manage newsletters.", actor.role.as_str())));
    }
    let mut p = Problems::default();
    let name = single_line("name", f.name, 120).map_err(|e| p.note(e)).ok().flatten();
    let description = optional("description", f.description, 1000).map_err(|e| p.note(e)).ok().flatten();
    let sender_name = single_line("sender_name", f.sender_name, 120).map_err(|e| p.note(e)).ok().flatten();
    let cadence = single_line("cadence", f.cadence, 60).map_err(|e| p.note(e)).ok().flatten();
    if name.is_none() {
        p.note(ValidationError::new("name", "name_empty", "Give the newsletter a name."));
    }
    let slug = match f.slug.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse("slug", s).map_err(|e| p.note(e)).ok(),
        None => name.as_deref().and_then(Slug::from_text),
    };
    let sender_email = address("sender_email", f.sender_email, &mut p);
    let reply_to = address("reply_to", f.reply_to, &mut p);
    let visibility = match f.visibility {
        v @ ("public" | "hidden") => v,
        _ => {
            p.note(ValidationError::new("visibility", "invalid", "Choose public or hidden."));
            "public"
        }
    };
    let sort_order = match f.sort_order.trim() {
        "" => 0,
        s => s.parse::<i64>().unwrap_or_else(|_| {
            p.note(ValidationError::new("sort_order", "invalid", "The order is a whole number."));
            0
        }),
    };
    let host_author_id = match f.host_author_id {
        "" => None,
        s => match s.parse::<i64>() {
            Ok(aid) if ctx.store.author(aid).await?.is_some() => Some(aid),
            _ => {
                p.note(ValidationError::new("host_author_id", "author_unknown", "Choose a host from the list."));
                None
            }
        },
    };
    let language = match f.language {
        Some(text) => ctx.site.post_language("language", text).map_err(|e| p.note(e)).ok().flatten(),
        None => match id {
            Some(id) => ctx.store.newsletter(id).await?.and_then(|n| n.language),
            None => None,
        },
    };
    p.check()?;
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(ServiceError::BadRequest("Give the newsletter a name.".into()));
    };
    let input = NewsletterInput {
        slug: slug.as_str(),
        name: &name,
        description: description.as_deref(),
        host_author_id,
        sender_name: sender_name.as_deref(),
        sender_email: sender_email.as_deref(),
        reply_to: reply_to.as_deref(),
        cadence: cadence.as_deref(),
        visibility,
        sort_order,
        language: language.as_deref(),
    };
    let id = match id {
        Some(id) => {
            ctx.store.update_newsletter(id, &input).await?;
            id
        }
        None => ctx.store.create_newsletter(&input).await?.id,
    };
    tracing::info!(newsletter.id = id, "newsletter saved");
    Ok(id)
}
