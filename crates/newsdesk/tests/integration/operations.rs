//! What an operator's tools read: `/healthz` (the process answers, whatever the database does), `/readyz` (the
//! database and the media storage are there), and `/metrics` in Prometheus's text format, parsed by the Prometheus
//! client's own parser (PyPI `prometheus_client`), behind its bearer token.

use serde_json::Value;

use crate::helpers::{TestApp, backends, python, spawn_app, spawn_app_config};

const TOKEN: &str = "metrics-token-for-the-test-0001";

/// `/metrics` parsed: family name → {type, samples}.
async fn scrape(app: &TestApp) -> Option<Value> {
    let r = reqwest::Client::new().get(app.url("/metrics")).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let path = app.dir.path().join("metrics.txt");
    std::fs::write(&path, r.text().await.unwrap()).unwrap();
    python("metrics_check.py", "prometheus_client", &[path.to_str().unwrap()])
}

/// The value of the sample `name` whose labels include `labels` (0 when there is none).
fn sample(families: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    families[family]["samples"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .find(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
        .and_then(|s| s["value"].as_f64())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn health_readiness_and_metrics_tell_an_operator_how_a_node_is() {
    for backend in backends() {
        let app = spawn_app_config(backend, |c| c.server.metrics_token = TOKEN.into()).await;
        let b = app.browser();
        let (status, body) = app.get_text(&b, "/healthz").await;
        assert_eq!((status, serde_json::from_str::<Value>(&body).unwrap()["status"].as_str()), (200, Some("ok")));
        let r = app.get(&b, "/readyz").await;
        assert_eq!(r.status(), 200);
        let j: Value = r.json().await.unwrap();
        assert_eq!((j["database"].as_str(), j["storage"].as_str()), (Some("ok"), Some("ok")));

        // Some traffic: the home page rendered once and then served from the cache, a page that is not there.
        for _ in 0..3 {
            assert_eq!(app.get(&b, "/").await.status(), 200);
        }
        assert_eq!(app.get(&b, "/no-such-story/").await.status(), 404);
        // An open live stream.
        let stream = reqwest::Client::new().get(app.url("/news-feed/events")).send().await.unwrap();
        assert_eq!(stream.status(), 200);

        // The token is wanted, and compared whole.
        let http = reqwest::Client::new();
        assert_eq!(http.get(app.url("/metrics")).send().await.unwrap().status(), 401);
        assert_eq!(http.get(app.url("/metrics")).bearer_auth("metrics-token").send().await.unwrap().status(), 401);
        let Some(m) = scrape(&app).await else { continue };
        let home = [("route", "/"), ("method", "GET"), ("status", "200")];
        assert!(sample(&m, "newsdesk_http_requests", "newsdesk_http_requests_total", &home) >= 3.0, "{m}");
        assert_eq!(m["newsdesk_http_request_duration_seconds"]["type"], "histogram");
        let count =
            sample(&m, "newsdesk_http_request_duration_seconds", "newsdesk_http_request_duration_seconds_count", &home);
        let inf = sample(
            &m,
            "newsdesk_http_request_duration_seconds",
            "newsdesk_http_request_duration_seconds_bucket",
            &[("route", "/"), ("status", "200"), ("le", "+Inf")],
        );
        assert!(count >= 3.0 && inf == count, "the +Inf bucket holds every request: {count} {inf}");
        let missing = [("route", "/{slug}/"), ("status", "404")];
        assert_eq!(
            sample(&m, "newsdesk_http_requests", "newsdesk_http_requests_total", &missing),
            1.0,
            "by route pattern"
        );
        let lookups = |result: &str| {
            sample(&m, "newsdesk_page_cache_lookups", "newsdesk_page_cache_lookups_total", &[("result", result)])
        };
        assert!(lookups("miss") >= 1.0 && lookups("hit") >= 2.0, "the home page missed once, then hit");
        assert!(sample(&m, "newsdesk_page_cache_bytes", "newsdesk_page_cache_bytes", &[]) > 1000.0);
        assert_eq!(sample(&m, "newsdesk_sse_connections", "newsdesk_sse_connections", &[]), 1.0, "one open stream");
        let max = sample(&m, "newsdesk_db_pool_max", "newsdesk_db_pool_max", &[]);
        assert!(max >= 8.0 && sample(&m, "newsdesk_db_pool_connections", "newsdesk_db_pool_connections", &[]) >= 1.0);
        assert_eq!(m["newsdesk_jobs_due"]["type"], "gauge");
        assert_eq!(sample(&m, "newsdesk_newsletter_issues_sending", "newsdesk_newsletter_issues_sending", &[]), 0.0);

        // The stream closed: the gauge follows.
        drop(stream);
        let mut open = 1.0;
        for _ in 0..50 {
            let Some(m) = scrape(&app).await else { break };
            open = sample(&m, "newsdesk_sse_connections", "newsdesk_sse_connections", &[]);
            if open == 0.0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(open, 0.0);

        // The database gone: not ready (503, saying what), yet alive — an orchestrator must not restart the node.
        app.state.store.close().await;
        let r = app.get(&b, "/readyz").await;
        assert_eq!(r.status(), 503);
        let j: Value = r.json().await.unwrap();
        assert_eq!((j["database"].as_str(), j["storage"].as_str()), (Some("unavailable"), Some("ok")));
        assert_eq!(app.get(&b, "/healthz").await.status(), 200);
    }
}

#[tokio::test]
async fn metrics_are_off_without_a_token() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let r = reqwest::Client::new().get(app.url("/metrics")).bearer_auth("").send().await.unwrap();
    assert_eq!(r.status(), 404);
}

/// Searches `/search/?q=…` as `client` (an `X-Forwarded-For` value) until refused; returns how many were answered.
async fn searches_until_refused(app: &TestApp, forwarded: &dyn Fn(usize) -> String) -> usize {
    let http = reqwest::Client::new();
    for i in 0..200 {
        let r = http.get(app.url("/search/?q=ferry")).header("x-forwarded-for", forwarded(i)).send().await.unwrap();
        if r.status() == 429 {
            return i;
        }
    }
    200
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_reader_has_their_own_limits() {
    for backend in backends() {
        let app = spawn_app_config(backend, |c| c.server.trusted_proxies = vec!["127.0.0.1".into()]).await;
        // The balancer appends the address it saw; whatever a reader put before it is not believed.
        let one = searches_until_refused(&app, &|i| format!("198.51.100.{}, 203.0.113.7", i % 200)).await;
        assert_eq!(one, newsdesk_web::routes::public::search::PER_MINUTE as usize, "{backend:?}");
        let other = reqwest::Client::new()
            .get(app.url("/search/?q=ferry"))
            .header("x-forwarded-for", "203.0.113.8")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), 200, "another reader behind the same balancer is not limited with the first");
    }
    // Without trusted proxies the header changes nothing: a flood cannot dodge the limit by inventing addresses.
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let n = searches_until_refused(&app, &|i| format!("203.0.113.{}", i % 250)).await;
    assert_eq!(n, newsdesk_web::routes::public::search::PER_MINUTE as usize);
}

/// A CDN in front: pages carry cache tags, and a change makes the worker POST a purge of the tags that changed to
/// `[cdn] purge_url` — once, with the token — here to a loopback endpoint that records what it is sent (a stand-in
/// for the CDN's purge API, which cannot run here). A purge the endpoint refuses is sent again later.
#[tokio::test]
async fn a_cdn_in_front_is_told_what_to_purge_when_content_the_news_feed_or_the_picks_change() {
    use std::sync::{Arc, Mutex};
    type Seen = Arc<Mutex<Vec<(String, Option<String>, serde_json::Value)>>>;
    for backend in crate::helpers::backends() {
        let seen: Seen = Arc::default();
        let refuse = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen2, refuse2) = (seen.clone(), refuse.clone());
        let endpoint = axum::Router::new().route(
            "/purge",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: axum::Json<serde_json::Value>| {
                let (seen, refuse) = (seen2.clone(), refuse2.clone());
                async move {
                    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_owned);
                    seen.lock().unwrap().push((h("surrogate-key").unwrap_or_default(), h("authorization"), body.0));
                    if refuse.load(std::sync::atomic::Ordering::SeqCst) {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let purge_url = format!("http://{}/purge", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });
        let app = crate::helpers::spawn_app_config(backend, |c| {
            c.cdn.purge_url = purge_url.clone();
            c.cdn.purge_token = "cdn-secret".into();
        })
        .await;
        app.author("Ana Okafor", "person").await;
        let slug = crate::public::publish(
            &app,
            newsdesk_services::posts::PostDraft {
                title: "Bridge tolls scrapped".into(),
                body: "Text.".into(),
                authors: vec!["Ana Okafor".into()],
                ..Default::default()
            },
        )
        .await;
        app.state.refresh_version().await;
        let r = reqwest::get(app.url(&format!("/{slug}/"))).await.unwrap();
        assert_eq!(r.headers()["surrogate-key"], "content feed picks", "an article shows the News Feed and picks");
        assert_eq!(r.headers()["cache-tag"], "content,feed,picks");
        let r = reqwest::get(app.url("/rss/")).await.unwrap();
        assert_eq!(r.headers()["surrogate-key"], "content");

        // The publish: one purge of `content` (which covers the feed's pages too).
        app.run_jobs().await;
        let purges = seen.lock().unwrap().clone();
        assert_eq!(purges.len(), 1, "{purges:?}");
        assert_eq!(purges[0].0, "content");
        assert_eq!(purges[0].1.as_deref(), Some("Bearer cdn-secret"));
        assert_eq!(purges[0].2, serde_json::json!({ "tags": ["content"] }));
        app.run_jobs().await;
        assert_eq!(seen.lock().unwrap().len(), 1, "nothing changed, nothing sent");

        // A News Feed item: `feed` only. Refused first (the CDN is down), sent again on the next run.
        refuse.store(true, std::sync::atomic::Ordering::SeqCst);
        let editor = crate::api::token(&app, "editor").await;
        let r = reqwest::Client::new()
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&editor)
            .json(&serde_json::json!({ "headline": "Toll booths removed", "summary": "Crews work overnight." }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        app.run_jobs().await;
        refuse.store(false, std::sync::atomic::Ordering::SeqCst);
        app.run_jobs().await;
        app.run_jobs().await;
        let tags: Vec<String> = seen.lock().unwrap().iter().map(|p| p.0.clone()).collect();
        assert_eq!(tags, ["content", "feed", "feed"], "refused once, then told once");

        // An Editors' Pick: `picks` only.
        let r = reqwest::Client::new()
            .post(app.url("/api/v1/curation/picks"))
            .bearer_auth(&editor)
            .json(&serde_json::json!({ "post": slug }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        app.run_jobs().await;
        let tags: Vec<String> = seen.lock().unwrap().iter().map(|p| p.0.clone()).collect();
        assert_eq!(tags, ["content", "feed", "feed", "picks"], "a pick purges the pages that show the picks");
    }
}

/// HTTP/2 without TLS (h2c with prior knowledge, as a proxy such as HAProxy, Envoy or Caddy speaks to its backends)
/// on the same port as HTTP/1.1, checked with curl as the client: the same page, the same cached gzip copy, a form
/// post, and the live stream. (curl runs blocking, on a thread of its own: the server has the runtime's others.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_cleartext_is_served_beside_http1() {
    let have = std::process::Command::new("curl").arg("--version").output();
    if !have.is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains("HTTP2")) {
        assert_ne!(std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(), Ok("1"), "curl with HTTP/2 is required");
        eprintln!("SKIPPED: curl with HTTP/2 is missing");
        return;
    }
    let app = spawn_app(backends()[0]).await;
    let curl = |args: &[&str]| {
        let out = std::process::Command::new("curl").args(["-s", "--max-time", "10"]).args(args).output().unwrap();
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code())
    };
    let home = app.url("/");
    let (http1, _) = curl(&[&home]);
    assert!(http1.contains("Skip to content"));
    let (h2, _) = curl(&["--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}", &home]);
    let (page, version) = h2.rsplit_once('\n').unwrap();
    assert_eq!(version, "2 200");
    assert_eq!(page, http1, "the same page over HTTP/2");
    let (headers, _) =
        curl(&["--http2-prior-knowledge", "-H", "accept-encoding: gzip", "-D", "-", "-o", "/dev/null", &home]);
    assert!(headers.starts_with("HTTP/2 200"), "{headers}");
    assert!(headers.contains("content-encoding: gzip"), "{headers}");
    let (unzipped, _) = curl(&["--http2-prior-knowledge", "--compressed", &home]);
    assert_eq!(unzipped, http1, "the gzip copy over HTTP/2 is the page");
    // A bad signup over HTTP/2 is answered like over HTTP/1.1: the form again, with the message beside the field.
    let (form, _) = curl(&[
        "--http2-prior-knowledge",
        "-H",
        "accept: application/json",
        "--data",
        "email=not-an-address&newsletter=morning-ledger",
        &app.url("/newsletters/subscribe"),
    ]);
    assert!(form.contains("\"error\""), "{form}");
    // The live stream opens over HTTP/2 (curl stops after its time limit, as a reader closing the page).
    let (stream, _) = curl(&["--http2-prior-knowledge", "--max-time", "2", "-D", "-", &app.url("/news-feed/events")]);
    assert!(stream.starts_with("HTTP/2 200") && stream.contains("content-type: text/event-stream"), "{stream:?}");
}
