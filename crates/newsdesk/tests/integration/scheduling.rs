//! Scheduled publishing goes through the job queue and survives a restart.

use reqwest::multipart::Form;

use crate::helpers::{backends, csrf_token, spawn_app};

#[tokio::test]
async fn a_scheduled_post_goes_live_after_a_restart() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", Some(ana)).await;
        let ed = app.sign_in("ed@example.org").await;
        let (_, html) = app.get_text(&ed, "/admin/posts/new").await;
        // Three seconds from now, as the editor's datetime-local field sends it (site time zone, minutes).
        let tz = jiff::tz::TimeZone::get("Europe/London").unwrap();
        let at = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3);
        let local = at.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S").to_string();
        let form = Form::new()
            .text("csrf_token", csrf_token(&html))
            .text("title", "Budget vote at noon")
            .text("body", "The council votes today.")
            .text("author", ana.to_string())
            .text("publish_at", local)
            .text("action", "publish");
        let r = ed.post(app.url("/admin/posts/new")).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 303);
        assert!(r.headers()["location"].to_str().unwrap().ends_with("done=scheduled"));
        assert_eq!(app.get(&app.browser(), "/budget-vote-at-noon/").await.status(), 404, "not before its time");
        let (_, jobs) = app.get_text(&ed, "/admin/jobs").await;
        assert!(jobs.contains("publish_scheduled") && jobs.contains("queued"), "the job is visible in the admin");

        // The server stops before the time comes; a new process picks the job up.
        let app = app.restart().await;
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
        assert_eq!(app.run_jobs().await, 2, "the publication, then the narration it queues");
        let post = app.store.post_by_slug("budget-vote-at-noon").await.unwrap().unwrap();
        assert_eq!(post.row.status, "published");
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        let (status, html) = app.get_text(&app.browser(), "/budget-vote-at-noon/").await;
        assert_eq!(status, 200);
        assert!(html.contains("Budget vote at noon"));
        assert_eq!(app.run_jobs().await, 0, "nothing left to run");
    }
}
