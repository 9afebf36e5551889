//! Regression tests for the holes a hostile test found (issue 10): open redirects, cross-site signups, oversized
//! bodies, API errors in one shape, sender names with RFC 5322 specials, locked writes on SQLite, public changes
//! missing from cached pages, and the security headers. Each test is named after what broke.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{
    Options, SmtpSink, TestApp, backends, confirmed_subscribers, csrf_token, spawn_app, spawn_app_full, spawn_app_with,
};

fn posts_only() -> newsdesk_store::posts::PostFilter {
    newsdesk_store::posts::PostFilter { kind: Some("post".into()), ..Default::default() }
}

async fn token(app: &TestApp, role: &str) -> String {
    let (t, hash) = newsdesk_store::new_token();
    app.store.create_api_token("test", role, &hash, "admin").await.unwrap();
    format!("nd_{t}")
}

/// Sends a request line exactly as written (no client normalises the path) and returns the status and headers.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let addr = app.address.trim_start_matches("http://");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let head = text.split("\r\n\r\n").next().unwrap_or("").to_owned();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head)
}

fn location(head: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("location").then(|| v.trim().to_owned())
    })
}

/// A Location that a browser resolves to this site: one leading slash, then no slash, backslash or white space.
fn stays_on_site(loc: &str) -> bool {
    let b = loc.as_bytes();
    loc.starts_with('/')
        && b.get(1).is_none_or(|c| *c != b'/' && *c != b'\\')
        && !loc.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
}

#[tokio::test]
async fn open_redirects_after_sign_in_and_in_the_trailing_slash_fallback_are_refused() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    // The trailing-slash fallback: paths that browsers would read as another host get no redirect at all.
    for target in [
        "//evil%E3%80%82example",
        "//2130706433",
        "//evil.example",
        "/\\evil",
        "/\\/evil.example",
        "/%5Cevil",
        "/%2F%2Fevil.example",
        "/%09/evil.example",
        "///evil.example",
    ] {
        let (status, head) = raw_get(&app, target).await;
        let loc = location(&head);
        assert!(loc.as_deref().is_none_or(stays_on_site), "{target} redirected to {loc:?}");
        assert!(status == 404 || (status == 301 && loc.is_some()), "{target}: {status}");
    }
    let (status, head) = raw_get(&app, "/about").await;
    assert_eq!((status, location(&head).as_deref()), (301, Some("/about/")), "own paths still get their slash");

    // After sign-in, `next` is followed only to a path of this site; CR/LF no longer answers 500.
    for (i, (next, expect)) in [
        ("/\t/evil.example/", "/admin/posts"),
        ("/\n/evil.example/", "/admin/posts"),
        ("/admin\r\nSet-Cookie: x=1", "/admin/posts"),
        ("//evil.example/", "/admin/posts"),
        ("/\\evil.example", "/admin/posts"),
        ("/%2F/evil.example", "/admin/posts"),
        ("/%5C/evil.example", "/admin/posts"),
        ("//evil\u{3002}example", "/admin/posts"),
        ("//2130706433/", "/admin/posts"),
        ("https://evil.example/", "/admin/posts"),
        ("/admin/tags?done=saved", "/admin/tags?done=saved"),
    ]
    .into_iter()
    .enumerate()
    {
        // One account per case: sign-in is rate-limited per address.
        let email = format!("ed{i}@ledger.example");
        app.create_staff(&email, "editor", None).await;
        let client = app.browser();
        let (_, html) = app.get_text(&client, "/admin/signin").await;
        let r = client
            .post(app.url("/admin/signin"))
            .form(&[
                ("csrf_token", csrf_token(&html).as_str()),
                ("email", email.as_str()),
                ("password", crate::helpers::PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{next:?}");
        let loc = r.headers()["location"].to_str().unwrap().to_owned();
        assert_eq!(loc, expect, "next = {next:?}");
        // Signed in already: the form's GET redirects the same way.
        let url = format!("{}?next={}", app.url("/admin/signin"), newsdesk_web::auth::session::urlencode(next));
        let r = client.get(url).send().await.unwrap();
        assert_eq!(r.headers()["location"].to_str().unwrap(), expect, "GET with next = {next:?}");
    }
}

#[tokio::test]
async fn origin_null_and_cross_site_posts_are_refused_on_every_public_and_admin_form() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let post = |path: &str, headers: Vec<(&'static str, String)>| {
            let mut r = app.browser().post(app.url(path));
            for (k, v) in headers {
                r = r.header(k, v);
            }
            r.form(&[("email", "iframe@example.org"), ("newsletter", "morning-ledger")]).send()
        };
        // What a sandboxed iframe on any site sends, and what modern browsers say of a cross-site request.
        for headers in [
            vec![("origin", "null".to_owned())],
            vec![("sec-fetch-site", "cross-site".to_owned())],
            vec![("sec-fetch-site", "cross-site".to_owned()), ("origin", app.address.clone())],
            vec![("sec-fetch-site", "same-site".to_owned()), ("origin", "http://sub.evil.example".to_owned())],
        ] {
            for path in ["/newsletters/subscribe", "/newsletters/resend", "/newsletters/confirm/abc", "/admin/signin"] {
                let r = post(path, headers.clone()).await.unwrap();
                assert_eq!(r.status(), 403, "{path} with {headers:?}");
            }
        }
        assert!(app.store.subscription_statuses("iframe@example.org").await.unwrap().is_empty(), "nothing stored");
        // The site's own pages still work, with either header.
        let r = post("/newsletters/subscribe", vec![("sec-fetch-site", "same-origin".into())]).await.unwrap();
        assert_eq!(r.status(), 200);
        let r = post("/newsletters/subscribe", vec![("origin", app.address.clone())]).await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(app.store.subscription_statuses("iframe@example.org").await.unwrap().len(), 1);

        // Staff forms: the CSRF token is not enough when the browser says the form came from elsewhere.
        app.create_staff("ed@ledger.example", "editor", None).await;
        let staff = app.sign_in("ed@ledger.example").await;
        let (_, html) = app.get_text(&staff, "/admin/tags").await;
        let csrf = csrf_token(&html);
        let r = staff
            .post(app.url("/admin/tags"))
            .header("origin", "https://evil.example")
            .form(&[("csrf_token", csrf.as_str()), ("name", "Cross-site tag")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(app.store.tag_by_slug("cross-site-tag").await.unwrap().is_none());
        let r = staff
            .post(app.url("/admin/tags"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf_token", csrf.as_str()), ("name", "Own tag")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(app.store.tag_by_slug("own-tag").await.unwrap().is_some());
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_per_route_and_never_echoed() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let http = app.browser();
        let origin = app.address.clone();
        // Public forms take a few kilobytes.
        let big = "a".repeat(10 * 1024 * 1024);
        for path in ["/newsletters/subscribe", "/newsletters/resend", "/admin/signin"] {
            let r = http.post(app.url(path)).header("origin", &origin).form(&[("email", big.as_str())]).send().await;
            assert_eq!(r.unwrap().status(), 413, "{path}");
        }
        // Under the limit, a long field is not echoed back whole.
        let long = format!("{}@example.org", "x".repeat(12_000));
        let r = http.post(app.url("/newsletters/resend")).header("origin", &origin).form(&[("email", &long)]).send();
        let r = r.await.unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains(&"x".repeat(200)) && !page.contains(&"x".repeat(300)), "the echo is cut at 254");

        // The API: a body over the limit is a JSON 413; a story over the longest allowed is a JSON 422.
        app.author("Ana Okafor", "person").await;
        let editor = token(&app, "editor").await;
        let huge = json!({ "title": "Huge", "authors": ["Ana Okafor"], "body": "word ".repeat(2_000_000) });
        let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor).json(&huge).send().await.unwrap();
        assert_eq!(r.status(), 413);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "payload_too_large");
        let long = json!({ "title": "Long", "authors": ["Ana Okafor"], "body": "word ".repeat(220_000) });
        let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor).json(&long).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "body_too_long");
        let api_posts = app.store.list_posts(&Default::default(), 1, 100).await.unwrap().total;

        // The editor: a story over the maximum re-renders with the message beside the body.
        app.create_staff("ed@ledger.example", "editor", None).await;
        let staff = app.sign_in("ed@ledger.example").await;
        let (_, html) = app.get_text(&staff, "/admin/posts/new").await;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf_token(&html))
            .text("title", "Too long")
            .text("author", "ana-okafor")
            .text("body", "word ".repeat(220_000))
            .text("action", "save");
        let r = staff.post(app.url("/admin/posts/new")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("the longest a story can be is 1000 KB"));
        // Uploads take up to 25 MB, and no more.
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(vec![0u8; 30 * 1024 * 1024]).file_name("big.png"));
        let r = http.post(app.url("/api/v1/media")).bearer_auth(&editor).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 413);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "payload_too_large");
        let form = reqwest::multipart::Form::new()
            .part("file", reqwest::multipart::Part::bytes(crate::helpers::png(2000, 1500)).file_name("ok.png"));
        let r = http.post(app.url("/api/v1/media")).bearer_auth(&editor).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201, "an ordinary photo still uploads");
        assert_eq!(app.store.list_posts(&Default::default(), 1, 100).await.unwrap().total, api_posts, "no post made");
    }
}

#[tokio::test]
async fn api_refusals_from_the_framework_are_json_errors_too() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let editor = token(&app, "editor").await;
    let http = app.browser();
    let cases = [
        (http.patch(app.url("/api/v1/posts/abc")).bearer_auth(&editor).json(&json!({})), 400, "invalid_path"),
        (http.get(app.url("/api/v1/posts?page=abc")), 400, "invalid_query"),
        (http.get(app.url("/api/v1/feed-items?before=x")), 400, "invalid_query"),
        (http.get(app.url("/api/v1/feed-items/abc")), 400, "invalid_path"),
        (http.delete(app.url("/api/v1/tags")), 405, "method_not_allowed"),
        (http.get(app.url("/api/v1/nothing-here")), 404, "not_found"),
        (
            http.post(app.url("/api/v1/posts"))
                .bearer_auth(&editor)
                .header("content-type", "application/json")
                .body(vec![b' '; 30 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            http.post(app.url("/api/v1/media"))
                .bearer_auth(&editor)
                .header("content-type", "multipart/form-data; boundary=x")
                .body(vec![b'x'; 50 * 1024 * 1024]),
            413,
            "payload_too_large",
        ),
        (
            http.post(app.url("/api/v1/media")).bearer_auth(&editor).header("content-type", "text/plain").body("x"),
            400,
            "file_missing",
        ),
    ];
    for (request, status, code) in cases {
        let r = request.send().await.unwrap();
        let url = r.url().to_string();
        assert_eq!(r.status().as_u16(), status, "{url}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{url} answers JSON");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], code, "{url}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{url} has a message");
    }
}

/// The From display name as a mail client shows it, read by Python's own e-mail parser (RFC 2047 words decoded).
fn display_name(raw: &str) -> String {
    let script = "import sys, email, email.policy\nm = email.message_from_string(sys.stdin.read(), policy=email.policy.default)\nprint(m['From'].addresses[0].display_name)";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim_end_matches('\n').to_owned()
}

/// Regression: a sender name with a comma or any other RFC 5322 special made every copy fail with "[mail] from:
/// Invalid input", recorded as bounced; CR/LF in the name was accepted by the form.
#[tokio::test]
async fn newsletter_sender_names_with_rfc5322_specials_send_and_a_bad_sender_stops_the_issue() {
    for backend in backends() {
        let tmp = newsdesk_store::testing::TempDir::new("nd-smtp");
        let Some(sink) = SmtpSink::start(tmp.path(), true) else { return };
        let url = sink.url();
        let app = spawn_app_full(backend, Options { demo: true }, move |c| {
            c.mail.transport = "smtp".into();
            c.mail.smtp_url = url;
        })
        .await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let set_sender = |name: String, email: &'static str| {
            let n = n.clone();
            let store = app.store.clone();
            async move {
                let input = newsdesk_store::newsletters::NewsletterInput {
                    slug: &n.slug,
                    name: &n.name,
                    description: n.description.as_deref(),
                    host_author_id: n.host_author_id,
                    sender_name: Some(&name),
                    sender_email: Some(email),
                    reply_to: None,
                    cadence: n.cadence.as_deref(),
                    visibility: &n.visibility,
                    sort_order: n.sort_order,
                    language: None,
                };
                store.update_newsletter(n.id, &input).await.unwrap();
            }
        };
        let readers: Vec<String> = (0..3).map(|i| format!("reader{i}@example.org")).collect();
        confirmed_subscribers(&app, n.id, &readers).await;
        let specials = ["(", ")", "<", ">", "[", "]", ":", ";", "@", "\\", ",", ".", "\""];
        for (i, special) in specials.iter().enumerate() {
            let name = format!("The Ledger{special} Morning Edition");
            set_sender(name.clone(), "news@ledger.example").await;
            let before = sink.messages().len();
            let issue = crate::sending::make_issue(&app, n.id, &format!("special-{i}")).await;
            crate::sending::send_until_done(&app, issue).await;
            let p = app.store.issue_progress(issue).await.unwrap();
            assert_eq!((p.sent, p.bounced, p.failed), (3, 0, 0), "{name}: {p:?}");
            let messages = sink.messages();
            let raw = messages[before]["raw"].as_str().unwrap().to_owned();
            let from = crate::helpers::unfold_mail(&raw)
                .lines()
                .find(|l| l.starts_with("From: "))
                .map(|l| l.trim_start_matches("From: ").to_owned())
                .unwrap();
            assert_eq!(display_name(&raw), name, "{from}");
        }

        // An address no message can be built with stops the issue for staff; nobody is marked bounced.
        set_sender("Ledger".into(), "not-an-address").await;
        let issue = crate::sending::make_issue(&app, n.id, "bad-sender").await;
        for _ in 0..5 {
            app.run_jobs().await;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let stopped = app.store.issue(issue).await.unwrap().unwrap();
        assert_eq!(stopped.status, "paused");
        assert!(stopped.stop_reason.as_deref().unwrap().contains("not-an-address"), "{:?}", stopped.stop_reason);
        let p = app.store.issue_progress(issue).await.unwrap();
        assert_eq!((p.bounced, p.failed, p.sent, p.queued), (0, 0, 0, 3), "{p:?}");
        for r in &readers {
            let statuses = app.store.subscription_statuses(r).await.unwrap();
            assert!(statuses.iter().all(|(_, s)| s == "confirmed"), "{r} is still subscribed: {statuses:?}");
        }
        // Staff see why; after fixing the sender and resuming, everyone gets it.
        app.create_staff("ed@ledger.example", "editor", None).await;
        let staff = app.sign_in("ed@ledger.example").await;
        let (_, page) = app.get_text(&staff, &format!("/admin/issues/{issue}")).await;
        assert!(page.contains("Stopped before sending"), "the issue page says why");
        set_sender("Ledger".into(), "news@ledger.example").await;
        assert!(
            app.store.control_issue(issue, newsdesk_store::issues::IssueControl::Resume).await.unwrap(),
            "a stopped issue resumes"
        );
        crate::sending::send_until_done(&app, issue).await;
        let p = app.store.issue_progress(issue).await.unwrap();
        assert_eq!((p.sent, p.bounced), (3, 0));
        assert_eq!(app.store.issue(issue).await.unwrap().unwrap().stop_reason, None);

        // The admin form refuses control characters in names instead of storing them.
        let (_, html) = app.get_text(&staff, "/admin/newsletters").await;
        let r = staff
            .post(app.url(&format!("/admin/newsletters/{}", n.id)))
            .form(&[
                ("csrf_token", csrf_token(&html).as_str()),
                ("name", "Morning Ledger"),
                ("slug", "morning-ledger"),
                ("sender_name", "Ledger\r\nBcc: everyone@example.org"),
                ("sender_email", "news@ledger.example"),
                ("visibility", "public"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("no line breaks or control characters"));
        let kept = app.store.newsletter(n.id).await.unwrap().unwrap();
        assert_eq!(kept.sender_name.as_deref(), Some("Ledger"));
    }
}

/// Regression: with three concurrent editors on SQLite, 13 of 30 edits answered 500 ("database is locked"): the
/// post update began a deferred transaction, read, then wrote. A soak of edits, publishes, News Feed items and
/// signups, with a worker draining jobs beside them, must answer no 5xx.
#[tokio::test]
async fn concurrent_edits_publishes_feed_items_and_signups_answer_no_5xx() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        app.author("Ana Okafor", "person").await;
        let editor = token(&app, "editor").await;
        let http = app.browser();
        let mut ids = Vec::new();
        for i in 0..6 {
            let body = json!({ "title": format!("Soak story {i}"), "authors": ["Ana Okafor"], "body": "First." });
            let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor).json(&body).send().await.unwrap();
            ids.push(r.json::<Value>().await.unwrap()["post"]["id"].as_i64().unwrap());
        }
        let worker = {
            let store = app.store.clone();
            let ctx = app.config.job_context(&app.address).unwrap();
            tokio::spawn(async move {
                let w = newsdesk_worker::Worker::new(store, ctx);
                for _ in 0..40 {
                    w.drain().await.expect("jobs run");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let mut tasks = tokio::task::JoinSet::new();
        for t in 0..12 {
            let http = http.clone();
            let base = app.address.clone();
            let editor = editor.clone();
            let ids = ids.clone();
            tasks.spawn(async move {
                let mut statuses = Vec::new();
                for n in 0..10 {
                    let id = ids[(t + n) % ids.len()];
                    let r = match t % 4 {
                        0 | 1 => {
                            let body = json!({ "body": format!("Edit {n} by editor {t}.") });
                            http.patch(format!("{base}/api/v1/posts/{id}")).bearer_auth(&editor).json(&body).send()
                        }
                        2 => match n % 2 {
                            0 => http.post(format!("{base}/api/v1/posts/{id}/publish")).bearer_auth(&editor).send(),
                            _ => {
                                let item = json!({ "headline": format!("Update {t}-{n}"), "summary": "Now." });
                                http.post(format!("{base}/api/v1/feed-items")).bearer_auth(&editor).json(&item).send()
                            }
                        },
                        _ => http
                            .post(format!("{base}/newsletters/subscribe"))
                            .header("origin", &base)
                            .form(&[
                                ("email", format!("soak{t}-{n}@example.org")),
                                ("newsletter", "morning-ledger".into()),
                            ])
                            .send(),
                    };
                    statuses.push((t, n, r.await.unwrap().status().as_u16()));
                }
                statuses
            });
        }
        let mut all = Vec::new();
        while let Some(r) = tasks.join_next().await {
            all.extend(r.unwrap());
        }
        worker.await.unwrap();
        let failed: Vec<_> = all.iter().filter(|(_, _, s)| *s >= 500).collect();
        assert!(failed.is_empty(), "{backend:?}: {} of {} requests answered 5xx: {failed:?}", failed.len(), all.len());
        assert_eq!(all.len(), 120);
    }
}

/// Regression: creating or editing a newsletter (or renaming an author) did not bump the content version, so
/// cached pages showed the old signup forms and bylines until the next publish.
#[tokio::test]
async fn newsletter_and_author_edits_reach_cached_pages_at_once() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let reader = app.browser();
        let (_, home) = app.get_text(&reader, "/").await;
        assert!(!home.contains("Harbour Weekly"));
        app.create_staff("ed@ledger.example", "editor", None).await;
        let staff = app.sign_in("ed@ledger.example").await;
        let (_, html) = app.get_text(&staff, "/admin/newsletters").await;
        let r = staff
            .post(app.url("/admin/newsletters"))
            .form(&[
                ("csrf_token", csrf_token(&html).as_str()),
                ("name", "Harbour Weekly"),
                ("description", "Shipping news every Friday."),
                ("visibility", "public"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (_, home) = app.get_text(&reader, "/").await;
        assert!(home.contains("Harbour Weekly"), "the new newsletter is in the cached page's signup form");

        let lead = app.store.list_posts(&posts_only(), 1, 1).await.unwrap().items.remove(0);
        let author = lead.authors.first().unwrap().clone();
        let path = format!("/{}/", lead.row.slug);
        let (_, page) = app.get_text(&reader, &path).await;
        assert!(page.contains(&author.name));
        app.store
            .update_author(
                author.id,
                newsdesk_store::authors::AuthorInput {
                    slug: &author.slug,
                    name: "Renamed Reporter",
                    kind: &author.kind,
                    bio: None,
                    image_id: None,
                },
            )
            .await
            .unwrap();
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&reader, &path).await;
        assert!(page.contains("Renamed Reporter"), "the byline changed on the cached page");
    }
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_without_inline_scripts() {
    let app = spawn_app_with(newsdesk_store::Backend::Sqlite, Options { demo: true }).await;
    app.create_staff("ed@ledger.example", "editor", None).await;
    let staff = app.sign_in("ed@ledger.example").await;
    let lead = app.store.list_posts(&posts_only(), 1, 1).await.unwrap().items.remove(0);
    for (client, path) in [
        (app.browser(), "/".to_owned()),
        (app.browser(), format!("/{}/", lead.row.slug)),
        (app.browser(), "/news-feed/".to_owned()),
        (app.browser(), "/newsletters/".to_owned()),
        (app.browser(), "/admin/signin".to_owned()),
        (staff.clone(), "/admin/posts".to_owned()),
        (staff.clone(), format!("/admin/posts/{}/edit", lead.row.id)),
    ] {
        let r = client.get(app.url(&path)).send().await.unwrap();
        let csp = r.headers().get("content-security-policy").map(|v| v.to_str().unwrap().to_owned());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        let script_src = csp.split(';').map(str::trim).find(|d| d.starts_with("script-src")).unwrap();
        assert_eq!(script_src, "script-src 'self'", "{path}");
        assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'self'"));
        let html = r.text().await.unwrap();
        // Every <script> is an external file or a JSON-LD data block: nothing the policy would have to allow.
        for tag in html.split("<script").skip(1) {
            let open = tag.split('>').next().unwrap();
            assert!(open.contains("src=") || open.contains("application/ld+json"), "{path}: inline <script{open}>");
        }
        assert!(!html.contains(" onclick=") && !html.contains("javascript:"), "{path}");
    }
    let r = staff.get(app.url("/admin/posts")).send().await.unwrap();
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
}
