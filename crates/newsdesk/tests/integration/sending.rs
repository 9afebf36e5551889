//! Sending newsletter issues to a real SMTP server on loopback (aiosmtpd, `py/smtp_sink.py`): the message
//! (headers, both parts, personal links that work), idempotent sends, thousands of recipients with temporary and
//! permanent failures, pause and resume, the archive, and the bounce/complaint webhook.

use std::time::{Duration, Instant};

use newsdesk_store::issues::{NewIssue, marker};

use crate::helpers::{
    Options, SmtpSink, TestApp, backends, confirmed_subscribers, csrf_token, spawn_app_full, unfold_mail,
};

const POST: &str = "council-approves-six-month-night-bus-trial-after-riders-petition";

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name}")) + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn header<'a>(msg: &'a str, name: &str) -> Option<&'a str> {
    msg.split("\r\n\r\n").next().unwrap().lines().find_map(|l| l.strip_prefix(&format!("{name}: ")))
}

fn link_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let start = text.find(prefix).unwrap_or_else(|| panic!("no {prefix} in the message"));
    text[start..].split(|c: char| c.is_whitespace() || c == '"' || c == '>' || c == '<').next().unwrap()
}

async fn status_of(app: &TestApp, email: &str, slug: &str) -> Option<String> {
    app.store.subscription_statuses(email).await.unwrap().into_iter().find(|(s, _)| s == slug).map(|(_, s)| s)
}

/// Runs jobs and deliveries until the issue has ended (deferred deliveries come due after a second or two).
pub(crate) async fn send_until_done(app: &TestApp, issue_id: i64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        app.run_jobs().await;
        let issue = app.store.issue(issue_id).await.unwrap().unwrap();
        if matches!(issue.status.as_str(), "sent" | "cancelled") {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the send did not end: {:?}",
            app.store.issue_progress(issue_id).await.unwrap()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

async fn smtp_app(backend: newsdesk_store::Backend, sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_full(backend, Options { demo: true }, move |c| {
        c.mail.transport = "smtp".into();
        c.mail.smtp_url = url;
        c.mail.from = "The Test Ledger <newsroom@ledger.example>".into();
        c.newsletters.retry_seconds = 1;
    })
    .await
}

#[tokio::test]
async fn an_article_sent_as_a_newsletter_arrives_with_working_personal_links() {
    for backend in backends() {
        let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(sink) = SmtpSink::start(tmp.path(), true) else { return };
        let app = smtp_app(backend, &sink).await;
        app.create_staff("editor@ledger.example", "editor", None).await;
        let editor = app.sign_in("editor@ledger.example").await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();

        // Sender and reply-to, with a bad address refused beside its field first.
        let (_, html) = app.get_text(&editor, &format!("/admin/newsletters?edit={}", n.id)).await;
        let csrf = csrf_token(&html);
        let mut fields = vec![
            ("csrf_token", csrf.as_str()),
            ("name", "The Morning Ledger"),
            ("slug", "morning-ledger"),
            ("sender_name", "Morning Ledger desk"),
            ("sender_email", "not an address"),
            ("reply_to", "letters@ledger.example"),
            ("visibility", "public"),
            ("sort_order", "0"),
        ];
        let r = editor.post(app.url(&format!("/admin/newsletters/{}", n.id))).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Please enter a correct email address."));
        fields[4].1 = "morning@ledger.example";
        let r = editor.post(app.url(&format!("/admin/newsletters/{}", n.id))).form(&fields).send().await.unwrap();
        assert_eq!(r.status(), 303);

        // A named subscriber added by staff (confirmed, with a consent source) and two more.
        let (_, html) = app.get_text(&editor, &format!("/admin/newsletters/{}/subscribers", n.id)).await;
        let csrf = csrf_token(&html);
        let add =
            [("csrf_token", csrf.as_str()), ("email", "ana@example.org"), ("name", "Ana Lee"), ("confirmed", "on")];
        let r =
            editor.post(app.url(&format!("/admin/newsletters/{}/subscribers", n.id))).form(&add).send().await.unwrap();
        assert_eq!(r.status(), 422, "a confirmed add needs a consent source");
        assert!(r.text().await.unwrap().contains("Say where this person agreed"));
        let add = [
            ("csrf_token", csrf.as_str()),
            ("email", "Ana@Example.org"),
            ("name", "Ana Lee"),
            ("confirmed", "on"),
            ("source", "Signed up on paper at the harbour festival"),
        ];
        let r =
            editor.post(app.url(&format!("/admin/newsletters/{}/subscribers", n.id))).form(&add).send().await.unwrap();
        assert_eq!(r.status(), 303);
        confirmed_subscribers(&app, n.id, &["bo@example.org".into(), "cy@example.org".into()]).await;
        let ledger = app.store.consent_entries("ana@example.org").await.unwrap();
        assert_eq!(ledger[0].0, "import_confirmed");
        assert_eq!(ledger[0].4.as_deref(), Some("Signed up on paper at the harbour festival"));

        // Compose from the article: preview, a test to one address, then the send (clicked twice).
        let post = app.store.published_by_slug(POST).await.unwrap().unwrap();
        let (status, html) =
            app.get_text(&editor, &format!("/admin/newsletters/{}/send?post={}", n.id, post.row.id)).await;
        assert_eq!(status, 200);
        assert!(html.contains("Send to 3 subscribers"), "the count of confirmed subscribers");
        assert!(html.contains("srcdoc="), "a preview of the message");
        let (csrf, key) = (csrf_token(&html), hidden(&html, "key"));
        let pid = post.row.id.to_string();
        let form = |action: &'static str| {
            vec![
                ("csrf_token", csrf.clone()),
                ("key", key.clone()),
                ("post", pid.clone()),
                ("subject", String::new()),
                ("intro", "Good morning from the newsroom.".to_owned()),
                ("test_to", "editor@ledger.example".to_owned()),
                ("action", action.to_owned()),
            ]
        };
        let r = editor
            .post(app.url(&format!("/admin/newsletters/{}/send", n.id)))
            .form(&form("test"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        app.run_jobs().await;
        let test = sink.messages();
        assert_eq!(test.len(), 1);
        assert_eq!(test[0]["to"][0], "editor@ledger.example");
        assert!(unfold_mail(test[0]["raw"].as_str().unwrap()).contains("Subject: [Test] Council approves"));
        let first = editor
            .post(app.url(&format!("/admin/newsletters/{}/send", n.id)))
            .form(&form("send"))
            .send()
            .await
            .unwrap();
        let second = editor
            .post(app.url(&format!("/admin/newsletters/{}/send", n.id)))
            .form(&form("send"))
            .send()
            .await
            .unwrap();
        let to = first.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(to, second.headers()["location"].to_str().unwrap(), "a double-click finds the same issue");
        let issue_id: i64 = to.rsplit('/').next().unwrap().parse().unwrap();
        send_until_done(&app, issue_id).await;
        let copies = sink.copies();
        for who in ["ana@example.org", "bo@example.org", "cy@example.org"] {
            assert_eq!(copies.get(who), Some(&1), "{who} gets exactly one copy");
        }

        // The message: headers, both parts, personalisation, a visible unsubscribe link.
        let raw = sink.messages().into_iter().find(|m| m["to"][0] == "ana@example.org").unwrap();
        let msg = unfold_mail(raw["raw"].as_str().unwrap());
        assert_eq!(header(&msg, "From"), Some("\"Morning Ledger desk\" <morning@ledger.example>"));
        assert_eq!(header(&msg, "Reply-To"), Some("letters@ledger.example"));
        assert!(header(&msg, "Message-ID").is_some_and(|m| m.starts_with('<') && m.ends_with("@ledger.example>")));
        assert_eq!(header(&msg, "List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
        let list_unsubscribe = header(&msg, "List-Unsubscribe").unwrap();
        assert!(
            list_unsubscribe.starts_with(&format!("<{}/newsletters/unsubscribe/", app.address)),
            "{list_unsubscribe}"
        );
        assert!(header(&msg, "Content-Type").unwrap().starts_with("multipart/alternative"));
        assert!(
            msg.contains("Content-Type: text/plain; charset=utf-8")
                && msg.contains("Content-Type: text/html; charset=utf-8")
        );
        assert!(msg.contains("Hello Ana,"), "personal greeting");
        assert!(msg.contains("Good morning from the newsroom."));
        assert!(msg.contains("Ada Mensah"), "the article's text is in the message");
        assert!(msg.contains("style=\"margin:0 0 16px;\""), "inlined CSS on the body's paragraphs");
        assert!(!msg.contains("%%ND_"), "every marker filled");
        let unsubscribe_url = list_unsubscribe.trim_matches(['<', '>']);
        assert!(msg.contains(&format!("href=\"{unsubscribe_url}\"")), "a visible unsubscribe link");
        let preferences_url = link_after(&msg, &format!("{}/newsletters/preferences/", app.address)).to_owned();
        let bo = unfold_mail(
            sink.messages().into_iter().find(|m| m["to"][0] == "bo@example.org").unwrap()["raw"].as_str().unwrap(),
        );
        assert!(bo.contains("Hello,") && !bo.contains("Hello Ana"));
        assert!(!bo.contains(unsubscribe_url), "links are personal");

        // One-click unsubscribe (RFC 8058): a GET changes nothing; a cookie-less POST does.
        let anon = reqwest::Client::new();
        let r = anon.get(unsubscribe_url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Unsubscribe from The Morning Ledger?"));
        assert_eq!(status_of(&app, "ana@example.org", "morning-ledger").await.as_deref(), Some("confirmed"));
        let forged = format!("{}0", &unsubscribe_url[..unsubscribe_url.len() - 1]);
        let forged = if forged == unsubscribe_url {
            format!("{}1", &unsubscribe_url[..unsubscribe_url.len() - 1])
        } else {
            forged
        };
        let r = anon
            .post(&forged)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "a forged link does nothing");
        assert_eq!(status_of(&app, "ana@example.org", "morning-ledger").await.as_deref(), Some("confirmed"));
        let r = anon
            .post(unsubscribe_url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(status_of(&app, "ana@example.org", "morning-ledger").await.as_deref(), Some("unsubscribed"));
        assert!(app.store.consent_entries("ana@example.org").await.unwrap().iter().any(|e| e.0 == "unsubscribe"));
        let r = anon.get(&preferences_url).send().await.unwrap();
        assert_eq!(r.status(), 200, "the preferences link from the message opens");
        assert!(r.text().await.unwrap().contains("For <strong>ana@example.org</strong>"));

        // Progress in the admin; the archive on the site shows the issue without anyone's links.
        let (_, page) = app.get_text(&editor, &to).await;
        assert!(page.contains("status-sent") && page.contains("<dt>Sent</dt><dd>3</dd>"), "progress: {page}");
        let (status, archive) = app.get_text(&app.browser(), "/newsletters/morning-ledger/").await;
        assert_eq!(status, 200);
        assert!(archive.contains(&format!("/newsletters/morning-ledger/{issue_id}/")));
        let (status, copy) = app.get_text(&app.browser(), &format!("/newsletters/morning-ledger/{issue_id}/")).await;
        assert_eq!(status, 200);
        assert!(copy.contains("Ada Mensah") && !copy.contains("/newsletters/unsubscribe/") && !copy.contains("%%ND_"));
    }
}

/// An issue made directly in the store (what the admin and the CLI do after rendering).
pub(crate) async fn make_issue(app: &TestApp, newsletter_id: i64, key: &str) -> i64 {
    let html = format!(
        "<p>{} Today's news.</p><p><a href=\"{}\">Unsubscribe</a></p>",
        marker::GREETING,
        marker::UNSUBSCRIBE_URL
    );
    let text = format!("{}\nToday's news.\nUnsubscribe: {}\n", marker::GREETING, marker::UNSUBSCRIBE_URL);
    let (issue, made) = app
        .store
        .create_issue(&NewIssue {
            newsletter_id,
            idempotency_key: key,
            kind: "post",
            post_ids: &[1],
            subject: "Today's news",
            html: &html,
            text: &text,
            created_by: None,
            visibility: "public",
            whole_html: "",
            whole_text: "",
        })
        .await
        .unwrap();
    assert!(made);
    issue.id
}

#[tokio::test]
async fn thousands_of_recipients_with_temporary_and_permanent_failures() {
    for backend in backends() {
        let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(sink) = SmtpSink::start(tmp.path(), false) else { return };
        let app = smtp_app(backend, &sink).await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let mut emails: Vec<String> = (0..3000).map(|i| format!("reader{i}@example.org")).collect();
        emails.extend((0..15).map(|i| format!("tempfail{i}@example.org")));
        emails.extend((0..15).map(|i| format!("nouser{i}@example.org")));
        confirmed_subscribers(&app, n.id, &emails).await;
        let issue_id = make_issue(&app, n.id, "thousands").await;
        let started = Instant::now();
        send_until_done(&app, issue_id).await;
        eprintln!("{backend:?}: {} messages in {:.1} s", emails.len(), started.elapsed().as_secs_f64());
        let copies = sink.copies();
        for e in emails.iter().filter(|e| !e.starts_with("nouser")) {
            assert_eq!(copies.get(e), Some(&1), "{e} gets exactly one copy");
        }
        assert!(emails.iter().filter(|e| e.starts_with("nouser")).all(|e| !copies.contains_key(e)));
        let p = app.store.issue_progress(issue_id).await.unwrap();
        assert_eq!((p.total, p.sent, p.bounced, p.failed, p.remaining()), (3030, 3015, 15, 0, 0), "{p:?}");
        // Hard bounces are suppressed everywhere and left out of the next issue.
        assert_eq!(status_of(&app, "nouser3@example.org", "morning-ledger").await.as_deref(), Some("bounced"));
        assert!(app.store.is_suppressed("nouser3@example.org").await.unwrap());
        assert_eq!(status_of(&app, "tempfail3@example.org", "morning-ledger").await.as_deref(), Some("confirmed"));
        let next = make_issue(&app, n.id, "next").await;
        app.run_jobs().await;
        assert_eq!(app.store.issue(next).await.unwrap().unwrap().total, 3015);
    }
}

#[tokio::test]
async fn a_send_can_be_paused_resumed_and_not_cancelled_once_done() {
    for backend in backends() {
        let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(sink) = SmtpSink::start(tmp.path(), false) else { return };
        let app = smtp_app(backend, &sink).await;
        app.create_staff("editor@ledger.example", "editor", None).await;
        app.create_staff("author@ledger.example", "author", None).await;
        let editor = app.sign_in("editor@ledger.example").await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        confirmed_subscribers(&app, n.id, &(0..40).map(|i| format!("r{i}@example.org")).collect::<Vec<_>>()).await;
        let id = make_issue(&app, n.id, "pausable").await;
        app.store.fan_out(id).await.unwrap();
        let (_, page) = app.get_text(&editor, &format!("/admin/issues/{id}")).await;
        let csrf = csrf_token(&page);
        let r = editor
            .post(app.url(&format!("/admin/issues/{id}/pause")))
            .form(&[("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        app.run_jobs().await;
        assert!(sink.messages().is_empty(), "nothing goes out while paused");
        assert_eq!(app.store.issue(id).await.unwrap().unwrap().status, "paused");
        let author = app.sign_in("author@ledger.example").await;
        let (_, apage) = app.get_text(&author, "/admin/posts").await;
        let r = author
            .post(app.url(&format!("/admin/issues/{id}/resume")))
            .form(&[("csrf_token", csrf_token(&apage))])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "authors cannot steer sends");
        let r = editor
            .post(app.url(&format!("/admin/issues/{id}/resume")))
            .form(&[("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        send_until_done(&app, id).await;
        assert_eq!(sink.copies().len(), 40);
        let r = editor
            .post(app.url(&format!("/admin/issues/{id}/cancel")))
            .form(&[("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("This send is sent and cannot be cancelled now."));
    }
}

#[tokio::test]
async fn bounce_and_complaint_webhook() {
    for backend in backends() {
        let app =
            spawn_app_full(backend, Options { demo: true }, |c| c.newsletters.webhook_secret = "hook-secret-1".into())
                .await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let people: Vec<String> = ["hard@example.org", "soft@example.org", "angry@example.org", "fine@example.org"]
            .map(String::from)
            .to_vec();
        confirmed_subscribers(&app, n.id, &people).await;
        let client = reqwest::Client::new();
        let url = app.url("/api/v1/mail/events");
        let post = |auth: Option<&'static str>, body: String| {
            let mut r = client.post(&url).header("content-type", "application/json").body(body);
            if let Some(a) = auth {
                r = r.header("authorization", format!("Bearer {a}"));
            }
            r.send()
        };
        let good = serde_json::json!({"events": [
            {"type": "bounce", "email": "HARD@example.org", "bounce_type": "hard", "detail": "550 5.1.1 unknown user"},
            {"type": "bounce", "email": "soft@example.org", "bounce_type": "soft"},
            {"type": "complaint", "email": "angry@example.org"}
        ]})
        .to_string();
        let r = post(None, good.clone()).await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "unauthorized");
        let r = post(Some("hook-secret-1"), "{not json".into()).await.unwrap();
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "invalid_json");
        let half_bad = serde_json::json!({"events": [
            {"type": "complaint", "email": "fine@example.org"}, {"type": "bounce", "email": "nope"}
        ]})
        .to_string();
        let r = post(Some("hook-secret-1"), half_bad).await.unwrap();
        assert_eq!(r.status(), 422);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_event");
        assert!(body["message"].as_str().unwrap().starts_with("events[1]"));
        assert!(!app.store.is_suppressed("fine@example.org").await.unwrap(), "a rejected report changes nothing");
        let r = post(Some("hook-secret-1"), good).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap(), serde_json::json!({"received": 3, "suppressed": 2}));
        assert_eq!(status_of(&app, "hard@example.org", "morning-ledger").await.as_deref(), Some("bounced"));
        assert_eq!(status_of(&app, "angry@example.org", "morning-ledger").await.as_deref(), Some("complained"));
        assert_eq!(status_of(&app, "soft@example.org", "morning-ledger").await.as_deref(), Some("confirmed"));
        let id = make_issue(&app, n.id, "after-bounces").await;
        app.store.fan_out(id).await.unwrap();
        assert_eq!(app.store.issue(id).await.unwrap().unwrap().total, 2, "suppressed addresses get nothing");
        // Signing up again does not revive a complaint.
        let r = app
            .browser()
            .post(app.url("/newsletters/subscribe"))
            .header("origin", &app.address)
            .form(&[("email", "angry@example.org"), ("newsletter", "morning-ledger")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(status_of(&app, "angry@example.org", "morning-ledger").await.as_deref(), Some("complained"));
        // Without a secret configured the endpoint is off.
        let off = spawn_app_full(backend, Options { demo: false }, |_| {}).await;
        let r = client
            .post(off.url("/api/v1/mail/events"))
            .header("authorization", "Bearer x")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
}

/// `newsdesk worker` as a separate process on the app's data and database, delivering to `sink`.
fn worker_process(app: &TestApp, sink: &SmtpSink) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(["worker", "--data"])
        .arg(app.data_dir())
        .env("NEWSDESK_DATABASE_URL", &app.db.url)
        .env("NEWSDESK_MAIL__TRANSPORT", "smtp")
        .env("NEWSDESK_MAIL__SMTP_URL", sink.url())
        .env("NEWSDESK_NARRATION__ENGINE", "off")
        .env("NEWSDESK_LOG__LEVEL", "warn")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start newsdesk worker")
}

#[tokio::test]
async fn killing_the_sender_mid_send_loses_nobody_and_repeats_only_the_in_flight_window() {
    for backend in backends() {
        let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(sink) = SmtpSink::start(tmp.path(), false) else { return };
        let app = spawn_app_full(backend, Options { demo: true }, |_| {}).await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let emails: Vec<String> = (0..2000).map(|i| format!("reader{i}@example.org")).collect();
        confirmed_subscribers(&app, n.id, &emails).await;
        let id = make_issue(&app, n.id, "crash").await;

        let mut worker = worker_process(&app, &sink);
        let deadline = Instant::now() + Duration::from_secs(60);
        while sink.messages().len() < 400 {
            assert!(Instant::now() < deadline, "the worker did not start sending");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        worker.kill().unwrap(); // SIGKILL: no chance to record anything
        worker.wait().unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let accepted = sink.messages().len() as i64;
        let recorded = app.store.issue_progress(id).await.unwrap().sent;
        let window = accepted - recorded;
        assert!(recorded < 2000, "killed mid-send ({recorded} recorded)");

        // The leases are the default 120 s: the restarted worker finishes well inside them only because it takes
        // back at once what its dead predecessor (same host, process gone) had claimed.
        let restarted = Instant::now();
        let mut worker = worker_process(&app, &sink);
        let deadline = restarted + Duration::from_secs(60);
        while app.store.issue(id).await.unwrap().unwrap().status != "sent" {
            assert!(
                Instant::now() < deadline,
                "the restarted worker did not finish within 60 s (lease 120 s): {:?}",
                app.store.issue_progress(id).await.unwrap()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let _ = std::process::Command::new("kill").args(["-TERM", &worker.id().to_string()]).status();
        worker.wait().unwrap();

        let copies = sink.copies();
        let missing: Vec<&String> = emails.iter().filter(|e| !copies.contains_key(*e)).collect();
        assert!(missing.is_empty(), "{} recipients never got the issue", missing.len());
        let duplicates: usize = copies.values().map(|c| c - 1).sum();
        eprintln!(
            "{backend:?}: killed after {accepted} accepted / {recorded} recorded; in-flight window {window}; duplicates {duplicates}; finished {:.1} s after the restart",
            restarted.elapsed().as_secs_f64()
        );
        assert!(duplicates as i64 <= window, "only messages in flight at the crash go out twice");
        assert!(window <= 8 + 2 * 64, "the window is bounded by concurrency + the queue + one recording: {window}");
        assert_eq!(app.store.issue_progress(id).await.unwrap().sent, 2000);
    }
}

#[tokio::test]
async fn smtp_authentication_and_the_rate_limit() {
    let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
    let Some(sink) = SmtpSink::start_with(tmp.path(), false, Some("news@ledger:s3cret!")) else { return };
    for (password, works) in [("wrong", false), ("s3cret%21", true)] {
        let url = format!("smtp://news%40ledger:{password}@127.0.0.1:{}", sink.port);
        let app = spawn_app_full(newsdesk_store::Backend::Sqlite, Options { demo: true }, move |c| {
            c.mail.transport = "smtp".into();
            c.mail.smtp_url = url;
            c.newsletters.rate_per_second = 20.0;
        })
        .await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let emails: Vec<String> = (0..20).map(|i| format!("paced{i}-{works}@example.org")).collect();
        confirmed_subscribers(&app, n.id, &emails).await;
        let id = make_issue(&app, n.id, "auth").await;
        let started = Instant::now();
        app.run_jobs().await;
        let p = app.store.issue_progress(id).await.unwrap();
        if works {
            assert_eq!(p.sent, 20, "{p:?}");
            assert!(emails.iter().all(|e| sink.copies().get(e) == Some(&1)));
            // 20 messages at 20 a second: the first at once, then one every 50 ms.
            assert!(started.elapsed() >= Duration::from_millis(900), "paced: {:?}", started.elapsed());
        } else {
            assert_eq!((p.sent, p.bounced, p.failed, p.remaining()), (0, 0, 0, 20), "kept for another try: {p:?}");
            let waiting = app.store.failed_deliveries(id, 1).await.unwrap();
            assert!(waiting[0].2.as_deref().unwrap_or("").contains("535"), "the server's answer is shown: {waiting:?}");
            assert!(!app.store.is_suppressed(&emails[0]).await.unwrap(), "our own login failing is no reader's fault");
        }
    }
}

#[tokio::test]
async fn a_digest_of_several_articles_from_theme_templates() {
    for backend in backends() {
        let app = spawn_app_with_theme(backend).await;
        let n = app.store.newsletter_by_slug("investigations").await.unwrap().unwrap();
        confirmed_subscribers(&app, n.id, &["dee@example.org".into()]).await;
        app.create_staff("editor@ledger.example", "editor", None).await;
        let editor = app.sign_in("editor@ledger.example").await;
        let posts = app
            .store
            .top_posts(&newsdesk_store::posts::PostFilter { status: Some("published".into()), ..Default::default() }, 3)
            .await
            .unwrap();
        let ids: Vec<String> = posts.iter().map(|p| p.row.id.to_string()).collect();
        let (_, html) = app
            .get_text(
                &editor,
                &format!("/admin/newsletters/{}/send?post={}&post={}&post={}", n.id, ids[0], ids[1], ids[2]),
            )
            .await;
        let mut form: Vec<(&str, String)> =
            vec![("csrf_token", csrf_token(&html)), ("key", hidden(&html, "key")), ("action", "send".into())];
        form.extend(ids.iter().map(|i| ("post", i.clone())));
        let r = editor.post(app.url(&format!("/admin/newsletters/{}/send", n.id))).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        app.run_jobs().await;
        let mail = crate::helpers::outbox(&app).into_iter().find(|m| m.contains("To: dee@example.org")).unwrap();
        assert!(
            mail.contains("Subject: From the theme: 3 stories"),
            "the theme's subject template overrides the built-in one"
        );
        for p in &posts {
            assert!(mail.contains(&p.row.title.to_uppercase()), "the plain-text part lists {}", p.row.title);
            assert!(mail.contains(&p.row.title.replace('\'', "&#39;")), "the HTML part lists {}", p.row.title);
        }
        assert_eq!(mail.matches(">Read the story</a>").count(), 3, "teasers, not full text");
    }
}

async fn spawn_app_with_theme(backend: newsdesk_store::Backend) -> TestApp {
    spawn_app_full(backend, Options { demo: true }, |c| {
        let theme = c.data_dir.join("theme/email");
        std::fs::create_dir_all(&theme).unwrap();
        std::fs::write(theme.join("subject.txt"), "From the theme: {{ posts|length }} stories\n").unwrap();
    })
    .await
}
