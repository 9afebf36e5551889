//! Moving in from WordPress, through the real binary, against a real export: `tests/fixtures/wordpress/` holds what
//! WordPress 6.1 (Debian's package, on MariaDB) exported with its own exporter after
//! `tests/fixtures/wordpress/make-export.php` filled it (`scripts/make-wordpress-fixture` remakes it). Checked page by
//! page over HTTP: bodies, bylines, dates, tags, images, redirects, hidden items hidden, a second run idempotent.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::helpers::{TestApp, backends, newsdesk, spawn_app};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wordpress")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// WordPress's id of the item titled `title` in the export.
fn wp_id(xml: &str, title: &str) -> String {
    let at = xml.find(&format!("<title><![CDATA[{title}]]></title>")).unwrap_or_else(|| panic!("{title} in export"));
    let rest = &xml[at..];
    let start = rest.find("<wp:post_id>").unwrap() + "<wp:post_id>".len();
    rest[start..start + rest[start..].find('<').unwrap()].to_owned()
}

/// Follows one redirect and says where it leads (status, Location).
async fn redirect(app: &TestApp, path: &str) -> (u16, String) {
    let r = app.get(&app.browser(), path).await;
    let loc = r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (r.status().as_u16(), loc)
}

fn import(app: &TestApp, export: &Path, uploads: &Path, report: &Path) -> serde_json::Value {
    let out = newsdesk(
        app,
        &[
            "import",
            "wordpress",
            export.to_str().unwrap(),
            "--uploads",
            uploads.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "import failed: {}", text(&out));
    serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap()
}

#[tokio::test]
async fn a_wordpress_site_moves_in_with_its_links() {
    let xml = std::fs::read_to_string(fixture().join("export.xml")).unwrap();
    for backend in backends() {
        let app = spawn_app(backend).await;
        let report_file = app.data_dir().join("report.json");
        let report = import(&app, &fixture().join("export.xml"), &fixture().join("uploads"), &report_file);
        let b = app.browser();

        // A classic-editor story: paragraphs, a [caption] figure, embeds, its byline, section, date and photo.
        let ferry = app.store.published_by_slug("ferry-timetable-cut").await.unwrap().expect("ferry story published");
        assert_eq!(ferry.authors.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["Maya Coleman"]);
        assert_eq!(ferry.tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Harbour", "Ferries"]);
        assert_eq!(ferry.row.published_at, Some(1_707_899_400), "2024-02-14 08:30 GMT, from post_date_gmt");
        assert_eq!(ferry.row.featured, 1, "sticky posts are featured");
        assert!(ferry.feature_image.is_some(), "the featured image came from the uploads");
        assert_eq!(ferry.row.feature_image_alt.as_deref(), Some("A white ferry leaving a quay at dawn"));
        assert_eq!(
            ferry.row.excerpt.as_deref(),
            Some("The operator blames crew shortages; islanders say the cuts leave them stranded.")
        );
        let (status, html) = app.get_text(&b, "/ferry-timetable-cut/").await;
        assert_eq!(status, 200);
        assert!(html.contains("rel=\"author\">Maya Coleman</a>"), "byline");
        assert!(
            html.contains("<h1 class=\"headline\">Ferry timetable cut to four crossings a day from March</h1>"),
            "headline"
        );
        assert!(html.contains("The operator blamed a shortage of qualified crew.<br>"), "line breaks kept");
        assert!(html.contains("stranded [sic] after six"), "bracketed text is not a shortcode");
        assert!(
            html.contains("<figcaption>The 07:10 crossing leaves Saltmarsh quay. Photo: Courier Agency"),
            "[caption] became a figure"
        );
        assert!(html.contains("src=\"/media/"), "body images are library files");
        assert!(
            html.contains("data-embed-src=\"https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"),
            "a bare YouTube line is an embed"
        );
        assert!(html.contains("player.vimeo.com/video/76979871"), "[embed] is an embed");
        assert!(!html.contains("contact-form-7") && !html.contains("[contact"), "unknown shortcodes are not printed");
        assert!(!html.contains("tracking") && !html.contains("onclick"), "scripts and handlers are removed");
        assert!(html.contains("Tell us how the cuts affect you."));

        // A block-editor story: headings, lists, tables, quotes, code, gallery, embed; old links become redirects.
        let (status, html) = app.get_text(&b, "/flood-barrier-decision/").await;
        assert_eq!(status, 200);
        for needle in [
            "<h2",
            "What was decided</h2>",
            "<li>A barrier at Gull Point, finished by 2028</li>",
            "<th>Item</th>",
            "<td>£41m</td>",
            "We cannot keep patching a wall built in 1953.",
            "barrier_height_m = 4.2",
            "The vote, and the wall it replaces.",
            "youtube-nocookie.com/embed/ScMzIvxBSi4",
            "<strong>Gull Point</strong>",
            "href=\"/2024/02/14/ferry-timetable-cut/\"",
        ] {
            assert!(html.contains(needle), "{needle} in the block story");
        }
        assert!(!html.contains("wp:paragraph"), "block comments are gone");
        let barrier = app.store.published_by_slug("flood-barrier-decision").await.unwrap().unwrap();
        assert_eq!(barrier.row.published_at, Some(1_714_668_300), "17:45 BST is 16:45 GMT");
        assert_eq!(barrier.authors[0].slug, "tomas-brandt");

        // The [gallery] shortcode, and a tag whose slug a category already had, kept apart.
        let count = app.store.published_by_slug("count-night-in-pictures").await.unwrap().unwrap();
        let doc: serde_json::Value = serde_json::from_str(&count.row.body_doc).unwrap();
        let gallery =
            doc["content"].as_array().unwrap().iter().find(|b| b["type"] == "gallery").expect("gallery block");
        assert_eq!(gallery["attrs"]["images"].as_array().unwrap().len(), 2);
        let tags: Vec<(&str, &str)> = count.tags.iter().map(|t| (t.slug.as_str(), t.name.as_str())).collect();
        assert_eq!(tags, [("elections", "Elections"), ("elections-2", "Election results")]);
        let harbour = app.store.tag_by_slug("harbour").await.unwrap().unwrap();
        let news = app.store.tag_by_slug("news").await.unwrap().unwrap();
        let parent: Option<i64> = sqlx::query_scalar("SELECT parent_id FROM tags WHERE id = $1")
            .bind(harbour.id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(parent, Some(news.id), "category hierarchy kept");
        assert!(app.store.tag_by_slug("uncategorized").await.unwrap().is_none(), "Uncategorized is no section");

        // What was not public on WordPress is not public here.
        for title in [
            "Draft: harbour master interview",
            "Pending: budget explainer",
            "Private: staff rota",
            "Protected: embargoed results",
            "Scheduled: the barrier, one year on",
            "Draft page: ethics policy",
        ] {
            let id = wp_id(&xml, title);
            let (status, location) = redirect(&app, &format!("/?p={id}")).await;
            assert!(status == 200 && location.is_empty(), "/?p= of {title} leads nowhere ({status} {location})");
            let post = app
                .store
                .top_posts(&Default::default(), 100)
                .await
                .unwrap()
                .into_iter()
                .find(|p| p.row.title == title)
                .expect(title);
            assert_ne!(post.row.status, "published", "{title}");
            let (status, _) = app.get_text(&b, &format!("/{}/", post.row.slug)).await;
            assert_eq!(status, 404, "{title} is not on the site");
        }
        let scheduled = app.store.post_by_slug("scheduled-the-barrier-one-year-on").await.unwrap().unwrap();
        assert_eq!((scheduled.row.status.as_str(), scheduled.row.published_at), ("scheduled", Some(1_935_475_200)));
        let hidden: Vec<&str> =
            report["hidden"].as_array().unwrap().iter().map(|h| h["item"].as_str().unwrap()).collect();
        assert_eq!(hidden.len(), 2, "private and protected are listed: {hidden:?}");
        assert!(
            hidden.iter().any(|h| h.contains("Private: staff rota")) && hidden.iter().any(|h| h.contains("Protected"))
        );

        // Pages keep their hierarchy; a slug used twice is resolved and both old paths lead on.
        let about = app.store.published_by_slug("about").await.unwrap().expect("about page");
        let team = app.store.published_by_slug("team").await.unwrap().expect("team page");
        assert_eq!((about.row.kind.as_str(), team.row.kind.as_str()), ("page", "page"));
        assert_eq!(team.row.parent_id, Some(about.row.id));
        let team_story = app.store.published_by_slug("team-2").await.unwrap().expect("the story called team");
        assert_eq!(team_story.row.kind, "post");
        assert_eq!(redirect(&app, "/about/team/").await, (301, "/team/".into()));
        assert_eq!(redirect(&app, "/2023/03/01/team/").await, (301, "/team-2/".into()));

        // Every old address shape leads to the new one.
        let ferry_id = wp_id(&xml, "Ferry timetable cut to four crossings a day from March");
        assert_eq!(redirect(&app, &format!("/?p={ferry_id}")).await, (301, "/ferry-timetable-cut/".into()));
        assert_eq!(redirect(&app, "/2024/02/14/ferry-timetable-cut/").await, (301, "/ferry-timetable-cut/".into()));
        assert_eq!(redirect(&app, "/2024/02/14/ferry-timetable-cut").await, (301, "/ferry-timetable-cut/".into()));
        assert_eq!(
            redirect(&app, &format!("/?page_id={}", wp_id(&xml, "About the Courier"))).await,
            (301, "/about/".into())
        );
        assert_eq!(redirect(&app, "/category/news/harbour/").await, (301, "/tag/harbour/".into()));
        assert_eq!(redirect(&app, "/category/elections/").await, (301, "/tag/elections/".into()));
        assert_eq!(redirect(&app, "/?author=3").await, (301, "/author/tomas-brandt/".into()));
        assert_eq!(redirect(&app, "/feed/").await, (301, "/rss/".into()));
        let dawn_id = wp_id(&xml, "Ferry at dawn");
        assert_eq!(
            redirect(&app, &format!("/?attachment_id={dawn_id}")).await,
            (301, "/ferry-timetable-cut/".into()),
            "attachment pages lead to their story"
        );
        let (status, file) = redirect(&app, "/wp-content/uploads/2024/02/ferry-dawn.jpg").await;
        assert_eq!(status, 301);
        assert!(file.starts_with("/media/"), "old file addresses lead to the library: {file}");
        assert_eq!(app.get(&b, &file).await.status(), 200);
        assert_eq!(app.get_text(&b, "/tag/harbour/").await.0, 200);
        assert_eq!(app.get_text(&b, "/author/mcoleman/").await.0, 200, "author archives keep WordPress's slug");

        // The report: comments counted, unknown shortcodes named, files all found.
        assert_eq!(
            report["comments"], 4,
            "two approved on the ferry story, one on the barrier, WordPress's own on Hello world; spam not counted"
        );
        assert!(report["unknown_shortcodes"]["contact-form-7"][0].as_str().unwrap().contains(&ferry_id));
        assert_eq!(report["media_missing"].as_array().unwrap().len(), 0, "{}", report["media_missing"]);
        assert!(report["created"]["posts"].as_u64().unwrap() >= 11);
        assert_eq!(report["created"]["media"], 7, "six photos and a PDF");
        let posts_before: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&app.store.pool).await.unwrap();
        let redirects_before = app.store.redirect_count().await.unwrap();

        // A second run updates, never duplicates.
        let again = import(&app, &fixture().join("export.xml"), &fixture().join("uploads"), &report_file);
        let posts_after: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&app.store.pool).await.unwrap();
        assert_eq!(posts_after, posts_before);
        assert_eq!(app.store.redirect_count().await.unwrap(), redirects_before);
        assert_eq!(again["created"]["posts"], 0);
        assert_eq!(again["created"]["pages"], 0);
        assert_eq!(again["created"]["authors"], 0);
        assert_eq!(again["created"]["tags"], 0);
        assert_eq!(again["created"]["media"], 0);
        assert_eq!(again["updated"]["posts"], report["created"]["posts"]);
        assert!(app.store.published_by_slug("ferry-timetable-cut-2").await.unwrap().is_none());
    }
}

/// Files missing from the uploads copy are reported; the stories still arrive, with the other files.
#[tokio::test]
async fn missing_files_are_reported_and_the_story_still_imports() {
    let backend = backends()[0];
    let app = spawn_app(backend).await;
    let uploads = app.data_dir().join("uploads-copy");
    copy_dir(&fixture().join("uploads"), &uploads);
    for f in std::fs::read_dir(uploads.join("2024/02")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let report = import(&app, &fixture().join("export.xml"), &uploads, &app.data_dir().join("r.json"));
    let missing = report["media_missing"].to_string();
    assert!(missing.contains("ferry-dawn.jpg"), "{missing}");
    let ferry = app.store.published_by_slug("ferry-timetable-cut").await.unwrap().expect("still imported");
    assert!(ferry.feature_image.is_none());
    assert!(app.store.published_by_slug("flood-barrier-decision").await.unwrap().unwrap().feature_image.is_some());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Bad files are refused with one line naming what is wrong, and nothing is written.
#[tokio::test]
async fn bad_exports_change_nothing() {
    let xml = std::fs::read_to_string(fixture().join("export.xml")).unwrap();
    for backend in backends() {
        let app = spawn_app(backend).await;
        let dir = app.data_dir().join("bad");
        std::fs::create_dir_all(&dir).unwrap();
        let maya_item = xml.find("<dc:creator><![CDATA[mcoleman]]></dc:creator>").unwrap();
        let cases: Vec<(&str, String, &str)> = vec![
            ("truncated.xml", xml[..xml.len() * 2 / 3].to_owned(), "truncated"),
            ("page.xml", "<html><body><p>Not an export</p></body></html>".into(), "not a WordPress export"),
            (
                "odd.xml",
                xml.replace(
                    "xmlns:wp=\"http://wordpress.org/export/1.2/\"",
                    "xmlns:wp=\"http://example.com/export/9/\"",
                ),
                "unknown WordPress export namespace",
            ),
            (
                "orphan.xml",
                format!(
                    "{}<dc:creator><![CDATA[nobody]]></dc:creator>{}",
                    &xml[..maya_item],
                    &xml[maya_item + "<dc:creator><![CDATA[mcoleman]]></dc:creator>".len()..]
                ),
                "the author \"nobody\" is not among the export's authors",
            ),
            ("empty.xml", String::new(), "empty or not XML"),
        ];
        for (name, body, expected) in &cases {
            std::fs::write(dir.join(name), body).unwrap();
            let out = newsdesk(
                &app,
                &[
                    "import",
                    "wordpress",
                    dir.join(name).to_str().unwrap(),
                    "--uploads",
                    fixture().join("uploads").to_str().unwrap(),
                ],
            );
            assert!(!out.status.success(), "{name} must be refused");
            let err = String::from_utf8_lossy(&out.stderr);
            let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(lines.len(), 1, "{name}: one error line: {err}");
            assert!(lines[0].contains(expected), "{name}: {}", lines[0]);
            let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&app.store.pool).await.unwrap();
            let media: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM media").fetch_one(&app.store.pool).await.unwrap();
            assert_eq!((posts, media), (0, 0), "{name}: nothing written");
        }
        assert!(
            String::from_utf8_lossy(
                &newsdesk(&app, &["import", "wordpress", dir.join("orphan.xml").to_str().unwrap()]).stderr
            )
            .contains("item "),
            "the item is named"
        );

        // With --skip-invalid the rest arrives and the bad item is reported.
        let out = newsdesk(
            &app,
            &[
                "import",
                "wordpress",
                dir.join("orphan.xml").to_str().unwrap(),
                "--uploads",
                fixture().join("uploads").to_str().unwrap(),
                "--skip-invalid",
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(text(&out).contains("skipped (1)"), "{}", text(&out));
        assert!(app.store.published_by_slug("flood-barrier-decision").await.unwrap().is_some());

        // WXR 1.1 under the https namespace reads the same.
        let older = xml.replace("http://wordpress.org/export/1.2/", "https://wordpress.org/export/1.1/");
        std::fs::write(dir.join("older.xml"), older).unwrap();
        let app2 = spawn_app(backend).await;
        let out = newsdesk(
            &app2,
            &[
                "import",
                "wordpress",
                dir.join("older.xml").to_str().unwrap(),
                "--uploads",
                fixture().join("uploads").to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", text(&out));
        assert!(app2.store.published_by_slug("count-night-in-pictures").await.unwrap().is_some());
    }
}

/// Staff manage redirects in the admin: add one, import and export CSV (a bad row imports nothing), remove one; a
/// published story whose slug changes keeps its old address; authors may not manage redirects.
#[tokio::test]
async fn staff_manage_redirects_and_renamed_stories_keep_their_address() {
    use crate::helpers::csrf_token;
    use reqwest::multipart::{Form, Part};
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.create_staff("ed@example.org", "editor", None).await;
        let author = app.author("Rui Costa", "person").await;
        app.create_staff("au@example.org", "author", Some(author)).await;
        let ed = app.sign_in("ed@example.org").await;
        let id = app
            .store
            .create_post(
                &crate::helpers::stored_post("harbour-fees", "Fees.", "<p>Fees.</p>", "published", author),
                None,
            )
            .await
            .unwrap();

        let (status, html) = app.get_text(&ed, "/admin/redirects").await;
        assert_eq!(status, 200);
        let csrf = csrf_token(&html);
        let add = |from: &str, to: &str| {
            ed.post(app.url("/admin/redirects"))
                .form(&[("csrf_token", csrf.as_str()), ("from_path", from), ("to_path", to), ("status", "301")])
                .send()
        };
        assert_eq!(add("https://old.example/news/harbour-fees.html", "/harbour-fees/").await.unwrap().status(), 303);
        assert_eq!(redirect(&app, "/news/harbour-fees.html").await, (301, "/harbour-fees/".into()));

        // Refusals re-render the form with the message beside the field, and add nothing.
        for (from, to, message) in [
            ("/x/", "https://evil.example/", "is not a path of this site"),
            ("/x/", "//evil.example/", "is not a path of this site"),
            ("/news/harbour-fees.html", "/elsewhere/", "already redirects"),
            ("/loop/", "/loop/", "cannot lead to itself"),
        ] {
            let r = add(from, to).await.unwrap();
            assert_eq!(r.status(), 422, "{from} → {to}");
            assert!(r.text().await.unwrap().contains(message), "{message}");
        }
        assert_eq!(app.store.redirect_count().await.unwrap(), 1);

        // CSV in: a bad row refuses the file; a good file adds and replaces.
        let upload = |csv: &'static str| {
            let form = Form::new()
                .text("csrf_token", csrf.clone())
                .part("file", Part::bytes(csv.as_bytes().to_vec()).file_name("r.csv").mime_str("text/csv").unwrap());
            ed.post(app.url("/admin/redirects/import")).multipart(form).send()
        };
        let r = upload("from,to,status\n/a/,/harbour-fees/,301\n/b/,https://evil.example/,301\n").await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Line 3"), "the bad row is named");
        assert_eq!(app.store.redirect_count().await.unwrap(), 1, "nothing imported");
        let r = upload("from,to,status\n/a/,/harbour-fees/,302\n\"/?p=7\",/harbour-fees/,\n").await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(redirect(&app, "/a/").await, (302, "/harbour-fees/".into()));
        assert_eq!(redirect(&app, "/?p=7").await, (301, "/harbour-fees/".into()));
        assert_eq!(
            redirect(&app, "/?p=7&utm_source=x").await,
            (301, "/harbour-fees/".into()),
            "extra query parameters do not matter"
        );
        let csv = app.get(&ed, "/admin/redirects.csv").await.text().await.unwrap();
        assert!(csv.starts_with("from,to,status,source\r\n"), "{csv}");
        assert!(
            csv.contains("/a/,/harbour-fees/,302,csv\r\n")
                && csv.contains("/news/harbour-fees.html,/harbour-fees/,301,manual"),
            "{csv}"
        );

        // A live page is never shadowed by a redirect.
        assert_eq!(add("/harbour-fees/", "/a/").await.unwrap().status(), 303);
        assert_eq!(app.get(&app.browser(), "/harbour-fees/").await.status(), 200);

        // Renaming a published story keeps its old address; unpublishing it stops the redirect (no draft is revealed).
        let post = app.store.post(id).await.unwrap().unwrap();
        let mut input = crate::helpers::stored_post("harbour-fees-rise", "Fees.", "<p>Fees.</p>", "published", author);
        input.published_at = post.row.published_at;
        app.store.update_post(id, &input, None, None).await.unwrap();
        app.state.refresh_version().await;
        assert_eq!(redirect(&app, "/harbour-fees/").await, (301, "/harbour-fees-rise/".into()));
        assert_eq!(redirect(&app, "/news/harbour-fees.html").await.0, 301);
        app.store.set_post_status(id, "draft", None).await.unwrap();
        app.state.refresh_version().await;
        assert_eq!(redirect(&app, "/harbour-fees/").await.0, 404, "no redirect to a draft");

        // Remove one; authors cannot manage redirects.
        let list = app.store.list_redirects(Some("/a/"), 1, 10).await.unwrap();
        let r = ed
            .post(app.url(&format!("/admin/redirects/{}/delete", list.items[0].id)))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(redirect(&app, "/a/").await.0, 404);
        let au = app.sign_in("au@example.org").await;
        assert_eq!(app.get(&au, "/admin/redirects").await.status(), 403);
    }
}

/// Without --uploads, files come from the old site over HTTP (here a local server stands in for the old site's
/// host: the export's addresses are rewritten to point at it); an unreachable file is reported, the story imported.
#[tokio::test]
async fn files_are_fetched_over_http_without_an_uploads_copy() {
    let backend = backends()[0];
    let app = spawn_app(backend).await;
    // A real HTTP server (Python's) serving the fixture's uploads under /wp-content/uploads/.
    let root = app.data_dir().join("oldsite");
    copy_dir(&fixture().join("uploads"), &root.join("wp-content/uploads"));
    std::fs::remove_file(root.join("wp-content/uploads/2024/07/winner.jpg")).unwrap();
    let (mut server, port) = serve_dir(&root);
    let xml = std::fs::read_to_string(fixture().join("export.xml"))
        .unwrap()
        .replace("https://courier.example.org", &format!("http://127.0.0.1:{port}"));
    let export = app.data_dir().join("export.xml");
    std::fs::write(&export, xml).unwrap();
    let out = newsdesk(
        &app,
        &["import", "wordpress", export.to_str().unwrap(), "--report", app.data_dir().join("r.json").to_str().unwrap()],
    );
    let _ = server.kill();
    let _ = server.wait();
    assert!(out.status.success(), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(app.data_dir().join("r.json")).unwrap()).unwrap();
    assert_eq!(report["created"]["media"], 6, "six of seven files fetched: {}", report["media_missing"]);
    assert!(
        report["media_missing"].to_string().contains("winner.jpg")
            && report["media_missing"].to_string().contains("404"),
        "{}",
        report["media_missing"]
    );
    let ferry = app.store.published_by_slug("ferry-timetable-cut").await.unwrap().unwrap();
    assert!(ferry.feature_image.is_some(), "fetched over HTTP");
    assert!(app.store.published_by_slug("count-night-in-pictures").await.unwrap().is_some());
}

/// The Ghost-compatible Content API over the imported site, on both engines: filters (NQL) become SQL that both
/// answer alike; drafts, scheduled and private stories never appear; errors are Ghost's.
#[tokio::test]
async fn the_content_api_filters_the_same_on_both_engines() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        import(&app, &fixture().join("export.xml"), &fixture().join("uploads"), &app.data_dir().join("r.json"));
        // Maya gets a portrait (any library file will do), which the posts' authors then carry.
        let maya = app.store.author_by_slug("mcoleman").await.unwrap().unwrap();
        let photo = app.store.published_by_slug("ferry-timetable-cut").await.unwrap().unwrap().row.feature_image_id;
        let input = newsdesk_store::authors::AuthorInput {
            slug: &maya.slug,
            name: &maya.name,
            kind: &maya.kind,
            bio: maya.bio.as_deref(),
            image_id: photo,
        };
        app.store.update_author(maya.id, input).await.unwrap();
        app.state.refresh_version().await;
        let out = newsdesk(&app, &["token", "create", "--name", "front-end", "--kind", "content"]);
        assert!(out.status.success(), "{}", text(&out));
        let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert_eq!(key.len(), 26);
        let b = app.browser();
        let get = |q: String| {
            let url = app.url(&format!("/ghost/api/content/{q}{}key={key}", if q.contains('?') { "&" } else { "?" }));
            let b = b.clone();
            async move {
                let r = b.get(url).header("Accept-Version", "v5.0").send().await.unwrap();
                let status = r.status().as_u16();
                assert_eq!(r.headers()["access-control-allow-origin"], "*");
                (status, r.json::<serde_json::Value>().await.unwrap())
            }
        };
        let slugs = |v: &serde_json::Value| -> Vec<String> {
            v["posts"].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap().to_owned()).collect()
        };
        let (status, all) = get("posts/?limit=all&fields=slug".into()).await;
        assert_eq!(status, 200);
        let every = slugs(&all);
        assert_eq!(every.len(), 6, "the six published stories: {every:?}");
        for hidden in [
            "draft-harbour-master-interview",
            "private-staff-rota",
            "protected-embargoed-results",
            "scheduled-the-barrier-one-year-on",
        ] {
            assert!(!every.iter().any(|s| s == hidden), "{hidden} is not public");
        }
        for (filter, expected) in [
            ("tag:harbour", vec!["ferry-timetable-cut"]),
            ("tag:news", vec!["team-2", "flood-barrier-decision"]),
            ("primary_tag:courts", vec!["flood-barrier-decision"]),
            ("primary_tag:news", vec!["team-2"]),
            ("tags:[ferries,elections-2]", vec!["count-night-in-pictures", "ferry-timetable-cut"]),
            ("featured:true", vec!["ferry-timetable-cut"]),
            ("author:tomas-brandt+tag:-opinion", vec!["flood-barrier-decision"]),
            ("published_at:>'2024-05-01'+published_at:<'2024-06-01'", vec!["flood-barrier-decision"]),
            (
                "(tag:opinion,tag:elections)+featured:false",
                vec!["count-night-in-pictures", "why-the-marsh-needs-its-wall"],
            ),
            ("title:~'barrier'", vec!["flood-barrier-decision"]),
            ("slug:[team-2,about]", vec!["team-2"]),
        ] {
            let (status, v) =
                get(format!("posts/?limit=all&fields=slug&order=slug%20asc&filter={}", urlencode(filter))).await;
            assert_eq!(status, 200, "{filter}: {v}");
            let mut want: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
            want.sort();
            assert_eq!(slugs(&v), want, "{filter}");
        }
        let (_, v) = get("posts/slug/ferry-timetable-cut/?include=tags,authors".into()).await;
        let p = &v["posts"][0];
        assert!(v.get("meta").is_none(), "a read has no pagination");
        assert_eq!(p["primary_tag"]["slug"], "harbour");
        assert_eq!(p["primary_author"]["name"], "Maya Coleman");
        assert!(
            p["primary_author"]["profile_image"].as_str().unwrap().starts_with(&app.url("/media/")),
            "the author's portrait"
        );
        assert_eq!(p["published_at"], "2024-02-14T08:30:00.000+00:00");
        assert_eq!(
            p["custom_excerpt"],
            "The operator blames crew shortages; islanders say the cuts leave them stranded."
        );
        assert!(p["feature_image"].as_str().unwrap().starts_with(&app.url("/media/")));
        let (_, pages) = get("pages/?fields=slug&limit=all&order=slug%20asc".into()).await;
        let page_slugs: Vec<&str> =
            pages["pages"].as_array().unwrap().iter().map(|p| p["slug"].as_str().unwrap()).collect();
        assert_eq!(page_slugs, ["about", "sample-page", "team"]);
        let (_, tags) = get("tags/?include=count.posts&limit=all&filter=slug:[news,harbour]".into()).await;
        let counts: Vec<(String, i64)> = tags["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["slug"].as_str().unwrap().to_owned(), t["count"]["posts"].as_i64().unwrap()))
            .collect();
        assert_eq!(counts, [("harbour".to_owned(), 1), ("news".to_owned(), 2)]);
        let (_, authors) = get("authors/slug/mcoleman/?include=count.posts".into()).await;
        assert_eq!(authors["authors"][0]["count"]["posts"], 3);

        for (q, status, kind) in [
            ("posts/?filter=tag:(", 400, "BadRequestError"),
            ("posts/?filter=password:x", 400, "BadRequestError"),
            ("posts/?limit=-1", 422, "ValidationError"),
            ("posts/?order=secret%20desc", 422, "ValidationError"),
            ("posts/slug/private-staff-rota/", 404, "NotFoundError"),
            ("posts/999999/", 404, "NotFoundError"),
            ("nothing-here/", 404, "NotFoundError"),
        ] {
            let (s, v) = get(q.into()).await;
            assert_eq!((s, v["errors"][0]["type"].as_str().unwrap()), (status, kind), "{q}: {v}");
        }
        let r = b.get(app.url("/ghost/api/content/posts/?key=0123456789abcdef0123456789")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["errors"][0]["type"], "UnauthorizedError");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn substack_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/substack/export.zip")
}

/// A Substack publication moves in: posts with dates and subtitles, Substack's markup cleaned, paid-only posts never
/// public, subscribers confirmed with their consent source, `/p/{slug}` redirected, and a second run idempotent.
#[tokio::test]
async fn a_substack_publication_moves_in() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let report_file = app.data_dir().join("substack.json");
        let zip = substack_fixture();
        let run = |extra: &[&str]| {
            let mut args = vec!["import", "substack", zip.to_str().unwrap(), "--report", report_file.to_str().unwrap()];
            args.extend_from_slice(extra);
            let out = newsdesk(&app, &args);
            assert!(out.status.success(), "{}", text(&out));
            serde_json::from_slice::<serde_json::Value>(&std::fs::read(&report_file).unwrap()).unwrap()
        };
        let report = run(&["--author", "Ines Okafor"]);
        app.state.refresh_version().await;
        assert_eq!(report["created"]["posts"], 5);
        assert_eq!(report["created"]["pages"], 1);
        assert_eq!(report["created"]["subscribers"], 3, "the one who turned mail off is left out");

        let tide = app.store.published_by_slug("tide-tables-are-wrong").await.unwrap().expect("published");
        assert_eq!(tide.row.published_at, Some(1_678_346_100), "2023-03-09T07:15:00Z");
        assert_eq!(
            tide.row.excerpt.as_deref(),
            Some(
                "Why the harbour office's printed tables have been off by up to 40 minutes, and what it means for the ferries"
            )
        );
        assert_eq!(tide.authors[0].name, "Ines Okafor");
        let (status, html) = app.get_text(&app.browser(), "/tide-tables-are-wrong/").await;
        assert_eq!(status, 200);
        for needle in [
            "<strong>40 minutes</strong>",
            "src=\"https://substackcdn.com/image/fetch/",
            "The gauge on the north quay. Photo: The Harbour Letter</figcaption>",
            "What went wrong</h2>",
            "<li>Ferries leave on the printed times.</li>",
            "We have asked for the model to be updated twice.",
            "youtube-nocookie.com/embed/dQw4w9WgXcQ",
            "href=\"/p/episode-1\"",
            "The end.",
        ] {
            assert!(html.contains(needle), "{needle}");
        }
        assert!(
            report["media_missing"]
                .to_string()
                .contains("substack-post-media.s3.amazonaws.com/public/images/gauge_1200x800.jpeg"),
            "a photo that cannot be fetched is reported (and keeps its address): {}",
            report["media_missing"]
        );
        for absent in ["Subscribe for free", ">Share<", "alert(", "onmouseover", "Type your email"] {
            assert!(!html.contains(absent), "{absent} is Substack's furniture or a script");
        }
        assert_eq!(redirect(&app, "/p/episode-1").await, (301, "/episode-1/".into()));
        assert_eq!(redirect(&app, "/p/tide-tables-are-wrong/").await, (301, "/tide-tables-are-wrong/".into()));
        let (_, episode) = app.get_text(&app.browser(), "/episode-1/").await;
        assert!(
            episode.contains("href=\"https://cdn.example.org/harbour-letter/episode-1.mp3\""),
            "the podcast's audio"
        );
        assert_eq!(app.store.published_by_slug("about").await.unwrap().unwrap().row.kind, "page");

        // Paid-only posts keep their audience: published for paying members, their paid part (after the first
        // paragraph; a one-paragraph letter is paid whole) never public.
        for (slug, secret) in
            [("members-briefing", "Paid subscribers only."), ("founders-letter", "To our founding members: thank you.")]
        {
            let p = app.store.post_by_slug(slug).await.unwrap().unwrap();
            assert_eq!((p.row.status.as_str(), p.row.visibility.as_str()), ("published", "paid"), "{slug}");
            let (status, page) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
            assert_eq!(status, 200, "{slug}");
            assert!(page.contains("This story is for paying members") && !page.contains(secret), "{slug}");
        }
        // Unsent posts are not public.
        for slug in ["notes-in-progress"] {
            assert_eq!(app.store.post_by_slug(slug).await.unwrap().unwrap().row.status, "draft", "{slug}");
            assert_eq!(app.get_text(&app.browser(), &format!("/{slug}/")).await.0, 404, "{slug}");
            assert_eq!(
                redirect(&app, &format!("/p/{slug}/")).await,
                (404, String::new()),
                "no redirect reveals {slug}"
            );
        }
        assert_eq!(report["hidden"].as_array().unwrap().len(), 0, "paid posts are no longer held back");

        // Subscribers: confirmed, with where the consent came from.
        let nl = app.store.newsletter_by_slug("theharbourletter").await.unwrap().expect("a newsletter for them");
        assert_eq!(app.store.confirmed_count(nl.id).await.unwrap(), 3);
        let sources: Vec<String> = sqlx::query_scalar("SELECT consent_text FROM consent_ledger WHERE email = $1")
            .bind("reader.two@example.org")
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(sources, ["imported from Substack"]);
        assert!(app.store.subscriber_by_email("gone@example.org").await.unwrap().is_none());

        // Again: nothing new.
        let again = run(&["--author", "Ines Okafor"]);
        assert_eq!((again["created"]["posts"].as_u64(), again["updated"]["posts"].as_u64()), (Some(0), Some(5)));
        assert_eq!(again["created"]["subscribers"], 0);
        let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&app.store.pool).await.unwrap();
        assert_eq!(posts, 6);
    }
}

/// Substack's photos come into the media library as uploaded (the original behind the CDN's resized copy), here from
/// a local server standing in for Substack's storage (unreachable from here).
#[tokio::test]
async fn substack_photos_are_fetched_into_the_library() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let root = app.data_dir().join("storage");
        std::fs::create_dir_all(root.join("public/images")).unwrap();
        std::fs::copy(fixture().join("uploads/2024/02/ferry-dawn.jpg"), root.join("public/images/gauge_1200x800.jpeg"))
            .unwrap();
        let (mut server, port) = serve_dir(&root);
        // The fixture, with Substack's storage at the local server.
        let zip = app.data_dir().join("export.zip");
        let mut from = zip::ZipArchive::new(std::fs::File::open(substack_fixture()).unwrap()).unwrap();
        let mut to = zip_writer(&zip);
        for i in 0..from.len() {
            let mut entry = from.by_index(i).unwrap();
            let mut body = String::new();
            std::io::Read::read_to_string(&mut entry, &mut body).unwrap();
            let body = body.replace(
                "https%3A%2F%2Fsubstack-post-media.s3.amazonaws.com",
                &format!("http%3A%2F%2F127.0.0.1%3A{port}"),
            );
            to.start_file(entry.name(), zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut to, body.as_bytes()).unwrap();
        }
        to.finish().unwrap();
        let report_file = app.data_dir().join("r.json");
        let out =
            newsdesk(&app, &["import", "substack", zip.to_str().unwrap(), "--report", report_file.to_str().unwrap()]);
        let _ = server.kill();
        let _ = server.wait();
        assert!(out.status.success(), "{}", text(&out));
        let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&report_file).unwrap()).unwrap();
        assert_eq!(report["created"]["media"], 1, "{}", report["media_missing"]);
        assert_eq!(report["media_missing"].as_array().unwrap().len(), 0);
        let (_, html) = app.get_text(&app.browser(), "/tide-tables-are-wrong/").await;
        assert!(html.contains("src=\"/media/") && !html.contains("substackcdn.com/image"), "a library file now");
        assert!(html.contains("The gauge on the north quay. Photo: The Harbour Letter</figcaption>"));
        assert!(html.contains("alt=\"The tide gauge on the north quay at low water\""));
    }
}

/// A wrong file, a zip without posts.csv, a bad row: one line, nothing written.
#[tokio::test]
async fn bad_substack_exports_change_nothing() {
    let backend = backends()[0];
    let app = spawn_app(backend).await;
    let dir = app.data_dir().join("bad");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("not.zip"), "posts.csv? no").unwrap();
    let zip_with = |name: &str, files: &[(&str, &str)]| {
        let path = dir.join(name);
        let mut z = zip_writer(&path);
        for (n, body) in files {
            z.start_file(*n, zip::write::SimpleFileOptions::default()).unwrap();
            std::io::Write::write_all(&mut z, body.as_bytes()).unwrap();
        }
        z.finish().unwrap();
        path
    };
    let empty = zip_with("empty.zip", &[("readme.txt", "hello")]);
    let bad_row = zip_with(
        "bad-row.zip",
        &[
            (
                "posts.csv",
                "post_id,post_date,is_published,type,audience,title,subtitle\n1.good,2023-01-01T00:00:00Z,TRUE,newsletter,everyone,Good,\n2.bad,2023-01-02T00:00:00Z,maybe,newsletter,everyone,Bad,\n",
            ),
            ("posts/1.good.html", "<p>Good.</p>"),
            ("posts/2.bad.html", "<p>Bad.</p>"),
        ],
    );
    for (file, expected) in [
        (dir.join("not.zip"), "is not a zip file"),
        (empty, "no posts.csv inside"),
        (bad_row.clone(), "posts.csv line 3 (“Bad”): is_published"),
    ] {
        let out = newsdesk(&app, &["import", "substack", file.to_str().unwrap()]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(lines[0].contains(expected), "{}", lines[0]);
        let posts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM posts").fetch_one(&app.store.pool).await.unwrap();
        assert_eq!(posts, 0);
    }
    let out = newsdesk(&app, &["import", "substack", bad_row.to_str().unwrap(), "--skip-invalid"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(app.store.post_by_slug("good").await.unwrap().is_some());
}

/// A directory served over HTTP on loopback (Python's own server): the old site, or a file store.
fn serve_dir(root: &Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let server = Command::new("python3")
        .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory", root.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("python3 http.server");
    for _ in 0..50 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    (server, port)
}

fn zip_writer(path: &Path) -> zip::ZipWriter<std::fs::File> {
    zip::ZipWriter::new(std::fs::File::create(path).unwrap())
}

/// A multilingual WordPress site (Polylang): each story's language and its translations come along. Polylang is a
/// plugin this machine cannot install, so the real export above stands in, with the taxonomy terms Polylang adds
/// to each item (`language`, `post_translations`) written into it here.
#[tokio::test]
async fn polylang_languages_and_translations_come_along() {
    let xml = std::fs::read_to_string(fixture().join("export.xml")).unwrap();
    let tag = |xml: String, title: &str, terms: &str| {
        let at = xml.find(&format!("<title><![CDATA[{title}]]></title>")).unwrap();
        let end = at + xml[at..].find("</title>").unwrap() + "</title>".len();
        format!("{}\n\t\t{terms}{}", &xml[..end], &xml[end..])
    };
    let group = r#"<category domain="post_translations" nicename="pll_6579a1"><![CDATA[pll_6579a1]]></category>"#;
    let xml = tag(
        xml,
        "Ferry timetable cut to four crossings a day from March",
        &format!(r#"<category domain="language" nicename="en"><![CDATA[English]]></category>{group}"#),
    );
    let xml = tag(
        xml,
        "Why the marsh needs its wall",
        &format!(r#"<category domain="language" nicename="uk"><![CDATA[Українська]]></category>{group}"#),
    );
    let xml = tag(
        xml,
        "Flood barrier: what the council decided, and what it costs",
        r#"<category domain="language" nicename="de"><![CDATA[Deutsch]]></category>"#,
    );
    for backend in backends() {
        let app = crate::helpers::spawn_app_config(backend, |c| c.site.languages = vec!["uk".into()]).await;
        // The CLI reads the site's languages from the data directory's configuration, as an operator's would.
        std::fs::write(
            app.data_dir().join("newsdesk.toml"),
            "[site]\ntimezone = \"Europe/London\"\nlanguages = [\"uk\"]\n",
        )
        .unwrap();
        let export = app.data_dir().join("polylang.xml");
        std::fs::write(&export, &xml).unwrap();
        let report = import(&app, &export, &fixture().join("uploads"), &app.data_dir().join("report.json"));
        let notes = report["notes"].to_string();
        assert!(notes.contains(r#"1 stories are in \"de\", which is not one of the site's languages"#), "{notes}");
        let posts = app.store.list_posts(&Default::default(), 1, 100).await.unwrap().items;
        let find =
            |title: &str| posts.iter().find(|p| p.row.title == title).unwrap_or_else(|| panic!("{title}")).row.clone();
        let en = find("Ferry timetable cut to four crossings a day from March");
        let uk = find("Why the marsh needs its wall");
        let de = find("Flood barrier: what the council decided, and what it costs");
        assert_eq!((en.language.as_deref(), uk.language.as_deref(), de.language.as_deref()), (None, Some("uk"), None));
        assert!(en.translation_group.is_some() && en.translation_group == uk.translation_group, "{en:?} {uk:?}");
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&app.browser(), &format!("/{}/", en.slug)).await;
        assert!(page.contains(&format!(r#"<a href="/{}/" hreflang="uk" lang="uk" dir="ltr">Українська</a>"#, uk.slug)));
        let (_, uk_home) = app.get_text(&app.browser(), "/uk/").await;
        assert!(uk_home.contains("Why the marsh needs its wall") && !uk_home.contains("Ferry timetable cut"));
    }
}
