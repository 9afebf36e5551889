//! A story's body as the document model, end to end: the JSON API takes and answers documents, everything the body
//! becomes is rendered at save, bad documents are refused with their codes and change nothing, raw HTML needs an
//! editor, the admin's editor endpoints convert and upload, and posts saved before the model are converted.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{backends, csrf_token, png, spawn_app};

async fn token(app: &crate::helpers::TestApp, role: &str) -> String {
    let (t, hash) = newsdesk_store::new_token();
    app.store.create_api_token("test", role, &hash, "admin").await.unwrap();
    format!("nd_{t}")
}

fn story() -> Value {
    json!({ "type": "doc", "version": 1, "content": [
        { "type": "heading", "attrs": { "level": 2 }, "content": [{ "type": "text", "text": "What happened" }] },
        { "type": "paragraph", "content": [
            { "type": "text", "text": "The ferry " },
            { "type": "text", "text": "ran late", "marks": [{ "type": "bold" }] },
            { "type": "text", "text": ", said " },
            { "type": "text", "text": "the operator", "marks": [{ "type": "link", "attrs": { "href": "https://example.org/op", "title": null } }] },
            { "type": "text", "text": "." } ] },
        { "type": "pull_quote", "attrs": { "attribution": "Captain Ruiz" }, "content": [{ "type": "text", "text": "We waited for the tide." }] },
        { "type": "image", "attrs": { "src": "/media/x.jpg", "alt": "The ferry", "caption": "At the slipway", "credit": "Photo: Wire", "size": "wide", "width": 1600, "height": 900, "media_id": null, "href": null } },
        { "type": "embed", "attrs": { "url": "https://youtu.be/dQw4w9WgXcQ", "title": "The crossing" } },
        { "type": "members_only" },
        { "type": "paragraph", "content": [{ "type": "text", "text": "The rest of the story." }] }
    ] })
}

#[tokio::test]
async fn the_api_takes_documents_and_renders_everything_at_save() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let editor = token(&app, "editor").await;
        let http = app.browser();
        let r = http
            .post(app.url("/api/v1/posts"))
            .bearer_auth(&editor)
            .json(&json!({ "title": "Ferry runs late", "document": story(), "authors": ["Ana Okafor"], "status": "published" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let post = r.json::<Value>().await.unwrap()["post"].clone();
        let html = post["html"].as_str().unwrap();
        assert!(html.contains("<h2>What happened</h2>"), "{html}");
        assert!(html.contains("<strong>ran late</strong>"));
        assert!(html.contains("<figure class=\"pull-quote\">"));
        assert!(html.contains("<figure class=\"block-image size-wide\"><img src=\"/media/x.jpg\" alt=\"The ferry\" width=\"1600\" height=\"900\""));
        assert!(html.contains("data-embed-src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?autoplay=1\""));
        assert!(html.contains("<!--members-only-->"));
        // The document comes back as it went in (in the model's normal form), and Markdown is written from it.
        assert_eq!(post["document"]["content"].as_array().unwrap().len(), 7);
        assert_eq!(post["document"]["content"][2]["attrs"]["attribution"], "Captain Ruiz");
        assert!(
            post["markdown"].as_str().unwrap().starts_with(
                "## What happened\n\nThe ferry **ran late**, said [the operator](https://example.org/op)."
            )
        );
        let id = post["id"].as_i64().unwrap();
        let row = app.store.post(id).await.unwrap().unwrap().row;
        assert_eq!(row.body_text, "What happened. The ferry ran late, said the operator.\nThe rest of the story.");
        assert_eq!(row.word_count, 14);
        assert!(
            row.body_email_html.contains("<a href=\"https://youtu.be/dQw4w9WgXcQ\">The crossing: Watch on YouTube</a>")
        );
        assert!(!row.body_email_html.contains("data-embed-src"), "e-mail links out, it has no players");

        // The public page is the stored HTML, with the embed as a static preview.
        let (status, page) = app.get_text(&app.browser(), "/ferry-runs-late/").await;
        assert_eq!(status, 200);
        assert!(page.contains("Watch on YouTube") && !page.contains("<iframe"));

        // Refusals change nothing.
        let revision = post["revision"].as_i64().unwrap();
        for (doc, code) in [
            (json!({ "type": "doc", "version": 9, "content": [] }), "document_version_unsupported"),
            (json!({ "type": "doc", "content": [{ "type": "hologram" }] }), "document_invalid"),
            (
                json!({ "type": "doc", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": "x", "marks": [{ "type": "link", "attrs": { "href": "javascript:alert(1)" } }] }] }] }),
                "link_invalid",
            ),
            (
                json!({ "type": "doc", "content": [{ "type": "embed", "attrs": { "url": "file:///etc/passwd" } }] }),
                "embed_url_invalid",
            ),
        ] {
            let r = http
                .patch(app.url(&format!("/api/v1/posts/{id}")))
                .bearer_auth(&editor)
                .json(&json!({ "document": doc }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 422, "{code}");
            let j = r.json::<Value>().await.unwrap();
            assert_eq!(j["error"], code, "{j}");
            assert!(!j["message"].as_str().unwrap().is_empty());
        }
        assert_eq!(app.store.post(id).await.unwrap().unwrap().row.revision, revision, "nothing was saved");

        // Raw HTML: an author may not add it, an editor may; it is sanitised either way.
        let raw = json!({ "type": "doc", "content": [{ "type": "html", "attrs": { "html": "<p onclick=\"x()\">Table from the archive</p><script>alert(1)</script>" } }] });
        let author_token = token(&app, "author").await;
        let r = http
            .post(app.url("/api/v1/posts"))
            .bearer_auth(&author_token)
            .json(&json!({ "title": "Raw by an author", "document": raw, "authors": ["Ana Okafor"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "raw_html_not_allowed");
        let r = http
            .post(app.url("/api/v1/posts"))
            .bearer_auth(&editor)
            .json(&json!({ "title": "Raw by an editor", "document": raw, "authors": ["Ana Okafor"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let html = r.json::<Value>().await.unwrap()["post"]["html"].as_str().unwrap().to_owned();
        assert_eq!(html, "<div class=\"raw-html\"><p>Table from the archive</p></div>\n");

        // Markdown still works, and a bare video URL on its own line is an embed.
        let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor)
            .json(&json!({ "title": "From Markdown", "markdown": "Watch:\n\nhttps://vimeo.com/76979871\n", "authors": ["Ana Okafor"] })).send().await.unwrap();
        let post = r.json::<Value>().await.unwrap()["post"].clone();
        assert_eq!(post["document"]["content"][1]["type"], "embed");
        assert!(post["html"].as_str().unwrap().contains(">Vimeo<"));
    }
}

#[tokio::test]
async fn the_editor_converts_and_uploads_for_the_signed_in_staff_only() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.create_staff("ed@example.org", "editor", None).await;
        let staff = app.sign_in("ed@example.org").await;
        let (_, html) = app.get_text(&staff, "/admin/posts/new").await;
        assert!(html.contains("/assets/editor.bundle.js"), "the rich-text editor is the default");
        let csrf = csrf_token(&html);

        let r = staff
            .post(app.url("/admin/editor/convert"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "to": "markdown", "document": story() }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let md = r.json::<Value>().await.unwrap()["markdown"].as_str().unwrap().to_owned();
        let r = staff
            .post(app.url("/admin/editor/convert"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "to": "document", "markdown": md }))
            .send()
            .await
            .unwrap();
        let back = r.json::<Value>().await.unwrap()["document"].clone();
        let again: newsdesk_domain::Document = serde_json::from_value(back).unwrap();
        let mut want: newsdesk_domain::Document = serde_json::from_value(story()).unwrap();
        want.normalize();
        assert_eq!(again, want, "document → Markdown → document keeps every block:\n{md}");

        let r = staff
            .post(app.url("/admin/editor/convert"))
            .json(&json!({ "to": "markdown", "document": story() }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "no CSRF token, no conversion");
        let r = app
            .browser()
            .post(app.url("/admin/editor/convert"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "to": "markdown", "document": story() }))
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 303 | 401 | 403), "signed out: {}", r.status());

        let form =
            Form::new().text("csrf_token", csrf.clone()).part("file", Part::bytes(png(800, 600)).file_name("quay.png"));
        let r = staff.post(app.url("/admin/editor/upload")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let media = r.json::<Value>().await.unwrap()["media"].clone();
        assert_eq!((media["width"].as_i64(), media["height"].as_i64()), (Some(800), Some(600)));
        assert!(media["src"].as_str().unwrap().starts_with("/media/"));
        let form = Form::new()
            .text("csrf_token", csrf)
            .part("file", Part::bytes(b"<svg onload=alert(1)>".to_vec()).file_name("x.png"));
        let r = staff.post(app.url("/admin/editor/upload")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "image_invalid");
    }
}

#[tokio::test]
async fn posts_saved_before_the_document_model_are_converted() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        let md = "## Old story\n\nWith *emphasis* and a [link](https://example.org).\n\nhttps://youtu.be/dQw4w9WgXcQ";
        let id = app
            .store
            .create_post(
                &crate::helpers::stored_post(
                    "old-story",
                    md,
                    "<p>as rendered by an older version</p>",
                    "published",
                    ana,
                ),
                None,
            )
            .await
            .unwrap();
        let converted = newsdesk_services::documents::convert_existing(&app.store).await.unwrap();
        assert_eq!(converted, 1);
        let row = app.store.post(id).await.unwrap().unwrap().row;
        let doc = newsdesk_domain::Document::from_json("body", &row.body_doc).unwrap();
        assert_eq!(doc.content.len(), 3);
        assert!(
            row.body_html.contains("<h2>Old story</h2>") && row.body_html.contains("class=\"embed embed-video\""),
            "{}",
            row.body_html
        );
        assert_eq!(row.body_text, "Old story. With emphasis and a link.");
        assert_eq!(row.revision, 1, "a conversion is not an edit");
        assert_eq!(newsdesk_services::documents::convert_existing(&app.store).await.unwrap(), 0, "done once");
        let (_, page) = app.get_text(&app.browser(), "/old-story/").await;
        assert!(page.contains("<h2>Old story</h2>"), "the page shows the converted body");
    }
}

/// A stand-in for an embed provider (nothing outside this machine can be reached here): a real HTTP server on
/// loopback with a page that advertises its oEmbed, whose HTML carries a script.
async fn stand_in_provider() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let me = base.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else { break };
            let base = me.clone();
            tokio::spawn(async move {
                use tokio::io::{AsyncReadExt, AsyncWriteExt};
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let path = req.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, ctype, body) = if path.starts_with("/oembed") {
                    ("200 OK", "application/json", r#"{"type":"rich","version":"1.0","title":"Council budget, line by line","provider_name":"Civic Charts","html":"<script>alert(1)</script><iframe src=\"https://charts.example/embed/1\"></iframe>"}"#.to_owned())
                } else if path == "/moved" {
                    ("302 Found", "text/plain", String::new())
                } else {
                    (
                        "200 OK",
                        "text/html",
                        format!(
                            "<!doctype html><html><head><title>Fallback title</title><link rel=\"alternate\" type=\"application/json+oembed\" href=\"{base}/oembed?url=x&amp;format=json\"></head><body>chart</body></html>"
                        ),
                    )
                };
                let location = if path == "/moved" { format!("Location: {base}/chart\r\n") } else { String::new() };
                let resp = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n{location}Connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = sock.write_all(resp.as_bytes()).await;
            });
        }
    });
    base
}

#[tokio::test]
async fn the_editor_learns_an_embeds_title_from_oembed_and_keeps_none_of_its_html() {
    for backend in backends() {
        let provider = stand_in_provider().await;
        let app = crate::helpers::spawn_app_config(backend, |c| c.editor.oembed_private_networks = true).await;
        app.create_staff("ed@example.org", "editor", None).await;
        let staff = app.sign_in("ed@example.org").await;
        let (_, html) = app.get_text(&staff, "/admin/posts/new").await;
        let csrf = csrf_token(&html);
        let r = staff
            .post(app.url("/admin/editor/embed"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "url": format!("{provider}/moved") }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let j = r.json::<Value>().await.unwrap();
        assert_eq!(j["embed"]["title"], "Council budget, line by line", "{j}");
        assert_eq!(j["embed"]["provider"], "Civic Charts");
        assert_eq!(
            j["embed"]["player"], false,
            "an unknown provider's player is never loaded: readers follow the link"
        );
        assert!(
            !j.to_string().contains("script") && !j.to_string().contains("iframe"),
            "none of the provider's HTML is kept: {j}"
        );

        let r = staff
            .post(app.url("/admin/editor/embed"))
            .header("x-csrf-token", &csrf)
            .json(&json!({ "url": "javascript:alert(1)" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "embed_url_invalid");
    }
    // By default the server fetches no private or loopback address for anyone.
    let provider = stand_in_provider().await;
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    app.create_staff("ed@example.org", "editor", None).await;
    let staff = app.sign_in("ed@example.org").await;
    let (_, html) = app.get_text(&staff, "/admin/posts/new").await;
    let r = staff
        .post(app.url("/admin/editor/embed"))
        .header("x-csrf-token", csrf_token(&html))
        .json(&json!({ "url": format!("{provider}/chart") }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "embed_private_address");
}

#[tokio::test]
async fn related_story_cards_follow_the_story_they_show() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let editor = token(&app, "editor").await;
        let http = app.browser();
        let post = |body: Value| {
            let http = http.clone();
            let url = app.url("/api/v1/posts");
            let editor = editor.clone();
            async move {
                let r = http.post(url).bearer_auth(editor).json(&body).send().await.unwrap();
                assert_eq!(r.status(), 201);
                r.json::<Value>().await.unwrap()["post"].clone()
            }
        };
        let target = post(json!({ "title": "Who won the dredging contract", "markdown": "Text.", "authors": ["Ana Okafor"], "tags": ["Investigation"] })).await;
        let card = json!({ "type": "doc", "content": [
            { "type": "paragraph", "content": [{ "type": "text", "text": "The tender." }] },
            { "type": "related", "attrs": { "post": "who-won-the-dredging-contract" } } ] });
        let story = post(json!({ "title": "Board opens the tender", "document": card, "authors": ["Ana Okafor"], "status": "published" })).await;
        let sid = story["id"].as_i64().unwrap();
        let html = |app: &crate::helpers::TestApp| {
            let store = app.store.clone();
            async move { store.post(sid).await.unwrap().unwrap().row.body_html }
        };
        assert!(!html(&app).await.contains("related-card"), "a draft is not shown as a card");

        let tid = target["id"].as_i64().unwrap();
        let r = http.post(app.url(&format!("/api/v1/posts/{tid}/publish"))).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let now = html(&app).await;
        assert!(
            now.contains("<span class=\"related-title\">Who won the dredging contract</span>"),
            "published: the card appears\n{now}"
        );
        assert!(now.contains("<span class=\"kicker\">Investigation</span>"));

        let r = http
            .patch(app.url(&format!("/api/v1/posts/{tid}")))
            .bearer_auth(&editor)
            .json(&json!({ "title": "Dredging contract: the full story" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(
            html(&app).await.contains(">Dredging contract: the full story</span>"),
            "the card follows the headline"
        );
        let (_, page) = app.get_text(&app.browser(), "/board-opens-the-tender/").await;
        assert!(page.contains(">Dredging contract: the full story</span>"), "and so does the cached public page");

        // A new slug: the block follows it, and the card stays.
        let r = http
            .patch(app.url(&format!("/api/v1/posts/{tid}")))
            .bearer_auth(&editor)
            .json(&json!({ "slug": "dredging-contract" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let row = app.store.post(sid).await.unwrap().unwrap().row;
        assert!(row.body_doc.contains("\"post\":\"dredging-contract\""), "{}", row.body_doc);
        assert!(row.body_html.contains("href=\"/dredging-contract/\""), "the card links to the new address");

        let r = http.delete(app.url(&format!("/api/v1/posts/{tid}"))).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(r.status(), 204);
        assert!(!html(&app).await.contains("related-card"), "a deleted story's card goes");
    }
}
