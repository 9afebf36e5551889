//! Languages: a post's language and its translations over the API, refused links that change nothing, and what the
//! article page tells readers and search engines (`<html lang dir>`, "Read in" links, `hreflang` with
//! `x-default`, `inLanguage`).

use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, spawn_app_config};

async fn token(app: &TestApp) -> String {
    let (t, hash) = newsdesk_store::new_token();
    app.store.create_api_token("test", "editor", &hash, "admin").await.unwrap();
    format!("nd_{t}")
}

#[tokio::test]
async fn translations_link_stories_and_articles_say_their_language() {
    for backend in backends() {
        let app = spawn_app_config(backend, |c| c.site.languages = vec!["UK".into(), "ar".into()]).await;
        app.author("Ana Okafor", "person").await;
        let editor = token(&app).await;
        let http = app.browser();
        let post = |body: Value| {
            let (http, url, editor) = (http.clone(), app.url("/api/v1/posts"), editor.clone());
            async move {
                let r = http.post(url).bearer_auth(editor).json(&body).send().await.unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let story = |title: &str, extra: Value| {
            let mut b = json!({ "title": title, "body": "The vote was delayed.", "authors": ["Ana Okafor"], "status": "published" });
            b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            b
        };

        let (status, en) = post(story("Barrier vote delayed", json!({}))).await;
        assert_eq!(status, 201, "{en}");
        assert_eq!((en["post"]["language"].as_str(), &en["post"]["translation_group"]), (Some("en"), &Value::Null));
        let en_id = en["post"]["id"].as_i64().unwrap();
        let (status, uk) = post(story(
            "Голосування щодо бар'єра відклали",
            json!({ "slug": "barrier-vote-uk", "language": "uk-UA", "translation_of": "barrier-vote-delayed" }),
        ))
        .await;
        assert_eq!(status, 201, "{uk}");
        assert_eq!(uk["post"]["language"], "uk", "stored as the site's tag for that language");
        assert_eq!(uk["post"]["translation_group"], en_id);
        let (status, ar) = post(story(
            "تأجيل التصويت على الحاجز",
            json!({ "slug": "barrier-vote-ar", "language": "ar", "translation_of": "barrier-vote-uk" }),
        ))
        .await;
        assert_eq!((status, &ar["post"]["translation_group"]), (201, &json!(en_id)), "{ar}");

        // Refused, with a code, and nothing is written.
        for (extra, code) in [
            (json!({ "language": "de" }), "language_unknown"),
            (json!({ "language": "english" }), "language_invalid"),
            (json!({ "translation_of": "no-such-story" }), "translation_unknown"),
            (json!({ "language": "uk", "translation_of": "barrier-vote-delayed" }), "translation_language"),
            (json!({ "language": "en", "translation_of": "barrier-vote-ar" }), "translation_language"),
            (json!({ "slug": "uk" }), "slug_reserved"),
        ] {
            let mut refused = extra.clone();
            let slug = refused.get("slug").and_then(Value::as_str).unwrap_or("refused").to_owned();
            refused["slug"] = json!(slug);
            let (status, answer) = post(story("Refused story", refused)).await;
            assert_eq!((status, answer["error"].as_str()), (422, Some(code)), "{extra}: {answer}");
            assert!(app.store.post_by_slug(&slug).await.unwrap().is_none(), "{extra}: nothing written");
        }
        let r = http
            .patch(app.url(&format!("/api/v1/posts/{en_id}")))
            .bearer_auth(&editor)
            .json(&json!({ "translation_of": "barrier-vote-delayed" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "translation_self");

        // The article pages.
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&http, "/barrier-vote-delayed/").await;
        assert!(page.starts_with("<!doctype html>\n<html lang=\"en\" dir=\"ltr\">"), "{}", &page[..80]);
        assert!(
            page.contains(r#"Read in: <a href="/barrier-vote-uk/" hreflang="uk" lang="uk" dir="ltr">Українська</a>, <a href="/barrier-vote-ar/" hreflang="ar" lang="ar" dir="rtl">العربية</a>"#),
            "{page}"
        );
        let site = &app.state.site.url;
        for (lang, slug) in [
            ("en", "barrier-vote-delayed"),
            ("uk", "barrier-vote-uk"),
            ("ar", "barrier-vote-ar"),
            ("x-default", "barrier-vote-delayed"),
        ] {
            assert!(
                page.contains(&format!(r#"<link rel="alternate" hreflang="{lang}" href="{site}/{slug}/">"#)),
                "{lang}"
            );
        }
        assert!(page.contains(r#""inLanguage":"en""#));
        // Reciprocal: every version lists every other (and itself), with the same x-default; every link resolves.
        for slug in ["barrier-vote-uk", "barrier-vote-ar"] {
            let (_, other) = app.get_text(&http, &format!("/{slug}/")).await;
            for (lang, to) in [
                ("en", "barrier-vote-delayed"),
                ("uk", "barrier-vote-uk"),
                ("ar", "barrier-vote-ar"),
                ("x-default", "barrier-vote-delayed"),
            ] {
                let link = format!(r#"<link rel="alternate" hreflang="{lang}" href="{site}/{to}/">"#);
                assert!(other.contains(&link), "{slug} lacks {link}");
            }
        }
        for href in page
            .split(r#"<link rel="alternate" hreflang=""#)
            .skip(1)
            .filter_map(|s| s.split(r#"href=""#).nth(1)?.split('"').next())
        {
            let path = href.strip_prefix(site.as_str()).unwrap();
            assert_eq!(app.get_text(&http, path).await.0, 200, "{path}");
        }
        let (_, arabic) = app.get_text(&http, "/barrier-vote-ar/").await;
        assert!(arabic.starts_with("<!doctype html>\n<html lang=\"ar\" dir=\"rtl\">"));
        assert!(arabic.contains(r#""inLanguage":"ar""#) && arabic.contains(">English</a>"));

        // Each language's edition: its own home, sections, feeds and search under its prefix; the site's own
        // language keeps the plain URLs and lists only its stories.
        let (_, home) = app.get_text(&http, "/").await;
        assert!(home.contains("Barrier vote delayed") && !home.contains("Голосування"), "{home}");
        let (status, uk_home) = app.get_text(&http, "/uk/").await;
        assert_eq!(status, 200);
        assert!(uk_home.starts_with("<!doctype html>\n<html lang=\"uk\" dir=\"ltr\">"));
        assert!(uk_home.contains("Голосування щодо бар&#39;єра відклали") && !uk_home.contains("Barrier vote delayed"));
        assert!(
            uk_home.contains(r#"<a class="site-title" href="/uk/">"#) && uk_home.contains(r#"action="/uk/search/""#)
        );
        for (lang, path) in [("en", "/"), ("uk", "/uk/"), ("ar", "/ar/"), ("x-default", "/")] {
            assert!(
                uk_home.contains(&format!(r#"<link rel="alternate" hreflang="{lang}" href="{site}{path}">"#)),
                "{lang}"
            );
        }
        assert!(app.get_text(&http, "/ar/").await.1.contains("<html lang=\"ar\" dir=\"rtl\">"));
        let (_, rss) = app.get_text(&http, "/uk/rss/").await;
        assert!(
            rss.contains("<language>uk</language>")
                && rss.contains("barrier-vote-uk")
                && !rss.contains("barrier-vote-delayed"),
            "{rss}"
        );
        let (_, found) = app
            .get_text(&http, "/uk/search/?q=%D0%B3%D0%BE%D0%BB%D0%BE%D1%81%D1%83%D0%B2%D0%B0%D0%BD%D0%BD%D1%8F")
            .await;
        assert!(
            found.contains("1 результат за запитом «голосування»") && found.contains("/barrier-vote-uk/"),
            "{found}"
        );
        let (_, everywhere) = app.get_text(&http, "/search/?q=vote").await;
        assert!(everywhere.contains("1 result for") && everywhere.contains("/barrier-vote-delayed/"), "{everywhere}");
        let (_, news) = app.get_text(&http, "/sitemap-news.xml").await;
        let at = news.find("barrier-vote-uk").unwrap();
        assert!(news[at..].contains("<news:language>uk</news:language>"), "{news}");
        assert_eq!(app.get_text(&http, "/de/").await.0, 404, "only the site's languages have editions");
        let (_, pages) = app.get_text(&http, "/sitemaps/pages.xml").await;
        for (loc, lang) in [("/", "en"), ("/uk/", "uk"), ("/ar/", "ar")] {
            assert!(pages.contains(&format!("<url><loc>{site}{loc}</loc><xhtml:link")), "{pages}");
            assert!(pages.contains(&format!(r#"<xhtml:link rel="alternate" hreflang="{lang}" href="{site}{loc}"/>"#)));
        }
        let (_, uk_page) = app.get_text(&http, "/barrier-vote-uk/").await;
        assert!(uk_page.contains(r#"<a class="site-title" href="/uk/">"#), "an article's header leads to its edition");
        // The theme speaks the page's language: catalogue text, plural forms, dates by ICU4X.
        assert!(uk_page.contains(r##"<a class="skip-link" href="#content">Перейти до змісту</a>"##));
        assert!(uk_page.contains(r#"<span class="reading-time">1 хвилина читання</span>"#), "{uk_page}");
        assert!(
            uk_page
                .contains(r#"<p class="byline">Автори: <a href="/author/ana-okafor/" rel="author">Ana Okafor</a></p>"#)
        );
        assert!(
            uk_page.contains(r#"<input type="hidden" name="lang" value="uk">"#) || !uk_page.contains("signup-form")
        );
        let month = [
            "січня",
            "лютого",
            "березня",
            "квітня",
            "травня",
            "червня",
            "липня",
            "серпня",
            "вересня",
            "жовтня",
            "листопада",
            "грудня",
        ];
        assert!(month.iter().any(|m| uk_page.contains(&format!(" {m} "))), "a Ukrainian date: {uk_page}");
        let cards = &uk_home[uk_home.find("<main").unwrap()..];
        assert!(month.iter().any(|m| cards.contains(&format!(" {m} "))), "story cards (a macro) too: {cards}");
        assert!(app.get_text(&http, "/barrier-vote-delayed/").await.1.contains("Skip to content"));

        // Newsletters in a language: their signup forms are on that language's pages, their issues in it.
        for (slug, name, language) in [("tide", "The Morning Tide", "en"), ("pryplyv", "Ранковий приплив", "uk")]
        {
            let r = http
                .post(app.url("/api/v1/newsletters"))
                .bearer_auth(&editor)
                .json(&json!({ "slug": slug, "name": name, "language": language }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            assert_eq!(r.json::<Value>().await.unwrap()["newsletter"]["language"], language);
        }
        let r = http
            .post(app.url("/api/v1/newsletters"))
            .bearer_auth(&editor)
            .json(&json!({ "slug": "bad", "name": "Bad", "language": "de" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), r.json::<Value>().await.unwrap()["error"].clone()),
            (422, json!("language_unknown"))
        );
        app.state.refresh_version().await;
        let (_, uk_article) = app.get_text(&http, "/barrier-vote-uk/").await;
        assert!(uk_article.contains("Ранковий приплив") && !uk_article.contains("The Morning Tide"), "{uk_article}");
        let (_, en_article) = app.get_text(&http, "/barrier-vote-delayed/").await;
        assert!(en_article.contains("The Morning Tide") && !en_article.contains("Ранковий приплив"));
        let nl = app.store.newsletter_by_slug("pryplyv").await.unwrap().unwrap();
        let story = app.store.post_by_slug("barrier-vote-uk").await.unwrap().unwrap();
        let issue =
            newsdesk_services::newsletter_mail::render_issue(&app.state, &nl, "post", &[story], None, None).unwrap();
        assert!(
            issue.html.contains("<html lang=\"uk\" dir=\"ltr\">") && issue.html.contains("Відписатися"),
            "{}",
            issue.html
        );
        assert!(issue.text.contains("Читати на сайті:"), "{}", issue.text);

        // A translation taken back to draft is no longer offered to readers; unlinking leaves a group of two.
        let ar_id = ar["post"]["id"].as_i64().unwrap();
        app.store.set_post_status(ar_id, "draft", None).await.unwrap();
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&http, "/barrier-vote-delayed/").await;
        assert!(!page.contains("barrier-vote-ar") && page.contains("Українська"));
        let uk_id = uk["post"]["id"].as_i64().unwrap();
        let r = http
            .patch(app.url(&format!("/api/v1/posts/{uk_id}")))
            .bearer_auth(&editor)
            .json(&json!({ "translation_of": "" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["post"]["translation_group"], Value::Null);
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&http, "/barrier-vote-delayed/").await;
        assert!(!page.contains("Read in:") && !page.contains("hreflang"), "a story alone has no alternates");

        // The editor offers the site's languages.
        app.create_staff("ed@example.org", "editor", None).await;
        let staff = app.sign_in("ed@example.org").await;
        let (_, form) = app.get_text(&staff, &format!("/admin/posts/{ar_id}/edit")).await;
        assert!(form.contains(r#"<option value="ar" lang="ar" selected>العربية (ar)</option>"#), "{form}");
        assert!(form.contains(r#"name="translation_of" type="text" value="barrier-vote-delayed""#), "{form}");
    }
}
