//! `spawn_app()`: the real application on a random port with its own data directory and database (SQLite, or a
//! fresh PostgreSQL database), an HTTP client per "browser", and helpers to sign in and run queued jobs.

use std::io::Cursor;
use std::path::PathBuf;

use newsdesk::config::Config;
use newsdesk::startup::Application;
use newsdesk_store::testing::{TempDir, TestDb};
use newsdesk_store::{Backend, Store};
use newsdesk_worker::Worker;
use reqwest::Client;
use reqwest::redirect::Policy;
use tokio::sync::oneshot;

pub use newsdesk_store::testing::backends;

pub struct TestApp {
    pub address: String,
    pub store: Store,
    pub config: Config,
    pub backend: Backend,
    pub state: newsdesk_web::AppState,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    // Dropped last: the database and the directory outlive the server.
    pub db: TestDb,
    pub dir: TempDir,
}

pub struct Options {
    pub demo: bool,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options { demo: false }).await
}

pub fn config_for(dir: &TempDir, db: &TestDb) -> Config {
    let mut config = Config { data_dir: dir.path().to_path_buf(), ..Config::default() };
    config.database.url = db.url.clone();
    config.server.listen = "127.0.0.1:0".into();
    config.site.title = "The Test Ledger".into();
    config.site.timezone = "Europe/London".into();
    // Narration is tested where it is meant to be (audio.rs); elsewhere jobs should not spend seconds speaking.
    config.narration.engine = "off".into();
    config
}

pub async fn spawn_app_with(backend: Backend, opts: Options) -> TestApp {
    let dir = TempDir::new("nd-app");
    let db = TestDb::create(backend, dir.path()).await;
    let config = config_for(&dir, &db);
    start(config, db, dir, backend, opts.demo).await
}

/// An app whose configuration `adjust` changes first (narration engines, feeds…).
pub async fn spawn_app_config(backend: Backend, adjust: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_full(backend, Options { demo: false }, adjust).await
}

pub async fn spawn_app_full(backend: Backend, opts: Options, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = TempDir::new("nd-app");
    let db = TestDb::create(backend, dir.path()).await;
    let mut config = config_for(&dir, &db);
    adjust(&mut config);
    start(config, db, dir, backend, opts.demo).await
}

async fn start(config: Config, db: TestDb, dir: TempDir, backend: Backend, demo: bool) -> TestApp {
    let store = newsdesk::init::open(&config, demo).await.expect("initialise");
    let app = Application::build(&config, false).await.expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestApp { address, store, config, backend, state, stop: Some(tx), handle: Some(handle), db, dir }
}

/// Another node of the same site: its own server and page cache on the same database and data directory, as a
/// second `newsdesk serve --no-worker` behind a load balancer.
pub struct TestNode {
    pub address: String,
    pub state: newsdesk_web::AppState,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestNode {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("node task").expect("node stopped cleanly");
        }
    }
}

/// Starts another node of `app`'s site.
pub async fn spawn_node(app: &TestApp) -> TestNode {
    spawn_node_config(&app.config).await
}

/// Starts a node with this configuration (another node's, with its own data directory, say).
pub async fn spawn_node_config(config: &Config) -> TestNode {
    let node = Application::build(config, false).await.expect("build node");
    let address = format!("http://127.0.0.1:{}", node.port());
    let state = node.state().clone();
    let (tx, rx) = oneshot::channel::<()>();
    let handle = tokio::spawn(node.run_until_stopped(async move {
        let _ = rx.await;
    }));
    TestNode { address, state, stop: Some(tx), handle: Some(handle) }
}

impl TestApp {
    /// Stops the server gracefully, then starts a new one on the same data and database (a restart).
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let TestApp { config, db, dir, backend, .. } = self;
        start(config, db, dir, backend, false).await
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await.expect("server task").expect("server stopped cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A fresh "browser": its own cookie jar, redirects not followed (tests assert them).
    pub fn browser(&self) -> Client {
        Client::builder().cookie_store(true).redirect(Policy::none()).build().expect("client")
    }

    pub async fn get(&self, client: &Client, path: &str) -> reqwest::Response {
        client.get(self.url(path)).send().await.expect("request")
    }

    pub async fn get_text(&self, client: &Client, path: &str) -> (u16, String) {
        let r = self.get(client, path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Runs every due job to completion.
    pub async fn run_jobs(&self) -> usize {
        Worker::new(self.store.clone(), self.config.job_context(self.url("").trim_end_matches('/')).unwrap())
            .drain()
            .await
            .expect("jobs run")
    }

    /// Creates a staff account with a password.
    pub async fn create_staff(&self, email: &str, role: &str, author_id: Option<i64>) -> i64 {
        let hash = newsdesk_services::passwords::hash(PASSWORD.into()).await.unwrap();
        self.store.create_user(email, email, role, Some(&hash), author_id).await.unwrap().id
    }

    /// Signs in through the real form and returns the signed-in browser.
    pub async fn sign_in(&self, email: &str) -> Client {
        let client = self.browser();
        let (_, html) = self.get_text(&client, "/admin/signin").await;
        let csrf = csrf_token(&html);
        let r = client
            .post(self.url("/admin/signin"))
            .form(&[("csrf_token", csrf.as_str()), ("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "sign-in as {email} redirects");
        client
    }

    /// A person author, optionally linked to nothing. Returns its id.
    pub async fn author(&self, name: &str, kind: &str) -> i64 {
        let slug = newsdesk_domain::Slug::from_text(name).unwrap();
        self.store
            .create_author(newsdesk_store::authors::AuthorInput {
                slug: slug.as_str(),
                name,
                kind,
                bio: None,
                image_id: None,
            })
            .await
            .unwrap()
            .id
    }

    pub fn state_cache_len(&self) -> usize {
        self.state.cache.len()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

/// The CSRF token of the first form on a page.
pub fn csrf_token(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).expect("page has a CSRF field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// A small real PNG.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// Position of `needle` in `hay`, failing the test with context when missing.
pub fn pos(hay: &str, needle: &str) -> usize {
    hay.find(needle).unwrap_or_else(|| panic!("expected to find {needle:?} in the page"))
}

/// Runs one of the Python checkers in `tests/integration/py/` and parses its JSON output. `None` (after saying
/// SKIPPED) when python3 or a module it needs is missing — a failure instead under NEWSDESK_REQUIRE_ALL=1.
pub fn python(script: &str, modules: &str, args: &[&str]) -> Option<serde_json::Value> {
    let have = std::process::Command::new("python3").args(["-c", &format!("import {modules}")]).output();
    if !have.is_ok_and(|o| o.status.success()) {
        if std::env::var("NEWSDESK_REQUIRE_ALL").as_deref() == Ok("1") {
            panic!("python3 with {modules} is required (pip install {modules}) and NEWSDESK_REQUIRE_ALL=1");
        }
        eprintln!("SKIPPED: a check that needs python3 with {modules} (pip install {modules})");
        return None;
    }
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/py").join(script);
    let out = std::process::Command::new("python3").arg(&path).args(args).output().expect("run python3");
    assert!(out.status.success(), "{script} failed: {}", String::from_utf8_lossy(&out.stderr));
    Some(
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{script} printed no JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))),
    )
}

/// The real SMTP server of `py/smtp_sink.py` (aiosmtpd) on a free loopback port. It records each accepted
/// message as a JSON line; local parts starting "nouser" are refused with 550, "tempfail" with 451 once.
pub struct SmtpSink {
    pub port: u16,
    pub log: PathBuf,
    child: std::process::Child,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl SmtpSink {
    /// `None` (after saying SKIPPED) without aiosmtpd — a failure under NEWSDESK_REQUIRE_ALL=1.
    pub fn start(dir: &std::path::Path, raw: bool) -> Option<SmtpSink> {
        SmtpSink::start_with(dir, raw, None)
    }

    /// With `auth` ("login:password"), the server requires AUTH before it takes mail.
    pub fn start_with(dir: &std::path::Path, raw: bool, auth: Option<&str>) -> Option<SmtpSink> {
        let have = std::process::Command::new("python3").args(["-c", "import aiosmtpd"]).output();
        if !have.is_ok_and(|o| o.status.success()) {
            assert_ne!(std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(), Ok("1"), "aiosmtpd is required");
            eprintln!("SKIPPED: SMTP test (pip install aiosmtpd)");
            return None;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.join(format!("smtp-{port}.jsonl"));
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/py/smtp_sink.py");
        let mut cmd = std::process::Command::new("python3");
        cmd.arg(script).arg(port.to_string()).arg(&log).stdout(std::process::Stdio::null());
        if raw {
            cmd.arg("--raw");
        }
        if let Some(a) = auth {
            cmd.args(["--auth", a]);
        }
        let sink = SmtpSink { port, log, child: cmd.spawn().unwrap() };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Some(sink);
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the SMTP sink did not start");
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn messages(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// How many copies each recipient got.
    pub fn copies(&self) -> std::collections::HashMap<String, usize> {
        let mut out = std::collections::HashMap::new();
        for m in self.messages() {
            for to in m["to"].as_array().into_iter().flatten() {
                *out.entry(to.as_str().unwrap_or("").to_owned()).or_insert(0) += 1;
            }
        }
        out
    }
}

/// A mail as a client shows it: quoted-printable soft breaks and folded headers undone, `=3D` and `=20` decoded.
pub fn unfold_mail(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=\n", "").replace("\r\n ", " ").replace("=3D", "=").replace("=20", " ")
}

/// Messages written by the outbox transport, oldest first, unfolded.
pub fn outbox(app: &TestApp) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(app.data_dir().join("outbox"))
        .map(|d| {
            d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| unfold_mail(&std::fs::read_to_string(p).unwrap())).collect()
}

/// Adds confirmed subscribers to a newsletter (as an import with a stated consent source would).
pub async fn confirmed_subscribers(app: &TestApp, newsletter_id: i64, emails: &[String]) {
    let rows: Vec<newsdesk_store::subscribers::ImportRow> =
        emails.iter().map(|e| newsdesk_store::subscribers::ImportRow { email: e.clone(), name: None }).collect();
    let consent = newsdesk_store::newsletters::Consent { ip: None, form_url: None, consent_text: "test fixture" };
    app.store.import_subscribers(newsletter_id, &rows, true, &consent).await.unwrap();
}

/// A post row written straight to the store, as an older Newsdesk (or another tool) left it: Markdown and HTML, no
/// document yet.
pub fn stored_post(
    slug: &str,
    body_md: &str,
    body_html: &str,
    status: &str,
    author: i64,
) -> newsdesk_store::posts::PostInput {
    newsdesk_store::posts::PostInput {
        kind: "post".into(),
        slug: slug.into(),
        title: slug.replace('-', " "),
        excerpt: None,
        body_md: body_md.into(),
        body_html: body_html.into(),
        body_doc: String::new(),
        body_text: String::new(),
        body_email_html: String::new(),
        word_count: 1,
        status: status.into(),
        published_at: (status == "published").then(newsdesk_store::now),
        feature_image_id: None,
        feature_image_alt: None,
        feature_image_caption: None,
        feature_image_credit: None,
        author_ids: vec![author],
        tag_ids: vec![],
        related_post_id: None,
        media_ids: vec![],
        linked_post_ids: vec![],
        featured: false,
        parent_id: None,
        meta_title: None,
        meta_description: None,
        language: None,
        translation: Default::default(),
        visibility: "public".into(),
        paid: Default::default(),
    }
}

/// Runs the real binary on this app's data directory and database.
pub fn newsdesk(app: &TestApp, args: &[&str]) -> std::process::Output {
    newsdesk_stdin(app, args, None)
}

/// The same, with `stdin` on its standard input.
pub fn newsdesk_stdin(app: &TestApp, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(args)
        .arg("--data")
        .arg(app.data_dir())
        .env("NEWSDESK_DATABASE_URL", &app.db.url)
        .env("NEWSDESK_LOG__LEVEL", "warn")
        .env("NEWSDESK_NARRATION__ENGINE", "off")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run newsdesk");
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}
