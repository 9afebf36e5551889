//! Connection pooling and a real PostgreSQL restart. A PostgreSQL cluster of the test's own (`initdb` into a
//! temporary directory, run as the `postgres` user when the tests run as root), so that it can be restarted and
//! stopped for real without disturbing the suite's shared server; pgbouncer (1.21 or later, which
//! `scripts/install-pgbouncer` builds) with the configuration `deploy/pgbouncer/` ships (transaction mode), pointed
//! at that cluster with four server connections; two `newsdesk serve` processes whose `[database] url` is
//! pgbouncer and whose `direct_url` is the cluster itself (for the migrations and `LISTEN`), and a third connected
//! directly; mail to the aiosmtpd sink. Checked: many client connections share the four server connections, with
//! writes and reads all answered; changes reach the other node within a second and a live stream within three;
//! jobs run through the pooler; the migrations left no session lock behind; PostgreSQL restarted while readers
//! read leaves cached pages served and every other answer a success or a quick 503, and everything recovers by
//! itself; PostgreSQL stopped says 503 within seconds, with or without the pooler, not after a hang.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use newsdesk_store::testing::TempDir;
use newsdesk_store::{Backend, Store};
use serde_json::json;

use crate::fleet::{Proc, feed_item_reaches_stream, free_port, publish_through, status, text, wait_ready, wait_until};
use crate::helpers::{SmtpSink, backends};

const POOL_SIZE: i64 = 4;

fn require_all() -> bool {
    std::env::var("NEWSDESK_REQUIRE_ALL").as_deref() == Ok("1")
}

fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A command run as the `postgres` user when the tests run as root (PostgreSQL and pgbouncer refuse root).
fn as_postgres(program: &Path) -> Command {
    if running_as_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

/// Gives the `postgres` user a directory of its own, when the tests run as root.
fn hand_over(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    if running_as_root() {
        assert!(Command::new("chown").args(["-R", "postgres:"]).arg(dir).status().unwrap().success());
    }
}

/// A PostgreSQL cluster of this test's own, stopped (immediately) when dropped.
struct Cluster {
    bin: PathBuf,
    data: PathBuf,
    socket_dir: PathBuf,
    port: u16,
}

impl Cluster {
    /// `initdb` and start, or `None` (after saying SKIPPED) without PostgreSQL's server programs — a failure under
    /// `NEWSDESK_REQUIRE_ALL=1`.
    fn start_or_skip(dir: &Path) -> Option<Cluster> {
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|b| b.join("initdb").exists())
            .collect();
        bins.sort();
        let Some(bin) = bins.pop() else {
            assert!(!require_all(), "PostgreSQL's server programs (initdb, pg_ctl) are required");
            eprintln!("SKIPPED: no initdb under /usr/lib/postgresql");
            return None;
        };
        hand_over(dir);
        let cluster = Cluster { bin, data: dir.join("data"), socket_dir: dir.to_path_buf(), port: free_port() };
        let out = as_postgres(&cluster.bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync", "-D"])
            .arg(&cluster.data)
            .output()
            .unwrap();
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        cluster.pg_ctl(&["start"]);
        Some(cluster)
    }

    fn pg_ctl(&self, action: &[&str]) {
        let options =
            format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.socket_dir.display());
        let out = as_postgres(&self.bin.join("pg_ctl"))
            .args(action)
            .args(["-w", "-t", "60", "-m", "fast", "-o", &options, "-l"])
            .arg(self.socket_dir.join("postgres.log"))
            .arg("-D")
            .arg(&self.data)
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_ctl {action:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// pgbouncer in transaction mode in front of `cluster` (over its Unix socket, so that in `pg_stat_activity` the
/// pooler's server connections are the ones without a client address).
fn pgbouncer(dir: &Path, cluster: &Cluster) -> Option<(Proc, u16)> {
    let version = Command::new("pgbouncer").arg("--version").output().ok().filter(|o| o.status.success());
    let version = version.map(|o| String::from_utf8_lossy(&o.stdout).to_string()).unwrap_or_default();
    let minor = version.split_whitespace().nth(1).and_then(|v| v.strip_prefix("1.")?.split('.').next()?.parse().ok());
    if minor.is_none_or(|m: u32| m < 21) {
        assert!(!require_all(), "pgbouncer 1.21 or later is required (scripts/install-pgbouncer): {version:?}");
        eprintln!("SKIPPED: pgbouncer 1.21 or later is missing (scripts/install-pgbouncer)");
        return None;
    }
    hand_over(dir);
    let port = free_port();
    std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").unwrap();
    // The configuration `deploy/` ships, pointed at the test's cluster, with a small pool and the admin console.
    let shipped =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/pgbouncer/pgbouncer.ini"))
            .expect("deploy/pgbouncer/pgbouncer.ini");
    let set = [
        ("listen_port", port.to_string()),
        ("auth_type", "trust".to_owned()),
        ("auth_file", format!("{}/users.txt", dir.display())),
        ("default_pool_size", POOL_SIZE.to_string()),
        ("admin_users", "postgres".to_owned()),
        ("unix_socket_dir", String::new()),
        ("logfile", format!("{}/pgbouncer.log", dir.display())),
        ("pidfile", format!("{}/pgbouncer.pid", dir.display())),
    ];
    let mut ini: Vec<String> = shipped
        .lines()
        .map(|line| {
            let key = line.split('=').next().unwrap_or("").trim();
            match set.iter().find(|(k, _)| *k == key) {
                Some((k, v)) => format!("{k} = {v}"),
                None if line.starts_with("newsdesk =") => {
                    format!("* = host={} port={}", cluster.socket_dir.display(), cluster.port)
                }
                None => line.to_owned(),
            }
        })
        .collect();
    for (k, v) in &set {
        if !ini.iter().any(|l| l.starts_with(&format!("{k} ="))) {
            ini.push(format!("{k} = {v}"));
        }
    }
    assert!(ini.iter().any(|l| l == "pool_mode = transaction"), "the shipped configuration is in transaction mode");
    let ini_path = dir.join("pgbouncer.ini");
    std::fs::write(&ini_path, ini.join("\n") + "\n").unwrap();
    hand_over(dir);
    let child = as_postgres(Path::new("pgbouncer"))
        .arg(&ini_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pgbouncer");
    Some((Proc(child), port))
}

/// pgbouncer's admin console: how many client connections it holds.
fn pgbouncer_clients(port: u16) -> usize {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "pgbouncer", "-tAc", "SHOW CLIENTS"])
        .output()
        .expect("psql");
    assert!(out.status.success(), "SHOW CLIENTS: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("|newsdesk|")).count()
}

/// The pooler's server connections to the site's database (the ones over the Unix socket).
async fn server_connections(direct: &Store) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'newsdesk' AND client_addr IS NULL \
         AND backend_type = 'client backend'",
    )
    .fetch_one(&direct.pool)
    .await
    .unwrap()
}

fn node(dir: &Path, args: &[&str], env: &[(&str, String)]) -> Proc {
    std::fs::create_dir_all(dir).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
    cmd.args(args).arg("--data").arg(dir);
    cmd.env("NEWSDESK_SITE__TITLE", "The Pooled Ledger")
        .env("NEWSDESK_SITE__TIMEZONE", "Europe/London")
        .env("NEWSDESK_NARRATION__ENGINE", "off")
        .env("NEWSDESK_LOG__LEVEL", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    Proc(cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start newsdesk"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_a_few_connections_through_pgbouncer_and_ride_out_a_postgresql_restart() {
    if !backends().contains(&Backend::Postgres) {
        eprintln!("SKIPPED: pooling needs PostgreSQL (NEWSDESK_TEST_DATABASE_URL)");
        return;
    }
    let tmp = TempDir::new("nd-pool");
    let Some(cluster) = Cluster::start_or_skip(&tmp.path().join("pg")) else { return };
    let Some((_bouncer, bouncer_port)) = pgbouncer(&tmp.path().join("pgbouncer"), &cluster) else { return };
    let Some(sink) = SmtpSink::start(tmp.path(), false) else { return };
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&cluster.url("postgres")).await.unwrap();
        sqlx::raw_sql("CREATE DATABASE newsdesk").execute(&mut c).await.unwrap();
    }
    let pooled = format!("postgres://postgres@127.0.0.1:{bouncer_port}/newsdesk");
    let direct_url = cluster.url("newsdesk");

    // Node A serves and runs the worker (and creates the demo site); node B only serves; both through pgbouncer.
    // Node C serves too, connected to PostgreSQL directly, as a site without a pooler is.
    let ports = [free_port(), free_port(), free_port()];
    let base = |i: usize| format!("http://127.0.0.1:{}", ports[i]);
    let env = |i: usize| {
        vec![
            ("NEWSDESK_DATABASE_URL", if i == 2 { direct_url.clone() } else { pooled.clone() }),
            ("NEWSDESK_DATABASE__DIRECT_URL", direct_url.clone()),
            ("NEWSDESK_SITE__URL", base(i)),
            ("NEWSDESK_MAIL__TRANSPORT", "smtp".to_owned()),
            ("NEWSDESK_MAIL__SMTP_URL", sink.url()),
        ]
    };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
    let listen = |i: usize| format!("127.0.0.1:{}", ports[i]);
    let _a = node(&tmp.path().join("a"), &["serve", "--listen", &listen(0)], &env(0));
    wait_ready(&http, [base(0)], "node A starts", Duration::from_secs(60)).await;
    let _b = node(&tmp.path().join("b"), &["serve", "--no-worker", "--no-demo", "--listen", &listen(1)], &env(1));
    let _c = node(&tmp.path().join("c"), &["serve", "--no-worker", "--no-demo", "--listen", &listen(2)], &env(2));
    wait_ready(&http, (1..3).map(base), "nodes B and C start", Duration::from_secs(60)).await;

    let direct = Store::connect(&direct_url).await.unwrap();
    let held: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory'")
        .fetch_one(&direct.pool)
        .await
        .unwrap();
    assert_eq!(held, 0, "the migrations ran on the direct connection and released their session lock");
    let (t, hash) = newsdesk_store::new_token();
    direct.create_api_token("pooling", "editor", &hash, "admin").await.unwrap();
    let token = format!("nd_{t}");

    // A burst of writes and reads from both nodes: every one answered, on four server connections at most.
    let loading = Arc::new(AtomicBool::new(true));
    let sampler = {
        let (direct, loading) = (direct.clone(), loading.clone());
        tokio::spawn(async move {
            let mut most = 0;
            while loading.load(Ordering::Relaxed) {
                most = most.max(server_connections(&direct).await);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            most
        })
    };
    let mut burst = tokio::task::JoinSet::new();
    for i in 0..120 {
        let (http, token, base) = (http.clone(), token.clone(), base(i % 2));
        burst.spawn(async move {
            let r = if i % 3 == 0 {
                let body = json!({ "title": format!("Pooled story {i}"), "body": "Filed through the pooler.",
                    "authors": ["Tomasz Reyes"], "status": "published" });
                http.post(format!("{base}/api/v1/posts")).bearer_auth(&token).json(&body).send().await
            } else {
                http.get(format!("{base}/api/v1/posts?limit=5&page={}", i % 7 + 1)).bearer_auth(&token).send().await
            };
            let r = r.unwrap();
            (i, r.status().as_u16())
        });
    }
    let answers = burst.join_all().await;
    loading.store(false, Ordering::Relaxed);
    let most = sampler.await.unwrap();
    let failed: Vec<_> = answers.iter().filter(|(i, s)| *s != if i % 3 == 0 { 201 } else { 200 }).collect();
    assert!(failed.is_empty(), "every request answered through the pooler: {failed:?}");
    let clients = pgbouncer_clients(bouncer_port);
    eprintln!("through pgbouncer: {clients} client connections on at most {most} server connections");
    assert!(most <= POOL_SIZE, "at most the pool's {POOL_SIZE} server connections: {most}");
    assert!(clients > POOL_SIZE as usize, "more clients than server connections: {clients}");

    // Changes reach the other node (its listener is on the direct connection).
    let title = "Pooler story reaches node B";
    let started = Instant::now();
    publish_through(&http, &base(0), &token, title, "Tomasz Reyes").await;
    let home = format!("{}/", base(1));
    wait_until("the story reaches B", Duration::from_secs(5), async || text(&http, &home).await.contains(title)).await;
    let seen = started.elapsed();
    eprintln!("publish on A to visible on B through pgbouncer: {} ms", seen.as_millis());
    assert!(seen < Duration::from_secs(1), "{seen:?}");
    let took = feed_item_reaches_stream(&http, &token, &base(0), &base(1), "Pooler feed item").await;
    eprintln!("feed item on A to a stream on B: {} ms", took.as_millis());

    // A job through the pooler: the confirmation of a signup on B, sent by A's worker.
    let r = http
        .post(format!("{}/newsletters/subscribe", base(1)))
        .header("accept", "application/json")
        .form(&[("email", "pooled@example.org"), ("newsletter", "morning-ledger")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    wait_until("the confirmation is sent", Duration::from_secs(30), async || {
        sink.copies().contains_key("pooled@example.org")
    })
    .await;

    // PostgreSQL restarted while readers read: cached pages keep coming, everything else is answered or a quick
    // 503, and nothing needs restarting afterwards.
    let reading = Arc::new(AtomicBool::new(true));
    let readers: Vec<_> = [0, 2]
        .map(|i| format!("{}/api/v1/posts?limit=3", base(i)))
        .into_iter()
        .chain([format!("{}/", base(1))])
        .map(|url| {
            let (http, token, reading) = (http.clone(), token.clone(), reading.clone());
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while reading.load(Ordering::Relaxed) {
                    let asked = Instant::now();
                    let s = http.get(&url).bearer_auth(&token).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
                    seen.push((s, asked.elapsed()));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let restarting = Instant::now();
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl(&["restart"]);
        cluster
    })
    .await
    .unwrap();
    let restart = restarting.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    reading.store(false, Ordering::Relaxed);
    let mut seen = Vec::new();
    for r in readers {
        seen.push(r.await.unwrap());
    }
    let cached = &seen[2];
    assert!(cached.iter().all(|(s, _)| *s == 200), "cached pages served throughout: {cached:?}");
    eprintln!("PostgreSQL restart ({} ms): {} cached reads on B, all 200", restart.as_millis(), cached.len());
    for (uncached, through) in seen[..2].iter().zip(["pgbouncer", "a direct connection"]) {
        assert!(uncached.iter().all(|(s, _)| [200, 503].contains(s)), "a success or a 503, never a 500: {uncached:?}");
        let slowest = uncached.iter().map(|(_, t)| *t).max().unwrap();
        assert!(slowest < Duration::from_secs(8), "answered quickly: {slowest:?}");
        let unavailable = uncached.iter().filter(|(s, _)| *s == 503).count();
        eprintln!(
            "  uncached reads through {through}: {}, {unavailable} of them 503, slowest {} ms",
            uncached.len(),
            slowest.as_millis()
        );
    }
    wait_ready(&http, (0..3).map(base), "ready again after the restart", Duration::from_secs(30)).await;
    let title = "Published after the restart";
    publish_through(&http, &base(0), &token, title, "Tomasz Reyes").await;
    for i in 1..3 {
        let home = format!("{}/", base(i));
        let seen = wait_until("B and C hear of changes again", Duration::from_secs(15), async || {
            text(&http, &home).await.contains(title)
        })
        .await;
        eprintln!("after the restart, publish on A to visible on node {i}: {} ms", seen.as_millis());
    }

    // PostgreSQL stopped: B's cached home page is still served, A says 503 within pgbouncer's query wait, and
    // readiness says so within its own two seconds.
    drop(direct);
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl(&["stop"]);
        cluster
    })
    .await
    .unwrap();
    assert_eq!(status(&http, &home).await, 200, "cached pages keep being served");
    let asked = Instant::now();
    let r = http.get(format!("{}/api/v1/posts?limit=2", base(0))).bearer_auth(&token).send().await.unwrap();
    let waited = asked.elapsed();
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "database_unavailable");
    // Within the pool's 3 s wait for a connection, or pgbouncer's query_wait_timeout (5 s) for a query it holds.
    assert!(waited < Duration::from_secs(8), "503 quickly: {waited:?}");
    let asked = Instant::now();
    assert_eq!(status(&http, &format!("{}/readyz", base(1))).await, 503);
    assert!(asked.elapsed() < Duration::from_secs(4), "{:?}", asked.elapsed());
    let asked = Instant::now();
    let r = http.get(format!("{}/api/v1/posts?limit=2", base(2))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 503, "and without the pooler");
    assert!(asked.elapsed() < Duration::from_secs(8), "503 quickly: {:?}", asked.elapsed());
    eprintln!(
        "PostgreSQL stopped: an API read answered 503 in {} ms through pgbouncer, {} ms directly",
        waited.as_millis(),
        asked.elapsed().as_millis()
    );
    let cluster = tokio::task::spawn_blocking(move || {
        cluster.pg_ctl(&["start"]);
        cluster
    })
    .await
    .unwrap();
    wait_ready(&http, (0..3).map(base), "ready again after the stop", Duration::from_secs(30)).await;
    drop(cluster);
}

#[test]
fn a_direct_url_for_sqlite_is_one_clear_line() {
    let tmp = TempDir::new("nd-direct");
    let out = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(["migrate", "--data"])
        .arg(tmp.path())
        .env_remove("NEWSDESK_DATABASE_URL")
        .env("NEWSDESK_DATABASE__DIRECT_URL", "postgres://postgres@127.0.0.1:5432/newsdesk")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("direct_url") && err.trim().lines().count() == 1, "{err}");
}
