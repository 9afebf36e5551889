//! Subscriber work that the admin, the public pages and the CLI share: fresh confirmation links, and the CSV
//! export.

use newsdesk_store::newsletters::Newsletter;

use crate::error::AppError;
use crate::newsletter_mail::confirmation_mail;
use crate::routes::public::newsletters::TOKEN_TTL;
use crate::state::AppState;

/// A new confirmation link, mailed, for everything `email` has pending. Returns whether anything was pending.
pub async fn renew_confirmation(state: &AppState, email: &str) -> Result<bool, AppError> {
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
pub async fn send_confirmations(state: &AppState, n: &Newsletter) -> Result<usize, AppError> {
    let mut sent = 0;
    for (_, email) in state.store.pending_without_link(n.id).await? {
        sent += usize::from(renew_confirmation(state, &email).await?);
    }
    Ok(sent)
}

/// Every subscription of a newsletter as CSV (a spreadsheet opens it; an import reads it back).
pub async fn export_csv(state: &AppState, n: &Newsletter) -> Result<String, AppError> {
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
