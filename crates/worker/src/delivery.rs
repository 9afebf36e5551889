//! Delivers newsletter issues: claims batches of delivery records, sends them with bounded concurrency and an
//! optional rate limit over the pooled transport, and records each result as soon as it is known. Runs beside the
//! job runner (a send of 100,000 messages must not hold up a password-reset mail), on every worker process; the
//! records' leases keep two senders off the same recipient.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use newsdesk_store::Store;
use newsdesk_store::issues::{Claimed, DeliveryResult, Personal, personalise};
use newsdesk_store::links::LinkKey;
use serde::Deserialize;
use tokio::sync::{Mutex, watch};

use crate::mail::{MailPayload, Mailer};

/// `[newsletters]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NewsletterConfig {
    /// Messages in flight at once (and SMTP connections kept open).
    pub concurrency: u32,
    /// Delivery records claimed at a time.
    pub batch_size: i64,
    /// At most this many messages per second per worker; 0 means as fast as the server takes them.
    pub rate_per_second: f64,
    /// How long a claimed batch is reserved; after a crash, its unrecorded messages are sent again once it runs out.
    pub lease_seconds: i64,
    /// First wait after a temporary failure (4xx); doubled each time, at most an hour.
    pub retry_seconds: i64,
    /// Attempts before a temporarily failing delivery is given up as failed.
    pub max_attempts: i64,
    /// Signups nobody confirmed are deleted after this many days (0 keeps them).
    pub purge_unconfirmed_after_days: i64,
    /// Shared secret for the bounce and complaint webhook (`Authorization: Bearer …`); empty turns it off.
    pub webhook_secret: String,
}

impl Default for NewsletterConfig {
    fn default() -> Self {
        NewsletterConfig {
            concurrency: 8,
            batch_size: 200,
            rate_per_second: 0.0,
            lease_seconds: 120,
            retry_seconds: 60,
            max_attempts: 6,
            purge_unconfirmed_after_days: 30,
            webhook_secret: String::new(),
        }
    }
}

/// What every message of one issue shares.
struct IssueMail {
    newsletter_id: i64,
    subject: String,
    html: String,
    text: String,
    /// Who gets the whole story, and its whole version (`None`: everyone gets `html`/`text`).
    whole: Option<(newsdesk_domain::Visibility, String, String)>,
    from: lettre::message::Mailbox,
    reply_to: Option<String>,
    list_id: String,
}

/// `List-Id` (RFC 2919): the newsletter's name as a quoted phrase, then `<slug.host>`.
fn list_id(name: &str, slug: &str, host: &str) -> String {
    let phrase: String = name
        .chars()
        .filter(|c| !c.is_control())
        .flat_map(|c| match c {
            '"' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    format!("\"{phrase}\" <{slug}.{host}>")
}

/// Spaces messages out to a rate.
struct Pacer {
    interval: Option<Duration>,
    next: Mutex<tokio::time::Instant>,
}

impl Pacer {
    async fn wait(&self) {
        let Some(interval) = self.interval else { return };
        let at = {
            let mut next = self.next.lock().await;
            let at = (*next).max(tokio::time::Instant::now());
            *next = at + interval;
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

fn log_failures(chunk: &[(Claimed, DeliveryResult)]) {
    for (c, r) in chunk {
        match r {
            DeliveryResult::Sent { .. } => {}
            DeliveryResult::Deferred { error, give_up, .. } => {
                tracing::warn!(
                    issue.id = c.issue_id,
                    attempts = c.attempts,
                    give_up,
                    error,
                    "newsletter delivery deferred"
                )
            }
            DeliveryResult::Bounced { error, hard } => {
                tracing::warn!(issue.id = c.issue_id, hard, error, "newsletter delivery bounced")
            }
        }
    }
}

pub struct Sender {
    store: Store,
    mailer: Arc<Mailer>,
    config: NewsletterConfig,
    key: LinkKey,
    site_url: String,
    default_from: String,
    /// The worker this sender runs in, recorded on every record it claims.
    worker_id: String,
    issues: Mutex<HashMap<i64, Arc<IssueMail>>>,
    pacer: Pacer,
    /// `[payments] grace_days` in seconds (see `MemberSubscription::grants_access`).
    grace_seconds: i64,
}

impl Sender {
    pub async fn new(
        store: Store,
        mailer: Arc<Mailer>,
        config: NewsletterConfig,
        site_url: &str,
        default_from: &str,
        worker_id: &str,
    ) -> anyhow::Result<Sender> {
        let key = store.link_key().await?;
        let interval = (config.rate_per_second > 0.0).then(|| Duration::from_secs_f64(1.0 / config.rate_per_second));
        Ok(Sender {
            store,
            mailer,
            config,
            key,
            site_url: site_url.trim_end_matches('/').to_owned(),
            default_from: default_from.to_owned(),
            worker_id: worker_id.to_owned(),
            issues: Mutex::new(HashMap::new()),
            pacer: Pacer { interval, next: Mutex::new(tokio::time::Instant::now()) },
            grace_seconds: 7 * 24 * 3600,
        })
    }

    /// Sets how long after a failed payment members still get paid stories whole.
    pub fn with_grace(mut self, seconds: i64) -> Sender {
        self.grace_seconds = seconds;
        self
    }

    /// For the recipients of issues not for everyone: who may get the whole story (address → whether), in one
    /// query per batch.
    async fn entitled(
        &self,
        issues: &HashMap<i64, Arc<IssueMail>>,
        claimed: &[Claimed],
    ) -> anyhow::Result<std::collections::HashSet<(i64, String)>> {
        let gated: Vec<&Claimed> =
            claimed.iter().filter(|c| issues.get(&c.issue_id).is_some_and(|i| i.whole.is_some())).collect();
        let mut out = std::collections::HashSet::new();
        if gated.is_empty() {
            return Ok(out);
        }
        let emails: Vec<String> = gated.iter().map(|c| c.email.to_lowercase()).collect();
        let refs: Vec<&str> = emails.iter().map(String::as_str).collect();
        let subs = self.store.subscriptions_by_email(&refs).await?;
        for c in gated {
            let email = c.email.to_lowercase();
            let Some(member_subs) = subs.get(&email) else { continue };
            let access = newsdesk_services::members::access_from(member_subs, self.grace_seconds);
            if let Some((visibility, _, _)) = issues.get(&c.issue_id).and_then(|i| i.whole.as_ref())
                && visibility.allows(&access)
            {
                out.insert((c.issue_id, email));
            }
        }
        Ok(out)
    }

    /// What the messages of each issue share, built once per issue. An issue whose sender or reply-to cannot be
    /// written into a message is stopped (paused with the reason shown to staff) and left out: its records are
    /// released untouched, never marked bounced for a mistake of ours.
    async fn issue_mail(&self, ids: &[i64], claimed: &[Claimed]) -> anyhow::Result<HashMap<i64, Arc<IssueMail>>> {
        let mut cache = self.issues.lock().await;
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !cache.contains_key(id)).collect();
        for issue in self.store.issues_by_ids(&missing).await? {
            let n = self.store.newsletter(issue.newsletter_id).await?;
            let built = match &n {
                Some(n) => {
                    let host = self
                        .site_url
                        .split("://")
                        .nth(1)
                        .unwrap_or("localhost")
                        .split(['/', ':'])
                        .next()
                        .unwrap_or("localhost");
                    let from = match &n.sender_email {
                        Some(addr) => crate::mail::sender_mailbox(n.sender_name.as_deref().unwrap_or(&n.name), addr),
                        None => self.default_from.parse().map_err(|e| format!("[mail] from: {e}")),
                    };
                    let reply_to = match &n.reply_to {
                        Some(r) => r
                            .parse::<lettre::message::Mailbox>()
                            .map(|_| Some(r.clone()))
                            .map_err(|e| format!("reply-to address \"{r}\": {e}")),
                        None => Ok(None),
                    };
                    from.and_then(|from| Ok((from, reply_to?, list_id(&n.name, &n.slug, host))))
                }
                None => self
                    .default_from
                    .parse()
                    .map(|from| (from, None, String::new()))
                    .map_err(|e| format!("[mail] from: {e}")),
            };
            match built {
                Ok((from, reply_to, list_id)) => {
                    cache.insert(
                        issue.id,
                        Arc::new(IssueMail {
                            newsletter_id: issue.newsletter_id,
                            subject: issue.subject,
                            whole: (!issue.whole_html.is_empty()).then(|| {
                                (
                                    newsdesk_domain::Visibility::from_stored(&issue.visibility),
                                    issue.whole_html,
                                    issue.whole_text,
                                )
                            }),
                            html: issue.html,
                            text: issue.text,
                            from,
                            reply_to,
                            list_id,
                        }),
                    );
                }
                Err(problem) => {
                    let reason =
                        format!("Stopped before sending: {problem}. Fix the newsletter's sender, then resume.");
                    tracing::error!(issue.id = issue.id, reason, "newsletter issue stopped");
                    self.store.stop_issue(issue.id, &reason, claimed).await?;
                }
            }
        }
        Ok(ids.iter().filter_map(|id| Some((*id, cache.get(id)?.clone()))).collect())
    }

    /// The message one recipient gets: the issue with their name and signed links, and the RFC 8058 headers.
    fn message(&self, issue: &IssueMail, c: &Claimed, whole: bool) -> MailPayload {
        let unsubscribe_url = format!(
            "{}/newsletters/unsubscribe/{}",
            self.site_url,
            self.key.unsubscribe_token(c.subscriber_id, issue.newsletter_id, &c.email)
        );
        let preferences_url = format!(
            "{}/newsletters/preferences/{}",
            self.site_url,
            self.key.preferences_token(c.subscriber_id, &c.email)
        );
        let p = Personal {
            name: c.name.as_deref(),
            email: &c.email,
            unsubscribe_url: &unsubscribe_url,
            preferences_url: &preferences_url,
        };
        let mut headers = vec![
            ("List-Unsubscribe".to_owned(), format!("<{unsubscribe_url}>")),
            ("List-Unsubscribe-Post".to_owned(), "List-Unsubscribe=One-Click".to_owned()),
        ];
        if !issue.list_id.is_empty() {
            headers.push(("List-Id".to_owned(), issue.list_id.clone()));
        }
        let (body_html, body_text) = match (&issue.whole, whole) {
            (Some((_, html, text)), true) => (html.as_str(), text.as_str()),
            _ => (issue.html.as_str(), issue.text.as_str()),
        };
        MailPayload {
            to: c.email.clone(),
            subject: personalise(&issue.subject, &p, false),
            text: personalise(body_text, &p, false),
            html: Some(personalise(body_html, &p, true)),
            reply_to: issue.reply_to.clone(),
            headers,
        }
    }

    async fn deliver(&self, issue: &IssueMail, c: &Claimed, whole: bool) -> DeliveryResult {
        self.pacer.wait().await;
        match self.mailer.send_from(issue.from.clone(), &self.message(issue, c, whole)).await {
            Ok(message_id) => DeliveryResult::Sent { message_id },
            Err(e) if e.transient => {
                let wait = (self.config.retry_seconds.max(1) << (c.attempts - 1).clamp(0, 12)).min(3600);
                DeliveryResult::Deferred {
                    error: e.message,
                    retry_at: newsdesk_store::now() + wait,
                    // A server we cannot reach or log in to is not the recipient's failure: keep trying until
                    // someone fixes [mail] or cancels the send.
                    give_up: !e.connection && c.attempts >= self.config.max_attempts,
                }
            }
            // No server refused anything (a recipient address lettre cannot write, say): failed, not bounced.
            Err(e) if e.unbuildable => {
                DeliveryResult::Deferred { error: e.message, retry_at: newsdesk_store::now(), give_up: true }
            }
            Err(e) => DeliveryResult::Bounced { hard: e.is_hard_bounce(), error: e.message },
        }
    }

    /// Claims one batch and delivers it. Results are recorded as they arrive: a recorder beside the sends writes
    /// whatever has come back since its last write (at most 64 at a time) while the sends go on, so a crash can
    /// repeat only messages in flight or waiting to be recorded (at most `concurrency` + 2 × 64, the channel and the
    /// write in progress). Returns how many were claimed.
    #[tracing::instrument(skip_all, name = "newsletter.send_batch", fields(worker.id = %self.worker_id))]
    pub async fn run_batch(&self) -> anyhow::Result<usize> {
        let claimed = self
            .store
            .claim_deliveries(self.config.batch_size.max(1), self.config.lease_seconds, &self.worker_id)
            .await?;
        if claimed.is_empty() {
            for id in self.store.finish_issues().await? {
                tracing::info!(issue.id = id, "newsletter issue sent");
                self.issues.lock().await.remove(&id);
            }
            return Ok(0);
        }
        let mut ids: Vec<i64> = claimed.iter().map(|c| c.issue_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let issues = self.issue_mail(&ids, &claimed).await?;
        let n = claimed.len();
        // Records of an issue stopped just now were released with it.
        let claimed: Vec<Claimed> = claimed.into_iter().filter(|c| issues.contains_key(&c.issue_id)).collect();
        let entitled = self.entitled(&issues, &claimed).await?;
        let entitled = &entitled;
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(Claimed, DeliveryResult)>(64);
        let concurrency = self.config.concurrency.max(1) as usize;
        let sends = async move {
            futures_util::stream::iter(claimed)
                .for_each_concurrent(concurrency, |c| {
                    let issue = issues.get(&c.issue_id).cloned();
                    let tx = tx.clone();
                    async move {
                        if let Some(issue) = issue {
                            let whole = entitled.contains(&(c.issue_id, c.email.to_lowercase()));
                            let r = self.deliver(&issue, &c, whole).await;
                            let _ = tx.send((c, r)).await;
                        }
                    }
                })
                .await;
            drop(tx);
        };
        let record = async {
            let mut chunk = Vec::with_capacity(64);
            while let Some(first) = rx.recv().await {
                chunk.push(first);
                while chunk.len() < 64 {
                    match rx.try_recv() {
                        Ok(more) => chunk.push(more),
                        Err(_) => break,
                    }
                }
                log_failures(&chunk);
                self.store.record_deliveries(&chunk).await?;
                chunk.clear();
            }
            anyhow::Ok(())
        };
        let ((), recorded) = futures_util::future::join(sends, record).await;
        recorded?;
        Ok(n)
    }

    /// Delivers until `shutdown`; the batch in hand is finished first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let worked = match self.run_batch().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::error!(error = format!("{e:#}"), "newsletter sender could not reach the database");
                    false
                }
            };
            if !worked {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}
