//! Several nodes on one PostgreSQL: a change made through one node reaches the others' readers pushed by
//! `LISTEN`/`NOTIFY`, well inside the one-second promise (their polls, the safety net, run every ten seconds on
//! PostgreSQL, so only the push can pass), a News Feed item posted on one node reaches live streams open on
//! another, and a rate limit counts requests whichever node they reach.

use std::time::{Duration, Instant};

use newsdesk_services::posts::PostDraft;
use newsdesk_store::Backend;

use crate::helpers::{backends, spawn_app, spawn_node};
use crate::public::publish;

#[tokio::test]
async fn a_change_on_one_node_reaches_the_others_at_once() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("SKIPPED: several nodes need PostgreSQL (NEWSDESK_TEST_DATABASE_URL)");
        return;
    }
    let a = spawn_app(Backend::Postgres).await;
    a.author("Ana Okafor", "person").await;
    let b = spawn_node(&a).await;
    let http = reqwest::Client::new();
    let home = |node: String| {
        let http = http.clone();
        async move { http.get(format!("{node}/")).send().await.unwrap().text().await.unwrap() }
    };
    // B's cache holds the home page.
    for _ in 0..2 {
        assert!(!home(b.address.clone()).await.contains("Ferry fares frozen"));
    }

    // Published through A: on B's home page within a second, measured.
    let started = Instant::now();
    publish(
        &a,
        PostDraft {
            title: "Ferry fares frozen".into(),
            body: "Body.".into(),
            authors: vec!["Ana Okafor".into()],
            ..Default::default()
        },
    )
    .await;
    let mut seen = None;
    while started.elapsed() < Duration::from_secs(5) {
        if home(b.address.clone()).await.contains("Ferry fares frozen") {
            seen = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seen = seen.expect("the story reached node B");
    eprintln!("publish on A to visible on B: {} ms", seen.as_millis());
    assert!(seen < Duration::from_secs(1), "pushed, not polled: {seen:?}");
    assert_eq!(b.state.version(), a.state.version(), "both nodes serve the same content version");

    // Three readers on B's live stream; an item posted through A's API reaches all of them.
    let mut streams = Vec::new();
    for _ in 0..3 {
        let r = http.get(b.url("/news-feed/events")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        streams.push(r);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let token = crate::api::token(&a, "editor").await;
    let posted = Instant::now();
    let r = http
        .post(a.url("/api/v1/feed-items"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"headline": "Harbour bridge reopens to traffic", "summary": "Both lanes are open again after the inspection."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for mut s in streams {
        let mut got = String::new();
        let read = tokio::time::timeout(Duration::from_secs(2), async {
            while let Some(chunk) = s.chunk().await.unwrap() {
                got.push_str(&String::from_utf8_lossy(&chunk));
                if got.contains("Harbour bridge reopens") {
                    return;
                }
            }
        })
        .await;
        assert!(read.is_ok(), "the item reached a stream on node B: {got}");
        assert!(got.contains("event: feed-item"));
    }
    eprintln!("feed item on A to streams on B: {} ms", posted.elapsed().as_millis());
    // And B's cached home page has it in its sidebar, spliced in, not rendered again.
    let misses = b.state.cache.stats().misses;
    let page = home(b.address.clone()).await;
    assert!(page[page.find("<!--nd:feed-->").unwrap()..].contains("Harbour bridge reopens"), "{page}");
    assert_eq!(b.state.cache.stats().misses, misses, "spliced, not rendered");
    // An Editors' Pick made through A: in B's cached home page within a second, spliced too.
    let picked = Instant::now();
    let r = http
        .post(a.url("/api/v1/curation/picks"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "post": "ferry-fares-frozen" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    loop {
        let page = home(b.address.clone()).await;
        if page[page.find("<!--nd:picks-->").unwrap()..page.find("<!--/nd:picks-->").unwrap()].contains("Ferry fares") {
            break;
        }
        assert!(picked.elapsed() < Duration::from_secs(1), "the pick reached node B within a second");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    eprintln!("pick on A to B's home page: {} ms", picked.elapsed().as_millis());
    assert_eq!(b.state.cache.stats().misses, misses, "spliced, not rendered");

    // A rate limit holds across nodes: searches from one address alternate between A and B, and the limit (120 a
    // minute) is reached at the 121st in all, not at each node's 121st. (A window may turn over mid-run, which
    // only moves the count: the check is that no node lets 240 through.)
    let mut first_refused = None;
    for i in 0..240 {
        let node = if i % 2 == 0 { &a.address } else { &b.address };
        let r = http.get(format!("{node}/search/?q=ferry")).send().await.unwrap();
        if r.status() == 429 {
            first_refused = Some(i);
            break;
        }
    }
    let refused = first_refused.expect("the limit held across the nodes");
    assert!(refused < 2 * newsdesk_web::routes::public::search::PER_MINUTE as usize, "refused at {refused}");
    eprintln!("search limit across two nodes: refused at request {}", refused + 1);
    b.stop().await;
}

#[tokio::test]
async fn the_hourly_upkeep_runs_once_however_many_workers_ask() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let worker = || {
            newsdesk_worker::Worker::new(
                app.store.clone(),
                app.config.job_context(app.url("").trim_end_matches('/')).unwrap(),
            )
        };
        let (one, two, three) = (worker(), worker(), worker());
        let (a, b, c) = tokio::join!(one.upkeep_if_due(), two.upkeep_if_due(), three.upkeep_if_due());
        let ran = [a.unwrap(), b.unwrap(), c.unwrap()];
        assert_eq!(ran.iter().filter(|r| **r).count(), 1, "{backend:?}: one of three workers runs it: {ran:?}");
        assert!(!worker().upkeep_if_due().await.unwrap(), "not again within the hour");
        // An hour later, it is due again (for one of them).
        let past = newsdesk_store::now() - newsdesk_worker::UPKEEP_EVERY_SECONDS - 1;
        sqlx::query("UPDATE periodic_runs SET last_run = $1").bind(past).execute(&app.store.pool).await.unwrap();
        assert!(worker().upkeep_if_due().await.unwrap());
    }
}

#[tokio::test]
async fn an_old_node_restarts_beside_a_schema_a_newer_release_migrated() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        // A newer release ran a migration this binary does not know (the expand step of a rolling upgrade).
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (99990101000000, 'from a newer release', TRUE, $1, 0)",
        )
        .bind(vec![0u8; 48])
        .execute(&app.store.pool)
        .await
        .unwrap();
        // This (older) node restarts and serves.
        let app = app.restart().await;
        let (status, _) = app.get_text(&app.browser(), "/").await;
        assert_eq!(status, 200, "{backend:?}");
    }
}
