//! Outbound webhooks against a real receiver (`py/webhook_receiver.py`) that checks every signature with the
//! Standard Webhooks reference library and fails its first deliveries: events are emitted with their changes,
//! retried with backoff until delivered, logged, and redelivered on request.

use std::process::{Child, Command, Stdio};

use crate::helpers::{TestApp, backends, csrf_token, outbox, spawn_app_full};

struct Receiver {
    port: u16,
    log: std::path::PathBuf,
    secret: std::path::PathBuf,
    child: Child,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(dir: &std::path::Path, fail_first: u32) -> Option<Receiver> {
        let have = Command::new("python3").args(["-c", "import standardwebhooks"]).output();
        if !have.is_ok_and(|o| o.status.success()) {
            assert_ne!(std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(), Ok("1"), "standardwebhooks is required");
            eprintln!("SKIPPED: webhook test (pip install standardwebhooks)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (log, secret) = (dir.join("hooks.jsonl"), dir.join("hook-secret"));
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/py/webhook_receiver.py");
        let mut child = Command::new("python3")
            .arg(script)
            .args([port.to_string(), secret.display().to_string(), log.display().to_string(), fail_first.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(Receiver { port, log, secret, child });
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the webhook receiver did not start");
    }

    fn requests(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Deliveries that verified, as (event type, data).
    fn verified(&self) -> Vec<(String, serde_json::Value)> {
        self.requests()
            .into_iter()
            .filter(|r| r["answer"] == 204)
            .map(|r| (r["verified"]["type"].as_str().unwrap().to_owned(), r["verified"]["data"].clone()))
            .collect()
    }
}

/// Runs due jobs, making retries due at once (the queue would wait minutes between tries).
async fn deliver_all(app: &TestApp) {
    for _ in 0..6 {
        sqlx::query("UPDATE jobs SET run_at = 0 WHERE status = 'queued'").execute(&app.store.pool).await.unwrap();
        app.run_jobs().await;
    }
}

#[tokio::test]
async fn webhooks_are_signed_retried_logged_and_redelivered() {
    for backend in backends() {
        let app =
            spawn_app_full(backend, crate::helpers::Options { demo: true }, |c| c.webhooks.private_networks = true)
                .await;
        let Some(rx) = Receiver::start(&app.data_dir(), 2) else { return };
        app.create_staff("admin@example.org", "admin", None).await;
        let admin = app.sign_in("admin@example.org").await;
        let (_, html) = app.get_text(&admin, "/admin/webhooks").await;
        let csrf = csrf_token(&html);

        // Registering: a bad address or no event is refused beside the field; a good one shows its secret once.
        let form = |url: &str, events: &[&str]| {
            let mut f: Vec<(&str, String)> =
                vec![("csrf_token", csrf.clone()), ("url", url.to_owned()), ("description", "CRM".into())];
            f.extend(events.iter().map(|e| ("events", e.to_string())));
            f
        };
        let r =
            admin.post(app.url("/admin/webhooks")).form(&form("ftp://x", &["post.published"])).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let r = admin
            .post(app.url("/admin/webhooks"))
            .form(&form("https://hooks.example.org/x", &[]))
            .send()
            .await
            .unwrap();
        assert!(r.text().await.unwrap().contains("Choose at least one event."));
        let events = [
            "post.published",
            "post.updated",
            "post.unpublished",
            "post.deleted",
            "feed_item.created",
            "feed_item.retracted",
            "correction.added",
            "subscriber.confirmed",
            "subscriber.unsubscribed",
        ];
        let r = admin
            .post(app.url("/admin/webhooks"))
            .form(&form(&format!("http://127.0.0.1:{}/hook", rx.port), &events))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let page = r.text().await.unwrap();
        let secret = page.split("<code class=\"token\">").nth(1).unwrap().split('<').next().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        std::fs::write(&rx.secret, &secret).unwrap();
        assert!(!app.get_text(&admin, "/admin/webhooks").await.1.contains(&secret), "the secret is shown once");

        // Changes emit events in their transaction.
        let author = app.store.authors().await.unwrap()[0].id;
        let id = app
            .store
            .create_post(
                &crate::helpers::stored_post("gull-point-vote", "Vote.", "<p>Vote.</p>", "published", author),
                None,
            )
            .await
            .unwrap();
        let mut edited =
            crate::helpers::stored_post("gull-point-vote", "Vote, again.", "<p>Vote, again.</p>", "published", author);
        edited.title = "Gull Point vote".into();
        app.store.update_post(id, &edited, None, None).await.unwrap();
        app.store.add_correction(id, "correction", "The vote was 9–4, not 8–5.", None).await.unwrap();
        let item = app
            .store
            .create_feed_item(
                &newsdesk_store::feed::FeedItemInput {
                    headline: "Barrier vote passes",
                    summary: "Nine to four.",
                    url: None,
                    post_id: Some(id),
                    tag_id: None,
                    author_id: None,
                },
                None,
            )
            .await
            .unwrap();
        app.store.retract_feed_item(item, "Wrong count.").await.unwrap();
        app.store.set_post_status(id, "draft", None).await.unwrap();
        let draft_only = app
            .store
            .create_post(&crate::helpers::stored_post("never-published", "x", "<p>x</p>", "draft", author), None)
            .await
            .unwrap();
        app.store.delete_post(draft_only).await.unwrap();
        // A reader signs up and confirms, then leaves.
        let r = app
            .browser()
            .post(app.url("/newsletters/subscribe"))
            .header("origin", &app.address)
            .form(&[("email", "reader@example.org"), ("newsletter", "morning-ledger"), ("form_url", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        app.run_jobs().await;
        let mail = outbox(&app).into_iter().find(|m| m.contains("/newsletters/confirm/")).unwrap();
        let link = mail[mail.find("/newsletters/confirm/").unwrap()..].split_whitespace().next().unwrap().to_owned();
        assert_eq!(
            app.browser().post(app.url(&link)).header("origin", &app.address).send().await.unwrap().status(),
            200
        );
        let sub = app.store.subscriber_by_email("reader@example.org").await.unwrap().unwrap();
        let nl = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        let consent = newsdesk_store::newsletters::Consent { ip: None, form_url: None, consent_text: "test" };
        assert!(app.store.unsubscribe(sub.id, nl.id, "one_click", &consent).await.unwrap());

        deliver_all(&app).await;
        let got = rx.verified();
        let mut kinds: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
        kinds.sort_unstable();
        let mut want = [
            "post.published",
            "post.updated",
            "correction.added",
            "feed_item.created",
            "feed_item.retracted",
            "post.unpublished",
            "post.deleted",
            "subscriber.confirmed",
            "subscriber.unsubscribed",
        ];
        want.sort_unstable();
        assert_eq!(kinds, want, "every event once, verified by the reference library (retries may arrive later)");
        let of = |kind: &str| got.iter().find(|(k, _)| k == kind).unwrap().1.clone();
        assert_eq!(of("post.updated")["title"], "Gull Point vote");
        assert_eq!(of("post.updated")["url"], format!("{}/gull-point-vote/", app.address));
        assert_eq!(of("subscriber.confirmed")["email"], "reader@example.org");
        assert_eq!(of("correction.added")["body"], "The vote was 9–4, not 8–5.");
        let requests = rx.requests();
        assert_eq!(requests.iter().filter(|r| r["answer"] == 500).count(), 2, "the first two attempts failed");
        for failed in requests.iter().filter(|r| r["answer"] == 500) {
            assert!(
                requests.iter().any(|r| r["answer"] == 204 && r["id"] == failed["id"]),
                "a retry keeps its message id and arrives"
            );
        }
        assert!(requests.iter().all(|r| r["answer"] != 400), "every signature verified: {requests:?}");

        // The log shows each delivery; redeliver sends the same message again.
        let hook = app.store.webhooks().await.unwrap()[0].id;
        let log = app.store.webhook_deliveries(hook, 100).await.unwrap();
        assert_eq!(log.len(), 9);
        assert!(log.iter().all(|d| d.status == "delivered"));
        let first = log.last().unwrap();
        assert_eq!((first.event.as_str(), first.attempts), ("post.published", 2), "a failure, then delivered");
        assert_eq!(log.iter().map(|d| d.attempts).sum::<i64>(), 11, "nine deliveries, two of them retried once");
        assert_eq!(first.response_status, Some(204));
        let (_, page) = app.get_text(&admin, &format!("/admin/webhooks/{hook}")).await;
        assert!(page.contains(&first.msg_id) && page.contains("delivered"));
        let r = admin
            .post(app.url(&format!("/admin/webhooks/deliveries/{}/redeliver", first.id)))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        deliver_all(&app).await;
        let again = rx.requests();
        assert_eq!(again.len(), requests.len() + 1);
        assert_eq!(again.last().unwrap()["id"], first.msg_id.as_str());
        assert_eq!(again.last().unwrap()["answer"], 204);

        // A forged delivery is refused by the verifier (so its acceptance above means something).
        let forged = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/hook", rx.port))
            .header("webhook-id", "msg_forged")
            .header("webhook-timestamp", jiff::Timestamp::now().as_second().to_string())
            .header("webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
            .body(r#"{"type":"post.published","timestamp":"2026-01-01T00:00:00Z","data":{}}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 400);

        // Paused endpoints get nothing new; private addresses are refused unless allowed (here they are).
        let r = admin
            .post(app.url(&format!("/admin/webhooks/{hook}/toggle")))
            .form(&[("csrf_token", csrf.as_str()), ("active", "0")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        app.store.set_post_status(id, "published", Some(newsdesk_store::now())).await.unwrap();
        assert_eq!(app.store.webhook_deliveries(hook, 100).await.unwrap().len(), 9, "no delivery while paused");
    }
}

/// Without `[webhooks] private_networks`, a loopback endpoint is never called; the delivery says why.
#[tokio::test]
async fn private_addresses_are_refused_by_default() {
    let backend = backends()[0];
    let app = crate::helpers::spawn_app(backend).await;
    let Some(rx) = Receiver::start(&app.data_dir(), 0) else { return };
    let hook = app
        .store
        .create_webhook(
            &format!("http://127.0.0.1:{}/hook", rx.port),
            None,
            &["post.published"],
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            None,
        )
        .await
        .unwrap();
    let author = app.author("Rui Costa", "person").await;
    app.store
        .create_post(&crate::helpers::stored_post("quiet", "x", "<p>x</p>", "published", author), None)
        .await
        .unwrap();
    app.run_jobs().await;
    let d = &app.store.webhook_deliveries(hook.id, 10).await.unwrap()[0];
    assert_eq!(d.status, "pending");
    assert!(d.last_error.as_deref().unwrap_or("").contains("private network"), "{:?}", d.last_error);
    assert!(rx.requests().is_empty(), "never called");
}

/// Leaving a newsletter on the preferences page is an unsubscription too.
#[tokio::test]
async fn leaving_on_the_preferences_page_emits_unsubscribed() {
    for backend in backends() {
        let app = spawn_app_full(backend, crate::helpers::Options { demo: true }, |_| {}).await;
        let hook = app
            .store
            .create_webhook(
                "https://hooks.example.org/crm",
                None,
                &["subscriber.unsubscribed"],
                "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                None,
            )
            .await
            .unwrap();
        let (a, b) = (
            app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap(),
            app.store.newsletter_by_slug("investigations").await.unwrap().unwrap(),
        );
        crate::helpers::confirmed_subscribers(&app, a.id, &["reader@example.org".into()]).await;
        crate::helpers::confirmed_subscribers(&app, b.id, &["reader@example.org".into()]).await;
        let sub = app.store.subscriber_by_email("reader@example.org").await.unwrap().unwrap();
        let consent = newsdesk_store::newsletters::Consent { ip: None, form_url: None, consent_text: "preferences" };
        app.store.set_preferences(sub.id, &[a.id], &consent).await.unwrap();
        let log = app.store.webhook_deliveries(hook.id, 10).await.unwrap();
        assert_eq!(log.len(), 1, "one newsletter left");
        let body: serde_json::Value = serde_json::from_str(&log[0].body).unwrap();
        assert_eq!(
            (body["type"].as_str(), body["data"]["newsletter_id"].as_i64(), body["data"]["via"].as_str()),
            (Some("subscriber.unsubscribed"), Some(b.id), Some("preferences"))
        );
    }
}
