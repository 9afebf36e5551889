//! Newsletter commands: `newsdesk subscribers import|export` and `newsdesk send …` (make an issue, watch or steer
//! a send). They call the same use cases as the admin (`newsdesk-services`).

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use newsdesk_store::Store;
use newsdesk_store::issues::IssueControl;
use newsdesk_store::newsletters::{Consent, Newsletter};

use crate::config::Config;

async fn state(config: &Config) -> anyhow::Result<newsdesk_services::Context> {
    config.services(config.open_store().await?)
}

async fn newsletter(store: &Store, slug: &str) -> anyhow::Result<Newsletter> {
    match store.newsletter_by_slug(slug).await? {
        Some(n) => Ok(n),
        None => {
            let known: Vec<String> = store.all_newsletters().await?.into_iter().map(|n| n.slug).collect();
            bail!("--newsletter: no newsletter \"{slug}\" (there are: {})", known.join(", "))
        }
    }
}

pub struct ImportOptions<'a> {
    pub file: &'a Path,
    pub newsletter: &'a str,
    pub confirmed: bool,
    pub source: Option<&'a str>,
    pub skip_invalid: bool,
}

pub async fn import(config: &Config, o: &ImportOptions<'_>) -> anyhow::Result<()> {
    let text = std::fs::read(o.file).with_context(|| format!("cannot read {}", o.file.display()))?;
    let text = String::from_utf8(text).map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", o.file.display()))?;
    let parsed =
        newsdesk_domain::subscribers::parse_import(&text).map_err(|e| anyhow::anyhow!("{}: {e}", o.file.display()))?;
    let source = match o.source {
        Some(s) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => bail!("--source: say where these addresses agreed to hear from you (it is kept in the consent ledger)"),
    };
    let state = state(config).await?;
    let n = newsletter(&state.store, o.newsletter).await?;
    for (line, problem) in parsed.errors.iter().take(50) {
        eprintln!("{}: row {line}: {problem}", o.file.display());
    }
    if parsed.errors.len() > 50 {
        eprintln!("… and {} more", parsed.errors.len() - 50);
    }
    if !parsed.errors.is_empty() && !o.skip_invalid {
        bail!(
            "{} row(s) cannot be imported; nothing was imported (fix them, or pass --skip-invalid to import the other {})",
            parsed.errors.len(),
            parsed.rows.len()
        );
    }
    eprintln!("importing {} address(es) into {}…", parsed.rows.len(), n.name);
    let consent = Consent { ip: None, form_url: Some("newsdesk subscribers import"), consent_text: &source };
    let report = newsdesk_services::subscribers::import(&state, &n, parsed.rows, o.confirmed, &consent).await?;
    let (summary, mailed) = (report.summary, report.mailed);
    state.store.close().await;
    println!(
        "{} added, {} updated, {} suppressed (not imported), {} skipped, {} repeated; {} confirmation mail(s) queued",
        summary.added,
        summary.updated,
        summary.suppressed,
        parsed.errors.len(),
        parsed.duplicates,
        mailed
    );
    Ok(())
}

pub async fn export(config: &Config, slug: &str) -> anyhow::Result<()> {
    let state = state(config).await?;
    let n = newsletter(&state.store, slug).await?;
    let csv = newsdesk_services::subscribers::export_csv(&state, &n).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    state.store.close().await;
    print!("{csv}");
    Ok(())
}

pub struct SendOptions<'a> {
    pub posts: &'a [String],
    pub newsletter: &'a str,
    pub subject: Option<&'a str>,
    pub intro: Option<&'a str>,
    /// Idempotency key: the same key never makes a second issue.
    pub key: Option<&'a str>,
    pub wait: bool,
}

pub async fn send(config: &Config, o: &SendOptions<'_>) -> anyhow::Result<()> {
    let state = state(config).await?;
    let n = newsletter(&state.store, o.newsletter).await?;
    let mut posts = Vec::new();
    for slug in o.posts {
        match state.store.published_by_slug(slug).await? {
            Some(p) => posts.push(p),
            None => bail!("no published article with the slug \"{slug}\""),
        }
    }
    if posts.is_empty() {
        bail!("name at least one published article: newsdesk send <post-slug>… --newsletter <slug>");
    }
    let request = newsdesk_services::issues::Request {
        newsletter: &n,
        posts: &posts,
        requested: posts.len(),
        subject: o.subject.unwrap_or(""),
        intro: o.intro.unwrap_or(""),
    };
    let key = o.key.map(str::to_owned).unwrap_or_else(|| newsdesk_store::new_token().0);
    let (issue, made) = match newsdesk_services::issues::start(&state, &request, &key, None).await {
        Ok(done) => done,
        Err(newsdesk_services::ServiceError::Invalid { errors, .. }) => {
            bail!("{}", errors.into_values().collect::<Vec<_>>().join(" "))
        }
        Err(e) => return Err(e.into()),
    };
    if made {
        println!("issue {} \"{}\" queued for {}", issue.id, issue.subject, n.name);
    } else {
        println!("issue {} was already made with this key; nothing new was queued", issue.id);
    }
    if o.wait {
        watch(&state.store, issue.id).await?;
    } else {
        eprintln!(
            "a running `newsdesk serve` or `newsdesk worker` delivers it; follow it with `newsdesk send status {}`",
            issue.id
        );
    }
    state.store.close().await;
    Ok(())
}

fn progress_line(issue: &newsdesk_store::issues::Issue, p: &newsdesk_store::issues::Progress) -> String {
    let stopped = issue.stop_reason.as_deref().map(|r| format!("\n  {r}")).unwrap_or_default();
    format!(
        "issue {:>4}  {:<9} {:>7} sent {:>6} failed {:>6} bounced {:>6} skipped {:>7} remaining {:>8.1}/s  {}{stopped}",
        issue.id,
        issue.status,
        p.sent,
        p.failed,
        p.bounced,
        p.skipped,
        p.remaining(),
        p.rate,
        issue.subject
    )
}

/// Prints progress every two seconds until the send ends.
async fn watch(store: &Store, id: i64) -> anyhow::Result<()> {
    loop {
        let issue = store.issue(id).await?.context("the issue disappeared")?;
        let p = store.issue_progress(id).await?;
        eprintln!("{}", progress_line(&issue, &p));
        if matches!(issue.status.as_str(), "sent" | "cancelled") {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn status(config: &Config, id: Option<i64>) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    let issues = match id {
        Some(id) => vec![store.issue(id).await?.with_context(|| format!("no issue {id}"))?],
        None => store.issues(None, 20).await?,
    };
    if issues.is_empty() {
        println!("no issues yet");
    }
    for issue in &issues {
        let p = store.issue_progress(issue.id).await?;
        println!("{}", progress_line(issue, &p));
        if id.is_some() {
            for (email, status, error) in store.failed_deliveries(issue.id, 50).await? {
                println!("  {status:<8} {email}  {}", error.unwrap_or_default());
            }
        }
    }
    store.close().await;
    Ok(())
}

pub async fn control(config: &Config, id: i64, action: &str) -> anyhow::Result<()> {
    let store = config.open_store().await?;
    let control = IssueControl::parse(action).with_context(|| format!("unknown action {action}"))?;
    let issue = store.issue(id).await?.with_context(|| format!("no issue {id}"))?;
    if !store.control_issue(id, control).await? {
        bail!("issue {id} is {} and cannot be {}", issue.status, control.done());
    }
    store.close().await;
    println!("issue {id} {}", control.done());
    Ok(())
}
