//! Members: readers' accounts, signing in by a magic link, what a member may read ([`access_of`]), staff grants
//! ("comps"), and a member's own data (download, delete).
//!
//! Sign-in: a reader gives only an address; we mail a link carrying a 256-bit token (stored as its SHA-256, usable
//! once, for [`LINK_TTL`]). The link opens a page with a button that POSTs, so link scanners that fetch every URL
//! in a mail sign nobody in. The answer never says whether the address had an account.

use newsdesk_domain::{Access, EmailAddress};
use newsdesk_store::mail::MailPayload;
use newsdesk_store::members::{Member, MemberSubscription};
use serde::Deserialize;

use crate::{Context, ServiceError};

/// A sign-in link works for 20 minutes.
pub const LINK_TTL: i64 = 20 * 60;
/// Member sessions last 90 days.
pub const SESSION_TTL: i64 = 90 * 24 * 3600;

/// `[payments]`: Stripe and the rules of reader revenue. Secrets never reach logs (`Debug` hides them).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// `sk_…`: server-side calls to Stripe (Checkout, the customer portal, reconciliation). Empty: payments off.
    pub stripe_secret_key: String,
    /// `pk_…`: shown to browsers.
    pub stripe_publishable_key: String,
    /// `whsec_…`: verifies `Stripe-Signature` on `POST /members/webhooks/stripe`.
    pub stripe_webhook_secret: String,
    /// Stripe's API (tests point it at a local stand-in).
    pub stripe_api_base: String,
    /// ISO 4217, lower case: the currency of tiers and donations.
    pub currency: String,
    /// Days a member whose payment failed keeps access while Stripe retries.
    pub grace_days: i64,
    /// The amounts `/support/` suggests, in whole units of the currency.
    pub donation_amounts: Vec<i64>,
    /// The payment provider's fee, for "cover the fees": a percentage of the charge plus a fixed part in minor units.
    pub donation_fee_percent: f64,
    pub donation_fee_fixed: i64,
    /// The meter: stories a month a reader who is not signed in may read whole before being asked to register (or
    /// join); 0 turns it off. Works without Stripe (the free account is enough).
    pub meter: u32,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            stripe_secret_key: String::new(),
            stripe_publishable_key: String::new(),
            stripe_webhook_secret: String::new(),
            stripe_api_base: "https://api.stripe.com".into(),
            currency: "gbp".into(),
            grace_days: 7,
            donation_amounts: vec![5, 10, 25, 50],
            donation_fee_percent: 1.5,
            donation_fee_fixed: 20,
            meter: 0,
        }
    }
}

impl std::fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &str| if s.is_empty() { "" } else { "[redacted]" };
        f.debug_struct("PaymentsConfig")
            .field("stripe_secret_key", &hidden(&self.stripe_secret_key))
            .field("stripe_publishable_key", &self.stripe_publishable_key)
            .field("stripe_webhook_secret", &hidden(&self.stripe_webhook_secret))
            .field("stripe_api_base", &self.stripe_api_base)
            .field("currency", &self.currency)
            .field("grace_days", &self.grace_days)
            .field("donation_amounts", &self.donation_amounts)
            .field("donation_fee_percent", &self.donation_fee_percent)
            .field("donation_fee_fixed", &self.donation_fee_fixed)
            .field("meter", &self.meter)
            .finish()
    }
}

impl PaymentsConfig {
    pub fn grace_seconds(&self) -> i64 {
        self.grace_days.max(0) * 24 * 3600
    }
}

/// What a member may read now, from what gives them tiers.
pub fn access_from(subscriptions: &[MemberSubscription], grace_seconds: i64) -> Access {
    let now = newsdesk_store::now();
    let mut paid_tiers: Vec<String> = subscriptions
        .iter()
        .filter(|s| s.tier_paid == 1 && s.grants_access(now, grace_seconds))
        .map(|s| s.tier_slug.clone())
        .collect();
    paid_tiers.sort();
    paid_tiers.dedup();
    Access::Member { paid_tiers }
}

/// What member `id` may read now.
pub async fn access_of(ctx: &Context, member_id: i64) -> Result<Access, ServiceError> {
    let subs = ctx.store.member_subscriptions(member_id).await?;
    Ok(access_from(&subs, ctx.options.payments.grace_seconds()))
}

/// A path on this site to go on to after signing in; anything else (another site, `//host`) becomes `None`.
pub fn local_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    (n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && !n.chars().any(char::is_control)
        && n.len() <= 500)
        .then(|| n.to_owned())
}

/// Mails a sign-in link to `email`, making the account if there is none (an account needs only an address).
/// `next` is where the link leads after signing in.
pub async fn request_sign_in(ctx: &Context, email: &EmailAddress, next: Option<&str>) -> Result<Member, ServiceError> {
    let (member, created) = ctx.store.find_or_create_member(email.as_str(), "signup").await?;
    if created {
        tracing::info!(member.id = member.id, "member account created");
    }
    let (token, hash) = newsdesk_store::new_token();
    let mail = sign_in_mail(ctx, &member.email, &token, created)?;
    ctx.store.create_member_link_with_mail(member.id, &hash, LINK_TTL, local_next(next).as_deref(), &mail).await?;
    Ok(member)
}

fn sign_in_mail(ctx: &Context, to: &str, token: &str, created: bool) -> Result<MailPayload, ServiceError> {
    let url = format!("{}/members/signin/{token}", ctx.site.url.trim_end_matches('/'));
    member_mail(ctx, "email/member_signin.txt", to, serde_json::json!({ "url": url, "created": created }))
}

/// A member's mail from the theme's `email/<name>.txt` (a site may override it): its first line is the subject,
/// the rest the text. `data` adds to what every such template gets (`site`, `account_url`, `membership_url`).
pub fn member_mail(
    ctx: &Context,
    template: &str,
    to: &str,
    data: serde_json::Value,
) -> Result<MailPayload, ServiceError> {
    let site = ctx.site.url.trim_end_matches('/');
    let mut vars = serde_json::json!({
        "account_url": format!("{site}/account/"), "membership_url": format!("{site}/membership/"),
        "lang": ctx.site.language,
    });
    if let (Some(v), Some(extra)) = (vars.as_object_mut(), data.as_object()) {
        v.extend(extra.clone());
    }
    let text = ctx.templates.render(template, newsdesk_render::minijinja::Value::from_serialize(&vars))?;
    let (subject, body) = text.trim_start().split_once('\n').unwrap_or((text.trim(), ""));
    Ok(MailPayload {
        to: to.to_owned(),
        subject: subject.trim().chars().take(200).collect(),
        text: format!("{}\n", body.trim()),
        html: None,
        reply_to: None,
        headers: Vec::new(),
    })
}

/// Everything we hold about a member, as they download it from their account page.
pub async fn export_data(ctx: &Context, member: &Member) -> Result<serde_json::Value, ServiceError> {
    let subs = ctx.store.member_subscriptions(member.id).await?;
    let signins = ctx.store.member_signins(member.id, 1000).await?;
    let newsletters: Vec<serde_json::Value> = ctx
        .store
        .subscription_statuses(&member.email)
        .await?
        .into_iter()
        .map(|(newsletter, status)| serde_json::json!({ "newsletter": newsletter, "status": status }))
        .collect();
    let iso = |t: Option<i64>| crate::api_views::rfc3339(t);
    Ok(serde_json::json!({
        "site": ctx.site.url,
        "exported_at": iso(Some(newsdesk_store::now())),
        "member": {
            "email": member.email, "name": member.name, "created_at": iso(Some(member.created_at)),
            "source": member.source, "last_seen_at": iso(member.last_seen_at),
            "stripe_customer_id": member.stripe_customer_id,
        },
        "tiers": subs.iter().map(|s| serde_json::json!({
            "tier": s.tier_name, "source": s.source, "status": s.status, "cadence": s.cadence,
            "amount": s.amount, "currency": s.currency, "current_period_end": iso(s.current_period_end),
            "expires_at": iso(s.expires_at), "started_at": iso(Some(s.created_at)),
        })).collect::<Vec<_>>(),
        "newsletters": newsletters,
        "sign_ins": signins.iter().map(|s| serde_json::json!({ "at": iso(Some(s.created_at)), "ip": s.ip })).collect::<Vec<_>>(),
    }))
}

/// What deleting an account keeps, as the account page states it.
pub const KEPT_AFTER_DELETION: &str = "We delete your account, your sign-ins, your newsletter subscriptions and \
     your address. We keep records of payments (amount, date and Stripe's reference, without your name or address) \
     for as long as tax law requires, a one-way fingerprint of your address in our consent records (proof of what you \
     agreed to, which cannot be turned back into the address), and the address itself only if it is on our do-not-mail \
     list because mail to it bounced or you reported it as spam.";

/// Deletes a member's account and everything about them that the law does not require us to keep.
pub async fn delete_account(ctx: &Context, member: &Member) -> Result<(), ServiceError> {
    ctx.store.delete_member(member.id).await?;
    tracing::info!(member.id = member.id, "member account deleted");
    Ok(())
}

/// A tier as staff type it in the admin (prices as amounts, `5` or `5.50`; benefits one per line).
#[derive(Debug, Default, Clone)]
pub struct TierDraft {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub benefits: String,
    pub monthly_price: String,
    pub yearly_price: String,
    pub trial_days: String,
    pub active: bool,
    pub position: String,
}

/// Parses a tier; `free` says it is the free tier (no prices, always active). Every problem is named by its field.
pub fn parse_tier(
    d: &TierDraft,
    currency: &str,
    free: bool,
) -> Result<newsdesk_store::members::TierInput, ServiceError> {
    use newsdesk_domain::ValidationError;
    let mut errors = crate::FieldErrors::new();
    let mut code: Option<&'static str> = None;
    let mut note = |e: ValidationError| {
        code.get_or_insert(e.code);
        errors.entry(e.field).or_insert(e.message);
    };
    let name = newsdesk_domain::author::parse_name("name", &d.name).map_err(&mut note).ok();
    let slug = if free {
        Some(newsdesk_store::members::FREE_TIER.to_owned())
    } else if d.slug.trim().is_empty() {
        name.as_deref().and_then(newsdesk_domain::Slug::from_text).map(newsdesk_domain::Slug::into_string)
    } else {
        newsdesk_domain::Slug::parse("slug", &d.slug).map(newsdesk_domain::Slug::into_string).map_err(&mut note).ok()
    };
    if slug.as_deref() == Some(newsdesk_store::members::FREE_TIER) && !free {
        note(ValidationError::new("slug", "slug_taken", "\"free\" is the free tier's slug."));
    }
    let description =
        newsdesk_domain::text::optional("description", Some(&d.description), 500).map_err(&mut note).ok().flatten();
    let benefits: Vec<String> =
        d.benefits.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| l.chars().take(200).collect()).collect();
    if benefits.len() > 12 {
        note(ValidationError::new("benefits", "too_long", "List at most 12 benefits."));
    }
    let price = |field: &'static str, text: &str, note: &mut dyn FnMut(ValidationError)| -> Option<i64> {
        if free || text.trim().is_empty() {
            return None;
        }
        newsdesk_domain::membership::parse_amount(field, text).map_err(note).ok()
    };
    let monthly = price("monthly_price", &d.monthly_price, &mut note);
    let yearly = price("yearly_price", &d.yearly_price, &mut note);
    if !free
        && monthly.is_none()
        && yearly.is_none()
        && d.monthly_price.trim().is_empty()
        && d.yearly_price.trim().is_empty()
    {
        note(ValidationError::new("monthly_price", "amount_invalid", "A paid tier needs a monthly or a yearly price."));
    }
    let trial_days = match d.trial_days.trim() {
        "" => 0,
        t => match t.parse::<i64>() {
            Ok(n) if (0..=365).contains(&n) => n,
            _ => {
                note(ValidationError::new("trial_days", "invalid", "Trial days are a whole number from 0 to 365."));
                0
            }
        },
    };
    let position = d.position.trim().parse::<i64>().unwrap_or(0);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid { errors, code: code.unwrap_or("invalid") });
    }
    let (Some(name), Some(slug)) = (name, slug) else {
        return Err(ServiceError::invalid("name", "invalid", "Give the tier a name."));
    };
    Ok(newsdesk_store::members::TierInput {
        slug,
        name,
        description: description.unwrap_or_default(),
        benefits,
        currency: currency.to_ascii_lowercase(),
        monthly_price: monthly,
        yearly_price: yearly,
        trial_days: if free { 0 } else { trial_days },
        active: free || d.active,
        position,
    })
}

/// Creates a tier (`id` absent) or saves one from staff's draft (the admin's form, the API), in the site's currency
/// for a new tier; the free tier keeps no prices and stays active. Admins and the owner only.
pub async fn save_tier(
    ctx: &Context,
    actor: &crate::Actor,
    id: Option<i64>,
    draft: &TierDraft,
) -> Result<newsdesk_store::members::Tier, ServiceError> {
    may_manage(actor, "manage membership tiers")?;
    let existing = match id {
        Some(id) => Some(ctx.store.tier(id).await?.ok_or(ServiceError::NotFound)?),
        None => None,
    };
    let free = existing.as_ref().is_some_and(|t| !t.is_paid());
    let currency =
        existing.as_ref().map(|t| t.currency.clone()).unwrap_or_else(|| ctx.options.payments.currency.clone());
    let input = parse_tier(draft, &currency, free)?;
    let saved = ctx.store.save_tier(existing.as_ref().map(|t| t.id), &input).await?;
    tracing::info!(tier.id = saved, tier.slug = %input.slug, "membership tier saved");
    ctx.store.tier(saved).await?.ok_or(ServiceError::NotFound)
}

/// Refuses anyone but admins and the owner: members, their money and tiers are theirs to manage.
pub fn may_manage(actor: &crate::Actor, what: &str) -> Result<(), ServiceError> {
    if actor.role.can_manage_staff() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("The role {} cannot {what}.", actor.role.as_str())))
    }
}

/// Grants ("comps") paid tier `tier` to member `member_id`, until the end of day `until` (YYYY-MM-DD in the site's
/// time zone; empty: until revoked), with a note saying why; `by` is who granted it. Every problem is named by its
/// field (`tier`, `until`).
pub async fn grant_tier(
    ctx: &Context,
    actor: &crate::Actor,
    member_id: i64,
    tier: Option<i64>,
    until: &str,
    note: &str,
    by: &str,
) -> Result<(), ServiceError> {
    may_manage(actor, "grant tiers")?;
    ctx.store.member(member_id).await?.ok_or(ServiceError::NotFound)?;
    let mut problems = crate::error::Problems::default();
    let tier = match tier {
        Some(t) => ctx.store.tier(t).await?.filter(|t| t.is_paid()),
        None => None,
    };
    if tier.is_none() {
        problems.note(newsdesk_domain::ValidationError::new("tier", "tier_invalid", "Choose a paid tier to grant."));
    }
    let until = match until.trim() {
        "" => None,
        d => match crate::posts::parse_time("until", &format!("{d}T23:59"), ctx.site.timezone.tz()) {
            Ok(t) if t > newsdesk_store::now() => Some(t),
            Ok(_) => {
                problems.note(newsdesk_domain::ValidationError::new(
                    "until",
                    "until_invalid",
                    "The end of a grant is a day in the future.",
                ));
                None
            }
            Err(_) => {
                problems.note(newsdesk_domain::ValidationError::new(
                    "until",
                    "until_invalid",
                    format!("\"{d}\" is not a date; use YYYY-MM-DD."),
                ));
                None
            }
        },
    };
    problems.check()?;
    let Some(tier) = tier else { return Err(ServiceError::NotFound) };
    let note = Some(note.trim()).filter(|n| !n.is_empty()).map(|n| n.chars().take(300).collect::<String>());
    ctx.store.grant_comp(member_id, tier.id, until, note.as_deref(), by).await?;
    tracing::info!(member.id = member_id, tier = %tier.slug, by, "tier granted by staff");
    Ok(())
}

/// Every member as a CSV in Ghost's members format (a Ghost import reads it, and so does ours).
pub async fn export_csv(ctx: &Context) -> Result<String, ServiceError> {
    use newsdesk_domain::csv::record;
    let rows = ctx.store.members_for_export(ctx.options.payments.grace_seconds()).await?;
    let mut out = record(newsdesk_domain::membership::MEMBER_COLUMNS);
    for r in &rows {
        let m = &r.member;
        let created = crate::api_views::rfc3339(Some(m.created_at)).unwrap_or_default();
        out.push_str(&record(&[
            &m.id.to_string(),
            &m.email,
            m.name.as_deref().unwrap_or(""),
            m.note.as_deref().unwrap_or(""),
            if r.subscribed_to_emails { "true" } else { "false" },
            if r.complimentary { "true" } else { "false" },
            m.stripe_customer_id.as_deref().unwrap_or(""),
            &created,
            "",
            "",
            &r.tiers.join(", "),
        ]));
    }
    Ok(out)
}
