//! Mail: the outbox transport, delivery to a real SMTP server on loopback (aiosmtpd), a server that is down, and
//! bad `[mail]` settings. Invitations and password resets are the messages that exist so far.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::helpers::{PASSWORD, backends, csrf_token, spawn_app_config};

/// A real SMTP server (aiosmtpd) on a free loopback port, delivering into a Maildir.
struct SmtpServer {
    port: u16,
    maildir: PathBuf,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server(dir: &Path) -> Option<SmtpServer> {
    let ok = Command::new("python3").args(["-c", "import aiosmtpd"]).output().is_ok_and(|o| o.status.success());
    if !ok {
        assert_ne!(
            std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(),
            Ok("1"),
            "aiosmtpd is required (pip install aiosmtpd)"
        );
        eprintln!("SKIPPED: SMTP test (pip install aiosmtpd)");
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let maildir = dir.join("maildir");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = SmtpServer { port, maildir, child };
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some(server);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    drop(server);
    panic!("aiosmtpd did not start");
}

fn messages(maildir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(maildir.join("new"))
        .map(|d| d.filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok()).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.lines().take_while(|l| !l.is_empty()).find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

/// The sign-in link of a message, after undoing quoted-printable soft line breaks (as a mail client does).
fn link_in(msg: &str) -> String {
    let msg = msg.replace("=\r\n", "").replace("=\n", "");
    let start = msg.find("/admin/setup/").expect("a link in the message");
    msg[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn invitations_go_to_the_outbox_and_are_listed_in_the_admin() {
    for backend in backends() {
        let app = spawn_app_config(backend, |c| c.mail.from = "The Test Ledger <newsroom@ledger.example>".into()).await;
        app.create_staff("admin@ledger.example", "admin", None).await;
        let admin = app.sign_in("admin@ledger.example").await;
        let (_, html) = app.get_text(&admin, "/admin/users").await;
        let r = admin
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf_token", csrf_token(&html).as_str()),
                ("name", "Cal Reporter"),
                ("email", "cal@ledger.example"),
                ("role", "author"),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("We emailed cal@ledger.example"));
        assert_eq!(app.run_jobs().await, 1);
        let outbox = app.data_dir().join("outbox");
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().filter_map(|e| e.ok()).collect();
        assert_eq!(files.len(), 1, "one .eml file");
        let raw = std::fs::read_to_string(files[0].path()).unwrap();
        assert_eq!(header(&raw, "To"), Some("cal@ledger.example"));
        assert_eq!(header(&raw, "From"), Some("\"The Test Ledger\" <newsroom@ledger.example>"));
        assert_eq!(header(&raw, "Reply-To"), Some("admin@ledger.example"));
        assert!(header(&raw, "Message-ID").is_some_and(|id| id.ends_with("@ledger.example>")));
        assert!(header(&raw, "Date").is_some());
        let link = link_in(&raw);
        assert_eq!(app.get(&app.browser(), &link).await.status(), 200, "the emailed link works");
        let (status, list) = app.get_text(&admin, "/admin/outbox").await;
        assert_eq!(status, 200);
        assert!(list.contains("cal@ledger.example") && list.contains("You are invited to The Test Ledger"));
        let name = files[0].file_name().to_string_lossy().into_owned();
        let (status, shown) = app.get_text(&admin, &format!("/admin/outbox/{name}")).await;
        assert_eq!(status, 200);
        assert!(shown.contains("Choose your password here"));
        assert_eq!(app.get(&admin, "/admin/outbox/..%2Fnewsdesk.toml").await.status(), 404);
    }
}

#[tokio::test]
async fn password_reset_mail_is_delivered_over_smtp_and_reveals_nothing() {
    for backend in backends() {
        let dir = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(smtp) = smtp_server(dir.path()) else { return };
        let port = smtp.port;
        let app = spawn_app_config(backend, move |c| {
            c.mail.transport = "smtp".into();
            c.mail.smtp_url = format!("smtp://127.0.0.1:{port}");
            c.mail.from = "Ledger Newsroom <newsroom@ledger.example>".into();
        })
        .await;
        app.create_staff("ed@ledger.example", "editor", None).await;
        let browser = app.browser();
        let forgot = |email: &'static str| {
            let browser = browser.clone();
            let app_url = app.url("/admin/forgot");
            async move {
                let html = browser.get(&app_url).send().await.unwrap().text().await.unwrap();
                browser
                    .post(&app_url)
                    .form(&[("csrf_token", csrf_token(&html).as_str()), ("email", email)])
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }
        };
        let known = forgot("ed@ledger.example").await;
        let unknown = forgot("nobody@ledger.example").await;
        let strip = |s: &str| s.replace("ed@ledger.example", "X").replace("nobody@ledger.example", "X");
        assert_eq!(strip(&known), strip(&unknown), "the answer does not reveal who has an account");
        assert_eq!(app.run_jobs().await, 1, "one message, for the real account");
        let got = messages(&smtp.maildir);
        assert_eq!(got.len(), 1);
        let msg = &got[0];
        assert_eq!(header(msg, "To"), Some("ed@ledger.example"));
        assert!(header(msg, "Subject").unwrap().contains("Reset your The Test Ledger password"));
        assert!(header(msg, "Message-ID").is_some());

        // The link sets a new password once.
        let link = link_in(msg);
        let page = app.browser();
        let (status, html) = app.get_text(&page, &link).await;
        assert_eq!(status, 200);
        assert!(html.contains("Choose a new password"));
        let r = page
            .post(app.url(&link))
            .form(&[
                ("csrf_token", csrf_token(&html).as_str()),
                ("password", "a fresh passphrase"),
                ("password_confirm", "a fresh passphrase"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(app.get(&page, "/admin/posts").await.status(), 200, "signed in");
        assert_eq!(app.get(&app.browser(), &link).await.status(), 410, "used once");
        let _ = PASSWORD;

        // Repeated requests for one address are limited.
        for _ in 0..5 {
            forgot("ed@ledger.example").await;
        }
        app.run_jobs().await;
        assert_eq!(messages(&smtp.maildir).len(), 3, "three an hour per address");
    }
}

#[tokio::test]
async fn an_smtp_server_that_is_down_means_a_retry_not_a_lost_message() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_config(newsdesk_store::Backend::Sqlite, move |c| {
        c.mail.transport = "smtp".into();
        c.mail.smtp_url = format!("smtp://127.0.0.1:{port}");
    })
    .await;
    app.store
        .enqueue_mail(&newsdesk_store::mail::MailPayload {
            to: "a@example.org".into(),
            subject: "Hi".into(),
            text: "Hello".into(),
            html: None,
            reply_to: None,
            headers: vec![],
        })
        .await
        .unwrap();
    app.run_jobs().await;
    let job = app.store.jobs(None, 10).await.unwrap().into_iter().find(|j| j.kind == "send_mail").unwrap();
    assert_eq!(job.status, "queued", "kept for another try");
    assert!(job.last_error.as_deref().unwrap_or("").contains("SMTP"), "{:?}", job.last_error);
}

#[tokio::test]
async fn bad_mail_settings_stop_the_server_with_one_line() {
    let app = crate::helpers::spawn_app(newsdesk_store::Backend::Sqlite).await;
    for (toml, expected) in [
        ("[mail]\ntransport = \"smtp\"\n", "needs smtp_url"),
        ("[mail]\ntransport = \"pigeon\"\n", "must be \"outbox\" or \"smtp\""),
        ("[mail]\nfrom = \"not an address\"\n", "[mail] from"),
    ] {
        std::fs::write(app.data_dir().join("newsdesk.toml"), toml).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .args(["serve", "--listen", "127.0.0.1:0", "--no-demo", "--data"])
            .arg(app.data_dir())
            .env("NEWSDESK_DATABASE_URL", &app.db.url)
            .output()
            .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<_> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(lines[0].contains(expected), "{}", lines[0]);
    }
}
