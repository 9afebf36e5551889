//! A whole fleet as an operator runs one, every part real: three `newsdesk serve --no-worker` processes and two
//! `newsdesk worker`s, each with a data directory of its own, on one PostgreSQL, with media in an S3-compatible
//! store (`s3s-fs`) and nginx (Debian's) balancing the nodes round-robin on loopback; mail goes to the aiosmtpd
//! sink. Checked, through the balancer where a reader would be: a story published through node A is on B and C
//! within a second (measured); an image uploaded on A is served by B; a News Feed item posted on A reaches a live
//! stream on C; the signup rate limit holds while nginx spreads the requests; a newsletter send is split across both
//! workers and reaches everyone, also when one worker is killed mid-send; the database going away (every
//! connection cut and new ones refused, as in a restart) leaves cached pages served and readiness saying so, and
//! everything recovers without restarting anything; each node's `/metrics` parses with Prometheus's own parser.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use newsdesk_store::Backend;
use newsdesk_store::testing::TempDir;
use serde_json::{Value, json};

use crate::helpers::{Options, SmtpSink, TestApp, backends, confirmed_subscribers, python, spawn_app_full};
use crate::storage::S3Server;

const METRICS: &str = "fleet-metrics-token-0001";

/// A child process, killed when dropped.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx's master, stopped with SIGTERM so it takes its workers along (SIGKILL would leave them running).
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `newsdesk <args>` on its own data directory, configured like `app` but for `[storage]` in `s3`.
fn newsdesk(app: &TestApp, s3: &S3Server, dir: &Path, args: &[&str], env: &[(&str, String)]) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    cmd.args(args).arg("--data").arg(dir);
    let c = &app.config;
    for (k, v) in [
        ("NEWSDESK_DATABASE_URL", app.db.url.clone()),
        ("NEWSDESK_SITE__TITLE", c.site.title.clone()),
        ("NEWSDESK_SITE__TIMEZONE", c.site.timezone.clone()),
        ("NEWSDESK_STORAGE__BACKEND", "s3".into()),
        ("NEWSDESK_STORAGE__ENDPOINT", s3.url()),
        ("NEWSDESK_STORAGE__BUCKET", "media".into()),
        ("NEWSDESK_STORAGE__ACCESS_KEY_ID", c.storage.access_key_id.clone()),
        ("NEWSDESK_STORAGE__SECRET_ACCESS_KEY", c.storage.secret_access_key.clone()),
        ("NEWSDESK_NARRATION__ENGINE", "off".into()),
        ("NEWSDESK_LOG__LEVEL", "warn".into()),
    ] {
        cmd.env(k, v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc(cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start newsdesk"))
}

pub(crate) async fn wait_until(what: &str, limit: Duration, mut ok: impl AsyncFnMut() -> bool) -> Duration {
    let started = Instant::now();
    loop {
        if ok().await {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until every node at `bases` says it is ready (`/readyz` 200), each within `limit`.
pub(crate) async fn wait_ready(
    http: &reqwest::Client,
    bases: impl IntoIterator<Item = String>,
    what: &str,
    limit: Duration,
) {
    for base in bases {
        let url = format!("{base}/readyz");
        wait_until(what, limit, async || status(http, &url).await == 200).await;
    }
}

pub(crate) async fn status(http: &reqwest::Client, url: &str) -> u16 {
    http.get(url).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

pub(crate) async fn text(http: &reqwest::Client, url: &str) -> String {
    match http.get(url).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Publishes a story titled `title` by `author` through `node`'s API.
pub(crate) async fn publish_through(http: &reqwest::Client, node: &str, token: &str, title: &str, author: &str) {
    let body = json!({ "title": title, "body": "Filed in a test.", "authors": [author], "status": "published" });
    let r = http.post(format!("{node}/api/v1/posts")).bearer_auth(token).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

/// Opens a live stream on `reader`, posts a News Feed item headed `headline` through `poster`, and returns how long
/// the item took to reach the stream (at most three seconds).
pub(crate) async fn feed_item_reaches_stream(
    http: &reqwest::Client,
    token: &str,
    poster: &str,
    reader: &str,
    headline: &str,
) -> Duration {
    let mut stream = http.get(format!("{reader}/news-feed/events")).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let posted = Instant::now();
    let r = http
        .post(format!("{poster}/api/v1/feed-items"))
        .bearer_auth(token)
        .json(&json!({ "headline": headline, "summary": "Posted in a test." }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mut got = String::new();
    let read = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            got.push_str(&String::from_utf8_lossy(&chunk));
            if got.contains(headline) {
                return;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the item reached the stream: {got}");
    posted.elapsed()
}

/// Runs SQL on the test server's own database (not the app's): the operator's console.
async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let url = std::env::var("NEWSDESK_TEST_DATABASE_URL").unwrap();
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_and_two_workers_behind_nginx_serve_one_site() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("SKIPPED: a fleet needs PostgreSQL (NEWSDESK_TEST_DATABASE_URL)");
        return;
    }
    let have_nginx = Command::new("nginx").arg("-v").output().is_ok_and(|o| o.status.success());
    if !have_nginx {
        assert_ne!(
            std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(),
            Ok("1"),
            "nginx is required (apt-get install nginx-light)"
        );
        eprintln!("SKIPPED: the fleet test needs nginx");
        return;
    }
    let Some(s3) = S3Server::start_or_skip() else { return };
    let tmp = TempDir::new("nd-fleet");
    let Some(sink) = SmtpSink::start(tmp.path(), false) else { return };
    let app = spawn_app_full(Backend::Postgres, Options { demo: true }, |c| s3.configure(c)).await;
    app.author("Ana Okafor", "person").await;
    let db_name = app.db.url.rsplit('/').next().unwrap().split('?').next().unwrap().to_owned();

    // The balancer, then three nodes behind it and two workers, each on its own directory.
    let lb_port = free_port();
    let lb = format!("http://127.0.0.1:{lb_port}");
    let ports = [free_port(), free_port(), free_port()];
    let node_env =
        |_: u16| vec![("NEWSDESK_SITE__URL", lb.clone()), ("NEWSDESK_SERVER__METRICS_TOKEN", METRICS.to_owned())];
    let mut nodes: Vec<Proc> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let listen = format!("127.0.0.1:{p}");
            let args = ["serve", "--no-worker", "--no-demo", "--listen", &listen];
            newsdesk(&app, &s3, &tmp.path().join(format!("node{i}")), &args, &node_env(*p))
        })
        .collect();
    let worker_env = || {
        vec![
            ("NEWSDESK_SITE__URL", lb.clone()),
            ("NEWSDESK_MAIL__TRANSPORT", "smtp".to_owned()),
            ("NEWSDESK_MAIL__SMTP_URL", sink.url()),
            ("NEWSDESK_NEWSLETTERS__LEASE_SECONDS", "5".to_owned()),
        ]
    };
    let mut workers: Vec<Proc> = (0..2)
        .map(|i| newsdesk(&app, &s3, &tmp.path().join(format!("worker{i}")), &["worker"], &worker_env()))
        .collect();
    let conf = tmp.path().join("nginx.conf");
    let upstream: String = ports.iter().map(|p| format!("server 127.0.0.1:{p};")).collect();
    std::fs::write(
        &conf,
        format!(
            "daemon off; worker_processes 1; user root; pid {dir}/nginx.pid; error_log {dir}/nginx-error.log;
             events {{ worker_connections 1024; }}
             http {{ access_log off; upstream nd {{ {upstream} keepalive 16; }}
               server {{ listen 127.0.0.1:{lb_port};
                 location / {{ proxy_pass http://nd; proxy_http_version 1.1; proxy_set_header Connection \"\";
                   proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                   proxy_buffering off; proxy_read_timeout 60s; }} }} }}",
            dir = tmp.path().display()
        ),
    )
    .unwrap();
    let _nginx = Nginx(
        Command::new("nginx")
            .arg("-p")
            .arg(tmp.path())
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let node = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
    wait_ready(&http, (0..3).map(node), "a node starts", Duration::from_secs(30)).await;
    wait_until("nginx starts", Duration::from_secs(10), async || status(&http, &format!("{lb}/healthz")).await == 200)
        .await;
    for _ in 0..6 {
        assert_eq!(status(&http, &format!("{lb}/")).await, 200);
    }

    // Published through A: on B and C, and through the balancer, within a second.
    let token = crate::api::token(&app, "editor").await;
    let title = "Harbour tunnel opens a year early";
    for i in 1..3 {
        assert!(!text(&http, &format!("{}/", node(i))).await.contains(title));
    }
    let started = Instant::now();
    publish_through(&http, &node(0), &token, title, "Ana Okafor").await;
    let mut seen = Vec::new();
    for i in 1..3 {
        let home = format!("{}/", node(i));
        wait_until("the story reaches another node", Duration::from_secs(5), async || {
            text(&http, &home).await.contains(title)
        })
        .await;
        seen.push(started.elapsed());
    }
    for _ in 0..3 {
        assert!(text(&http, &format!("{lb}/")).await.contains(title), "every node behind the balancer has it");
    }
    eprintln!("publish on A to visible on B: {} ms, on C: {} ms", seen[0].as_millis(), seen[1].as_millis());
    assert!(seen.iter().all(|t| *t < Duration::from_secs(1)), "{seen:?}");

    // An image uploaded on A is served by B (the bucket, not a disk they share).
    let form = reqwest::multipart::Form::new()
        .part("file", reqwest::multipart::Part::bytes(crate::helpers::png(900, 600)).file_name("quay.png"));
    let r = http.post(format!("{}/api/v1/media", node(0))).bearer_auth(&token).multipart(form).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["media"]["id"].as_i64().unwrap();
    let key = app.store.media(id).await.unwrap().unwrap().file_key;
    let r = http.get(format!("{}/media/{key}/480.jpg", node(1))).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/jpeg"));

    // A News Feed item posted on A reaches a live stream open on C.
    let took = feed_item_reaches_stream(&http, &token, &node(0), &node(2), "Tunnel tolls announced").await;
    eprintln!("feed item on A to a stream on C: {} ms", took.as_millis());

    // Signups through the balancer, which spreads them over the nodes: the limit (20 an hour from one address)
    // is reached at the 21st in all, not at each node's.
    let mut answered = Vec::new();
    for i in 0..26 {
        let r = http
            .post(format!("{lb}/newsletters/subscribe"))
            .header("accept", "application/json")
            .form(&[("email", format!("fleet{i}@example.org")), ("newsletter", "morning-ledger".into())])
            .send()
            .await
            .unwrap();
        answered.push(r.status().as_u16());
    }
    assert_eq!(answered.iter().filter(|s| **s == 200).count(), 20, "{answered:?}");
    assert!(answered[20..].iter().all(|s| *s == 429), "{answered:?}");

    // A newsletter send split across both workers; one is killed mid-send and the other finishes its part.
    let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
    let emails: Vec<String> = (0..3000).map(|i| format!("reader{i}@example.org")).collect();
    confirmed_subscribers(&app, n.id, &emails).await;
    let before = sink.messages().len();
    let issue = crate::sending::make_issue(&app, n.id, "fleet").await;
    wait_until("the workers start sending", Duration::from_secs(60), async || sink.messages().len() > before + 600)
        .await;
    let mut killed = workers.remove(0);
    killed.0.kill().unwrap(); // SIGKILL: no chance to record anything
    killed.0.wait().unwrap();
    let accepted = sink.messages().len() - before;
    let recorded = app.store.issue_progress(issue).await.unwrap().sent;
    wait_until("the other worker finishes the send", Duration::from_secs(90), async || {
        app.store.issue(issue).await.unwrap().unwrap().status == "sent"
    })
    .await;
    let copies = sink.copies();
    let missing = emails.iter().filter(|e| !copies.contains_key(*e)).count();
    assert_eq!(missing, 0, "every recipient got the issue");
    let duplicates: usize = emails.iter().map(|e| copies[e] - 1).sum();
    eprintln!("send: killed a worker after {accepted} accepted / {recorded} recorded; duplicates {duplicates}");
    // Only what the killed worker had in flight goes out twice: at most its concurrency, its queue and one batch
    // being recorded (as `sending.rs` bounds it for one worker; the other worker's own sends are never repeated).
    assert!(duplicates <= 8 + 2 * 64, "only messages in flight at the kill go out twice: {duplicates}");
    let by_worker: Vec<(Option<String>, i64)> = sqlx::query_as(
        "SELECT claimed_by, COUNT(*) FROM deliveries WHERE issue_id = $1 AND status = 'sent' GROUP BY claimed_by",
    )
    .bind(issue)
    .fetch_all(&app.store.pool)
    .await
    .unwrap();
    assert!(by_worker.len() >= 2, "both workers sent part of it: {by_worker:?}");

    // The database goes away: every connection cut, new ones refused (what a restart looks like to its clients).
    let cached = format!("{lb}/");
    assert_eq!(status(&http, &cached).await, 200);
    admin_sql(&format!(
        "ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db_name}' AND pid <> pg_backend_pid();"
    ))
    .await;
    for _ in 0..6 {
        assert_eq!(status(&http, &cached).await, 200, "cached pages keep being served");
    }
    let asked = Instant::now();
    let ready = status(&http, &format!("{}/readyz", node(1))).await;
    assert_eq!(ready, 503, "not ready without the database");
    assert!(asked.elapsed() < Duration::from_secs(4), "said quickly: {:?}", asked.elapsed());
    let asked = Instant::now();
    let r = http.get(format!("{}/search/?q=tunnel", node(2))).send().await.unwrap();
    let uncached = r.status().as_u16();
    assert_eq!(uncached, 503, "a page that needs the database says to come back");
    assert_eq!(r.headers()["retry-after"], "5");
    assert!(asked.elapsed() < Duration::from_secs(4), "quickly: {:?}", asked.elapsed());
    eprintln!("without the database: an uncached page answered {uncached} in {} ms", asked.elapsed().as_millis());
    admin_sql(&format!("ALTER DATABASE \"{db_name}\" ALLOW_CONNECTIONS true;")).await;
    wait_ready(&http, (0..3).map(node), "a node recovers by itself", Duration::from_secs(30)).await;
    // And changes flow again (the listeners reconnected).
    let title = "Tunnel reopens after the outage";
    publish_through(&http, &node(0), &token, title, "Ana Okafor").await;
    let home = format!("{}/", node(2));
    wait_until("a story after the outage reaches C", Duration::from_secs(15), async || {
        text(&http, &home).await.contains(title)
    })
    .await;

    // Each node's metrics parse with Prometheus's own parser.
    for i in 0..3 {
        let r = http.get(format!("{}/metrics", node(i))).bearer_auth(METRICS).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let path = tmp.path().join(format!("metrics{i}.txt"));
        std::fs::write(&path, r.text().await.unwrap()).unwrap();
        let Some(families) = python("metrics_check.py", "prometheus_client", &[path.to_str().unwrap()]) else { return };
        assert!(families["newsdesk_http_requests"]["samples"].as_array().is_some_and(|s| !s.is_empty()), "{families}");
    }
    nodes.clear();
    workers.clear();
}
