//! Outgoing mail. Every message is a `send_mail` job, enqueued in the transaction that causes it and delivered by
//! a worker through the configured transport: `outbox` (the embedded default: each message is written as an `.eml`
//! file under `<data>/outbox/` and listed in the admin, so a demo needs no mail server) or `smtp` (any server; lettre
//! speaks the protocol over the kept-open connections of `smtp::SmtpPool`). Temporary SMTP failures (4xx, a dropped connection) are retried by the queue; permanent
//! ones (5xx) fail the job with the server's answer.

use std::path::PathBuf;

use lettre::Message;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use serde::Deserialize;

/// `[mail]` in the configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    /// "outbox" or "smtp".
    pub transport: String,
    /// `smtp://user:pass@host:port` (`smtps://` for implicit TLS, `?tls=starttls` to require STARTTLS). Secret:
    /// never logged.
    pub smtp_url: String,
    /// Sender of transactional mail, e.g. "The Port Alder Ledger <newsroom@example.org>".
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig { transport: "outbox".into(), smtp_url: String::new(), from: "Newsdesk <newsdesk@localhost>".into() }
    }
}

pub use newsdesk_store::mail::{JOB_SEND_MAIL, MailPayload};

/// A delivery failure: `transient` ones are retried.
#[derive(Debug)]
pub struct MailError {
    pub transient: bool,
    /// The failure is ours, not the recipient's: the server could not be reached, or refused our login or TLS.
    /// Such failures are retried without counting against the recipient.
    pub connection: bool,
    /// The message could not be built on our side; no mail server was asked.
    pub unbuildable: bool,
    /// The SMTP reply code, when the server answered with one.
    pub code: Option<u16>,
    pub message: String,
}

impl MailError {
    pub(crate) fn local(transient: bool, message: String) -> MailError {
        MailError { transient, connection: false, unbuildable: false, code: None, message }
    }

    /// The message could not be made here (a sender, reply-to or header we cannot write): no server saw it, so
    /// it is no bounce.
    pub(crate) fn unbuildable(message: String) -> MailError {
        MailError { transient: false, connection: false, unbuildable: true, code: None, message }
    }

    /// A permanent failure that says the mailbox does not exist or cannot receive mail (RFC 5321 550/551/553):
    /// the address must not be tried again.
    pub fn is_hard_bounce(&self) -> bool {
        !self.transient && matches!(self.code, Some(550 | 551 | 553))
    }
}

pub enum Mailer {
    Outbox(PathBuf),
    Smtp(Box<crate::smtp::SmtpPool>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Outbox(p) => write!(f, "Outbox({})", p.display()),
            Mailer::Smtp(_) => f.write_str("Smtp(…)"),
        }
    }
}

/// The SMTP URL with the password hidden, for logs and messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => match url[s + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
            None => url.to_owned(),
        },
        _ => url.to_owned(),
    }
}

/// A sender mailbox from a display name and an address. lettre writes the name as an RFC 5322 phrase — quoted,
/// with `"` and `\` escaped, when it has specials such as the comma in "The Ledger, Morning Edition" — so no name
/// can break the header. Control characters are refused at save; any that slipped in are dropped here.
pub fn sender_mailbox(name: &str, address: &str) -> Result<Mailbox, String> {
    let address: lettre::Address = address.parse().map_err(|e| format!("sender address \"{address}\": {e}"))?;
    let name: String = name.chars().filter(|c| !c.is_control()).collect();
    let name = name.trim();
    Ok(Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address))
}

/// Checks a sender such as "The Ledger <news@example.org>" the way delivery will read it.
pub fn check_from(from: &str) -> Result<(), String> {
    from.parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| format!("[mail] from: \"{from}\" is not an address like \"Newsroom <news@example.org>\" ({e})"))
}

impl Mailer {
    /// The transport `[mail]` describes; SMTP keeps up to `pool_size` connections open for reuse.
    pub fn from_config(config: &MailConfig, data_dir: &std::path::Path, pool_size: u32) -> Result<Mailer, String> {
        match config.transport.as_str() {
            "outbox" => Ok(Mailer::Outbox(data_dir.join("outbox"))),
            "smtp" => {
                if config.smtp_url.is_empty() {
                    return Err(
                        "[mail] transport = \"smtp\" needs smtp_url (smtp://user:pass@host:587?tls=starttls)".into()
                    );
                }
                let pool =
                    crate::smtp::SmtpPool::from_url(&config.smtp_url, pool_size, std::time::Duration::from_secs(30))
                        .map_err(|e| format!("[mail] smtp_url {} is not usable: {e}", redact(&config.smtp_url)))?;
                Ok(Mailer::Smtp(Box::new(pool)))
            }
            other => Err(format!("[mail] transport must be \"outbox\" or \"smtp\", not \"{other}\"")),
        }
    }

    /// Sends `m` from a sender written as text (`[mail] from`, "Name <address>").
    pub async fn send(&self, from: &str, m: &MailPayload) -> Result<String, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::unbuildable(format!("[mail] from: {e}")))?;
        self.send_from(from, m).await
    }

    /// Sends `m` from a mailbox built by the caller (the display name quoted by lettre, whatever it contains).
    pub async fn send_from(&self, from: Mailbox, m: &MailPayload) -> Result<String, MailError> {
        let bad = |what: &str, e: String| MailError::unbuildable(format!("{what}: {e}"));
        let to: Mailbox = m.to.parse().map_err(|e: lettre::address::AddressError| bad("recipient", e.to_string()))?;
        let domain = from.email.domain().to_owned();
        let message_id = format!("<{}@{domain}>", &newsdesk_store::new_token().0[..32]);
        let mut builder = Message::builder().from(from).to(to).subject(&m.subject).message_id(Some(message_id.clone()));
        if let Some(r) = &m.reply_to {
            builder =
                builder.reply_to(r.parse().map_err(|e: lettre::address::AddressError| bad("reply-to", e.to_string()))?);
        }
        let text = SinglePart::builder().header(ContentType::TEXT_PLAIN).body(m.text.clone());
        let mut message = match &m.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone())),
            ),
            None => builder.singlepart(text),
        }
        .map_err(|e| bad("building the message", e.to_string()))?;
        for (name, value) in &m.headers {
            let name = HeaderName::new_from_ascii(name.clone()).map_err(|e| bad("header", e.to_string()))?;
            message.headers_mut().insert_raw(HeaderValue::new(name, value.clone()));
        }
        match self {
            Mailer::Outbox(dir) => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| MailError::local(true, format!("outbox: {e}")))?;
                let name = format!("{}-{}.eml", jiff::Timestamp::now().as_millisecond(), &message_id[1..13]);
                let tmp = dir.join(format!(".{name}.tmp"));
                tokio::fs::write(&tmp, message.formatted())
                    .await
                    .map_err(|e| MailError::local(true, format!("outbox: {e}")))?;
                tokio::fs::rename(&tmp, dir.join(&name))
                    .await
                    .map_err(|e| MailError::local(true, format!("outbox: {e}")))?;
            }
            Mailer::Smtp(pool) => pool.send(message).await?,
        }
        Ok(message_id)
    }
}

#[cfg(test)]
mod tests {
    /// Regression: a sender name with a comma ("The Ledger, Morning Edition") made every copy of an issue fail
    /// with "[mail] from: Invalid input" and be recorded as bounced.
    #[test]
    fn sender_names_with_every_rfc5322_special_make_a_valid_from_header() {
        for special in ['(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '.', '"'] {
            let name = format!("The Ledger{special} Morning Edition");
            let mailbox = super::sender_mailbox(&name, "news@ledger.example").unwrap();
            let message = lettre::Message::builder()
                .from(mailbox.clone())
                .to("reader@example.org".parse().unwrap())
                .subject("s")
                .body(String::from("b"))
                .unwrap();
            let raw = String::from_utf8(message.formatted()).unwrap();
            let from = raw.lines().find(|l| l.starts_with("From: ")).unwrap();
            // lettre writes such names as an RFC 2047 encoded word; what a mail client shows is the decoded word.
            let value = from.trim_start_matches("From: ");
            let (word, address) = value.rsplit_once(' ').unwrap();
            let shown = match word.strip_prefix("=?utf-8?b?").and_then(|w| w.strip_suffix("?=")) {
                Some(encoded) => {
                    use base64::Engine;
                    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).unwrap()).unwrap()
                }
                None => value.parse::<lettre::message::Mailbox>().unwrap().name.unwrap(),
            };
            assert_eq!(shown, name, "{special:?} survives in {from}");
            assert_eq!(address, "<news@ledger.example>");
        }
        let crlf = super::sender_mailbox("Ledger\r\nBcc: victim@example.org", "news@ledger.example").unwrap();
        assert_eq!(crlf.name.as_deref(), Some("LedgerBcc: victim@example.org"), "no header can be injected");
        assert!(super::sender_mailbox("Ledger", "not an address").is_err());
    }

    #[test]
    fn redacts_smtp_passwords() {
        assert_eq!(super::redact("smtp://ana:secret@mail.example:587"), "smtp://ana:***@mail.example:587");
    }
}
