//! Search as readers and staff use it: the form in every page's header, `/search/` with its results, filters and
//! pages, hostile queries, what browsers and search engines are told (`/opensearch.xml`, `SearchAction`), the
//! rate limit, and the admin's post list finding drafts by their bodies.

use newsdesk_services::posts::PostDraft;
use serde_json::Value;

use crate::helpers::{TestApp, backends, pos, spawn_app};
use crate::public::publish;

async fn newsroom(app: &TestApp) {
    app.author("Ana Okafor", "person").await;
    app.author("Harbourside news desk", "desk").await;
    publish(
        app,
        PostDraft {
            title: "Dredging contract goes to court".into(),
            body: "The dredging contract was signed in 2019; the barrier is not part of it.".into(),
            authors: vec!["Ana Okafor".into()],
            tags: vec!["Courts".into()],
            publish_at: Some("2026-03-02T09:00".into()),
            ..Default::default()
        },
    )
    .await;
    publish(
        app,
        PostDraft {
            title: "Barrier vote delayed to June".into(),
            excerpt: Some("The port board wants another survey.".into()),
            body: "The board delayed the barrier vote. Fish & chips sellers, 5 < 6, were unmoved.".into(),
            authors: vec!["Ana Okafor".into(), "Harbourside news desk".into()],
            tags: vec!["Harbour".into()],
            publish_at: Some("2026-03-04T18:30".into()),
            ..Default::default()
        },
    )
    .await;
    for i in 0..12 {
        publish(
            app,
            PostDraft {
                title: format!("Ferry timetable, week {i}"),
                body: format!("The ferry runs {i} extra crossings."),
                authors: vec!["Harbourside news desk".into()],
                tags: vec!["Harbour".into()],
                publish_at: Some(format!("2026-02-{:02}T08:00", i + 1)),
                ..Default::default()
            },
        )
        .await;
    }
    app.state.refresh_version().await;
}

#[tokio::test]
async fn readers_search_from_every_page_with_filters_pages_and_safe_snippets() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        newsroom(&app).await;
        let http = app.browser();

        // Every page offers the search, and tells browsers and search engines about it.
        let (_, home) = app.get_text(&http, "/").await;
        assert!(
            home.contains(
                r#"<form class="site-search" role="search" aria-label="Search this site" action="/search/" method="get">"#
            ),
            "{home}"
        );
        assert!(home.contains(r#"<link rel="search" type="application/opensearchdescription+xml""#));
        let website = home
            .split(r#"<script type="application/ld+json">"#)
            .skip(1)
            .filter_map(|s| serde_json::from_str::<Value>(s.split("</script>").next().unwrap_or("")).ok())
            .find(|v| v["@type"] == "WebSite")
            .expect("WebSite JSON-LD on the home page");
        let target = website["potentialAction"]["target"]["urlTemplate"].as_str().unwrap();
        assert!(target.ends_with("/search/?q={search_term_string}"), "{target}");
        assert_eq!(website["potentialAction"]["query-input"], "required name=search_term_string");
        let r = app.get(&http, "/opensearch.xml").await;
        assert_eq!(r.headers()["content-type"], "application/opensearchdescription+xml");
        let xml = r.text().await.unwrap();
        assert!(xml.contains("<ShortName>The Test Ledger</ShortName>"), "{xml}");
        assert!(xml.contains(r#"/search/?q={searchTerms}""#), "{xml}");

        // The empty form; then results, best first, with kicker, headline, snippet, byline and date.
        let (status, empty) = app.get_text(&http, "/search/").await;
        assert_eq!(status, 200);
        assert!(empty.contains("Type what you are looking for") && empty.contains(r#"content="noindex, follow""#));
        let cached_before = app.state_cache_len();
        let r = app.get(&http, "/search/?q=barrier").await;
        assert_eq!(r.headers()["cache-control"], "public, max-age=60");
        let page = r.text().await.unwrap();
        assert_eq!(app.state_cache_len(), cached_before, "result pages stay out of the page cache");
        assert!(page.contains("2 results for “barrier”"), "{page}");
        let results = &page[pos(&page, r#"<ol class="result-list">"#)..];
        assert!(pos(results, "Barrier vote delayed to June") < pos(results, "Dredging contract goes to court"));
        assert!(results.contains(r#"<p class="kicker"><a href="/tag/harbour/">Harbour</a></p>"#));
        assert!(results.contains("Ana Okafor and the Harbourside news desk"));
        assert!(results.contains(r#"<time datetime="2026-03-04T18:30:00+00:00">"#), "the site's time zone");
        assert!(results.contains("<mark>barrier</mark>"), "{results}");
        assert!(results.contains(r#"value="barrier""#) || page.contains(r#"value="barrier""#));
        let (_, fish) = app.get_text(&http, "/search/?q=fish+chips").await;
        assert!(fish.contains("<mark>Fish</mark> &amp; <mark>chips</mark>") && fish.contains("5 &lt; 6"), "{fish}");

        // Filters and order.
        let (_, courts) = app.get_text(&http, "/search/?q=barrier&tag=courts").await;
        assert!(courts.contains("1 result for") && courts.contains("Dredging contract"), "{courts}");
        assert!(courts.contains(r#"<details class="search-filters" open>"#), "filters in use stay open");
        let (_, desk) = app.get_text(&http, "/search/?q=barrier&author=harbourside-news-desk").await;
        assert!(desk.contains("1 result for") && desk.contains("Barrier vote"), "{desk}");
        let (_, dated) = app.get_text(&http, "/search/?q=barrier&from=2026-03-03&to=2026-03-04").await;
        assert!(dated.contains("1 result for") && dated.contains("Barrier vote"), "the last day counts whole");
        let (_, newest) = app.get_text(&http, "/search/?q=ferry+OR+barrier&sort=newest").await;
        assert!(newest.contains("Nothing found"), "every word must match: {newest}");
        let (status, bad) = app.get_text(&http, "/search/?q=barrier&from=March").await;
        assert_eq!(status, 400);
        let at = pos(&bad, r#"id="search-from""#);
        assert!(bad[at..].starts_with(r#"id="search-from" name="from" value="March" aria-invalid="true""#), "{bad}");
        assert!(bad.contains(r#"<p class="field-error" id="search-from-error">from: give a date as YYYY-MM-DD.</p>"#));

        // Pages keep the query; a page past the end is an empty page, not an error.
        let (_, first) = app.get_text(&http, "/search/?q=ferry&sort=newest").await;
        assert!(first.contains("12 results for “ferry”") && first.contains("Page 1 of 2"), "{first}");
        assert_eq!(first.matches(r#"<li class="result">"#).count(), 10);
        assert!(first.contains(r#"<a rel="next" href="/search/?q=ferry&amp;sort=newest&amp;page=2">"#), "{first}");
        assert!(pos(&first, "week 11") < pos(&first, "week 10"), "newest first");
        let (_, second) = app.get_text(&http, "/search/?q=ferry&sort=newest&page=2").await;
        assert_eq!(second.matches(r#"<li class="result">"#).count(), 2);
        assert!(second.contains(r#"<a rel="prev" href="/search/?q=ferry&amp;sort=newest">"#));
        for q in ["ferry&page=999", "ferry&page=-3", "ferry&page=x", "ferry&sort=sideways"] {
            assert_eq!(app.get_text(&http, &format!("/search/?q={q}")).await.0, 200, "{q}");
        }

        // Hostile and odd queries: an answer, never an error or an injected query (bench/search.sh times them).
        let long = "barrier ".repeat(1_300);
        for q in [
            "<script>alert(1)</script>",
            "\"unbalanced",
            "' OR 1=1; DROP TABLE posts; --",
            "NEAR(a b) AND * ^ :",
            "🙂 Київ 東京",
            "the of and",
            &long,
        ] {
            let url = format!("/search/?q={}", url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>());
            let (status, html) = app.get_text(&http, &url).await;
            assert_eq!(status, 200, "{q}");
            assert!(!html.contains("<script>alert(1)"), "{q}");
        }
        assert!(app.get_text(&http, &format!("/search/?q={}", long.replace(' ', "+"))).await.1.contains("results for"));

        // Unpublished at once: readers lose it, staff find it (by a word of its body) in the admin's list.
        let barrier = app.store.post_by_slug("barrier-vote-delayed-to-june").await.unwrap().unwrap().row.id;
        app.store.set_post_status(barrier, "draft", None).await.unwrap();
        let (_, after) = app.get_text(&http, "/search/?q=barrier").await;
        assert!(after.contains("1 result for") && !after.contains("Barrier vote"), "{after}");
        app.create_staff("ed@example.org", "editor", None).await;
        let staff = app.sign_in("ed@example.org").await;
        let (_, list) = app.get_text(&staff, "/admin/posts?q=unmoved").await;
        assert!(list.contains("Barrier vote delayed to June") && !list.contains("Dredging contract"), "{list}");
        let r = app.get(&staff, "/search/?q=dredging").await;
        assert_eq!(r.headers()["cache-control"], "private, no-store", "staff pages are never shared");

        // A flood of searches from one address is slowed down, on the page and the API alike. The limit is a fixed
        // window of a minute: twice the limit and one more is sure to fill one window, even when a window turns over
        // mid-flood (on a slow machine 200 once spanned two windows of 100 each).
        let mut limited = None;
        for _ in 0..2 * newsdesk_web::routes::public::search::PER_MINUTE + 1 {
            let (status, html) = app.get_text(&http, "/search/?q=ferry").await;
            if status == 429 {
                limited = Some(html);
                break;
            }
        }
        assert!(limited.expect("a 429 after many searches").contains("You are searching very fast"));
        let r = app.get(&http, "/api/v1/search?q=ferry").await;
        assert_eq!(r.status(), 429);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "rate_limited");
    }
}
