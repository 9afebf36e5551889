//! A job outlives the worker that took it. Two `newsdesk worker` processes, each in a UTS namespace of its own
//! (`unshare --uts`) so that each is on a "machine" of its own by name — a worker cannot tell whether one elsewhere
//! died, so only the lease can hand its job on. The job is a webhook delivery to an endpoint in this test that holds
//! the first request open (a slow receiver): while the worker holding it lives, it renews its lease and the other
//! never takes the job, however long it runs; once it is killed (SIGKILL), the other delivers it after the lease
//! runs out, with the same `webhook-id`, so a receiver can tell it is the same message.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::fleet::{Proc, wait_until};
use crate::helpers::{backends, spawn_app_full};

const LEASE: u64 = 3;

/// What the endpoint was sent: each request's `webhook-id`, when it came.
type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

/// `newsdesk worker` on a machine named `host` (its own UTS namespace), for `app`'s database.
fn worker_on(host: &str, app: &crate::helpers::TestApp, dir: &std::path::Path) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let mut cmd = Command::new("unshare");
    if !root {
        cmd.arg("-r"); // a user namespace of its own, where it may name its machine
    }
    cmd.args(["--uts", "--", "sh", "-c", &format!("hostname {host} && exec \"$0\" worker --data \"$1\"")])
        .arg(env!("CARGO_BIN_EXE_newsdesk"))
        .arg(dir)
        .env("NEWSDESK_DATABASE_URL", &app.db.url)
        .env("NEWSDESK_JOBS__LEASE_SECONDS", LEASE.to_string())
        .env("NEWSDESK_WEBHOOKS__PRIVATE_NETWORKS", "true")
        .env("NEWSDESK_NARRATION__ENGINE", "off")
        .env("NEWSDESK_LOG__LEVEL", "warn");
    Proc(cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start a worker"))
}

fn can_unshare() -> bool {
    let ok = Command::new("unshare").args(["--uts", "true"]).status().is_ok_and(|s| s.success())
        || Command::new("unshare").args(["-r", "--uts", "true"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert_ne!(std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(), Ok("1"), "unshare --uts is required");
        eprintln!("SKIPPED: cannot make a UTS namespace (unshare --uts)");
    }
    ok
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_worker_died_elsewhere_is_finished_by_another_after_its_lease() {
    if !can_unshare() {
        return;
    }
    for backend in backends() {
        let seen: Seen = Arc::default();
        let recorded = seen.clone();
        let endpoint = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap| {
                let seen = recorded.clone();
                async move {
                    let id = headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
                    let first = {
                        let mut seen = seen.lock().unwrap();
                        seen.push((id, Instant::now()));
                        seen.len() == 1
                    };
                    if first {
                        // A slow receiver: longer than several leases (the worker's own timeout is 15 s).
                        tokio::time::sleep(Duration::from_secs(12)).await;
                    }
                    axum::http::StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, endpoint).await.unwrap() });
        let app = spawn_app_full(backend, crate::helpers::Options { demo: false }, |c| {
            c.webhooks.private_networks = true;
        })
        .await;
        let hook = app
            .store
            .create_webhook(&url, None, &["post.published"], "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", None)
            .await
            .unwrap();
        let workers = app.data_dir().join("workers");
        let mut a = worker_on("nd-machine-a", &app, &workers.join("a"));
        app.author("Ana Okafor", "person").await;
        crate::public::publish(
            &app,
            newsdesk_services::posts::PostDraft {
                title: "Quay cranes return".into(),
                body: "Text.".into(),
                authors: vec!["Ana Okafor".into()],
                ..Default::default()
            },
        )
        .await;
        wait_until("worker A is delivering", Duration::from_secs(30), async || !seen.lock().unwrap().is_empty()).await;
        let holder = || async {
            let job: Option<(String, Option<String>)> = sqlx::query_as(
                "SELECT status, locked_by FROM jobs WHERE kind = 'deliver_webhook' ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(&app.store.pool)
            .await
            .unwrap();
            job.unwrap_or_default()
        };
        let (status, by_a) = holder().await;
        assert_eq!(status, "running");
        let by_a = by_a.unwrap();
        assert!(by_a.starts_with("nd-machine-a:"), "{by_a}");

        // B starts; for two whole leases A is alive and renewing, and B leaves the job alone.
        let _b = worker_on("nd-machine-b", &app, &workers.join("b"));
        tokio::time::sleep(Duration::from_secs(2 * LEASE + 1)).await;
        assert_eq!(seen.lock().unwrap().len(), 1, "a live worker keeps its job past its first lease");
        assert_eq!(holder().await, ("running".to_owned(), Some(by_a.clone())));

        // A dies mid-job: B delivers the same message once the lease runs out.
        a.0.kill().unwrap();
        a.0.wait().unwrap();
        let killed = Instant::now();
        wait_until("worker B delivers", Duration::from_secs(LEASE + 15), async || seen.lock().unwrap().len() >= 2)
            .await;
        let took = killed.elapsed();
        let seen = seen.lock().unwrap().clone();
        eprintln!(
            "{backend:?}: killed mid-job; taken over and delivered {} ms later (lease {LEASE} s)",
            took.as_millis()
        );
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0].0, seen[1].0, "the same webhook-id both times");
        assert!(!seen[0].0.is_empty());
        wait_until("the delivery is recorded", Duration::from_secs(10), async || {
            app.store.webhook_deliveries(hook.id, 10).await.unwrap().first().is_some_and(|d| d.status == "delivered")
        })
        .await;
        // The job is marked done just after the delivery is recorded, by B.
        wait_until("the job is done", Duration::from_secs(10), async || holder().await == ("done".to_owned(), None))
            .await;
    }
}
