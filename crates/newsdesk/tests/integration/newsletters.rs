//! Newsletter signups: the forms on the reference page, double opt-in over HTTP with the outbox transport, the
//! consent ledger, and the protections (Origin, honeypot, rate limits, no disclosure of existing subscriptions).

use serde_json::Value;

use crate::helpers::{Options, TestApp, backends, outbox, spawn_app_with};

const THANKS: &str = "Thank you for signing up for this newsletter. We&#39;ve sent you a confirmation email.";

fn confirm_path(mail: &str) -> String {
    let start = mail.find("/newsletters/confirm/").expect("a confirmation link");
    mail[start..].split_whitespace().next().unwrap().to_owned()
}

async fn subscribe(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.browser()
        .post(app.url("/newsletters/subscribe"))
        .header("origin", &app.address)
        .form(fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn signup_forms_appear_where_the_reference_page_has_them() {
    let app = spawn_app_with(newsdesk_store::Backend::Sqlite, Options { demo: true }).await;
    let (_, html) =
        app.get_text(&app.browser(), "/council-approves-six-month-night-bus-trial-after-riders-petition/").await;
    assert_eq!(
        html.matches("<form method=\"post\" action=\"/newsletters/subscribe\"").count(),
        3,
        "inline, sidebar and footer"
    );
    assert_eq!(html.matches("indicates required</p>").count(), 3);
    assert!(html.contains("<span class=\"req\" aria-hidden=\"true\">*</span> indicates required"));
    assert!(html.contains("Get The Morning Ledger in your inbox"));
    assert!(html.contains("Explaining the estuary with Priya Lindqvist"), "a choice of several in the sidebar");
    let mut ids: Vec<&str> = html.split(" id=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "element ids are unique although forms repeat");
    let (status, page) = app.get_text(&app.browser(), "/newsletters/").await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("class=\"check newsletter-choice\"").count(), 3);
}

#[tokio::test]
async fn double_opt_in_over_http() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        // A malformed address: the message beside the field, the typed text kept, nothing stored.
        let r =
            subscribe(&app, &[("email", "reader@@example"), ("newsletter", "morning-ledger"), ("form_url", "/")]).await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains("id=\"nl-page-message\" aria-live=\"polite\">Please enter a correct email address.</p>"),
            "{html}"
        );
        assert!(html.contains("value=\"reader@@example\""));
        assert!(app.store.subscription_statuses("reader@@example").await.unwrap().is_empty());

        let r = subscribe(
            &app,
            &[
                ("email", "Reader@Example.org"),
                ("newsletter", "morning-ledger"),
                ("newsletter", "investigations"),
                ("form_url", "/some-story/"),
            ],
        )
        .await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains(THANKS));
        assert_eq!(
            app.store.subscription_statuses("Reader@example.org").await.unwrap(),
            [("morning-ledger".to_owned(), "pending".to_owned()), ("investigations".to_owned(), "pending".to_owned())]
        );
        app.run_jobs().await;
        let mails = outbox(&app);
        assert_eq!(mails.len(), 1);
        assert!(mails[0].contains("To: reader@example.org"), "one subscriber per mailbox: stored in lower case");
        assert!(
            mails[0]
                .contains("Subject: Please confirm your subscription to The Morning Ledger and Ledger Investigations")
        );
        let link = confirm_path(&mails[0]);

        // Opening the link confirms nothing (link scanners prefetch GETs); the button's POST does, once.
        let (status, page) = app.get_text(&app.browser(), &link).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm my subscription") && page.contains("reader@example.org"));
        assert!(
            app.store.subscription_statuses("Reader@example.org").await.unwrap().iter().all(|(_, s)| s == "pending")
        );
        let r = app.browser().post(app.url(&link)).header("origin", &app.address).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("You’re subscribed"));
        assert!(
            app.store.subscription_statuses("Reader@example.org").await.unwrap().iter().all(|(_, s)| s == "confirmed")
        );
        assert_eq!(app.browser().post(app.url(&link)).send().await.unwrap().status(), 410, "single use");
        assert_eq!(app.get(&app.browser(), &link).await.status(), 410);

        // The ledger: signup and confirmation, with where and what was agreed to.
        let ledger = app.store.consent_entries("Reader@example.org").await.unwrap();
        assert_eq!(ledger.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(), ["signup", "confirm"]);
        assert_eq!(ledger[0].1, "morning-ledger,investigations");
        assert_eq!(ledger[0].2.as_deref(), Some("127.0.0.1"));
        assert_eq!(ledger[0].3.as_deref(), Some("/some-story/"));
        assert!(ledger[0].4.as_deref().unwrap().contains("You can unsubscribe at any time."));

        // Signing up again for what is confirmed: the same answer, and no mail.
        let again = subscribe(&app, &[("email", "reader@example.org"), ("newsletter", "morning-ledger")])
            .await
            .text()
            .await
            .unwrap();
        assert!(again.contains(THANKS));
        app.run_jobs().await;
        assert_eq!(outbox(&app).len(), 1, "nothing sent to an address that is already subscribed");
    }
}

#[tokio::test]
async fn inline_answers_and_protections() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let json = |fields: Vec<(&'static str, String)>| {
            let client = app.browser();
            let url = app.url("/newsletters/subscribe");
            let origin = app.address.clone();
            async move {
                client
                    .post(url)
                    .header("accept", "application/json")
                    .header("origin", origin)
                    .form(&fields)
                    .send()
                    .await
                    .unwrap()
            }
        };
        let r = json(vec![("email", "a@example.org".into()), ("newsletter", "morning-ledger".into())]).await;
        assert_eq!(r.status(), 200);
        let j: Value = r.json().await.unwrap();
        assert_eq!(j["ok"], true);
        assert_eq!(j["message"], "Thank you for signing up for this newsletter. We've sent you a confirmation email.");
        let r = json(vec![("email", "not an address".into()), ("newsletter", "morning-ledger".into())]).await;
        assert_eq!(r.status(), 422);
        let j: Value = r.json().await.unwrap();
        assert_eq!(
            (j["field"].as_str(), j["message"].as_str()),
            (Some("email"), Some("Please enter a correct email address."))
        );
        let r = json(vec![("email", "b@example.org".into()), ("newsletter", "no-such-list".into())]).await;
        assert_eq!(r.status(), 422);
        let r = json(vec![("email", "b@example.org".into())]).await;
        assert_eq!(r.json::<Value>().await.unwrap()["message"], "Choose at least one newsletter.");

        // Another site's form is refused; a bot that fills the honeypot is thanked and ignored.
        let r = app
            .browser()
            .post(app.url("/newsletters/subscribe"))
            .header("origin", "https://evil.example")
            .form(&[("email", "c@example.org"), ("newsletter", "morning-ledger")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = json(vec![
            ("email", "bot@example.org".into()),
            ("newsletter", "morning-ledger".into()),
            ("website", "http://spam".into()),
        ])
        .await;
        assert_eq!(r.json::<Value>().await.unwrap()["ok"], true);
        assert!(app.store.subscription_statuses("bot@example.org").await.unwrap().is_empty());
        assert!(app.store.subscription_statuses("c@example.org").await.unwrap().is_empty());

        // Nobody can mail-bomb a stranger: after three signups an hour, the address gets no more mail.
        for _ in 0..5 {
            let r = json(vec![("email", "victim@example.org".into()), ("newsletter", "investigations".into())]).await;
            assert_eq!(r.json::<Value>().await.unwrap()["ok"], true, "the answer never changes");
        }
        app.run_jobs().await;
        let to_victim = outbox(&app).iter().filter(|m| m.contains("To: victim@example.org")).count();
        assert_eq!(to_victim, 3);

        // An expired link says so, and points to signing up again.
        sqlx::query("UPDATE confirmation_tokens SET expires_at = 0").execute(&app.store.pool).await.unwrap();
        let mail = outbox(&app).into_iter().find(|m| m.contains("To: a@example.org")).unwrap();
        let (status, page) = app.get_text(&app.browser(), &confirm_path(&mail)).await;
        assert_eq!(status, 410);
        assert!(page.contains("This link has expired") && page.contains("/newsletters/"));
    }
}
