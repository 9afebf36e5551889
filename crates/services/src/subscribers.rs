//! Subscriber work that the admin, the public pages and the CLI share: fresh confirmation links, and the CSV
//! export.

use newsdesk_store::newsletters::Newsletter;

use crate::newsletter_mail::confirmation_mail;
use crate::{Context, ServiceError};

/// What a form says beside an address that is not one.
pub const BAD_ADDRESS: &str = "Please enter a correct email address.";

/// Confirmation links work for 72 hours.
pub const TOKEN_TTL: i64 = 72 * 3600;

/// A new confirmation link, mailed, for everything `email` has pending. Returns whether anything was pending.
pub async fn renew_confirmation(state: &Context, email: &str) -> Result<bool, ServiceError> {
    let (token, hash) = newsdesk_store::new_token();
    let sent = state
        .store
        .renew_confirmation(email, &hash, TOKEN_TTL, |names| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            confirmation_mail(state, email, &names, &token)
        })
        .await?;
    Ok(sent.is_some())
}

/// Sends a confirmation link to every pending subscriber of `n` that has none (after an unconfirmed add or
/// import). Returns how many were sent.
pub async fn send_confirmations(state: &Context, n: &Newsletter) -> Result<usize, ServiceError> {
    let emails: Vec<String> = state.store.pending_without_link(n.id).await?.into_iter().map(|(_, e)| e).collect();
    let sent = state
        .store
        .renew_confirmations(&emails, TOKEN_TTL, |email, names, token| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            confirmation_mail(state, email, &names, token)
        })
        .await?;
    Ok(sent)
}

/// Every subscription of a newsletter as CSV (a spreadsheet opens it; an import reads it back).
pub async fn export_csv(state: &Context, n: &Newsletter) -> Result<String, ServiceError> {
    let iso = |t: i64| jiff::Timestamp::from_second(t).map(|t| t.to_string()).unwrap_or_default();
    let mut csv = newsdesk_domain::csv::record(&["email", "name", "status", "subscribed_at", "confirmed_at"]);
    for (email, name, status, created, confirmed) in state.store.export_subscriptions(n.id).await? {
        let confirmed = confirmed.map(iso).unwrap_or_default();
        csv.push_str(&newsdesk_domain::csv::record(&[
            &email,
            name.as_deref().unwrap_or(""),
            &status,
            &iso(created),
            &confirmed,
        ]));
    }
    Ok(csv)
}

/// What an import did.
pub struct ImportReport {
    pub summary: newsdesk_store::subscribers::ImportSummary,
    /// Confirmation mails queued (none for a pre-confirmed import).
    pub mailed: usize,
}

/// Imports checked rows (address, name) into `n` — confirmed on the stated consent, or pending with a confirmation
/// mail each — for the admin's upload and `newsdesk subscribers import` alike. Suppressed addresses are never
/// imported; repeated ones are merged by the store.
pub async fn import(
    state: &Context,
    n: &Newsletter,
    rows: Vec<(String, Option<String>)>,
    confirmed: bool,
    consent: &newsdesk_store::newsletters::Consent<'_>,
) -> Result<ImportReport, ServiceError> {
    let rows: Vec<newsdesk_store::subscribers::ImportRow> =
        rows.into_iter().map(|(email, name)| newsdesk_store::subscribers::ImportRow { email, name }).collect();
    let summary = state.store.import_subscribers(n.id, &rows, confirmed, consent).await?;
    let mailed = if confirmed { 0 } else { send_confirmations(state, n).await? };
    tracing::info!(
        newsletter = %n.slug,
        added = summary.added,
        updated = summary.updated,
        suppressed = summary.suppressed,
        mailed,
        "subscribers imported"
    );
    Ok(ImportReport { summary, mailed })
}

/// The words next to every signup form, recorded in the consent ledger with each signup.
pub fn consent_text(site_title: &str) -> String {
    format!("By subscribing you agree to receive these emails from {site_title}. You can unsubscribe at any time.")
}

/// The public newsletters a signup form chose, by slug. Hidden newsletters take only the subscribers staff add,
/// so choosing one (a crafted form) is refused like an unknown one.
pub async fn chosen_public(state: &Context, chosen: &[String]) -> Result<Vec<Newsletter>, ServiceError> {
    if chosen.is_empty() {
        return Err(ServiceError::invalid("newsletter", "invalid", "Choose at least one newsletter."));
    }
    let found: Vec<Newsletter> =
        state.store.newsletters_by_slugs(chosen).await?.into_iter().filter(|n| n.visibility == "public").collect();
    if found.len() != chosen.iter().collect::<std::collections::BTreeSet<_>>().len() {
        return Err(ServiceError::invalid("newsletter", "invalid", "One of the newsletters chosen does not exist."));
    }
    Ok(found)
}

/// A reader signs up from a public form: the subscriptions are pending, the consent is recorded with the words
/// shown beside the form, and one confirmation mail (double opt-in) is queued in the same transaction. Addresses
/// are kept in lower case: one subscriber per mailbox.
pub async fn sign_up(
    state: &Context,
    email: &newsdesk_domain::EmailAddress,
    newsletters: &[Newsletter],
    ip: Option<&str>,
    form_url: Option<&str>,
) -> Result<newsdesk_store::newsletters::SignupOutcome, ServiceError> {
    let (token, hash) = newsdesk_store::new_token();
    let consent = consent_text(&state.site.title);
    let to = email.as_str().to_lowercase();
    let mail = |pending: &[&Newsletter]| {
        let names: Vec<&str> = pending.iter().map(|n| n.name.as_str()).collect();
        confirmation_mail(state, &to, &names, &token)
    };
    let form_url: Option<String> = form_url.map(|u| u.chars().take(500).collect());
    let consent = newsdesk_store::newsletters::Consent { ip, form_url: form_url.as_deref(), consent_text: &consent };
    Ok(state.store.sign_up(&to, newsletters, &hash, TOKEN_TTL, &consent, mail).await?)
}

/// An address staff add by hand.
pub struct ManualAdd<'a> {
    pub email: &'a str,
    pub name: &'a str,
    /// Added confirmed (on the stated consent) or sent a confirmation mail.
    pub confirmed: bool,
    /// Where the consent came from; required when `confirmed`.
    pub source: &'a str,
}

/// Staff add one address to `n`: confirmed on a stated consent source, or pending with a confirmation mail.
/// Suppressed addresses (bounced, complained, blocked) are refused. The ledger records the source and who added
/// the address (`added_by`, a staff address).
pub async fn add_by_hand(
    state: &Context,
    n: &Newsletter,
    a: &ManualAdd<'_>,
    added_by: &str,
) -> Result<(), ServiceError> {
    let Ok(address) = newsdesk_domain::EmailAddress::parse("email", a.email) else {
        return Err(ServiceError::invalid("email", "email_invalid", BAD_ADDRESS));
    };
    let source: String = a.source.trim().chars().take(500).collect();
    if a.confirmed && source.is_empty() {
        return Err(ServiceError::invalid(
            "source",
            "invalid",
            "Say where this person agreed to receive the newsletter (e.g. \"signed up at the town fair, 3 May\").",
        ));
    }
    let name = Some(a.name.trim()).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect::<String>());
    let source = if source.is_empty() { "Added by staff; confirmation requested by email.".to_owned() } else { source };
    let rows = [newsdesk_store::subscribers::ImportRow { email: address.as_str().to_lowercase(), name }];
    let consent = newsdesk_store::newsletters::Consent { ip: None, form_url: Some(added_by), consent_text: &source };
    let summary = state.store.import_subscribers(n.id, &rows, a.confirmed, &consent).await?;
    if summary.suppressed > 0 {
        return Err(ServiceError::invalid(
            "email",
            "invalid",
            "This address is suppressed (it bounced, complained or was blocked) and cannot be added.",
        ));
    }
    if !a.confirmed {
        send_confirmations(state, n).await?;
    }
    Ok(())
}

fn preferences_consent<'a>(words: &'a str, ip: Option<&'a str>) -> newsdesk_store::newsletters::Consent<'a> {
    newsdesk_store::newsletters::Consent { ip, form_url: Some("/newsletters/preferences/"), consent_text: words }
}

/// A reader's choice on their preferences page: exactly these newsletters (by slug) — public ones, and hidden
/// ones they already have (staff added them). Anything else is refused and nothing changes.
pub async fn choose(
    state: &Context,
    subscriber: &newsdesk_store::subscribers::Subscriber,
    chosen: &[String],
    ip: Option<&str>,
) -> Result<(), ServiceError> {
    let theirs = state.store.subscription_statuses(&subscriber.email).await?;
    let found: Vec<Newsletter> = state
        .store
        .newsletters_by_slugs(chosen)
        .await?
        .into_iter()
        .filter(|n| n.visibility == "public" || theirs.iter().any(|(slug, _)| *slug == n.slug))
        .collect();
    if found.len() != chosen.iter().collect::<std::collections::BTreeSet<_>>().len() {
        return Err(ServiceError::invalid("newsletter", "invalid", "One of the newsletters chosen does not exist."));
    }
    let ids: Vec<i64> = found.iter().map(|n| n.id).collect();
    let words = consent_text(&state.site.title);
    state.store.set_preferences(subscriber.id, &ids, &preferences_consent(&words, ip)).await?;
    Ok(())
}

/// Unsubscribes a reader from everything, from their preferences page.
pub async fn unsubscribe_all(
    state: &Context,
    subscriber: &newsdesk_store::subscribers::Subscriber,
    ip: Option<&str>,
) -> Result<(), ServiceError> {
    let words = consent_text(&state.site.title);
    state.store.set_preferences(subscriber.id, &[], &preferences_consent(&words, ip)).await?;
    Ok(())
}

/// The new address a reader typed, checked: a real address, and not the one we use. Lower case.
pub fn new_address(subscriber: &newsdesk_store::subscribers::Subscriber, raw: &str) -> Result<String, ServiceError> {
    let Ok(address) = newsdesk_domain::EmailAddress::parse("email", raw.trim()) else {
        return Err(ServiceError::invalid("email", "email_invalid", BAD_ADDRESS));
    };
    let new_email = address.as_str().to_lowercase();
    if new_email == subscriber.email {
        return Err(ServiceError::invalid("email", "invalid", "That is the address we already use."));
    }
    Ok(new_email)
}

/// Sends a confirmation link to the new address; the subscriptions move there once it is confirmed.
pub async fn request_address_change(
    state: &Context,
    subscriber: &newsdesk_store::subscribers::Subscriber,
    new_email: &str,
) -> Result<(), ServiceError> {
    let (link_token, hash) = newsdesk_store::new_token();
    let mail = crate::newsletter_mail::address_change_mail(state, new_email, &link_token);
    state.store.request_address_change(subscriber.id, new_email, &hash, TOKEN_TTL, &mail).await?;
    Ok(())
}

/// Staff put an address on the suppression list: it never gets newsletter mail again (queued deliveries to it
/// are skipped), until taken off.
pub async fn suppress(state: &Context, raw: &str, added_by: &str) -> Result<(), ServiceError> {
    let Ok(address) = newsdesk_domain::EmailAddress::parse("email", raw) else {
        return Err(ServiceError::invalid("email", "email_invalid", BAD_ADDRESS));
    };
    let detail = format!("Added by {added_by}");
    state.store.suppress(address.as_str(), "manual", Some(&detail)).await?;
    Ok(())
}

/// Takes an address off the suppression list (it must sign up again to get mail).
pub async fn unsuppress(state: &Context, email: &str) -> Result<(), ServiceError> {
    state.store.unsuppress(email).await?;
    Ok(())
}
