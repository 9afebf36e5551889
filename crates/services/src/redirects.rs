//! Redirects staff manage: add one, remove one, and move them in and out as CSV (`from,to,status`). Importers and
//! slug changes add their own through the store.

use newsdesk_domain::csv;
use newsdesk_store::Store;
use newsdesk_store::redirects::{NewRedirect, RedirectTarget, normalize_path};

use crate::{Actor, ServiceError};

/// Who may manage redirects: those who manage sections and authors.
fn allowed(actor: &Actor) -> Result<(), ServiceError> {
    if actor.role.can_manage_taxonomy() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("Your role ({}) cannot manage redirects.", actor.role.as_str())))
    }
}

/// Checks one redirect's fields; the message names what is wrong.
pub fn parse(from: &str, to: &str, status: &str) -> Result<NewRedirect, ServiceError> {
    let from_path = normalize_path(from).filter(|p| p != "/").ok_or_else(|| {
        ServiceError::invalid(
            "from_path",
            "redirect_from_invalid",
            format!(
                "\u{201c}{from}\u{201d} is not an old address: give a path such as /2019/05/old-story/ or /?p=123."
            ),
        )
    })?;
    let to = to.trim();
    let local = to.starts_with('/') && !to.starts_with("//") && !to.contains(['\\', '\n', '\r', '\t']);
    if !local || to.len() > 2000 {
        return Err(ServiceError::invalid(
            "to_path",
            "redirect_to_invalid",
            format!("\u{201c}{to}\u{201d} is not a path of this site: redirects lead to a path such as /new-story/."),
        ));
    }
    if normalize_path(to).as_deref() == Some(from_path.as_str()) {
        return Err(ServiceError::invalid("to_path", "redirect_loop", "A redirect cannot lead to itself."));
    }
    let status = match status.trim() {
        "" | "301" => 301,
        "302" => 302,
        "307" => 307,
        "308" => 308,
        other => {
            return Err(ServiceError::invalid(
                "status",
                "redirect_status_invalid",
                format!("\u{201c}{other}\u{201d} is not a redirect status: use 301 (permanent) or 302 (temporary)."),
            ));
        }
    };
    Ok(NewRedirect { from_path, target: RedirectTarget::Path(to.to_owned()), status, source: "manual".into() })
}

/// Adds a redirect; returns the old path as stored (normalised).
pub async fn add(store: &Store, actor: &Actor, from: &str, to: &str, status: &str) -> Result<String, ServiceError> {
    allowed(actor)?;
    let r = parse(from, to, status)?;
    store.add_redirect(&r).await?;
    tracing::info!(redirect.from = %r.from_path, user.id = actor.user_id, "redirect added");
    Ok(r.from_path)
}

pub async fn remove(store: &Store, actor: &Actor, id: i64) -> Result<(), ServiceError> {
    allowed(actor)?;
    store.delete_redirect(id).await?;
    Ok(())
}

/// The problems of a CSV that was refused, by line.
#[derive(Debug)]
pub struct CsvRefused {
    pub rows: Vec<(usize, String)>,
}

/// Reads `from,to[,status]` rows (a header row is skipped) and adds or replaces them all in one transaction; any bad
/// row refuses the whole file. Returns how many were written.
pub async fn import_csv(store: &Store, actor: &Actor, text: &str) -> Result<Result<u64, CsvRefused>, ServiceError> {
    allowed(actor)?;
    let records = csv::parse(text).map_err(|e| ServiceError::invalid("file", "csv_invalid", e))?;
    let mut items = Vec::new();
    let mut rows = Vec::new();
    for (line, fields) in records {
        let get = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
        if line == 1 && get(0).eq_ignore_ascii_case("from") {
            continue;
        }
        match parse(get(0), get(1), get(2)) {
            Ok(mut r) => {
                r.source = "csv".into();
                items.push(r);
            }
            Err(ServiceError::Invalid { errors, .. }) => {
                rows.push((line, errors.into_values().next().unwrap_or_default()));
            }
            Err(e) => return Err(e),
        }
    }
    if !rows.is_empty() {
        return Ok(Err(CsvRefused { rows }));
    }
    if items.is_empty() {
        return Err(ServiceError::invalid(
            "file",
            "csv_invalid",
            "The file has no redirects (rows of from,to,status).",
        ));
    }
    let n = store.put_redirects(&items).await?;
    tracing::info!(redirects = n, user.id = actor.user_id, "redirects imported");
    Ok(Ok(n))
}

/// Every redirect as CSV: where each leads now (a story that is not published is left out: its address answers
/// 404 until it is).
pub async fn export_csv(store: &Store) -> Result<String, ServiceError> {
    let mut out = csv::record(&["from", "to", "status", "source"]);
    for r in store.all_redirects().await? {
        if let Some(to) = r.target_path() {
            out.push_str(&csv::record(&[&r.from_path, &to, &r.status.to_string(), &r.source]));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn redirects_stay_on_the_site() {
        assert!(parse("/old/", "/new/", "").is_ok());
        assert_eq!(parse("https://old.example/?p=5", "/new/", "302").unwrap().from_path, "/?p=5");
        for (from, to, status) in [
            ("/old/", "https://evil.example/", ""),
            ("/old/", "//evil.example/", ""),
            ("/old/", "/\\evil", ""),
            ("/", "/new/", ""),
            ("/old/", "/old/", ""),
            ("/old/", "/new/", "200"),
            ("not a path", "/new/", ""),
        ] {
            assert!(parse(from, to, status).is_err(), "{from} → {to} ({status})");
        }
    }
}
