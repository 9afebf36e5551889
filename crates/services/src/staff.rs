//! Staff accounts: adding someone (with a password, or with a one-time link to choose one), and how long links
//! live. The admin's invitation form and `newsdesk user add` both come here.

use newsdesk_domain::author::parse_name;
use newsdesk_domain::{EmailAddress, Role};
use newsdesk_store::StoreError;
use newsdesk_store::users::User;

use crate::error::Problems;
use crate::{Context, ServiceError};

/// Invitations (and links printed by `newsdesk user add`) are valid for a week.
pub const INVITE_TTL: i64 = 7 * 24 * 3600;

/// Password-reset links are valid for an hour.
pub const RESET_TTL: i64 = 3600;

/// Who is being added, as typed.
pub struct NewStaff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    /// A password to set now (checked); `None` makes a one-time link to choose one.
    pub password: Option<String>,
}

/// Who adds them: a signed-in member of staff (whose role must be able to grant the new one; the invitation is
/// mailed, with their address to reply to), or `None` for the CLI (nothing is mailed; the link is returned).
pub struct Inviter<'a> {
    pub user: &'a User,
    pub role: Role,
}

pub struct Added {
    pub user: User,
    pub role: Role,
    /// The one-time link to choose a password, when none was given.
    pub setup_link: Option<String>,
}

pub async fn add(ctx: &Context, new: NewStaff<'_>, by: Option<Inviter<'_>>) -> Result<Added, ServiceError> {
    let mut p = Problems::default();
    let name = parse_name("name", new.name).map_err(|e| p.note(e)).ok();
    let email = EmailAddress::parse("email", new.email).map_err(|e| p.note(e)).ok();
    let role = match Role::parse("role", new.role) {
        Ok(r) if by.as_ref().is_none_or(|b| b.role.can_grant(r)) => Some(r),
        Ok(r) => {
            let message = format!("You cannot give the role {}.", r.as_str());
            p.note(newsdesk_domain::ValidationError::new("role", "role_not_grantable", message));
            None
        }
        Err(e) => {
            p.note(e);
            None
        }
    };
    if let Some(pw) = &new.password
        && let Err(e) = crate::passwords::check_new(pw, pw)
    {
        p.note(e);
    }
    p.check()?;
    let (Some(name), Some(email), Some(role)) = (name, email, role) else {
        return Err(ServiceError::BadRequest("Name, address and role are needed.".into()));
    };
    let hash = match new.password {
        Some(pw) => Some(crate::passwords::hash(pw).await?),
        None => None,
    };
    let user = match ctx.store.create_user(email.as_str(), &name, role.as_str(), hash.as_deref(), None).await {
        Ok(u) => u,
        Err(StoreError::Conflict { field, message }) => {
            return Err(ServiceError::invalid(field, "email_taken", message));
        }
        Err(e) => return Err(e.into()),
    };
    if hash.is_some() {
        return Ok(Added { user, role, setup_link: None });
    }
    let (token, token_hash) = newsdesk_store::new_token();
    let link = format!("{}/admin/setup/{token}", ctx.site.url);
    match by {
        Some(by) => {
            let mail = newsdesk_store::mail::MailPayload {
                to: user.email.clone(),
                subject: format!("You are invited to {}", ctx.site.title),
                text: format!(
                    "Hello {},\n\n{} invited you to work on {} as {} {}.\n\nChoose your password here (the link works once, for 7 days):\n{link}\n\nIf you did not expect this, ignore this message.\n",
                    user.name,
                    by.user.name,
                    ctx.site.title,
                    if role.as_str().starts_with(['a', 'e', 'o']) { "an" } else { "a" },
                    role.as_str()
                ),
                html: None,
                reply_to: Some(by.user.email.clone()),
                headers: Vec::new(),
            };
            ctx.store.create_login_link_with_mail("invite", user.id, &token_hash, INVITE_TTL, &mail).await?;
            tracing::info!(user.id = user.id, by.user.id = by.user.id, "staff invited");
        }
        None => {
            ctx.store.create_login_link("invite", Some(user.id), &token_hash, INVITE_TTL).await?;
            tracing::info!(user.id = user.id, "staff added from the command line");
        }
    }
    Ok(Added { user, role, setup_link: Some(link) })
}

/// Mails a password-reset link to `email` when it has an account; the caller answers the same either way (the
/// form reveals nobody). Returns whether a link was sent.
pub async fn send_reset_link(ctx: &Context, email: &EmailAddress) -> Result<bool, ServiceError> {
    let Some(user) = ctx.store.user_by_email(email.as_str()).await? else { return Ok(false) };
    let (token, hash) = newsdesk_store::new_token();
    let link = format!("{}/admin/setup/{token}", ctx.site.url);
    let mail = newsdesk_store::mail::MailPayload {
        to: user.email.clone(),
        subject: format!("Reset your {} password", ctx.site.title),
        text: format!(
            "Hello {},\n\nSomeone (we hope you) asked to reset your password for {}. Choose a new one here; the link works once, for one hour:\n{link}\n\nIf it was not you, ignore this message: your password has not changed.\n",
            user.name, ctx.site.title
        ),
        html: None,
        reply_to: None,
        headers: Vec::new(),
    };
    ctx.store.create_login_link_with_mail("reset", user.id, &hash, RESET_TTL, &mail).await?;
    tracing::info!(user.id = user.id, "password reset link sent");
    Ok(true)
}

/// What a one-time link's form sent: the new password (twice), and for the owner set-up also a name and address.
pub struct SetupForm<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
    pub password_confirm: &'a str,
}

/// Uses a one-time link (owner set-up, invitation, reset): checks the form, then — atomically, so a second
/// submission finds the link gone — creates the owner or sets the password. Returns the user to sign in, or
/// `NotFound` when the link is dead.
pub async fn use_link(ctx: &Context, token: &str, f: &SetupForm<'_>) -> Result<i64, ServiceError> {
    let hash = newsdesk_store::hash_token(token);
    let link = ctx.store.peek_login_link(&hash).await?.ok_or(ServiceError::NotFound)?;
    let owner = link.purpose == "owner_setup";
    let mut p = crate::error::Problems::default();
    let mut email = None;
    if owner {
        if let Err(e) = parse_name("name", f.name) {
            p.note(e);
        }
        email = EmailAddress::parse("email", f.email.trim()).map_err(|e| p.note(e)).ok();
    }
    if let Err(e) = crate::passwords::check_new(f.password, f.password_confirm) {
        p.note(e);
    }
    p.check()?;
    let pw_hash = crate::passwords::hash(f.password.to_owned()).await?;
    let link = ctx.store.consume_login_link(&hash).await?.ok_or(ServiceError::NotFound)?;
    match (link.purpose.as_str(), link.user_id, email) {
        ("owner_setup", _, Some(email)) => {
            let name = f.name.trim();
            let user = ctx.store.create_user(email.as_str(), name, Role::Owner.as_str(), Some(&pw_hash), None).await?;
            tracing::info!(user.id = user.id, "owner account created");
            Ok(user.id)
        }
        (_, Some(user_id), _) => {
            ctx.store.set_password(user_id, &pw_hash, None).await?;
            Ok(user_id)
        }
        _ => Err(ServiceError::NotFound),
    }
}

/// The account `id` as `by` may change it: not their own, not the owner's, not one above their role.
async fn changeable(ctx: &Context, by: &Inviter<'_>, id: i64) -> Result<User, ServiceError> {
    if !by.role.can_manage_staff() {
        return Err(ServiceError::Forbidden(format!("Your role ({}) cannot manage staff.", by.role.as_str())));
    }
    let user = ctx.store.user(id).await?.ok_or(ServiceError::NotFound)?;
    let their_role = Role::parse("role", &user.role).unwrap_or(Role::Contributor);
    if user.id == by.user.id || their_role == Role::Owner || their_role > by.role {
        return Err(ServiceError::Forbidden("You cannot change this account.".into()));
    }
    Ok(user)
}

/// Gives the account `id` another role and byline (an author it writes as, or none).
pub async fn change(
    ctx: &Context,
    by: &Inviter<'_>,
    id: i64,
    role: &str,
    author_id: Option<i64>,
) -> Result<(), ServiceError> {
    let user = changeable(ctx, by, id).await?;
    let role = Role::parse("role", role).map_err(|e| ServiceError::BadRequest(e.message))?;
    if !by.role.can_grant(role) {
        return Err(ServiceError::Forbidden(format!("You cannot give the role {}.", role.as_str())));
    }
    if let Some(a) = author_id {
        ctx.store.author(a).await?.ok_or_else(|| ServiceError::BadRequest("That author does not exist.".into()))?;
    }
    ctx.store.update_user(user.id, &user.name, role.as_str(), author_id).await?;
    tracing::info!(user.id = user.id, by.user.id = by.user.id, role = role.as_str(), "staff changed");
    Ok(())
}

/// Removes the account `id`.
pub async fn remove(ctx: &Context, by: &Inviter<'_>, id: i64) -> Result<(), ServiceError> {
    let user = changeable(ctx, by, id).await?;
    ctx.store.delete_user(user.id).await?;
    tracing::info!(user.id = user.id, by.user.id = by.user.id, "staff removed");
    Ok(())
}

/// A member of staff changes their own password, proving the current one; their other sessions end (the one
/// with `keep_session`, a session's token hash, stays).
pub async fn change_password(
    ctx: &Context,
    user: &User,
    current: &str,
    new: &str,
    confirm: &str,
    keep_session: &str,
) -> Result<(), ServiceError> {
    let mut p = crate::error::Problems::default();
    let current_ok = match user.password_hash.clone() {
        Some(h) => crate::passwords::verify(current.to_owned(), h).await,
        None => false,
    };
    if !current_ok {
        p.note(newsdesk_domain::ValidationError::new(
            "current_password",
            "password_wrong",
            "That is not your current password.",
        ));
    }
    if let Err(e) = crate::passwords::check_new(new, confirm) {
        p.note(e);
    }
    p.check()?;
    let hash = crate::passwords::hash(new.to_owned()).await?;
    ctx.store.set_password(user.id, &hash, Some(keep_session)).await?;
    tracing::info!(user.id = user.id, "password changed");
    Ok(())
}

/// Makes an API token acting with `role` and returns it (shown once: only its hash is kept). The admin's tokens
/// page and `newsdesk token create` both come here.
pub async fn create_token(ctx: &Context, name: &str, role: Role) -> Result<String, ServiceError> {
    let (token, hash) = newsdesk_store::new_token();
    ctx.store.create_api_token(name, role.as_str(), &hash, "admin").await?;
    tracing::info!(token.name = %name, role = role.as_str(), "API token created");
    Ok(format!("nd_{token}"))
}

/// The areas an admin token can be limited to, with what each covers.
pub const SCOPES: &[(&str, &str)] = &[
    ("posts", "stories and pages: create, edit, publish, delete"),
    ("media", "upload files"),
    ("feed", "News Feed items: post, edit, retract"),
    ("taxonomy", "authors, tags, redirects, the home page and Editors' Picks"),
    ("newsletters", "subscribers (add, unsubscribe, import, export) and issues (send, test, pause, resume, cancel)"),
    ("members", "members (add, grant and revoke tiers, delete) and membership tiers"),
];

/// The scope a write to an API path needs (`/api/v1/posts/3`, or `/posts/3` inside the API's router; `None`: no
/// area of its own).
pub fn scope_of(path: &str) -> Option<&'static str> {
    let rest = path.strip_prefix("/api/v1").unwrap_or(path).trim_start_matches('/');
    match rest.split('/').next()? {
        "posts" => Some("posts"),
        "media" => Some("media"),
        "feed-items" => Some("feed"),
        "redirects" | "authors" | "tags" | "curation" => Some("taxonomy"),
        "newsletters" | "issues" => Some("newsletters"),
        "members" | "tiers" => Some("members"),
        _ => None,
    }
}

/// Creates an admin token limited to `scopes` (none: all its role allows), expiring after `days` when given.
pub async fn create_limited_token(
    ctx: &Context,
    name: &str,
    role: Role,
    scopes: &[&str],
    days: Option<i64>,
) -> Result<String, ServiceError> {
    if let Some(bad) = scopes.iter().find(|s| !SCOPES.iter().any(|(n, _)| n == *s)) {
        let known = SCOPES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        return Err(ServiceError::invalid(
            "scopes",
            "scope_invalid",
            format!("\u{201c}{bad}\u{201d} is not a scope; use {known}."),
        ));
    }
    if days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(ServiceError::invalid("expires_days", "expiry_invalid", "A token expires after 1 to 3,650 days."));
    }
    let (token, hash) = newsdesk_store::new_token();
    let expires_at = days.map(|d| newsdesk_store::now() + d * 86_400);
    ctx.store.create_limited_token(name, role.as_str(), &hash, "admin", scopes, expires_at).await?;
    tracing::info!(token.name = %name, role = role.as_str(), scopes = %scopes.join(","), "API token created");
    Ok(format!("nd_{token}"))
}

/// Creates a Content API key (read-only, for `/ghost/api/content/`): 26 hex characters, as Ghost's, shown once.
pub async fn create_content_key(ctx: &Context, name: &str) -> Result<String, ServiceError> {
    let key = hex::encode(rand::random::<[u8; 13]>());
    ctx.store.create_api_token(name, "contributor", &newsdesk_store::hash_token(&key), "content").await?;
    tracing::info!(token.name = %name, "Content API key created");
    Ok(key)
}
