//! The reader's site: the article page as the reference page lays it out, archives, 404, cache and health.

use newsdesk_domain::{PostStatus, Role};
use newsdesk_services::Actor;
use newsdesk_services::posts::{Action, PostDraft, save_post};

mod home {
    pub fn published() -> newsdesk_store::posts::PostFilter {
        newsdesk_store::posts::PostFilter {
            status: Some("published".into()),
            kind: Some("post".into()),
            ..Default::default()
        }
    }
}

use crate::helpers::{Options, TestApp, backends, png, pos, spawn_app, spawn_app_with};

pub const OWNER: Actor = Actor { user_id: None, role: Role::Owner, author_id: None };

/// Publishes a post through the same service the editor uses; returns its slug.
pub async fn publish(app: &TestApp, draft: PostDraft) -> String {
    let id = save_post(&app.store, &app.state.site, &OWNER, None, draft, Action::Status(PostStatus::Published))
        .await
        .expect("publish");
    app.store.post(id).await.unwrap().unwrap().row.slug
}

pub async fn reference_article(app: &TestApp) -> String {
    app.author("Ana Okafor", "person").await;
    app.author("Harbourside news desk", "desk").await;
    let media = newsdesk_services::media::store_image(
        &app.store,
        &app.state.media,
        "pier.png",
        png(1200, 675),
        "feature_image",
    )
    .await
    .ok()
    .expect("image stored");
    publish(
        app,
        PostDraft {
            title: "Ferry fares to rise by 8% in spring".into(),
            excerpt: Some("The operator blames fuel costs; commuters' groups call it a tax on the islands.".into()),
            body: "The ferry operator will raise fares by 8% from 1 April.\n\n## Why\n\nFuel costs, it says.".into(),
            authors: vec!["Ana Okafor".into(), "Harbourside news desk".into()],
            tags: vec!["Investigation".into(), "Transport".into()],
            publish_at: Some("2026-07-01T11:59:00Z".into()),
            feature_image_id: Some(media.id),
            feature_image_alt: Some("A ferry leaving the pier".into()),
            feature_image_caption: Some("The morning ferry leaves Port Alder.".into()),
            feature_image_credit: Some("Photo: Tidewater Wire".into()),
            ..Default::default()
        },
    )
    .await
}

#[tokio::test]
async fn article_page_carries_the_reference_elements_in_reading_order() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let slug = reference_article(&app).await;
        assert_eq!(slug, "ferry-fares-to-rise-by-8-in-spring");
        let browser = app.browser();
        let (status, html) = app.get_text(&browser, &format!("/{slug}/")).await;
        assert_eq!(status, 200);
        let order = [
            r##"<a class="skip-link" href="#content">Skip to content</a>"##,
            r#"<main id="content""#,
            r#"<p class="kicker"><a href="/tag/investigation/">Investigation</a></p>"#,
            r#"<h1 class="headline">Ferry fares to rise by 8% in spring</h1>"#,
            r#"<p class="dek">The operator blames fuel costs; commuters&#39; groups call it a tax on the islands.</p>"#,
            r#"By <a href="/author/ana-okafor/" rel="author">Ana Okafor</a> and <a href="/author/harbourside-news-desk/" rel="author">the Harbourside news desk</a>"#,
            // 11:59 UTC is 12:59 in London in July (BST).
            "<time datetime=\"2026-07-01T12:59:00+01:00\">July 1, 2026 at 12:59\u{202f}PM BST</time>",
            "1 min read",
            r#"<figure class="feature">"#,
            r#"srcset="/media/"#,
            r#"alt="A ferry leaving the pier""#,
            r#"<figcaption><span class="caption">The morning ferry leaves Port Alder.</span> <span class="credit">Photo: Tidewater Wire</span></figcaption>"#,
            r#"<div class="article-body"><p>The ferry operator"#,
        ];
        let mut last = 0;
        for needle in order {
            let at = pos(&html, needle);
            assert!(at >= last, "{needle:?} is out of reading order");
            last = at;
        }
        assert!(!html.contains("Edit post"), "anonymous readers never see Edit post");
        // No JavaScript is needed to read: the only script is the deferred live News Feed enhancer.
        let scripts: Vec<&str> =
            html.match_indices("<script").map(|(i, _)| &html[i..i + 60.min(html.len() - i)]).collect();
        let executable = |s: &&&str| !s.starts_with("<script type=\"application/ld+json\">");
        assert!(
            scripts.iter().filter(executable).all(|s| s.starts_with("<script src=\"/assets/live.js?v=")),
            "{scripts:?}"
        );
        assert!(html.contains("defer></script>"));
        // The image is served as WebP (the <picture> source) and as JPEG (the fallback).
        for (nth, mime) in [(1, "image/webp"), (2, "image/jpeg")] {
            let src = html.split("srcset=\"").nth(nth).unwrap().split(' ').next().unwrap();
            let img = app.get(&browser, src).await;
            assert_eq!(img.status(), 200);
            assert_eq!(img.headers()["content-type"], mime);
        }
    }
}

#[tokio::test]
async fn article_page_html_matches_its_snapshot() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let slug = reference_article(&app).await;
    let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
    let start = pos(&html, "<article class=\"article\">");
    let end = pos(&html, "</article>") + "</article>".len();
    let snapshot = &html[start..end];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/snapshots/article.html");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() || !path.exists() {
        std::fs::write(&path, snapshot).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap();
    assert_eq!(snapshot, expected, "article HTML changed; review it and run with UPDATE_SNAPSHOTS=1 to accept");
}

#[tokio::test]
async fn home_archives_pagination_and_not_found() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let browser = app.browser();
        let (status, home) = app.get_text(&browser, "/").await;
        assert_eq!(status, 200);
        assert!(home.contains(r#"<section class="lead" aria-label="Lead story">"#));
        assert!(home.contains("Council approves six-month night-bus trial"));
        let (status, tag) = app.get_text(&browser, "/tag/investigation/").await;
        assert_eq!(status, 200);
        assert!(tag.contains("<h1>Investigation</h1>") && tag.contains("Dredging contract"));
        assert!(!tag.contains("Fish market reopens"), "only the tag's stories");
        let (status, author) = app.get_text(&browser, "/author/ledger-news-desk/").await;
        assert_eq!(status, 200);
        assert!(author.contains("<h1>Ledger news desk</h1>") && author.contains("Desk"));
        // Regression: every demo article renders (a promo with an image once broke the template).
        for post in app.store.list_posts(&home::published(), 1, 50).await.unwrap().items {
            let (status, html) = app.get_text(&browser, &format!("/{}/", post.row.slug)).await;
            assert_eq!(status, 200, "/{}/ renders", post.row.slug);
            assert!(html.contains("news-feed-heading"), "with its sidebar");
        }
        let (_, html) = app.get_text(&browser, "/how-we-investigated-the-ports-dredging-contract/").await;
        assert!(
            html.contains("<aside class=\"promo\"") && html.contains("Dredging contract went to a firm"),
            "the same-tag promo"
        );
        let (status, page) = app.get_text(&browser, "/about/").await;
        assert_eq!(status, 200);
        assert!(page.contains("About the Ledger"));
        for missing in ["/no-such-story/", "/tag/nope/", "/author/nobody/", "/page/99/", "/page/1/"] {
            let (status, body) = app.get_text(&browser, missing).await;
            assert_eq!(status, 404, "{missing}");
            assert!(body.contains("Page not found"), "{missing} shows the theme's 404");
        }
        let r = app.get(&browser, "/about").await;
        assert_eq!(r.status(), 301);
        assert_eq!(r.headers()["location"], "/about/");

        // Twenty more stories: page 2 exists, and page 1 links to it.
        for i in 0..20 {
            publish(
                &app,
                PostDraft {
                    title: format!("Filler story {i}"),
                    body: "x".into(),
                    authors: vec!["Ledger news desk".into()],
                    ..Default::default()
                },
            )
            .await;
        }
        app.state.refresh_version().await; // what the version watcher does every second
        let (_, home) = app.get_text(&browser, "/").await;
        assert!(home.contains(r#"<a rel="next" href="/page/2/">"#), "pagination link on the home page");
        let (status, p2) = app.get_text(&browser, "/page/2/").await;
        assert_eq!(status, 200);
        assert!(p2.contains(r#"<a rel="prev" href="/">"#));
    }
}

#[tokio::test]
async fn anonymous_pages_are_cached_with_etags_and_invalidated_by_publishing() {
    for backend in backends() {
        let app = spawn_app_with(backend, Options { demo: true }).await;
        let browser = app.browser();
        let r = app.get(&browser, "/").await;
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        assert!(r.headers()["cache-control"].to_str().unwrap().contains("public"));
        let again = browser.get(app.url("/")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(again.status(), 304, "unchanged page answers 304");
        assert!(app.state_cache_len() > 0);
        // Clients that accept gzip get the compressed variant, made once when the page was cached.
        let plain_len = browser.get(app.url("/")).send().await.unwrap().bytes().await.unwrap().len();
        let gz = browser.get(app.url("/")).header("accept-encoding", "br, gzip").send().await.unwrap();
        assert_eq!(gz.headers()["content-encoding"], "gzip");
        assert_eq!(gz.headers()["vary"], "Accept-Encoding");
        assert_ne!(gz.headers()["etag"].to_str().unwrap(), etag, "each representation has its own ETag");
        let compressed = gz.bytes().await.unwrap();
        assert!(compressed.len() * 3 < plain_len, "{} vs {plain_len}", compressed.len());
        let mut unzipped = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&compressed[..]), &mut unzipped).unwrap();
        assert_eq!(unzipped.len(), plain_len);
        // Publishing elsewhere (a worker, another node) bumps the version; the page changes.
        publish(
            &app,
            PostDraft {
                title: "Breaking: bridge reopens".into(),
                body: "Now.".into(),
                authors: vec!["Ledger news desk".into()],
                ..Default::default()
            },
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
        let fresh = browser.get(app.url("/")).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(fresh.status(), 200, "a new content version invalidates the cached page");
        assert!(fresh.text().await.unwrap().contains("Breaking: bridge reopens"));
    }
}

#[tokio::test]
async fn markdown_is_sanitised_before_it_reaches_a_page() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let slug = publish(&app, PostDraft {
            title: "Sanitiser test".into(),
            body: "Hello <script>alert(1)</script> <img src=x onerror=\"alert(2)\"> [x](javascript:alert(3)) <a href=\"jAvAsCrIpT:alert(4)\">y</a> <b onclick=\"z()\">bold</b>".into(),
            authors: vec!["Ana Okafor".into()],
            ..Default::default()
        }).await;
        let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        let body = &html[pos(&html, "article-body")..pos(&html, "</article>")];
        let lower = body.to_lowercase();
        for bad in ["<script", "onerror", "onclick", "javascript:"] {
            assert!(!lower.contains(bad), "{bad} reached the page");
        }
        assert!(body.contains("<strong>bold</strong>"), "harmless markup survives (as the document's bold)");
    }
}

#[tokio::test]
async fn a_theme_directory_overrides_built_in_templates_but_not_the_admin() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let theme = app.data_dir().join("theme");
    std::fs::create_dir_all(theme.join("admin")).unwrap();
    std::fs::write(
        theme.join("404.html"),
        "{% extends \"base.html\" %}{% block content %}<p class=\"custom\">Lost at sea: {{ site.title }}</p>{% endblock %}",
    )
    .unwrap();
    std::fs::write(theme.join("admin/signin.html"), "hijacked").unwrap();
    // Templates are read once per process: restart to pick up the theme.
    let app = app.restart().await;
    let (status, html) = app.get_text(&app.browser(), "/nowhere/").await;
    assert_eq!(status, 404);
    assert!(html.contains(r#"<p class="custom">Lost at sea: The Test Ledger</p>"#), "{html}");
    assert!(html.contains("Skip to content"), "the override extends the built-in base");
    let (_, signin) = app.get_text(&app.browser(), "/admin/signin").await;
    assert!(!signin.contains("hijacked") && signin.contains("Sign in to"), "admin templates cannot be overridden");
}
