//! Members and paid content: signing in by a magic link (single use, POST to confirm), the account page (data
//! download, deleting the account), and the leak test — a paid story's part after `<!--members-only-->` appears
//! nowhere an anonymous reader or a free member can reach (page, cache, feeds, both APIs, oEmbed, sitemaps,
//! search, the static mirror, the newsletter to a free subscriber, the audio), while a paying member reads it whole.

use std::process::Command;

use newsdesk_services::posts::PostDraft;
use reqwest::Client;
use serde_json::Value;

use crate::helpers::{TestApp, backends, confirmed_subscribers, newsdesk, outbox, spawn_app};
use crate::public::publish;

/// The sentence that must never leak.
const SECRET: &str = "The harbourmaster kept a second ledger in the tide office";
/// A word only the secret part has, for search.
const SECRET_WORD: &str = "quillwort";

/// Asks for a sign-in link for `email` in `browser`, and follows it (GET shows a button, POST signs in).
pub(crate) async fn sign_in_member(app: &TestApp, browser: &Client, email: &str) {
    let before = outbox(app).len();
    let r =
        browser.post(app.url("/members/signin")).form(&[("email", email), ("next", "/account/")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Check your inbox"));
    app.run_jobs().await;
    let mails = outbox(app);
    assert_eq!(mails.len(), before + 1, "one sign-in mail");
    let mail = mails.last().unwrap();
    let link = link_in(mail);
    let path = link.trim_start_matches(&app.address).to_owned();
    let (status, page) = app.get_text(browser, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains(&format!("action=\"{path}\"")), "the page POSTs the link: {page}");
    let r = browser.post(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), 303);
}

/// A newsletter of the test site.
async fn newsletter(app: &TestApp) -> newsdesk_store::newsletters::Newsletter {
    let input = newsdesk_store::newsletters::NewsletterInput {
        slug: "morning-ledger",
        name: "Morning Ledger",
        description: None,
        host_author_id: None,
        sender_name: None,
        sender_email: None,
        reply_to: None,
        cadence: None,
        visibility: "public",
        sort_order: 1,
        language: None,
    };
    app.store.create_newsletter(&input).await.unwrap()
}

fn link_in(mail: &str) -> String {
    let start = mail.find("/members/signin/").expect("a sign-in link in the mail");
    let from = mail[..start].rfind("http").unwrap();
    mail[from..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn members_sign_in_once_by_magic_link_and_manage_their_account() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let b = app.browser();

        // Bad input: the form again with the message beside the field, nothing sent.
        let r = b.post(app.url("/members/signin")).form(&[("email", "not an address")]).send().await.unwrap();
        let status = r.status();
        let page = r.text().await.unwrap();
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("aria-invalid=\"true\"") && page.contains("Please enter a correct email address."));
        app.run_jobs().await;
        assert!(outbox(&app).is_empty());

        // The link's GET signs nobody in (link scanners fetch it); the POST does, once.
        b.post(app.url("/members/signin"))
            .form(&[("email", "Reader@Example.org"), ("next", "//evil.example/")])
            .send()
            .await
            .unwrap();
        app.run_jobs().await;
        let mail = outbox(&app).pop().unwrap();
        assert!(mail.contains("Welcome to The Test Ledger"), "{mail}");
        let link = link_in(&mail);
        let path = link.trim_start_matches(&app.address).to_owned();
        let token = path.rsplit('/').next().unwrap();
        assert_eq!(token.len(), 64, "256 bits");
        let member = app.store.member_by_email("reader@example.org").await.unwrap().unwrap();
        let (status, page) = app.get_text(&b, &path).await;
        assert_eq!(status, 200);
        assert!(page.contains("reader@example.org"));
        let r = app.get(&b, "/account/").await;
        assert_eq!(r.status(), 303, "still signed out after the GET");
        assert!(r.headers()["location"].to_str().unwrap().starts_with("/members/signin?next=/account/"));
        let r = b.post(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/account/", "a next leading off the site is dropped");
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("nd_member=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let again = app.browser().post(app.url(&path)).send().await.unwrap();
        assert_eq!(again.status(), 410, "a link works once");
        assert!(again.text().await.unwrap().contains("does not work any more"));

        // The account page: plan, newsletters, data, and it is nobody's cache.
        let r = app.get(&b, "/account/").await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let page = r.text().await.unwrap();
        assert!(page.contains("Signed in as reader@example.org."), "{page}");
        assert!(page.contains("Free account"));
        let csrf = crate::helpers::csrf_token(&page);
        let data: Value = app.get(&b, "/account/data.json").await.json().await.unwrap();
        assert_eq!(data["member"]["email"], "reader@example.org");
        assert_eq!(data["sign_ins"].as_array().unwrap().len(), 1);

        // A staff session is not a member session, and a member session is not staff.
        let r = app.get(&b, "/admin/posts").await;
        assert_eq!(r.status(), 303, "members are not staff");

        // Deleting asks for confirmation, then removes the member and the subscriber with the same address.
        let n = newsletter(&app).await;
        confirmed_subscribers(&app, n.id, &["reader@example.org".into()]).await;
        let r = b.post(app.url("/account/delete")).form(&[("csrf_token", csrf.as_str())]).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Tick the box"));
        let r = b
            .post(app.url("/account/delete"))
            .form(&[("csrf_token", "forged"), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "CSRF");
        assert!(app.store.member(member.id).await.unwrap().is_some());
        let r = b
            .post(app.url("/account/delete"))
            .form(&[("csrf_token", csrf.as_str()), ("confirm", "yes")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("records of payments"), "says what is kept");
        assert!(app.store.member(member.id).await.unwrap().is_none());
        assert!(app.store.subscriber_by_email("reader@example.org").await.unwrap().is_none());
        let r = app.get(&b, "/account/").await;
        assert_eq!(r.status(), 303, "the session went with the account");
    }
}

/// Every URL the site exposes, as `who` fetches them; the secret must be in none.
async fn assert_nothing_leaks(app: &TestApp, who: &Client, slug: &str, key: &str, label: &str) {
    let site = app.address.clone();
    let paths = [
        format!("/{slug}/"),
        "/".into(),
        "/rss/".into(),
        "/atom/".into(),
        "/feed.json".into(),
        "/tag/harbour/".into(),
        "/tag/harbour/rss/".into(),
        "/tag/harbour/feed.json".into(),
        "/author/ana-okafor/rss/".into(),
        "/api/v1/posts".into(),
        format!("/api/v1/posts/{slug}"),
        format!("/ghost/api/content/posts/?key={key}&formats=html,plaintext"),
        format!("/ghost/api/content/posts/slug/{slug}/?key={key}&formats=html,plaintext"),
        format!("/oembed?url={site}/{slug}/&format=json"),
        "/sitemap.xml".into(),
        "/sitemaps/posts-1.xml".into(),
        "/sitemap-news.xml".into(),
        "/search/?q=harbourmaster".into(),
        "/podcast/rss/".into(),
    ];
    // Search echoes the query: what it must not do is find the story by its paid part.
    let (_, page) = app.get_text(who, &format!("/search/?q={SECRET_WORD}")).await;
    assert!(page.contains("Nothing found for"), "{label}: search found the story by a paid word");
    let api: Value = app.get(who, &format!("/api/v1/search?q={SECRET_WORD}")).await.json().await.unwrap();
    assert_eq!(api["meta"]["total"], 0, "{label}: the search API found the story by a paid word: {api}");
    for path in &paths {
        let (status, body) = app.get_text(who, path).await;
        assert!(status < 500, "{label} {path}: {status}");
        assert!(!body.contains(SECRET), "{label}: the paid part leaked at {path}");
        assert!(!body.contains(SECRET_WORD), "{label}: a paid word leaked at {path}");
    }
}

#[tokio::test]
async fn a_paid_story_never_leaks_and_paying_members_read_it_whole() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let tier = newsdesk_store::members::TierInput {
            slug: "supporter".into(),
            name: "Supporter".into(),
            description: "Keeps the newsroom going.".into(),
            benefits: vec!["Every story".into()],
            currency: "gbp".into(),
            monthly_price: Some(500),
            yearly_price: Some(5000),
            trial_days: 0,
            active: true,
            position: 1,
        };
        let tier_id = app.store.save_tier(None, &tier).await.unwrap();
        let slug = publish(
            &app,
            PostDraft {
                title: "Who paid for the tide office".into(),
                excerpt: Some("Our investigation into the harbour accounts.".into()),
                body: format!(
                    "The opening paragraph everyone may read.\n\n<!--members-only-->\n\n{SECRET}, our reporters found. The {SECRET_WORD} invoices tell the rest.\n"
                ),
                authors: vec!["Ana Okafor".into()],
                tags: vec!["Harbour".into()],
                visibility: Some("paid".into()),
                ..Default::default()
            },
        )
        .await;
        let post = app.store.post_by_slug(&slug).await.unwrap().unwrap();
        assert_eq!(post.row.visibility, "paid");
        assert!(!post.row.body_html.contains(SECRET) && post.row.paid_html.contains(SECRET));
        // Audio of the whole story, as narration would leave it.
        let audio_dir = app.data_dir().join("media").join("audio");
        std::fs::create_dir_all(&audio_dir).unwrap();
        let file = format!("{}-0123456789abcdef.mp3", post.row.id);
        std::fs::write(audio_dir.join(&file), b"ID3 fake mp3 of the whole story").unwrap();
        let ready = newsdesk_store::audio::ReadyAudio {
            file: &file,
            opus_file: None,
            text_hash: "x",
            engine: "espeak-ng",
            voice: "en",
            duration_ms: 60_000,
            bytes: 31,
        };
        app.store.set_audio_ready(post.row.id, &ready).await.unwrap();
        app.state.refresh_version().await;

        let out = newsdesk(&app, &["token", "create", "--name", "front-end", "--kind", "content"]);
        let key = String::from_utf8_lossy(&out.stdout).trim().to_owned();

        // Anonymous: the preview and an invitation, twice (the second from the cache), marked for search engines.
        let anon = app.browser();
        for _ in 0..2 {
            let r = app.get(&anon, &format!("/{slug}/")).await;
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
            assert!(r.headers()["cache-control"].to_str().unwrap().starts_with("public"));
            let page = r.text().await.unwrap();
            assert!(page.contains("The opening paragraph everyone may read."));
            assert!(page.contains("This story is for paying members") && page.contains("Become a member"));
            assert!(
                page.contains("\"isAccessibleForFree\":false") && page.contains("\"cssSelector\":\".paid-content\"")
            );
            assert!(!page.contains(&file), "no audio player for a reader who may not hear it");
        }
        assert_nothing_leaks(&app, &anon, &slug, &key, "anonymous").await;
        assert_eq!(app.get(&anon, &format!("/media/audio/{file}")).await.status(), 404);
        let api: Value = app.get(&anon, &format!("/api/v1/posts/{slug}")).await.json().await.unwrap();
        assert_eq!(api["post"]["visibility"], "paid");
        assert_eq!(api["post"]["access"], false);
        let ghost: Value =
            app.get(&anon, &format!("/ghost/api/content/posts/slug/{slug}/?key={key}")).await.json().await.unwrap();
        assert_eq!(ghost["posts"][0]["visibility"], "paid");
        assert_eq!(ghost["posts"][0]["access"], false);

        // A free member: the preview, an invitation to upgrade, no audio.
        let free = app.browser();
        sign_in_member(&app, &free, "free@example.org").await;
        let r = app.get(&free, &format!("/{slug}/")).await;
        assert_eq!(r.headers()["cache-control"], "private, no-store");
        let page = r.text().await.unwrap();
        assert!(page.contains("See membership plans") && !page.contains("Already a member?"));
        assert_nothing_leaks(&app, &free, &slug, &key, "free member").await;
        assert_eq!(app.get(&free, &format!("/media/audio/{file}")).await.status(), 404);

        // A paying member (a comp, as staff grant one): the whole story and its audio, never cached for others.
        let paid = app.browser();
        sign_in_member(&app, &paid, "patron@example.org").await;
        let patron = app.store.member_by_email("patron@example.org").await.unwrap().unwrap();
        app.store.grant_comp(patron.id, tier_id, None, Some("source"), "editor@example.org").await.unwrap();
        let r = app.get(&paid, &format!("/{slug}/")).await;
        assert_eq!(r.headers()["cache-control"], "private, no-store");
        let page = r.text().await.unwrap();
        assert!(page.contains(SECRET), "the paying member reads it whole");
        assert!(page.contains("<div class=\"paid-content\">") && page.contains(&file));
        let r = app.get(&paid, &format!("/media/audio/{file}")).await;
        assert_eq!(r.status(), 200);
        assert!(r.headers()["cache-control"].to_str().unwrap().starts_with("private"));
        assert_nothing_leaks(&app, &anon, &slug, &key, "anonymous after a member's visit").await;
        // A comp for a tier the story does not name gives nothing; revoking it ends access at once.
        let comps = app.store.member_subscriptions(patron.id).await.unwrap();
        assert!(app.store.revoke_comp(patron.id, comps[0].id).await.unwrap());
        assert!(!app.get(&paid, &format!("/{slug}/")).await.text().await.unwrap().contains(SECRET));
        app.store.grant_comp(patron.id, tier_id, None, None, "editor@example.org").await.unwrap();

        // Staff and tokens read everything.
        let (t, hash) = newsdesk_store::new_token();
        app.store.create_api_token("test", "editor", &hash, "admin").await.unwrap();
        let api: Value = app
            .browser()
            .get(app.url(&format!("/api/v1/posts/{slug}")))
            .bearer_auth(format!("nd_{t}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(api["post"]["html"].as_str().unwrap().contains(SECRET));
        assert_eq!(api["post"]["access"], true);

        // The newsletter: the free subscriber gets the preview and a way to join; the paying member the whole.
        let n = newsletter(&app).await;
        confirmed_subscribers(&app, n.id, &["free@example.org".into(), "patron@example.org".into()]).await;
        let before = outbox(&app).len();
        let out = newsdesk(&app, &["send", &slug, "--newsletter", "morning-ledger", "--key", "paid-1"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        app.run_jobs().await;
        app.run_jobs().await;
        let mails: Vec<String> = outbox(&app).into_iter().skip(before).collect();
        let to = |who: &str| mails.iter().find(|m| m.contains(&format!("To: {who}"))).cloned().unwrap_or_default();
        let (free_mail, paid_mail) = (to("free@example.org"), to("patron@example.org"));
        assert!(free_mail.contains("The opening paragraph"), "{free_mail}");
        assert!(!free_mail.contains(SECRET) && !free_mail.contains(SECRET_WORD), "the free subscriber's issue leaked");
        assert!(free_mail.contains("/membership/"), "a way to join");
        assert!(paid_mail.contains(SECRET), "the paying member gets it whole: {paid_mail}");

        // The static mirror is what anonymous readers see.
        let mirror = app.data_dir().join("mirror");
        let run = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
            .args(["export", "static", "--data"])
            .arg(app.data_dir())
            .arg(&mirror)
            .env("NEWSDESK_DATABASE_URL", &app.db.url)
            .env("NEWSDESK_SITE__URL", &app.address)
            .env("NEWSDESK_LOG__LEVEL", "warn")
            .output()
            .unwrap();
        assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
        let mut stack = vec![mirror.clone()];
        let mut files = 0;
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    files += 1;
                    let bytes = std::fs::read(&p).unwrap();
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(!text.contains(SECRET) && !text.contains(SECRET_WORD), "the mirror leaked at {p:?}");
                }
            }
        }
        assert!(files > 5, "the mirror was written");
        assert!(
            std::fs::read_to_string(mirror.join(&slug).join("index.html")).unwrap().contains("The opening paragraph")
        );
    }
}

#[tokio::test]
async fn visibility_is_checked_and_without_a_marker_the_preview_is_the_first_paragraph() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let draft = |visibility: &str| PostDraft {
            title: "Members note".into(),
            body: "First paragraph, for everyone.\n\nSecond paragraph, for members.".into(),
            authors: vec!["Ana Okafor".into()],
            visibility: Some(visibility.into()),
            ..Default::default()
        };
        let owner = crate::public::OWNER;
        let site = &app.state.site;
        let e = newsdesk_services::posts::save_post(
            &app.store,
            site,
            &owner,
            None,
            draft("gold"),
            newsdesk_services::posts::Action::Save,
        )
        .await
        .unwrap_err();
        match e {
            newsdesk_services::posts::SaveError::Invalid(errs, code) => {
                assert_eq!(code, "tier_unknown");
                assert!(errs["visibility"].contains("There is no tier \"gold\""));
            }
            other => panic!("{other:?}"),
        }
        let e = newsdesk_services::posts::save_post(
            &app.store,
            site,
            &owner,
            None,
            draft("paid!"),
            newsdesk_services::posts::Action::Save,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, newsdesk_services::posts::SaveError::Invalid(_, "visibility_invalid")), "{e:?}");
        let e = newsdesk_services::posts::save_post(
            &app.store,
            site,
            &owner,
            None,
            PostDraft { slug: Some("account".into()), ..draft("public") },
            newsdesk_services::posts::Action::Save,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, newsdesk_services::posts::SaveError::Invalid(_, "slug_reserved")), "{e:?}");
        let slug = publish(&app, draft("members")).await;
        let row = app.store.post_by_slug(&slug).await.unwrap().unwrap().row;
        assert!(row.body_html.contains("First paragraph") && !row.body_html.contains("Second paragraph"));
        assert!(row.paid_html.contains("Second paragraph"));
        assert_eq!(row.word_count, 8, "reading time counts the whole story");
        let (_, page) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(page.contains("This story is for members") && page.contains("Create a free account"));
        assert!(!page.contains("Second paragraph"));
        // Made public again, the whole story is everyone's.
        let post = app.store.post_by_slug(&slug).await.unwrap().unwrap();
        let draft = PostDraft {
            visibility: Some("public".into()),
            ..newsdesk_services::posts::PostDraft {
                title: post.row.title.clone(),
                body: post.row.body_md.clone(),
                authors: vec!["Ana Okafor".into()],
                ..Default::default()
            }
        };
        newsdesk_services::posts::save_post(
            &app.store,
            site,
            &owner,
            Some(&post),
            draft,
            newsdesk_services::posts::Action::Save,
        )
        .await
        .unwrap();
        app.state.refresh_version().await;
        let (_, page) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(page.contains("Second paragraph") && !page.contains("This story is for members"));
    }
}

#[tokio::test]
async fn admins_define_tiers_and_grant_them_to_members() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.create_staff("admin@example.org", "admin", None).await;
        app.create_staff("editor@example.org", "editor", None).await;
        let admin = app.sign_in("admin@example.org").await;
        let (status, page) = app.get_text(&admin, "/admin/tiers").await;
        assert_eq!(status, 200);
        assert!(page.contains("Free"), "the free tier always exists");
        let csrf = crate::helpers::csrf_token(&page);

        // Bad input: the form again, the message beside the field, nothing saved.
        let r = admin
            .post(app.url("/admin/tiers"))
            .form(&[("csrf_token", csrf.as_str()), ("name", "Supporter"), ("monthly_price", "five pounds")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let page = r.text().await.unwrap();
        assert!(page.contains("monthly_price-error") && page.contains("is not an amount"), "{page}");
        assert_eq!(app.store.tiers().await.unwrap().len(), 1);
        let r = admin
            .post(app.url("/admin/tiers"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("name", "Supporter"),
                ("monthly_price", "5"),
                ("yearly_price", "50.00"),
                ("benefits", "Every story\nThe weekly briefing"),
                ("active", "1"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let tier = app.store.tier_by_slug("supporter").await.unwrap().expect("made from the name");
        assert_eq!((tier.monthly_price, tier.yearly_price, tier.currency.as_str()), (Some(500), Some(5000), "gbp"));
        assert_eq!(tier.benefit_lines(), ["Every story", "The weekly briefing"]);
        let (_, page) = app.get_text(&admin, "/admin/tiers").await;
        assert!(page.contains("£5.00") && page.contains("£50.00"));

        // A member added by hand, granted the tier until a date, then revoked.
        let r = admin
            .post(app.url("/admin/members"))
            .form(&[("csrf_token", csrf.as_str()), ("email", "Student@Example.org")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let member = app.store.member_by_email("student@example.org").await.unwrap().unwrap();
        assert_eq!(member.source, "staff");
        let path = format!("/admin/members/{}", member.id);
        let r = admin
            .post(app.url(&format!("{path}/comps")))
            .form(&[("csrf_token", csrf.as_str()), ("tier", &tier.id.to_string()), ("until", "2001-01-01")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "a grant ending in the past is refused beside its field");
        assert!(r.text().await.unwrap().contains("until-error"));
        let r = admin
            .post(app.url(&format!("{path}/comps")))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("tier", &tier.id.to_string()),
                ("until", "2099-06-30"),
                ("note", "student"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let (_, page) = app.get_text(&admin, &path).await;
        assert!(page.contains("paid stories of supporter") && page.contains("granted by admin@example.org"), "{page}");
        let subs = app.store.member_subscriptions(member.id).await.unwrap();
        let access = newsdesk_services::members::access_from(&subs, 0);
        assert_eq!(access, newsdesk_domain::Access::Member { paid_tiers: vec!["supporter".into()] });
        let (_, list) = app.get_text(&admin, "/admin/members?q=STUDENT").await;
        assert!(list.contains("student@example.org"));
        let r = admin
            .post(app.url(&format!("{path}/comps/{}/revoke", subs[0].id)))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let subs = app.store.member_subscriptions(member.id).await.unwrap();
        assert_eq!(
            newsdesk_services::members::access_from(&subs, 0),
            newsdesk_domain::Access::Member { paid_tiers: vec![] }
        );

        // Ghost's members CSV, in and out: a bad row stops the import unless skipped; grants come with it.
        let csv = "id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,deleted_at,labels,tiers\n\
            1,reader.one@example.org,Reader One,,false,false,cus_ghost1,2024-01-01T00:00:00.000Z,,,\n\
            2,not an address,,,,,,,,,\n\
            3,patron@example.org,Pat,source,false,true,,,,,Supporter\n";
        let upload = |skip: bool| {
            let mut form = reqwest::multipart::Form::new()
                .text("csrf_token", csrf.clone())
                .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("members.csv"));
            if skip {
                form = form.text("skip_invalid", "1");
            }
            admin.post(app.url("/admin/members/import")).multipart(form).send()
        };
        let r = upload(false).await.unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("Line 3: &quot;not an address&quot; is not an email address"));
        assert!(app.store.member_by_email("reader.one@example.org").await.unwrap().is_none(), "nothing imported");
        let r = upload(true).await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().contains("2 added, 0 updated, 1 tier(s) granted, 1 bad row(s) skipped"));
        let one = app.store.member_by_email("reader.one@example.org").await.unwrap().unwrap();
        assert_eq!(one.stripe_customer_id.as_deref(), Some("cus_ghost1"));
        let pat = app.store.member_by_email("patron@example.org").await.unwrap().unwrap();
        let subs = app.store.member_subscriptions(pat.id).await.unwrap();
        assert_eq!(
            newsdesk_services::members::access_from(&subs, 0),
            newsdesk_domain::Access::Member { paid_tiers: vec!["supporter".into()] }
        );
        let (_, exported) = app.get_text(&admin, "/admin/members.csv").await;
        assert!(exported.starts_with("id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id"));
        assert!(
            exported.contains(",patron@example.org,Pat,source,false,true,,") && exported.ends_with("Supporter\r\n"),
            "{exported}"
        );
        let again = newsdesk_domain::membership::parse_members_csv(&exported).unwrap();
        assert_eq!(again.rows.len(), 3, "our export reads back");
        // The list's filters: tier, status, source, signup dates.
        let listed = async |query: &str| {
            let (_, page) = app.get_text(&admin, &format!("/admin/members?{query}")).await;
            ["student@example.org", "reader.one@example.org", "patron@example.org"]
                .into_iter()
                .filter(|e| page.contains(&format!(">{e}</a>")))
                .collect::<Vec<_>>()
        };
        assert_eq!(listed("status=comp").await, ["patron@example.org"]);
        assert_eq!(listed("tier=supporter").await, ["patron@example.org"]);
        assert_eq!(listed("status=free").await, ["student@example.org", "reader.one@example.org"]);
        assert_eq!(listed("source=import").await, ["reader.one@example.org", "patron@example.org"]);
        assert_eq!(listed("from=2000-01-01&to=2000-12-31").await, Vec::<&str>::new());
        assert_eq!(listed("q=pat&status=paid").await, ["patron@example.org"]);

        // Roles are enforced on the server: an editor may not see members.
        let editor = app.sign_in("editor@example.org").await;
        assert_eq!(app.get(&editor, "/admin/members").await.status(), 403);
        assert_eq!(app.get(&editor, "/admin/tiers").await.status(), 403);
        assert_eq!(app.get(&editor, "/admin/members.csv").await.status(), 403);
    }
}

#[tokio::test]
async fn members_and_tiers_are_json_api_resources_for_admins() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let http = Client::new();
        let admin = crate::api::token(&app, "admin").await;
        let editor = crate::api::token(&app, "editor").await;
        let api = |path: &str| app.url(&format!("/api/v1{path}"));
        let send = |r: reqwest::RequestBuilder| async move {
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            (status, body)
        };

        // Members are not public, and only admins and the owner manage them.
        let (status, body) = send(http.get(api("/members"))).await;
        assert_eq!((status, body["error"].as_str()), (401, Some("token_missing")));
        let (status, body) = send(http.get(api("/members")).bearer_auth(&editor)).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("forbidden")), "{body}");
        let (status, _) =
            send(http.post(api("/tiers")).bearer_auth(&editor).json(&serde_json::json!({"name": "X"}))).await;
        assert_eq!(status, 403);

        // Tiers: created in the site's currency, checked, archived and back.
        let (status, body) = send(http.post(api("/tiers")).bearer_auth(&admin).json(&serde_json::json!({
            "name": "Supporter", "monthly_price": 500, "yearly_price": 5000, "benefits": ["Every story", "The briefing"]
        })))
        .await;
        assert_eq!(status, 201, "{body}");
        let tier = &body["tier"];
        assert_eq!(
            (tier["slug"].as_str(), tier["paid"].as_bool(), tier["currency"].as_str()),
            (Some("supporter"), Some(true), Some("gbp"))
        );
        assert_eq!((tier["monthly_price"].as_i64(), tier["benefits"][1].as_str()), (Some(500), Some("The briefing")));
        let tier_id = tier["id"].as_i64().unwrap();
        let (status, body) =
            send(http.post(api("/tiers")).bearer_auth(&admin).json(&serde_json::json!({"name": "Patron"}))).await;
        assert_eq!((status, body["error"].as_str()), (422, Some("amount_invalid")), "a paid tier needs a price");
        let (status, body) =
            send(http.post(api("/tiers")).bearer_auth(&admin).json(&serde_json::json!({"nme": "typo"}))).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_json")));
        let (status, body) = send(
            http.patch(api(&format!("/tiers/{tier_id}")))
                .bearer_auth(&admin)
                .json(&serde_json::json!({"active": false})),
        )
        .await;
        assert_eq!(
            (status, body["tier"]["active"].as_bool(), body["tier"]["monthly_price"].as_i64()),
            (200, Some(false), Some(500))
        );
        let (_, public) = send(http.get(api("/tiers"))).await;
        assert!(public["tiers"].as_array().unwrap().iter().all(|t| t["slug"] != "supporter"), "archived: not public");
        let (status, _) = send(http.get(api(&format!("/tiers/{tier_id}")))).await;
        assert_eq!(status, 404);
        let (_, all) = send(http.get(api("/tiers")).bearer_auth(&admin)).await;
        assert!(all["tiers"].as_array().unwrap().iter().any(|t| t["slug"] == "supporter"), "admins see archived tiers");
        send(
            http.patch(api(&format!("/tiers/{tier_id}")))
                .bearer_auth(&admin)
                .json(&serde_json::json!({"active": true})),
        )
        .await;

        // Members: added, granted a tier, found by the filters, revoked, deleted.
        let (status, body) = send(
            http.post(api("/members")).bearer_auth(&admin).json(&serde_json::json!({"email": "Reader@Example.org"})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(
            (body["member"]["email"].as_str(), body["member"]["status"].as_str()),
            (Some("reader@example.org"), Some("free"))
        );
        let id = body["member"]["id"].as_i64().unwrap();
        let (status, body) = send(
            http.post(api("/members")).bearer_auth(&admin).json(&serde_json::json!({"email": "reader@example.org"})),
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (409, Some("email_taken")));
        let (status, body) =
            send(http.post(api("/members")).bearer_auth(&admin).json(&serde_json::json!({"email": "nope"}))).await;
        assert_eq!((status, body["error"].as_str()), (422, Some("email_invalid")));
        let comps = api(&format!("/members/{id}/comps"));
        let (status, body) =
            send(http.post(&comps).bearer_auth(&admin).json(&serde_json::json!({"tier": "free"}))).await;
        assert_eq!((status, body["error"].as_str()), (422, Some("tier_invalid")));
        let (status, body) = send(
            http.post(&comps)
                .bearer_auth(&admin)
                .json(&serde_json::json!({"tier": "supporter", "until": "2001-01-01"})),
        )
        .await;
        assert_eq!((status, body["error"].as_str()), (422, Some("until_invalid")));
        let (status, body) = send(http.post(&comps).bearer_auth(&admin).json(&serde_json::json!({
            "tier": "supporter", "until": "2099-06-30", "note": "student"
        })))
        .await;
        assert_eq!(status, 201, "{body}");
        let m = &body["member"];
        assert_eq!((m["status"].as_str(), m["tiers"][0].as_str()), (Some("comped"), Some("supporter")));
        let grant = &m["subscriptions"][0];
        assert_eq!((grant["source"].as_str(), grant["gives_access"].as_bool()), (Some("comp"), Some(true)));
        assert_eq!((grant["note"].as_str(), grant["granted_by"].as_str()), (Some("student"), Some("API token test")));
        let count = |q: &'static str| {
            let (http, admin, url) = (http.clone(), admin.clone(), api(&format!("/members?{q}")));
            async move { send(http.get(url).bearer_auth(&admin)).await }
        };
        assert_eq!(count("status=comp").await.1["meta"]["total"], 1);
        assert_eq!(count("tier=supporter").await.1["members"][0]["id"], id);
        assert_eq!(count("status=free").await.1["meta"]["total"], 0);
        assert_eq!(count("q=reader").await.1["members"][0]["tiers"][0], "supporter", "the list shows the tiers held");
        assert_eq!(count("joined_after=2000-01-01").await.1["meta"]["total"], 1);
        let (status, body) = count("status=rich").await;
        assert_eq!((status, body["error"].as_str()), (422, Some("status_invalid")));
        let (status, body) = count("joined_after=yesterday").await;
        assert_eq!((status, body["error"].as_str()), (422, Some("date_invalid")));
        let revoke = api(&format!("/members/{id}/comps/{}", grant["id"]));
        assert_eq!(send(http.delete(&revoke).bearer_auth(&admin)).await.0, 204);
        assert_eq!(send(http.delete(&revoke).bearer_auth(&admin)).await.0, 404, "revoked once");
        let (_, body) = send(http.get(api(&format!("/members/{id}"))).bearer_auth(&admin)).await;
        assert_eq!(
            (body["member"]["status"].as_str(), body["member"]["tiers"].as_array().map(Vec::len)),
            (Some("free"), Some(0))
        );
        assert_eq!(send(http.delete(api(&format!("/members/{id}"))).bearer_auth(&admin)).await.0, 204);
        let (status, _) = send(http.get(api(&format!("/members/{id}"))).bearer_auth(&admin)).await;
        assert_eq!(status, 404);
        assert!(app.store.member_by_email("reader@example.org").await.unwrap().is_none(), "gone from the store");

        // A token limited to other areas does not write members.
        let limited = newsdesk_services::staff::create_limited_token(
            &app.state.ctx,
            "posts only",
            newsdesk_domain::Role::Admin,
            &["posts"],
            None,
        )
        .await
        .unwrap();
        let (status, body) =
            send(http.post(api("/members")).bearer_auth(&limited).json(&serde_json::json!({"email": "x@example.org"})))
                .await;
        assert_eq!((status, body["error"].as_str()), (403, Some("scope_missing")));
    }
}
