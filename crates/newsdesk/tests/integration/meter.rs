//! The meter (`[payments] meter`): a reader who is not signed in gets a metered story's cached preview and the
//! register prompt; `POST /members/meter/{id}` counts the story in their cookie and gives the rest until this
//! month's free stories are read, then refuses with `meter_exhausted`. Members read everything, members-only stories
//! still need an account, and posts saved before the preview's end was kept are measured at start-up.

use newsdesk_services::posts::PostDraft;
use serde_json::Value;

use crate::helpers::{TestApp, backends, spawn_app_config};
use crate::members::sign_in_member;
use crate::public::publish;

/// What only the part after a story's preview says.
const REST: &str = "The ferry timetable was rewritten overnight";

fn story(n: usize, visibility: &str) -> PostDraft {
    PostDraft {
        title: format!("Harbour story {n}"),
        excerpt: Some(format!("Dek of story {n}.")),
        body: format!("Opening paragraph of story {n}.\n\n{REST} (story {n}).\n\nA third paragraph of story {n}.\n"),
        authors: vec!["Ana Okafor".into()],
        visibility: Some(visibility.into()),
        ..Default::default()
    }
}

async fn id_of(app: &TestApp, slug: &str) -> i64 {
    app.store.post_by_slug(slug).await.unwrap().unwrap().row.id
}

/// Reads story `id` through the meter with `client`: the status and the JSON answer.
async fn meter(app: &TestApp, client: &reqwest::Client, id: i64) -> (u16, Value, Option<String>) {
    let r = client.post(app.url(&format!("/members/meter/{id}"))).send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(r.headers()["cache-control"], "private, no-store", "a meter answer is nobody else's, errors too");
    let cookie = r.headers().get("set-cookie").map(|v| v.to_str().unwrap().to_owned());
    (status, r.json().await.unwrap(), cookie)
}

#[tokio::test]
async fn the_meter_gives_a_few_stories_a_month_then_asks_readers_to_register() {
    for backend in backends() {
        let app = spawn_app_config(backend, |c| c.payments.meter = 2).await;
        app.author("Ana Okafor", "person").await;
        let mut slugs = Vec::new();
        for n in 1..=3 {
            slugs.push(publish(&app, story(n, "public")).await);
        }
        let ids = [id_of(&app, &slugs[0]).await, id_of(&app, &slugs[1]).await, id_of(&app, &slugs[2]).await];
        let members_only = publish(&app, story(4, "members")).await;

        // The anonymous page, cached: the preview, the empty slot the meter fills, the prompt and the script.
        let anonymous = app.browser();
        for _ in 0..2 {
            let (status, page) = app.get_text(&anonymous, &format!("/{}/", slugs[0])).await;
            assert_eq!(status, 200);
            assert!(page.contains("Opening paragraph of story 1."), "the preview is there");
            assert!(!page.contains(REST), "the rest is not in the cached page");
            assert!(!page.contains("A third paragraph of story 1"));
            assert!(page.contains(&format!("data-meter=\"/members/meter/{}\"", ids[0])), "{page}");
            assert!(page.contains("Keep reading for free") && page.contains("2 stories a month"), "{page}");
            assert!(page.contains("/assets/meter.js"));
            assert!(page.contains("\"isAccessibleForFree\":false") && page.contains(".metered-content"));
        }
        let script = anonymous.get(app.url("/assets/meter.js")).send().await.unwrap();
        assert_eq!(script.status(), 200);
        assert!(script.text().await.unwrap().contains(".metered-content[data-meter]"));

        // Two free stories: each counted once, however often it is read, and still open all month.
        let (status, j, cookie) = meter(&app, &anonymous, ids[0]).await;
        assert_eq!(status, 200, "{j}");
        assert!(j["html"].as_str().unwrap().contains(REST) && j["html"].as_str().unwrap().contains("third paragraph"));
        assert!(!j["html"].as_str().unwrap().contains("Opening paragraph"), "only the rest: the page has the preview");
        assert_eq!(j["left"], 1);
        assert!(j["message"].as_str().unwrap().contains("1 free story left"), "{j}");
        let cookie = cookie.expect("the meter cookie");
        assert!(cookie.starts_with("nd_meter=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
        let (_, again, cookie) = meter(&app, &anonymous, ids[0]).await;
        assert_eq!((again["left"].as_i64(), cookie), (Some(1), None), "the same story is not counted twice");
        let (_, second, _) = meter(&app, &anonymous, ids[1]).await;
        assert_eq!(second["left"], 0);
        assert!(second["message"].as_str().unwrap().contains("last free story"), "{second}");
        let (status, refused, _) = meter(&app, &anonymous, ids[2]).await;
        assert_eq!(status, 403);
        assert_eq!(refused["error"], "meter_exhausted");
        assert!(refused["message"].as_str().unwrap().contains("your 2 free stories"), "{refused}");
        assert!(!refused.to_string().contains(REST), "nothing of the story past the meter");
        let (status, _, _) = meter(&app, &anonymous, ids[0]).await;
        assert_eq!(status, 200, "a story already counted stays open");

        // Another reader has a meter of their own.
        let (status, _, _) = meter(&app, &app.browser(), ids[2]).await;
        assert_eq!(status, 200);

        // What is not metered: a members-only story (an account, always), a missing one.
        let (status, page) = app.get_text(&anonymous, &format!("/{members_only}/")).await;
        assert_eq!(status, 200);
        assert!(!page.contains(REST) && !page.contains("data-meter") && page.contains("This story is for members"));
        let (status, j, _) = meter(&app, &anonymous, id_of(&app, &members_only).await).await;
        assert_eq!((status, j["error"].as_str()), (404, Some("not_found")));
        let (status, _, _) = meter(&app, &anonymous, 999_999).await;
        assert_eq!(status, 404);

        // A member — a free account is enough — reads the whole story on the page, never counted, never cached.
        let member = app.browser();
        sign_in_member(&app, &member, "reader@example.org").await;
        let r = member.get(app.url(&format!("/{}/", slugs[2]))).send().await.unwrap();
        assert_eq!(r.headers()["cache-control"], "private, no-store");
        let page = r.text().await.unwrap();
        assert!(page.contains(REST) && !page.contains("data-meter") && !page.contains("Keep reading for free"));
        let (status, j, cookie) = meter(&app, &member, ids[2]).await;
        assert_eq!((status, j["left"].is_null(), cookie), (200, true, None));
        // The anonymous copy is still the metered one.
        let (_, page) = app.get_text(&app.browser(), &format!("/{}/", slugs[2])).await;
        assert!(!page.contains(REST));

        // The meter is about the web page: feeds carry public stories as before.
        let (_, rss) = app.get_text(&app.browser(), "/rss/").await;
        assert!(rss.contains(REST), "feeds are not metered");

        // Stories saved before the preview's end was kept are measured at start-up, to the same place.
        let measured = app.store.post(ids[0]).await.unwrap().unwrap().row.preview_end;
        assert!(measured.is_some_and(|e| e > 0));
        sqlx::query("UPDATE posts SET preview_end = NULL").execute(&app.store.pool).await.unwrap();
        newsdesk_services::documents::convert_existing(&app.store).await.unwrap();
        assert_eq!(app.store.post(ids[0]).await.unwrap().unwrap().row.preview_end, measured);
        let gated = app.store.post_by_slug(&members_only).await.unwrap().unwrap().row;
        assert_eq!(gated.preview_end, Some(gated.body_html.len() as i64), "a gated story's page HTML is all preview");
    }
}
