//! SMTP delivery with a pool of kept-open connections that have Nagle's algorithm off.
//!
//! lettre writes a message body and its closing `CRLF . CRLF` in two writes; on a socket with Nagle's algorithm on
//! (lettre's own transport), the small second write waits for the server's delayed ACK — about 40 ms per message,
//! which capped a newsletter send at ~180 messages/s over 8 connections. Here each connection is a tokio
//! `TcpStream` with `TCP_NODELAY`, handed to lettre's `AsyncSmtpConnection` (which still speaks the protocol:
//! EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA), and kept for the next message. `smtps://` (TLS from the first byte) goes
//! through lettre's own pooled transport, which cannot take a ready-made socket for that.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{AsyncSmtpTransport, PoolConfig};
use lettre::{AsyncTransport, Message, Tokio1Executor};

use crate::mail::MailError;

/// A pooled connection is dropped rather than reused after this long idle (servers hang up on idle sessions).
const MAX_IDLE: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tls {
    None,
    Opportunistic,
    Required,
}

pub struct SmtpPool {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// `smtps://`: lettre's transport.
    implicit_tls: Option<AsyncSmtpTransport<Tokio1Executor>>,
}

fn smtp_error(e: lettre::transport::smtp::Error) -> MailError {
    MailError {
        transient: !e.is_permanent(),
        connection: false,
        unbuildable: false,
        code: e.status().and_then(|c| c.to_string().parse().ok()),
        message: format!("SMTP: {e}"),
    }
}

impl SmtpPool {
    /// From `smtp://user:pass@host:port?tls=required|opportunistic` (`tls=starttls` means required) or `smtps://…`.
    /// `pool_size` connections at most are kept open.
    pub fn from_url(raw: &str, pool_size: u32, timeout: Duration) -> Result<SmtpPool, String> {
        let lettre_url = raw.replace("tls=starttls", "tls=required");
        // lettre checks the URL the same way for every scheme; its transport is kept only for smtps.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url).map_err(|e| e.to_string())?;
        let url = url::Url::parse(&lettre_url).map_err(|e| e.to_string())?;
        let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
        let tls = match url.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned()).as_deref() {
            Some("required") => Tls::Required,
            Some("opportunistic") => Tls::Opportunistic,
            _ => Tls::None,
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let credentials = url.password().map(|p| Credentials::new(decode(url.username()), decode(p)));
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_owned()),
        };
        let implicit_tls = (url.scheme() == "smtps")
            .then(|| builder.timeout(Some(timeout)).pool_config(PoolConfig::new().max_size(pool_size.max(1))).build());
        let port = url.port().unwrap_or(if tls == Tls::None { 25 } else { 587 });
        Ok(SmtpPool {
            host,
            port,
            tls,
            credentials,
            hello,
            timeout,
            max_idle: pool_size.max(1) as usize,
            idle: Mutex::new(Vec::new()),
            implicit_tls,
        })
    }

    /// A new session: connect, greeting, STARTTLS and login, all within the timeout.
    async fn connect(&self) -> Result<AsyncSmtpConnection, MailError> {
        tokio::time::timeout(self.timeout, self.open()).await.unwrap_or_else(|_| {
            Err(MailError {
                transient: true,
                connection: true,
                unbuildable: false,
                code: None,
                message: format!(
                    "SMTP: {}:{} did not finish the greeting and login within {:?}",
                    self.host, self.port, self.timeout
                ),
            })
        })
    }

    async fn open(&self) -> Result<AsyncSmtpConnection, MailError> {
        let refused = |e: String| MailError {
            transient: true,
            connection: true,
            unbuildable: false,
            code: None,
            message: format!("SMTP: {e}"),
        };
        // Whatever goes wrong before a message is offered (greeting, TLS, login) is the sender's problem.
        let ours = |e: lettre::transport::smtp::Error| MailError { transient: true, connection: true, ..smtp_error(e) };
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| refused(format!("cannot connect to {}:{}: {e}", self.host, self.port)))?;
        tcp.set_nodelay(true).map_err(|e| refused(e.to_string()))?;
        let mut conn = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await.map_err(ours)?;
        if self.tls == Tls::Required || (self.tls == Tls::Opportunistic && conn.can_starttls()) {
            let params = TlsParameters::new(self.host.clone()).map_err(ours)?;
            conn.starttls(params, &self.hello).await.map_err(ours)?;
        }
        if let Some(c) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], c).await.map_err(ours)?;
        }
        Ok(conn)
    }

    fn take_idle(&self) -> Option<AsyncSmtpConnection> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        while let Some((conn, since)) = idle.pop() {
            if since.elapsed() < MAX_IDLE && !conn.has_broken() {
                return Some(conn);
            }
        }
        None
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < self.max_idle && !conn.has_broken() {
            idle.push((conn, Instant::now()));
        }
    }

    /// Delivers one message. A kept connection the server has since closed is replaced once, at no cost to the
    /// message; any other failure is reported (`transient` for 4xx, timeouts and network errors).
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        if let Some(t) = &self.implicit_tls {
            return t.send(message).await.map(|_| ()).map_err(smtp_error);
        }
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        for attempt in 0..2 {
            let (mut conn, reused) = match self.take_idle() {
                Some(c) => (c, true),
                None => (self.connect().await?, false),
            };
            match tokio::time::timeout(self.timeout, conn.send(&envelope, &bytes)).await {
                Ok(Ok(_)) => {
                    self.put_back(conn);
                    return Ok(());
                }
                // lettre closes the session after any error; nothing to put back.
                Ok(Err(e)) if reused && attempt == 0 && e.status().is_none() => continue,
                Ok(Err(e)) => return Err(smtp_error(e)),
                Err(_) => {
                    return Err(MailError {
                        transient: true,
                        connection: true,
                        unbuildable: false,
                        code: None,
                        message: format!("SMTP: no answer from {}:{} within {:?}", self.host, self.port, self.timeout),
                    });
                }
            }
        }
        Err(MailError {
            transient: true,
            connection: true,
            unbuildable: false,
            code: None,
            message: "SMTP: the connection kept closing".into(),
        })
    }
}
