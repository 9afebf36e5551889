//! Staff flows over HTTP: owner set-up, sign-in, CSRF, the editor (create, upload, publish, edit), bad input, roles.

use reqwest::multipart::{Form, Part};

use crate::helpers::{PASSWORD, TestApp, backends, csrf_token, png, spawn_app};

fn editor_form(csrf: &str, title: &str, author: i64, action: &str) -> Form {
    editor_form_tagged(csrf, title, author, action, "Investigation, Port")
}

fn editor_form_tagged(csrf: &str, title: &str, author: i64, action: &str, tags: &str) -> Form {
    Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("title", title.to_owned())
        .text("excerpt", "A dek.".to_owned())
        .text("body", "First paragraph.\n\nSecond *paragraph*.".to_owned())
        .text("author", author.to_string())
        .text("author", String::new())
        .text("tags", tags.to_owned())
        .text("kind", "post".to_owned())
        .text("action", action.to_owned())
}

async fn editor_csrf(app: &TestApp, client: &reqwest::Client) -> String {
    let (status, html) = app.get_text(client, "/admin/posts/new").await;
    assert_eq!(status, 200);
    csrf_token(&html)
}

#[tokio::test]
async fn owner_setup_link_creates_the_owner_once() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let link = newsdesk::init::owner_setup_link(&app.store, &app.address).await.unwrap().expect("no staff yet");
        let path = link.strip_prefix(&app.address).unwrap().to_owned();
        let browser = app.browser();
        let (status, html) = app.get_text(&browser, &path).await;
        assert_eq!(status, 200);
        assert!(html.contains("Create the owner account"));
        let csrf = csrf_token(&html);
        // A short password is refused beside the field, and the link still works.
        let r = browser
            .post(app.url(&path))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Rae Editor"),
                ("email", "rae@example.org"),
                ("password", "short"),
                ("password_confirm", "short"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Use at least 10 characters."));
        assert_eq!(app.store.user_count().await.unwrap(), 0);
        let r = browser
            .post(app.url(&path))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Rae Editor"),
                ("email", "rae@example.org"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (status, _) = app.get_text(&browser, "/admin/posts").await;
        assert_eq!(status, 200, "signed in as the new owner");
        assert_eq!(app.store.user_by_email("rae@example.org").await.unwrap().unwrap().role, "owner");
        let (status, _) = app.get_text(&app.browser(), &path).await;
        assert_eq!(status, 410, "the link works once");
        assert!(newsdesk::init::owner_setup_link(&app.store, &app.address).await.unwrap().is_none());
    }
}

#[tokio::test]
async fn sign_in_checks_password_csrf_and_rate_limits() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.create_staff("ed@example.org", "editor", None).await;
        let browser = app.browser();
        let r = app.get(&browser, "/admin/posts").await;
        assert_eq!(r.status(), 303, "the admin needs a session");
        assert_eq!(r.headers()["location"], "/admin/signin?next=/admin/posts");
        let (_, html) = app.get_text(&browser, "/admin/signin").await;
        let csrf = csrf_token(&html);
        let r = browser
            .post(app.url("/admin/signin"))
            .form(&[("email", "ed@example.org"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "no CSRF token");
        let r = browser
            .post(app.url("/admin/signin"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "ed@example.org"), ("password", "wrong password")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.text().await.unwrap().contains("do not match an account"));
        let mut limited = false;
        for _ in 0..12 {
            let r = browser
                .post(app.url("/admin/signin"))
                .form(&[("csrf_token", csrf.as_str()), ("email", "guess@example.org"), ("password", "still wrong")])
                .send()
                .await
                .unwrap();
            limited |= r.status() == 429;
        }
        assert!(limited, "repeated failures for one address are rate limited");
        let ok = app.sign_in("ed@example.org").await;
        let (status, html) = app.get_text(&ok, "/admin/posts").await;
        assert_eq!(status, 200);
        // Sign out needs the session's CSRF token, then the session is gone.
        let csrf = csrf_token(&html);
        let r = ok.post(app.url("/admin/signout")).form(&[("csrf_token", "forged")]).send().await.unwrap();
        assert_eq!(r.status(), 403);
        let r = ok.post(app.url("/admin/signout")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(app.get(&ok, "/admin/posts").await.status(), 303);
    }
}

#[tokio::test]
async fn editor_writes_uploads_publishes_and_edits_a_post() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", Some(ana)).await;
        let ed = app.sign_in("ed@example.org").await;
        let csrf = editor_csrf(&app, &ed).await;
        let form = editor_form(&csrf, "Harbour wall repairs begin", ana, "publish")
            .text("feature_image_alt", "Workers on the harbour wall")
            .text("feature_image_caption", "Repairs started on Monday.")
            .text("feature_image_credit", "Photo: Tidewater Wire")
            .part("feature_image", Part::bytes(png(800, 450)).file_name("wall.png").mime_str("image/png").unwrap());
        let r = ed.post(app.url("/admin/posts/new")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.ends_with("/edit?done=published"), "{location}");
        let id: i64 = location.split('/').nth(3).unwrap().parse().unwrap();

        // Staff see "Edit post"; anonymous readers do not, and get a cached copy.
        let (status, staff_html) = app.get_text(&ed, "/harbour-wall-repairs-begin/").await;
        assert_eq!(status, 200);
        assert!(staff_html.contains(&format!(r#"<a class="edit-post" href="/admin/posts/{id}/edit">Edit post</a>"#)));
        let anon = app.browser();
        let r = app.get(&anon, "/harbour-wall-repairs-begin/").await;
        assert!(r.headers()["cache-control"].to_str().unwrap().starts_with("public"));
        let anon_html = r.text().await.unwrap();
        assert!(!anon_html.contains("Edit post"));
        assert!(anon_html.contains(r#"<figcaption><span class="caption">Repairs started on Monday.</span> <span class="credit">Photo: Tidewater Wire</span></figcaption>"#));
        assert!(anon_html.contains("480w") && anon_html.contains("800w"), "srcset lists the rendered widths");

        // Edit: the editor shows the saved values; saving a new headline reaches readers at once.
        let (_, editor) = app.get_text(&ed, &format!("/admin/posts/{id}/edit")).await;
        assert!(editor.contains("Harbour wall repairs begin") && editor.contains("Workers on the harbour wall"));
        let csrf = csrf_token(&editor);
        let image_id = app.store.post(id).await.unwrap().unwrap().row.feature_image_id.unwrap();
        let form = editor_form(&csrf, "Harbour wall repairs begin a week early", ana, "save")
            .text("slug", "harbour-wall-repairs-begin")
            .text("feature_image_id", image_id.to_string())
            .text("revision", app.store.post(id).await.unwrap().unwrap().row.revision.to_string());
        let r = ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let (_, html) = app.get_text(&anon, "/harbour-wall-repairs-begin/").await;
        assert!(html.contains("Harbour wall repairs begin a week early"), "the cache was invalidated by the edit");
        assert!(html.contains("<figure class=\"feature\">"), "the image was kept");

        // Unpublish: readers get a 404.
        let (_, editor) = app.get_text(&ed, &format!("/admin/posts/{id}/edit")).await;
        let form = editor_form(&csrf_token(&editor), "Harbour wall repairs begin a week early", ana, "unpublish")
            .text("slug", "harbour-wall-repairs-begin");
        assert_eq!(
            ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap().status(),
            303
        );
        assert_eq!(app.get(&anon, "/harbour-wall-repairs-begin/").await.status(), 404);
    }
}

#[tokio::test]
async fn bad_editor_input_is_shown_beside_the_field_and_changes_nothing() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", None).await;
        let ed = app.sign_in("ed@example.org").await;
        let csrf = editor_csrf(&app, &ed).await;
        let post = |form: Form| ed.post(app.url("/admin/posts/new")).multipart(form).send();

        let r = post(editor_form(&csrf, "   ", ana, "save")).await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(
            html.contains(r#"<p class="field-error" id="title-error">Title cannot be empty.</p>"#),
            "message beside the field"
        );
        assert!(html.contains("Second *paragraph*."), "the text typed is kept");

        let r = post(editor_form(&csrf, &"x".repeat(256), ana, "save")).await.unwrap();
        assert!(r.text().await.unwrap().contains("Title must be at most 255 characters."));
        let r = post(editor_form(&csrf, "Bad slug", ana, "save").text("slug", "Not A Slug")).await.unwrap();
        assert!(r.text().await.unwrap().contains("Slug may contain only lower-case letters"));
        let r = post(editor_form(&csrf, "Nobody wrote this", 999_999, "save")).await.unwrap();
        assert!(r.text().await.unwrap().contains("There is no author &quot;999999&quot;."));
        let not_image =
            Part::bytes(b"%PDF-1.4 not an image".to_vec()).file_name("photo.jpg").mime_str("image/jpeg").unwrap();
        let r =
            post(editor_form(&csrf, "With a fake image", ana, "save").part("feature_image", not_image)).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("This file is not an image."));
        let r = post(editor_form(&csrf, "Bad time", ana, "publish").text("publish_at", "next tuesday")).await.unwrap();
        assert!(r.text().await.unwrap().contains("is not a date and time"));
        assert_eq!(app.store.list_posts(&Default::default(), 1, 10).await.unwrap().total, 0, "nothing was saved");

        // Duplicate slug.
        assert_eq!(
            post(editor_form(&csrf, "Original", ana, "save").text("slug", "taken")).await.unwrap().status(),
            303
        );
        let r = post(editor_form(&csrf, "Copy", ana, "save").text("slug", "taken")).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Another post already uses the slug &quot;taken&quot;."));
        assert_eq!(app.store.list_posts(&Default::default(), 1, 10).await.unwrap().total, 1);

        // A form without the CSRF token is refused.
        let form = Form::new().text("title", "No token").text("author", ana.to_string());
        assert_eq!(post(form).await.unwrap().status(), 403);
    }
}

#[tokio::test]
async fn roles_are_enforced_on_the_server() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        let ben = app.author("Ben Adeyemi", "person").await;
        app.create_staff("contrib@example.org", "contributor", Some(ana)).await;
        app.create_staff("author@example.org", "author", Some(ben)).await;
        app.create_staff("admin@example.org", "admin", None).await;

        // A contributor saves drafts but cannot publish.
        let c = app.sign_in("contrib@example.org").await;
        let csrf = editor_csrf(&app, &c).await;
        let r = c
            .post(app.url("/admin/posts/new"))
            .multipart(editor_form(&csrf, "Contributor draft", ana, "publish"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.text().await.unwrap().contains("cannot publish"));
        let r = c
            .post(app.url("/admin/posts/new"))
            .multipart(editor_form(&csrf, "Contributor draft", ana, "save"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let draft = app.store.post_by_slug("contributor-draft").await.unwrap().unwrap();
        assert_eq!(draft.row.status, "draft");
        for forbidden in ["/admin/users", "/admin/tokens", "/admin/authors", "/admin/tags"] {
            assert_eq!(app.get(&c, forbidden).await.status(), 403, "{forbidden}");
        }

        // An author edits only their own posts.
        let a = app.sign_in("author@example.org").await;
        assert_eq!(app.get(&a, &format!("/admin/posts/{}/edit", draft.row.id)).await.status(), 403);
        let csrf = editor_csrf(&app, &a).await;
        let r = a
            .post(app.url(&format!("/admin/posts/{}/edit", draft.row.id)))
            .multipart(editor_form(&csrf, "Hijacked", ben, "publish"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(app.store.post(draft.row.id).await.unwrap().unwrap().row.title, "Contributor draft");
        let (_, list) = app.get_text(&a, "/admin/posts").await;
        assert!(!list.contains("Contributor draft"), "authors list only their own posts");
        let r = a
            .post(app.url("/admin/posts/new"))
            .multipart(editor_form(&csrf, "Author story", ben, "publish"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "authors publish their own");

        // An admin invites staff but cannot create an owner.
        let adm = app.sign_in("admin@example.org").await;
        let (_, html) = app.get_text(&adm, "/admin/users").await;
        let csrf = csrf_token(&html);
        let r = adm
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "New Owner"),
                ("email", "o@example.org"),
                ("role", "owner"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(app.store.user_by_email("o@example.org").await.unwrap().is_none());
        let r = adm
            .post(app.url("/admin/users"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Cal Reporter"),
                ("email", "cal@example.org"),
                ("role", "author"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        let link = html.split("/admin/setup/").nth(1).unwrap().split('<').next().unwrap();
        assert_eq!(
            app.get(&app.browser(), &format!("/admin/setup/{link}")).await.status(),
            200,
            "the invitation link works"
        );
    }
}

#[tokio::test]
async fn preview_autosave_and_password_change() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", Some(ana)).await;
        let ed = app.sign_in("ed@example.org").await;
        let csrf = editor_csrf(&app, &ed).await;

        let r = ed
            .post(app.url("/admin/preview"))
            .header("x-csrf-token", &csrf)
            .body("# Hi\n\n<script>x()</script>\n\n*there*")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("<h1>Hi</h1>") && html.contains("<em>there</em>") && !html.contains("<script"));
        assert_eq!(
            ed.post(app.url("/admin/preview")).body("x").send().await.unwrap().status(),
            403,
            "preview checks CSRF"
        );

        let form = [("csrf_token", csrf.as_str()), ("title", "Autosaved draft"), ("body", "Typing…"), ("author", "")];
        let r = ed.post(app.url("/admin/posts/autosave")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let saved: serde_json::Value = r.json().await.unwrap();
        let id = saved["id"].as_i64().unwrap();
        let post = app.store.post(id).await.unwrap().unwrap();
        assert_eq!(
            (post.row.status.as_str(), post.authors[0].id),
            ("draft", ana),
            "a draft with the editor's own byline"
        );
        let rev = saved["revision"].to_string();
        let id_s = id.to_string();
        let form = [
            ("csrf_token", csrf.as_str()),
            ("id", id_s.as_str()),
            ("revision", rev.as_str()),
            ("title", "Autosaved draft"),
            ("body", "Typing more"),
        ];
        assert_eq!(ed.post(app.url("/admin/posts/autosave")).form(&form).send().await.unwrap().status(), 200);
        let r = ed.post(app.url("/admin/posts/autosave")).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 422, "a stale revision is refused, not overwritten");
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(j["error"], "revision_conflict");
        assert_eq!(app.store.post(id).await.unwrap().unwrap().row.body_md, "Typing more");

        // Password change signs out other sessions.
        let other = app.sign_in("ed@example.org").await;
        let (_, html) = app.get_text(&ed, "/admin/account").await;
        let csrf = csrf_token(&html);
        let r = ed
            .post(app.url("/admin/account/password"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("current_password", "nope"),
                ("password", "a brand new passphrase"),
                ("password_confirm", "a brand new passphrase"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("That is not your current password."));
        let r = ed
            .post(app.url("/admin/account/password"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("current_password", PASSWORD),
                ("password", "a brand new passphrase"),
                ("password_confirm", "a brand new passphrase"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(app.get(&ed, "/admin/posts").await.status(), 200, "this session stays");
        assert_eq!(app.get(&other, "/admin/posts").await.status(), 303, "other sessions end");
    }
}

#[tokio::test]
async fn editors_manage_authors_with_photos_and_tags() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.create_staff("ed@example.org", "editor", None).await;
        let ed = app.sign_in("ed@example.org").await;
        let (_, html) = app.get_text(&ed, "/admin/authors").await;
        let csrf = csrf_token(&html);
        let form = Form::new()
            .text("csrf_token", csrf.clone())
            .text("name", "Metro desk")
            .text("kind", "desk")
            .text("bio", "City news, every day.")
            .part("photo", Part::bytes(png(300, 300)).file_name("logo.png"));
        let r = ed.post(app.url("/admin/authors")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let desk = app.store.author_by_slug("metro-desk").await.unwrap().expect("created");
        assert_eq!(desk.kind, "desk");
        assert!(desk.image_id.is_some(), "photo stored");
        let (status, page) = app.get_text(&app.browser(), "/author/metro-desk/").await;
        assert_eq!(status, 200);
        assert!(page.contains(r#"class="author-photo""#) && page.contains("City news, every day."));

        // Same slug again, and a non-image photo: messages beside the fields, nothing created.
        let form = Form::new()
            .text("csrf_token", csrf.clone())
            .text("name", "Metro Desk")
            .text("kind", "desk")
            .part("photo", Part::bytes(b"not an image".to_vec()).file_name("x.png"));
        let r = ed.post(app.url("/admin/authors")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let html = r.text().await.unwrap();
        assert!(html.contains(r#"id="photo-error">This file is not an image."#), "{html}");
        assert_eq!(app.store.authors().await.unwrap().len(), 1);
        let form = Form::new().text("csrf_token", csrf.clone()).text("name", "Metro Desk").text("kind", "desk");
        let r = ed.post(app.url("/admin/authors")).multipart(form).send().await.unwrap();
        assert!(r.text().await.unwrap().contains("An author with the slug &quot;metro-desk&quot; already exists."));

        // Tags: create, refuse a duplicate, rename.
        let (_, html) = app.get_text(&ed, "/admin/tags").await;
        let csrf = csrf_token(&html);
        let r = ed
            .post(app.url("/admin/tags"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Investigation"),
                ("description", "Our deepest reporting."),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = ed
            .post(app.url("/admin/tags"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "investigation")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let tag = app.store.tag_by_slug("investigation").await.unwrap().unwrap();
        let r = ed
            .post(app.url(&format!("/admin/tags/{}", tag.id)))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Investigations"), ("slug", "investigations")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(app.store.tag_by_slug("investigations").await.unwrap().is_some());
    }
}

/// The editor's "Search and social" fields reach the page's head; an internal `#tag` typed by staff stays theirs.
#[tokio::test]
async fn meta_title_description_and_internal_tags_from_the_editor() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", Some(ana)).await;
        let ed = app.sign_in("ed@example.org").await;
        let csrf = editor_csrf(&app, &ed).await;
        let form = editor_form_tagged(&csrf, "Harbour wall repairs begin", ana, "publish", "Port, #homepage-lead")
            .text("meta_title", "Harbour wall: what the repairs mean for you")
            .text("meta_description", "Road closures, dates & \"costs\", explained.");
        let r = ed.post(app.url("/admin/posts/new")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let id: i64 = r.headers()["location"].to_str().unwrap().split('/').nth(3).unwrap().parse().unwrap();
        let anon = app.browser();
        let (_, html) = app.get_text(&anon, "/harbour-wall-repairs-begin/").await;
        assert!(html.contains("<title>Harbour wall: what the repairs mean for you</title>"), "meta title");
        assert!(
            html.contains(
                "<meta name=\"description\" content=\"Road closures, dates &amp; &#34;costs&#34;, explained.\">"
            ) || html.contains(
                "<meta name=\"description\" content=\"Road closures, dates &amp; &quot;costs&quot;, explained.\">"
            ),
            "meta description, escaped"
        );
        assert!(html.contains("<meta property=\"og:description\" content=\"Road closures"), "link previews too");
        assert!(html.contains("<h1 class=\"headline\">Harbour wall repairs begin</h1>"), "the headline is unchanged");
        assert!(!html.contains("homepage-lead"), "an internal tag is not shown");
        assert_eq!(app.get(&anon, "/tag/hash-homepage-lead/").await.status(), 404);
        assert_eq!(app.get(&anon, "/tag/homepage-lead/").await.status(), 404);
        let (_, editor) = app.get_text(&ed, &format!("/admin/posts/{id}/edit")).await;
        assert!(editor.contains("value=\"Port, #homepage-lead\""));
        assert!(editor.contains("Harbour wall: what the repairs mean for you"));

        // Too long is refused beside the field, and nothing changes; emptied, the headline and dek come back.
        let revision = app.store.post(id).await.unwrap().unwrap().row.revision.to_string();
        let form = editor_form(&csrf_token(&editor), "Harbour wall repairs begin", ana, "save")
            .text("slug", "harbour-wall-repairs-begin")
            .text("revision", revision.clone())
            .text("meta_title", "x".repeat(301));
        let r = ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"meta_title-error\""), "the message sits beside the field");
        let form = editor_form(&csrf_token(&body), "Harbour wall repairs begin", ana, "save")
            .text("slug", "harbour-wall-repairs-begin")
            .text("revision", revision)
            .text("meta_title", "")
            .text("meta_description", "");
        let r = ed.post(app.url(&format!("/admin/posts/{id}/edit"))).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        let (_, html) = app.get_text(&anon, "/harbour-wall-repairs-begin/").await;
        assert!(html.contains("<title>Harbour wall repairs begin – "), "the headline is the title again");
        assert!(html.contains("<meta name=\"description\" content=\"A dek.\">"));
    }
}
