//! Subscribers: the preferences page and change of address through signed links, staff management (search,
//! CSV import with row-numbered errors, export, suppression, roles), re-requesting an expired confirmation link,
//! and the purge of signups nobody confirmed.

use crate::helpers::{
    Options, TestApp, backends, confirmed_subscribers, csrf_token, outbox, spawn_app_full, spawn_app_with,
};

async fn status_of(app: &TestApp, email: &str, slug: &str) -> Option<String> {
    app.store.subscription_statuses(email).await.unwrap().into_iter().find(|(s, _)| s == slug).map(|(_, s)| s)
}

async fn preferences_path(app: &TestApp, email: &str) -> String {
    let s = app.store.subscriber_by_email(email).await.unwrap().unwrap();
    format!("/newsletters/preferences/{}", app.store.link_key().await.unwrap().preferences_token(s.id, &s.email))
}

async fn post_preferences(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    reqwest::Client::new().post(app.url(path)).header("origin", &app.address).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn preferences_and_change_of_address_through_signed_links() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let morning = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        confirmed_subscribers(&app, morning.id, &["kit@example.org".into(), "taken@example.org".into()]).await;
        let path = preferences_path(&app, "kit@example.org").await;

        let (status, page) = app.get_text(&app.browser(), &path).await;
        assert_eq!(status, 200);
        assert!(page.contains("id=\"pref-morning-ledger\" name=\"newsletter\" value=\"morning-ledger\" checked"));
        assert!(page.contains("value=\"investigations\">"), "other public newsletters are offered unchecked");

        // A forged or truncated link opens nothing and changes nothing.
        let last = if path.ends_with('0') { '1' } else { '0' };
        let forged = format!("{}{last}", &path[..path.len() - 1]);
        let (status, _) = app.get_text(&app.browser(), &forged).await;
        assert_eq!(status, 404);
        let r = post_preferences(&app, &forged, &[("action", "unsubscribe_all")]).await;
        assert_eq!(r.status(), 404);
        assert_eq!(status_of(&app, "kit@example.org", "morning-ledger").await.as_deref(), Some("confirmed"));

        // Choose newsletters: one dropped, one added (confirmed at once: the signed link proved the address).
        let r = post_preferences(&app, &path, &[("action", "save"), ("newsletter", "investigations")]).await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Your choices are saved."));
        assert_eq!(status_of(&app, "kit@example.org", "morning-ledger").await.as_deref(), Some("unsubscribed"));
        assert_eq!(status_of(&app, "kit@example.org", "investigations").await.as_deref(), Some("confirmed"));
        let r = post_preferences(&app, &path, &[("action", "save"), ("newsletter", "no-such-list")]).await;
        assert_eq!(r.status(), 422);
        assert_eq!(status_of(&app, "kit@example.org", "investigations").await.as_deref(), Some("confirmed"));

        // Change of address: a bad one is refused beside the field; a good one needs confirming from the new box.
        let r = post_preferences(&app, &path, &[("action", "address"), ("email", "kit at example")]).await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Please enter a correct email address."));
        let r = post_preferences(&app, &path, &[("action", "address"), ("email", "Kit.New@Example.org")]).await;
        assert_eq!(r.status(), 200);
        app.run_jobs().await;
        let mail = outbox(&app)
            .into_iter()
            .find(|m| m.contains("To: kit.new@example.org"))
            .expect("a mail to the new address");
        let start = mail.find("/newsletters/confirm/").unwrap();
        let confirm = mail[start..].split_whitespace().next().unwrap().to_owned();
        assert!(app.store.subscriber_by_email("kit@example.org").await.unwrap().is_some(), "nothing changes before");
        let (status, page) = app.get_text(&app.browser(), &confirm).await;
        assert_eq!(status, 200);
        assert!(page.contains("Confirm your new address"));
        let r = app.browser().post(app.url(&confirm)).header("origin", &app.address).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("Your newsletters now go to <strong>kit.new@example.org</strong>"));
        assert_eq!(status_of(&app, "kit.new@example.org", "investigations").await.as_deref(), Some("confirmed"));
        let (status, _) = app.get_text(&app.browser(), &path).await;
        assert_eq!(status, 404, "links made for the old address stop working");
        let new_path = preferences_path(&app, "kit.new@example.org").await;
        assert_eq!(app.get_text(&app.browser(), &new_path).await.0, 200);

        // Moving onto an address another subscriber has changes nothing.
        post_preferences(&app, &new_path, &[("action", "address"), ("email", "taken@example.org")]).await;
        app.run_jobs().await;
        let mail = outbox(&app).into_iter().find(|m| m.contains("To: taken@example.org")).unwrap();
        let start = mail.find("/newsletters/confirm/").unwrap();
        let confirm = mail[start..].split_whitespace().next().unwrap().to_owned();
        let r = app.browser().post(app.url(&confirm)).header("origin", &app.address).send().await.unwrap();
        assert_eq!(r.status(), 409);
        assert!(app.store.subscriber_by_email("kit.new@example.org").await.unwrap().is_some());

        // Unsubscribe from everything.
        let r = post_preferences(&app, &new_path, &[("action", "unsubscribe_all")]).await;
        assert!(r.text().await.unwrap().contains("You are unsubscribed from all our newsletters."));
        let statuses = app.store.subscription_statuses("kit.new@example.org").await.unwrap();
        assert!(!statuses.is_empty() && statuses.iter().all(|(_, s)| s == "unsubscribed"), "{statuses:?}");
        let actions: Vec<String> =
            app.store.consent_entries("kit.new@example.org").await.unwrap().into_iter().map(|e| e.0).collect();
        assert!(
            actions.contains(&"address_change".to_owned()) && actions.contains(&"preferences".to_owned()),
            "{actions:?}"
        );
    }
}

fn multipart_csv(csrf: &str, csv: &str, fields: &[(&str, &str)]) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new().text("csrf_token", csrf.to_owned()).part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("list.csv").mime_str("text/csv").unwrap(),
    );
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

#[tokio::test]
async fn staff_manage_subscribers_import_export_and_suppress() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        app.create_staff("editor@ledger.example", "editor", None).await;
        app.create_staff("author@ledger.example", "author", None).await;
        let editor = app.sign_in("editor@ledger.example").await;
        let author = app.sign_in("author@ledger.example").await;
        assert_eq!(app.get(&author, "/admin/newsletters").await.status(), 403, "authors do not see subscriber data");
        let (status, page) = app.get_text(&editor, "/admin/newsletters").await;
        assert_eq!(status, 200);
        assert!(page.contains("The Morning Ledger"));
        let n = app.store.newsletter_by_slug("explaining-the-estuary").await.unwrap().unwrap();
        let base = format!("/admin/newsletters/{}/subscribers", n.id);
        let (_, page) = app.get_text(&editor, &base).await;
        let csrf = csrf_token(&page);

        // Broken rows are reported by line and stop the whole import unless asked.
        let csv = "Email,Name\nlena@example.org,Lena Park\nnot-an-address,Somebody\nomar@example.org,\"Omar, Jr.\"\n,\nLENA@example.org,Again\n";
        let import = app.url(&format!("{base}/import"));
        let r = editor
            .post(&import)
            .multipart(multipart_csv(&csrf, csv, &[("source", "Estuary walk signup sheet"), ("confirmed", "on")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains("2 row(s) of list.csv cannot be imported, so nothing was imported."), "{body}");
        assert!(
            body.contains("Row 3: &quot;not-an-address&quot; is not an email address")
                && body.contains("Row 5: no email address")
        );
        assert!(app.store.subscriber_by_email("lena@example.org").await.unwrap().is_none());
        let r = editor.post(&import).multipart(multipart_csv(&csrf, csv, &[("confirmed", "on")])).send().await.unwrap();
        assert_eq!(r.status(), 422, "a consent source is required");
        let r = editor
            .post(&import)
            .multipart(multipart_csv(
                &csrf,
                csv,
                &[("source", "Estuary walk signup sheet"), ("confirmed", "on"), ("skip_invalid", "on")],
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(
            body.contains("Imported: 2 added, 0 updated, 0 suppressed (not imported), 2 row(s) skipped, 1 repeated."),
            "{body}"
        );
        assert_eq!(status_of(&app, "lena@example.org", "explaining-the-estuary").await.as_deref(), Some("confirmed"));
        assert_eq!(
            app.store.subscriber_by_email("omar@example.org").await.unwrap().unwrap().name.as_deref(),
            Some("Omar, Jr.")
        );

        // Not pre-confirmed: pending, and each gets a confirmation mail.
        let r = editor
            .post(&import)
            .multipart(multipart_csv(&csrf, "pat@example.org\n", &[("source", "Old list")]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(status_of(&app, "pat@example.org", "explaining-the-estuary").await.as_deref(), Some("pending"));
        app.run_jobs().await;
        assert!(outbox(&app).iter().any(|m| m.contains("To: pat@example.org") && m.contains("/newsletters/confirm/")));

        // Search and filter.
        let (_, page) = app.get_text(&editor, &format!("{base}?q=omar")).await;
        assert!(page.contains("omar@example.org") && !page.contains("lena@example.org"));
        let (_, page) = app.get_text(&editor, &format!("{base}?status=pending")).await;
        assert!(page.contains("pat@example.org") && !page.contains("omar@example.org"));

        // Export reads back.
        let r = app.get(&editor, &format!("{base}.csv")).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
        let csv = r.text().await.unwrap();
        assert!(csv.starts_with("email,name,status,subscribed_at,confirmed_at\r\n"));
        assert!(csv.contains("omar@example.org,\"Omar, Jr.\",confirmed,"));
        let parsed = newsdesk_domain::subscribers::parse_import(&csv).unwrap();
        assert_eq!(parsed.rows.len(), 3);

        // Remove one; suppress another (its subscription stops, and it cannot be added back).
        let omar = app.store.subscriber_by_email("omar@example.org").await.unwrap().unwrap();
        let r = editor
            .post(app.url(&format!("{base}/{}/remove", omar.id)))
            .form(&[("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            status_of(&app, "omar@example.org", "explaining-the-estuary").await.as_deref(),
            Some("unsubscribed")
        );
        let r = editor
            .post(app.url("/admin/suppressions"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "LENA@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(
            status_of(&app, "lena@example.org", "explaining-the-estuary").await.as_deref(),
            Some("unsubscribed")
        );
        let (_, page) = app.get_text(&editor, "/admin/suppressions").await;
        assert!(page.contains("lena@example.org") && page.contains("manual"));
        let add = [
            ("csrf_token", csrf.as_str()),
            ("email", "lena@example.org"),
            ("confirmed", "on"),
            ("source", "asked again"),
        ];
        let r = editor.post(app.url(&base)).form(&add).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("This address is suppressed"));
        let r = editor
            .post(app.url("/admin/suppressions"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "nope")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = editor
            .post(app.url("/admin/suppressions/remove"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "lena@example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(!app.store.is_suppressed("lena@example.org").await.unwrap());

        // Newsletter settings: a new hidden newsletter stays out of the public forms.
        let (_, page) = app.get_text(&editor, "/admin/newsletters").await;
        let form = [
            ("csrf_token", csrf_token(&page)),
            ("name", "Board briefing".into()),
            ("visibility", "hidden".into()),
            ("sort_order", "9".into()),
        ];
        let r = editor.post(app.url("/admin/newsletters")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(app.store.newsletter_by_slug("board-briefing").await.unwrap().is_some());
        let (_, public) = app.get_text(&app.browser(), "/newsletters/").await;
        assert!(!public.contains("Board briefing"));
        let r = editor.post(app.url("/admin/newsletters")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 422, "the slug is taken");
        // Readers cannot put themselves on a hidden newsletter, by the form or by their preferences.
        let r = app
            .browser()
            .post(app.url("/newsletters/subscribe"))
            .header("origin", &app.address)
            .form(&[("email", "sneaky@example.org"), ("newsletter", "board-briefing")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(app.store.subscription_statuses("sneaky@example.org").await.unwrap().is_empty());
        let path = preferences_path(&app, "pat@example.org").await;
        let r = post_preferences(&app, &path, &[("action", "save"), ("newsletter", "board-briefing")]).await;
        assert_eq!(r.status(), 422);
        assert_eq!(status_of(&app, "pat@example.org", "board-briefing").await, None);
    }
}

#[tokio::test]
async fn an_expired_link_can_be_renewed_and_unconfirmed_signups_are_purged() {
    for backend in backends() {
        let app =
            spawn_app_full(backend, Options { demo: true }, |c| c.newsletters.purge_unconfirmed_after_days = 30).await;
        let signup = |email: &'static str| {
            app.browser()
                .post(app.url("/newsletters/subscribe"))
                .header("origin", &app.address)
                .form(&[("email", email), ("newsletter", "investigations")])
                .send()
        };
        assert_eq!(signup("late@example.org").await.unwrap().status(), 200);
        app.run_jobs().await;
        let first = outbox(&app).into_iter().find(|m| m.contains("To: late@example.org")).unwrap();
        let start = first.find("/newsletters/confirm/").unwrap();
        let link = first[start..].split_whitespace().next().unwrap().to_owned();
        sqlx::query("UPDATE confirmation_tokens SET expires_at = 1").execute(&app.store.pool).await.unwrap();
        let (status, page) = app.get_text(&app.browser(), &link).await;
        assert_eq!(status, 410);
        assert!(page.contains("action=\"/newsletters/resend\""), "the expired page offers a new link");
        let resend = |email: &'static str| {
            app.browser()
                .post(app.url("/newsletters/resend"))
                .header("origin", &app.address)
                .form(&[("email", email)])
                .send()
        };
        let r = resend("late@example").await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Please enter a correct email address."));
        let r = resend("LATE@example.org").await.unwrap();
        assert_eq!(r.status(), 200);
        let same = resend("nobody@example.org").await.unwrap().text().await.unwrap();
        assert!(
            same.contains("If a signup for this address is waiting for confirmation, a new link is on its way."),
            "the same answer for unknown addresses"
        );
        app.run_jobs().await;
        let mails: Vec<String> = outbox(&app).into_iter().filter(|m| m.contains("To: late@example.org")).collect();
        assert_eq!(mails.len(), 2, "a second confirmation mail");
        assert!(!outbox(&app).iter().any(|m| m.contains("To: nobody@example.org")));
        let start = mails[1].find("/newsletters/confirm/").unwrap();
        let fresh = mails[1][start..].split_whitespace().next().unwrap().to_owned();
        assert_ne!(fresh, link);
        let r = app.browser().post(app.url(&fresh)).header("origin", &app.address).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(status_of(&app, "late@example.org", "investigations").await.as_deref(), Some("confirmed"));

        // Purge: an old pending signup goes (its ledger entry stays); a confirmed one stays.
        assert_eq!(signup("never@example.org").await.unwrap().status(), 200);
        app.run_jobs().await;
        let old = newsdesk_store::now() - 31 * 86_400;
        sqlx::query("UPDATE subscriptions SET created_at = $1").bind(old).execute(&app.store.pool).await.unwrap();
        sqlx::query("UPDATE subscribers SET created_at = $1").bind(old).execute(&app.store.pool).await.unwrap();
        app.run_jobs().await;
        assert!(app.store.subscriber_by_email("never@example.org").await.unwrap().is_none(), "purged");
        assert!(
            !app.store.consent_entries("never@example.org").await.unwrap().is_empty(),
            "the ledger keeps the request"
        );
        assert_eq!(status_of(&app, "late@example.org", "investigations").await.as_deref(), Some("confirmed"));
    }
}
