//! Newsroom features: the live News Feed (pages, feeds, API, server-sent events), Editors' Picks and home
//! curation, related promos, corrections, revisions and concurrent edits.

use std::time::Duration;

use newsdesk_services::posts::PostDraft;
use reqwest::Client;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, csrf_token, spawn_app};
use crate::public::publish;

async fn editor(app: &TestApp) -> (Client, i64) {
    let ana = app.author("Ana Okafor", "person").await;
    app.create_staff("ed@example.org", "editor", Some(ana)).await;
    (app.sign_in("ed@example.org").await, ana)
}

async fn story(app: &TestApp, title: &str, tags: &[&str]) -> String {
    publish(
        app,
        PostDraft {
            title: title.into(),
            excerpt: Some(format!("About {title}.")),
            body: "Text.".into(),
            authors: vec!["Ana Okafor".into()],
            tags: tags.iter().map(|t| t.to_string()).collect(),
            ..Default::default()
        },
    )
    .await
}

async fn post_id(app: &TestApp, slug: &str) -> i64 {
    app.store.post_by_slug(slug).await.unwrap().unwrap().row.id
}

async fn post_form(
    app: &TestApp,
    client: &Client,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = app.get_text(client, page).await;
    let csrf = csrf_token(&html);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(action)).form(&form).send().await.unwrap()
}

/// Reads server-sent events until `n` `feed-item` events arrived; returns (id, data) pairs.
async fn read_events(resp: &mut reqwest::Response, n: usize) -> Vec<(i64, Value)> {
    let mut buf = String::new();
    let mut out = Vec::new();
    while out.len() < n {
        let chunk = tokio::time::timeout(Duration::from_secs(10), resp.chunk())
            .await
            .expect("event within 10 s")
            .unwrap()
            .expect("stream open");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut id = None;
            let mut data = None;
            let mut is_item = false;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data = serde_json::from_str::<Value>(v.trim()).ok();
                } else if line.trim() == "event: feed-item" || line.trim() == "event:feed-item" {
                    is_item = true;
                }
            }
            if let (true, Some(id), Some(data)) = (is_item, id, data) {
                out.push((id, data));
            }
        }
    }
    out
}

#[tokio::test]
async fn news_feed_items_are_posted_edited_retracted_and_shown_everywhere() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (ed, _) = editor(&app).await;
        let slug = story(&app, "Harbour bridge closes for repairs", &["Transport"]).await;

        // Bad input: messages beside the fields, nothing posted.
        let r = post_form(
            &app,
            &ed,
            "/admin/news-feed",
            "/admin/news-feed",
            &[("headline", ""), ("summary", &"x".repeat(1001)), ("url", "javascript:alert(1)")],
        )
        .await;
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"id="headline-error">Write a headline."#), "{html}");
        assert!(html.contains("id=\"summary-error\">Keep the summary to one paragraph"));
        assert!(html.contains("id=\"url-error\">The link must be an http(s) address"));
        let r = post_form(
            &app,
            &ed,
            "/admin/news-feed",
            "/admin/news-feed",
            &[("headline", "x"), ("summary", "y"), ("article", "no-such-story")],
        )
        .await;
        assert!(r.text().await.unwrap().contains("There is no published article &quot;no-such-story&quot;."));
        assert!(app.store.feed_items(None, 10).await.unwrap().is_empty());

        // Post one in seconds from the quick form.
        let r = post_form(
            &app,
            &ed,
            "/admin/news-feed",
            "/admin/news-feed",
            &[
                ("headline", "Bridge reopens early"),
                ("summary", "Engineers finished a day ahead of schedule."),
                ("article", &slug),
                ("tag", "transport"),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        let item = app.store.feed_items(None, 1).await.unwrap().remove(0);
        app.state.refresh_version().await;

        // Sidebar on article and home pages, with the time in the site's zone.
        let reader = app.browser();
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let zoned = jiff::Timestamp::from_second(item.published_at).unwrap().to_zoned(tz);
        // The site's language is "en": ICU4X's US English clock, in London time ("12:56 AM").
        let time = format!("{}\u{202f}{}", zoned.strftime("%-I:%M"), zoned.strftime("%p"));
        for page in [format!("/{slug}/"), "/".to_owned()] {
            let (_, html) = app.get_text(&reader, &page).await;
            let feed = &html[html.find("news-feed-heading").expect("News Feed sidebar")..];
            assert!(feed.contains(&format!(r#"<a href="/{slug}/">Bridge reopens early</a>"#)), "{page}");
            assert!(feed.contains(&format!(">{time}")), "time shown as {time} on {page}");
            assert!(feed.contains(r#"<a href="/news-feed/">More news</a>"#));
        }

        // Edit, then retract: it stays, marked retracted with the note.
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/news-feed/{}", item.id),
            &format!("/admin/news-feed/{}", item.id),
            &[
                ("headline", "Bridge reopens a day early"),
                ("summary", "Engineers finished ahead of schedule."),
                ("article", &slug),
            ],
        )
        .await;
        assert_eq!(r.status(), 303);
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/news-feed/{}", item.id),
            &format!("/admin/news-feed/{}/retract", item.id),
            &[("note", "")],
        )
        .await;
        assert_eq!(r.status(), 422, "a retraction needs a note");
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/news-feed/{}", item.id),
            &format!("/admin/news-feed/{}/retract", item.id),
            &[("note", "The council has since postponed the reopening.")],
        )
        .await;
        assert_eq!(r.status(), 303);
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&reader, "/news-feed/").await;
        assert!(
            html.contains("feed-item retracted")
                && html.contains("<strong>Retracted</strong>: The council has since postponed the reopening.")
        );
        assert!(html.contains("Bridge reopens a day early"), "a retracted item stays visible");
        let r = app
            .store
            .update_feed_item(
                item.id,
                &newsdesk_store::feed::FeedItemInput {
                    headline: "x",
                    summary: "y",
                    url: None,
                    post_id: None,
                    tag_id: None,
                    author_id: None,
                },
            )
            .await;
        assert!(matches!(r, Err(newsdesk_store::StoreError::Conflict { .. })), "a retraction is final");

        let rss = app.get(&reader, "/news-feed/rss/").await.text().await.unwrap();
        assert!(rss.contains("<description>[Retracted: The council has since postponed the reopening.] Engineers finished ahead of schedule.</description>"), "{rss}");

        // "More news" pages backwards; feeds and the API carry the items.
        for i in 0..30 {
            app.store
                .create_feed_item(
                    &newsdesk_store::feed::FeedItemInput {
                        headline: &format!("Item {i}"),
                        summary: "Short.",
                        url: None,
                        post_id: None,
                        tag_id: None,
                        author_id: None,
                    },
                    None,
                )
                .await
                .unwrap();
        }
        app.state.refresh_version().await;
        let (_, page1) = app.get_text(&reader, "/news-feed/").await;
        assert!(page1.contains(">Item 29<") && !page1.contains(">Item 4<"));
        let more = page1
            .split(r#"<a rel="next" href=""#)
            .nth(1)
            .expect("More news link")
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        let (status, page2) = app.get_text(&reader, &more).await;
        assert_eq!(status, 200);
        assert!(page2.contains(">Item 4<") && !page2.contains(">Item 29<"));
        let r = app.get(&reader, "/news-feed/rss/").await;
        assert_eq!(r.headers()["content-type"], "application/rss+xml; charset=utf-8");
        let rss = r.text().await.unwrap();
        assert!(rss.starts_with("<?xml") && rss.contains("<title>Item 29</title>"));
        let jf: Value = app.get(&reader, "/news-feed/feed.json").await.json().await.unwrap();
        assert_eq!(jf["version"], "https://jsonfeed.org/version/1.1");
        assert_eq!(jf["items"][0]["title"], "Item 29");
        let api: Value = app.get(&reader, "/api/v1/feed-items?limit=5").await.json().await.unwrap();
        assert_eq!(api["feed_items"].as_array().unwrap().len(), 5);
        let next = api["meta"]["next_before"].as_i64().unwrap();
        let api2: Value =
            app.get(&reader, &format!("/api/v1/feed-items?limit=5&before={next}")).await.json().await.unwrap();
        assert_eq!(api2["feed_items"][0]["headline"], "Item 24");
    }
}

#[tokio::test]
async fn the_api_posts_and_retracts_feed_items() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let (t, hash) = newsdesk_store::new_token();
        app.store.create_api_token("wire", "editor", &hash, "admin").await.unwrap();
        let token = format!("nd_{t}");
        let http = app.browser();
        let r = http
            .post(app.url("/api/v1/feed-items"))
            .json(&json!({ "headline": "Polls open", "summary": "Voting runs until 10 p.m." }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = http
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&token)
            .json(&json!({ "headline": "", "summary": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        // The domain's own code, on every path (the API once said "headline_invalid").
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "headline_empty");
        let r = http
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&token)
            .json(&json!({ "headline": "Polls open", "summary": "Voting runs until 10 p.m.", "author": "Ana Okafor" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let item = r.json::<Value>().await.unwrap()["feed_item"].clone();
        assert_eq!(item["author"], "Ana Okafor");
        let id = item["id"].as_i64().unwrap();
        let r = http
            .post(app.url(&format!("/api/v1/feed-items/{id}/retract")))
            .bearer_auth(&token)
            .json(&json!({ "note": "Wrong time." }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["feed_item"]["retracted"], true);
        let r = http
            .patch(app.url(&format!("/api/v1/feed-items/{id}")))
            .bearer_auth(&token)
            .json(&json!({ "headline": "Changed" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "retracted");
    }
}

#[tokio::test]
async fn live_stream_delivers_new_items_replays_missed_ones_and_crosses_nodes() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // A second node on the same database.
        let node2 = newsdesk::startup::Application::build(&app.config, false).await.unwrap();
        let node2_url = format!("http://127.0.0.1:{}", node2.port());
        let (stop2, rx2) = tokio::sync::oneshot::channel::<()>();
        let node2_task = tokio::spawn(node2.run_until_stopped(async move {
            let _ = rx2.await;
        }));
        let input = |h: &'static str| newsdesk_store::feed::FeedItemInput {
            headline: h,
            summary: "Now.",
            url: None,
            post_id: None,
            tag_id: None,
            author_id: None,
        };
        let client = Client::new();

        // Connect to node 2; an item posted on node 1 arrives.
        let mut stream = client.get(format!("{node2_url}/news-feed/events")).send().await.unwrap();
        assert_eq!(stream.headers()["content-type"], "text/event-stream");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (_, html) = app.get_text(&app.browser(), "/admin/signin").await;
        drop(html);
        app.store.create_feed_item(&input("First"), None).await.unwrap();
        app.state.notify_feed().await;
        let got = read_events(&mut stream, 1).await;
        let (first_seq, data) = &got[0];
        assert_eq!(data["item"]["headline"], "First");
        assert_eq!(data["kind"], "created");
        assert!(data["html"].as_str().unwrap().starts_with("<li class=\"feed-item\""));
        drop(stream);

        // While disconnected: two more items and a retraction. Reconnecting with Last-Event-ID replays them in order.
        let second = app.store.create_feed_item(&input("Second"), None).await.unwrap();
        app.store.create_feed_item(&input("Third"), None).await.unwrap();
        app.store.retract_feed_item(second, "Duplicate.").await.unwrap();
        let mut stream = client
            .get(format!("{node2_url}/news-feed/events"))
            .header("Last-Event-ID", first_seq.to_string())
            .send()
            .await
            .unwrap();
        let got = read_events(&mut stream, 3).await;
        let summary: Vec<(String, String)> = got
            .iter()
            .map(|(_, d)| (d["item"]["headline"].as_str().unwrap().to_owned(), d["kind"].as_str().unwrap().to_owned()))
            .collect();
        assert_eq!(
            summary,
            [
                ("Second".into(), "created".into()),
                ("Third".into(), "created".into()),
                ("Second".into(), "retracted".into())
            ]
        );
        assert!(got.windows(2).all(|w| w[0].0 < w[1].0), "ids increase");
        drop(stream);
        let _ = stop2.send(());
        node2_task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn shutdown_is_not_held_up_by_open_live_streams() {
    let mut app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let mut stream = Client::new().get(app.url("/news-feed/events")).send().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), app.stop()).await.expect("graceful shutdown ends open streams");
    assert!(stream.chunk().await.map(|c| c.is_none()).unwrap_or(true), "the stream was closed");
}

#[tokio::test]
async fn editors_picks_and_home_curation() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (ed, _) = editor(&app).await;
        let a = story(&app, "Alpha story", &["News"]).await;
        let b = story(&app, "Beta story", &["News"]).await;
        let c = story(&app, "Gamma story", &["News"]).await;
        let (ia, ib, ic) = (post_id(&app, &a).await, post_id(&app, &b).await, post_id(&app, &c).await);
        for pid in [ia, ib, ic] {
            let r =
                post_form(&app, &ed, "/admin/curation", "/admin/curation/picks", &[("post", &pid.to_string())]).await;
            assert_eq!(r.status(), 303);
        }
        let r = post_form(&app, &ed, "/admin/curation", "/admin/curation/picks", &[("post", &ia.to_string())]).await;
        assert!(r.text().await.unwrap().contains("already an Editors&#39; Pick"));
        let r = post_form(
            &app,
            &ed,
            "/admin/curation",
            &format!("/admin/curation/picks/{ic}/move"),
            &[("direction", "up")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let order: Vec<String> = app.store.editors_picks().await.unwrap().iter().map(|p| p.row.title.clone()).collect();
        assert_eq!(order, ["Alpha story", "Gamma story", "Beta story"]);

        // Shown on article pages in that order; an unpublished pick drops out by itself.
        app.state.refresh_version().await;
        let reader = app.browser();
        let (_, html) = app.get_text(&reader, &format!("/{a}/")).await;
        let picks = &html[html.find("editors-picks-heading").expect("Editors' Picks box")..];
        assert!(picks.find("Gamma story").unwrap() < picks.find("Beta story").unwrap());
        app.store.set_post_status(ic, "draft", None).await.unwrap();
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&reader, "/").await;
        let picks = &html[html.find("editors-picks-heading").unwrap()..];
        assert!(!picks.contains("Gamma story") && picks.contains("Beta story"));

        // Reordering a pick someone removed meanwhile: a clear message, nothing else changes.
        app.store.remove_pick(ib).await.unwrap();
        let r = post_form(
            &app,
            &ed,
            "/admin/curation",
            &format!("/admin/curation/picks/{ib}/move"),
            &[("direction", "up")],
        )
        .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("no longer an Editors&#39; Pick"));

        // Home curation: the chosen lead leads; empty slots fall back to the newest stories.
        let r = post_form(
            &app,
            &ed,
            "/admin/curation",
            "/admin/curation/home",
            &[("lead", &ia.to_string()), ("top1", &ib.to_string()), ("top2", "")],
        )
        .await;
        assert_eq!(r.status(), 303);
        app.state.refresh_version().await;
        let (_, home) = app.get_text(&reader, "/").await;
        let lead = &home[home.find("aria-label=\"Lead story\"").unwrap()
            ..home.find("aria-label=\"Top stories\"").expect("top stories")];
        assert!(lead.contains("Alpha story"), "the chosen lead");
        let top = &home[home.find("aria-label=\"Top stories\"").unwrap()..home.find("latest-heading").unwrap()];
        assert!(top.contains("Beta story"));
        let r = post_form(&app, &ed, "/admin/curation", "/admin/curation/home", &[("lead", &ic.to_string())]).await;
        assert_eq!(r.status(), 422, "a draft cannot lead the home page");
    }
}

#[tokio::test]
async fn related_promo_corrections_revisions_and_conflicts() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let (ed, ana) = editor(&app).await;
        let inv = story(&app, "Inside the port's missing millions", &["Investigation"]).await;
        let news = story(&app, "Port board meets tonight", &["Investigation", "Port"]).await;
        let reader = app.browser();

        // Without a choice, the promo is the latest story of the same primary tag.
        let (_, html) = app.get_text(&reader, &format!("/{news}/")).await;
        let promo = &html[html.find("<aside class=\"promo\"").expect("a promo")..];
        assert!(
            promo.contains("<p class=\"kicker\">Investigation</p>")
                && promo.contains("Inside the port&#39;s missing millions")
        );

        // Corrections: only on published articles; shown in order; bump the modified time; never deleted.
        let post = app.store.post_by_slug(&news).await.unwrap().unwrap();
        let id = post.row.id;
        let before = post.row.updated_at;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/posts/{id}/edit"),
            &format!("/admin/posts/{id}/corrections"),
            &[("kind", "correction"), ("body", "An earlier version gave the wrong meeting time.")],
        )
        .await;
        assert_eq!(r.status(), 303);
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/posts/{id}/edit"),
            &format!("/admin/posts/{id}/corrections"),
            &[("kind", "update"), ("body", "The meeting was postponed.")],
        )
        .await;
        assert_eq!(r.status(), 303);
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&reader, &format!("/{news}/")).await;
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap())
            .strftime("%b %-d, %Y")
            .to_string();
        let c1 = html.find("<strong>Correction, <time").expect("correction shown");
        let c2 = html.find("<strong>Update, <time").expect("update shown");
        assert!(c1 < c2, "in order");
        assert!(html.contains(&format!(">{today}</time>:</strong> An earlier version gave the wrong meeting time.")));
        assert!(html.contains("class=\"updated\">Updated"));
        assert!(app.store.post(id).await.unwrap().unwrap().row.updated_at > before, "modified time bumped");
        let draft_id =
            app.store.create_post(&crate::helpers::stored_post("draft-x", "x", "x", "draft", ana), None).await.unwrap();
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/posts/{id}/edit"),
            &format!("/admin/posts/{draft_id}/corrections"),
            &[("kind", "correction"), ("body", "x")],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("Corrections go on published articles"));
        assert!(
            sqlx::query("DELETE FROM corrections").execute(&app.store.pool).await.is_err(),
            "the database refuses deletion"
        );
        assert!(
            sqlx::query("UPDATE corrections SET body = 'quietly changed'").execute(&app.store.pool).await.is_err(),
            "and silent edits"
        );
        assert_eq!(app.store.corrections_for(&[id]).await.unwrap()[&id].len(), 2);
        let r =
            post_form(&app, &ed, &format!("/admin/posts/{id}/edit"), &format!("/admin/posts/{id}/delete"), &[]).await;
        assert_eq!(r.status(), 400, "an article with corrections is unpublished, not deleted");
        assert!(app.store.post(id).await.unwrap().is_some());

        // An explicit related post wins over the fallback.
        let other = story(&app, "Ferry timetable changes", &["Transport"]).await;
        let (_, editor_html) = app.get_text(&ed, &format!("/admin/posts/{id}/edit")).await;
        let rev = app.store.post(id).await.unwrap().unwrap().row.revision.to_string();
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf_token(&editor_html))
            .text("title", "Port board meets tonight")
            .text("body", "Text.\n\nA second paragraph.")
            .text("author", ana.to_string())
            .text("tags", "Investigation, Port")
            .text("related", other.clone())
            .text("revision", rev.clone())
            .text("action", "save");
        assert_eq!(
            ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap().status(),
            303
        );
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&reader, &format!("/{news}/")).await;
        let promo = &html[html.find("<aside class=\"promo\"").unwrap()..];
        assert!(promo.contains("Ferry timetable changes") && promo.contains(">Transport</p>"));

        // A second editor who opened the same revision is told it changed, and keeps their text.
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf_token(&editor_html))
            .text("title", "Stale headline")
            .text("body", "My version.")
            .text("author", ana.to_string())
            .text("revision", rev)
            .text("action", "save");
        let r = ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains("changed by someone else") && html.contains("My version."));
        assert_eq!(app.store.post(id).await.unwrap().unwrap().row.title, "Port board meets tonight");

        // Revisions: listed, diffed, restored as a new revision.
        let revisions = app.store.revisions(id).await.unwrap();
        assert!(revisions.len() >= 2);
        let (status, page) =
            app.get_text(&ed, &format!("/admin/posts/{id}/revisions?a=1&b={}", revisions[0].revision)).await;
        assert_eq!(status, 200);
        assert!(page.contains("<span class=\"diff-added\">+ A second paragraph.</span>"), "{page}");
        let current = revisions[0].revision;
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/posts/{id}/revisions"),
            &format!("/admin/posts/{id}/revisions/1/restore"),
            &[("revision", &current.to_string())],
        )
        .await;
        assert_eq!(r.status(), 303);
        let restored = app.store.post(id).await.unwrap().unwrap();
        assert_eq!(restored.row.body_md, "Text.");
        assert_eq!(restored.row.revision, current + 1, "restoring adds a revision");
        assert_eq!(app.store.revisions(id).await.unwrap().len(), revisions.len() + 1, "nothing in between is lost");
        // A deleted post's revisions cannot be restored.
        let gone = story(&app, "Short-lived story", &[]).await;
        let gone_id = app.store.post_by_slug(&gone).await.unwrap().unwrap().row.id;
        app.store.delete_post(gone_id).await.unwrap();
        let r = post_form(
            &app,
            &ed,
            &format!("/admin/posts/{id}/revisions"),
            &format!("/admin/posts/{gone_id}/revisions/1/restore"),
            &[],
        )
        .await;
        assert_eq!(r.status(), 400);
        assert!(r.text().await.unwrap().contains("That post was deleted"));
        let _ = inv;
    }
}

/// A News Feed item reaches every cached page's sidebar without rendering any page again: the content version
/// stays where it was, the cache counts no miss, and the story part of each page is byte for byte what it was —
/// while `/news-feed/` itself is rendered anew. Retracting works the same way.
/// The same for the Editors' Picks: a pick added, moved or removed reaches every cached article and the home page
/// without rendering any of them again, and without touching their News Feed.
#[tokio::test]
async fn editors_picks_are_spliced_into_cached_pages_without_rendering_them_again() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let slugs = [
            story(&app, "Harbour wall repairs begin", &["City"]).await,
            story(&app, "Library extends its hours", &[]).await,
            story(&app, "Bridge closed for inspection", &[]).await,
        ];
        let http = Client::new();
        app.state.refresh_version().await;
        let get = |path: String| {
            let http = http.clone();
            let url = app.url(&path);
            async move { http.get(url).send().await.unwrap() }
        };
        let picks_of = |page: &str| {
            let (a, b) = (page.find("<!--nd:picks-->").unwrap(), page.find("<!--/nd:picks-->").unwrap());
            (page[a..b].to_owned(), format!("{}{}", &page[..a], &page[b..]))
        };
        let token = crate::api::token(&app, "editor").await;
        let pick = |slug: String| {
            let (http, url, token) = (http.clone(), app.url("/api/v1/curation/picks"), token.clone());
            async move {
                let r = http.post(url).bearer_auth(token).json(&json!({ "post": slug })).send().await.unwrap();
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            }
        };
        pick(slugs[2].clone()).await;
        app.state.refresh_version().await;
        let pages: Vec<String> = slugs.iter().map(|s| format!("/{s}/")).chain(["/".to_owned()]).collect();
        let mut before = Vec::new();
        for p in &pages {
            get(p.clone()).await;
            let r = get(p.clone()).await;
            assert!(r.headers()["surrogate-key"].to_str().unwrap().contains("picks"), "{p} says it shows the picks");
            before.push(r.text().await.unwrap());
        }
        let (version, misses) = (app.state.version(), app.state.cache.stats().misses);

        pick(slugs[0].clone()).await;
        app.state.refresh_version().await;
        assert_eq!(app.state.version(), version, "a pick is not a content change");
        for (p, old) in pages.iter().zip(&before) {
            let page = get(p.clone()).await.text().await.unwrap();
            let (box_now, rest_now) = picks_of(&page);
            let (box_then, rest_then) = picks_of(old);
            assert!(box_now.contains("Harbour wall repairs begin") && !box_then.contains("Harbour wall"), "{box_now}");
            assert!(box_now.contains("Bridge closed for inspection"), "the earlier pick stays: {box_now}");
            assert_eq!(rest_now, rest_then, "only the picks changed on {p}");
        }
        assert_eq!(app.state.cache.stats().misses, misses, "no page was rendered again");
        // The spliced page's gzip copy is the same page.
        for p in &pages {
            let plain = get(p.clone()).await.text().await.unwrap();
            let r = http.get(app.url(p)).header("accept-encoding", "gzip").send().await.unwrap();
            assert_eq!(r.headers()["content-encoding"], "gzip");
            let mut unzipped = String::new();
            use std::io::Read;
            flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..]).read_to_string(&mut unzipped).unwrap();
            assert_eq!(unzipped, plain, "{p}");
        }

        // Taken off again: the pages say so, still without a render.
        let id = app.store.published_by_slug(&slugs[2]).await.unwrap().unwrap().row.id;
        let r = http.delete(app.url(&format!("/api/v1/curation/picks/{id}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 204);
        app.state.refresh_version().await;
        let page = get(pages[1].clone()).await.text().await.unwrap();
        let (box_now, _) = picks_of(&page);
        assert!(!box_now.contains("Bridge closed") && box_now.contains("Harbour wall"), "{box_now}");
        assert_eq!(app.state.cache.stats().misses, misses, "still no render");
    }
}

#[tokio::test]
async fn a_news_feed_item_is_spliced_into_cached_pages_without_rendering_them_again() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let slugs =
            [story(&app, "Tram depot plan approved", &["City"]).await, story(&app, "Ferry timetable", &[]).await];
        let http = Client::new();
        app.state.refresh_version().await;
        let get = |path: String| {
            let http = http.clone();
            let url = app.url(&path);
            async move { http.get(url).send().await.unwrap().text().await.unwrap() }
        };
        let mut before = Vec::new();
        for s in &slugs {
            get(format!("/{s}/")).await;
            before.push(get(format!("/{s}/")).await);
        }
        let feed_before = get("/news-feed/".into()).await;
        let (version, misses) = (app.state.version(), app.state.cache.stats().misses);

        let token = crate::api::token(&app, "editor").await;
        let r = http
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&token)
            .json(&json!({ "headline": "Storm warning for the coast", "summary": "Gusts of 90 km/h are expected." }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let item = r.json::<Value>().await.unwrap()["feed_item"]["id"].as_i64().unwrap();
        app.state.refresh_version().await;
        assert_eq!(app.state.version(), version, "a News Feed item is not a content change");
        for (s, old) in slugs.iter().zip(&before) {
            let page = get(format!("/{s}/")).await;
            let sidebar = &page[page.find("<!--nd:feed-->").unwrap()..page.find("<!--/nd:feed-->").unwrap()];
            assert!(sidebar.contains("Storm warning for the coast"), "{sidebar}");
            let outside = |p: &str| {
                let (a, b) = (p.find("<!--nd:feed-->").unwrap(), p.find("<!--/nd:feed-->").unwrap());
                format!("{}{}", &p[..a], &p[b..])
            };
            assert_eq!(outside(&page), outside(old), "only the sidebar changed");
        }
        assert_eq!(app.state.cache.stats().misses, misses, "no page was rendered again");
        let feed_page = get("/news-feed/".into()).await;
        assert!(feed_page.contains("Storm warning for the coast") && !feed_before.contains("Storm warning"));
        assert_eq!(app.state.cache.stats().misses, misses + 1, "the News Feed page itself was");

        // The same page again: the spliced copy is fresh (a hit, no second splice), with a new ETag.
        let r = http.get(app.url(&format!("/{}/", slugs[0]))).send().await.unwrap();
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let r = http.get(app.url(&format!("/{}/", slugs[0]))).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(r.status(), 304);

        // Retracted: the sidebars say so.
        let r = http
            .post(app.url(&format!("/api/v1/feed-items/{item}/retract")))
            .bearer_auth(&token)
            .json(&json!({ "note": "Issued in error." }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        app.state.refresh_version().await;
        let page = get(format!("/{}/", slugs[1])).await;
        let sidebar = &page[page.find("<!--nd:feed-->").unwrap()..page.find("<!--/nd:feed-->").unwrap()];
        assert!(sidebar.contains("Issued in error."), "{sidebar}");
        assert_eq!(app.state.cache.stats().misses, misses + 1);
    }
}
