//! Media in a real S3-compatible store: `s3s-fs` (crates.io; an S3 server over a directory, built by `.ci/run`),
//! reached through object_store as a bucket on AWS, Garage or MinIO would be. Checked: uploads, renditions and
//! narrated audio go into the bucket and nowhere on the node's disk; another node with a data directory of its
//! own serves them; `[storage] public_url` points pages at the bucket; the store going down makes uploads fail with
//! a message (nothing saved), `/readyz` say so and pages keep serving, and it all works again when it is back;
//! `newsdesk media migrate` copies a local site's media into the bucket, resumably.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use newsdesk::config::Config;
use newsdesk_services::posts::PostDraft;
use newsdesk_store::testing::TempDir;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{TestApp, backends, png, spawn_app_config, spawn_node_config};

const ACCESS: &str = "newsdesk-test";
const SECRET: &str = "s3-secret-for-tests";

/// `s3s-fs` on a free port over a directory of its own, stopped when dropped.
pub(crate) struct S3Server {
    child: Option<Child>,
    port: u16,
    root: TempDir,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn s3s_fs() -> Option<std::path::PathBuf> {
    let home = std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo/bin/s3s-fs"));
    let on_path = Command::new("s3s-fs").arg("--version").output().is_ok_and(|o| o.status.success());
    if on_path { Some("s3s-fs".into()) } else { home.filter(|p| p.is_file()) }
}

impl S3Server {
    /// Starts one with a bucket `media`, or says why not (and fails under `NEWSDESK_REQUIRE_ALL=1`).
    pub(crate) fn start_or_skip() -> Option<S3Server> {
        if s3s_fs().is_none() {
            assert_ne!(
                std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(),
                Ok("1"),
                "s3s-fs is missing (cargo install s3s-fs --version 0.14.1 --features binary --locked)"
            );
            eprintln!("SKIPPED: object storage tests (s3s-fs is not installed)");
            return None;
        }
        let root = TempDir::new("nd-s3");
        std::fs::create_dir_all(root.path().join("media")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut s = S3Server { child: None, port, root };
        s.start();
        Some(s)
    }

    fn start(&mut self) {
        let child = Command::new(s3s_fs().unwrap())
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string(), "--access-key", ACCESS])
            .args(["--secret-key", SECRET])
            .arg(self.root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        self.child = Some(child);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("s3s-fs did not listen on {}", self.port);
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `[storage]` pointed at this server's bucket.
    pub(crate) fn configure(&self, c: &mut Config) {
        c.storage.backend = "s3".into();
        c.storage.endpoint = self.url();
        c.storage.bucket = "media".into();
        c.storage.access_key_id = ACCESS.into();
        c.storage.secret_access_key = SECRET.into();
        c.storage.path_style = true;
    }

    /// Every key in the bucket `c` names, in order.
    async fn keys(&self, c: &Config) -> Vec<String> {
        let store = newsdesk_services::storage::MediaStore::open(&c.storage, std::path::Path::new("/nonexistent"));
        let mut keys: Vec<String> = store.unwrap().list(None).await.unwrap().into_iter().map(|(k, _)| k).collect();
        keys.sort();
        keys
    }
}

/// Files under a directory, as paths relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

async fn upload(app: &TestApp, token: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("file", Part::bytes(bytes).file_name("quay.png"));
    reqwest::Client::new().post(app.url("/api/v1/media")).bearer_auth(token).multipart(form).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_lives_in_the_bucket_and_every_node_serves_it_while_the_store_comes_and_goes() {
    let speak = crate::audio::require(
        "espeak-ng and ffmpeg",
        crate::audio::have("espeak-ng", "--version") && crate::audio::have("ffmpeg", "-version"),
    );
    for backend in backends() {
        let Some(mut s3) = S3Server::start_or_skip() else { return };
        let app = spawn_app_config(backend, |c| {
            s3.configure(c);
            if speak {
                c.narration.engine = "espeak-ng".into();
            }
        })
        .await;
        let editor = crate::api::token(&app, "editor").await;
        let r = upload(&app, &editor, png(1200, 700)).await;
        assert_eq!(r.status(), 201);
        let media: Value = r.json::<Value>().await.unwrap()["media"].clone();
        let media_id = media["id"].as_i64().unwrap();
        let key = app.store.media(media_id).await.unwrap().unwrap().file_key;
        let in_bucket = s3.keys(&app.config).await;
        for file in ["original.png", "480.jpg", "960.webp", "1200.jpg"] {
            let k = format!("{}/{key}/{file}", &key[..2]);
            assert!(in_bucket.contains(&k), "{k} in {in_bucket:?}");
        }
        assert_eq!(files_under(&app.data_dir().join("media")), Vec::<String>::new(), "nothing on the node's disk");

        app.author("Ana Okafor", "person").await;
        let slug = crate::public::publish(
            &app,
            PostDraft {
                title: "Cranes return to the north quay".into(),
                body: "The harbour board said the cranes would be back in service by spring.".into(),
                authors: vec!["Ana Okafor".into()],
                feature_image_id: Some(media_id),
                feature_image_alt: Some("Cranes at the quay".into()),
                ..Default::default()
            },
        )
        .await;
        if speak {
            app.run_jobs().await;
        }

        // Another node, with a data directory of its own: the page, the image and the audio come from the bucket.
        let other_dir = TempDir::new("nd-node");
        let mut other = app.config.clone();
        other.data_dir = other_dir.path().to_path_buf();
        let b = spawn_node_config(&other).await;
        let http = reqwest::Client::new();
        let page = http.get(b.url(&format!("/{slug}/"))).send().await.unwrap().text().await.unwrap();
        let src = format!("/media/{key}/960.jpg");
        assert!(page.contains(&src), "{page}");
        let r = http.get(b.url(&src)).send().await.unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/jpeg"));
        let from_b = r.bytes().await.unwrap();
        let from_a = http.get(app.url(&src)).send().await.unwrap().bytes().await.unwrap();
        assert!(from_b.len() > 1000 && from_b == from_a);
        if speak {
            let post_id = app.store.post_by_slug(&slug).await.unwrap().unwrap().row.id;
            let ed = app.store.audio_edition(post_id).await.unwrap().expect("an edition");
            assert_eq!(ed.status, "ready", "{:?}", ed.error);
            let file = ed.file.unwrap();
            assert!(s3.keys(&app.config).await.contains(&format!("audio/{file}")));
            let r = http.get(b.url(&format!("/media/audio/{file}"))).send().await.unwrap();
            assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "audio/mpeg"));
            assert_eq!(r.bytes().await.unwrap().len() as i64, ed.bytes.unwrap());
            let work = files_under(&app.data_dir().join("work"));
            assert!(work.is_empty(), "narration's scratch files are gone: {work:?}");
        }
        let ready: Value = http.get(b.url("/readyz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(ready["storage"], "ok");

        // The store goes down: uploads fail with a message and save nothing, readiness says so, pages serve.
        s3.stop();
        let before = app.store.list_media(&Default::default(), 1, 100).await.unwrap().total;
        let r = upload(&app, &editor, png(300, 200)).await;
        assert_eq!(r.status(), 422);
        let err: Value = r.json().await.unwrap();
        assert_eq!(err["error"], "storage_unavailable", "{err}");
        assert!(err["message"].as_str().unwrap().contains("try again"), "{err}");
        assert_eq!(app.store.list_media(&Default::default(), 1, 100).await.unwrap().total, before, "nothing saved");
        let r = http.get(b.url("/readyz")).send().await.unwrap();
        assert_eq!(r.status(), 503);
        assert_eq!(r.json::<Value>().await.unwrap()["storage"], "unavailable");
        let r = http.get(b.url(&format!("/{slug}/"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "pages keep serving");
        let r = http.get(b.url(&format!("/media/{key}/480.jpg"))).send().await.unwrap();
        assert_eq!(r.status(), 503, "a file that cannot be read now is not a 404");

        // Back again: everything works without a restart.
        s3.start();
        assert_eq!(upload(&app, &editor, png(300, 200)).await.status(), 201);
        assert_eq!(http.get(b.url("/readyz")).send().await.unwrap().status(), 200);
        b.stop().await;

        // With a public URL, pages send browsers to the bucket for images (audio stays with Newsdesk).
        let mut cdn = app.config.clone();
        cdn.storage.public_url = format!("{}/media/", s3.url());
        let c = spawn_node_config(&cdn).await;
        let page = http.get(c.url(&format!("/{slug}/"))).send().await.unwrap().text().await.unwrap();
        let direct = format!("{}/media/{}/{key}/960.jpg", s3.url(), &key[..2]);
        assert!(page.contains(&direct) && !page.contains(&src), "{page}");
        c.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_migrate_copies_a_local_site_into_the_bucket() {
    for backend in backends() {
        let Some(s3) = S3Server::start_or_skip() else { return };
        let app = spawn_app_config(backend, |_| {}).await;
        let editor = crate::api::token(&app, "editor").await;
        for (w, h) in [(800, 500), (640, 640)] {
            assert_eq!(upload(&app, &editor, png(w, h)).await.status(), 201);
        }
        let local = files_under(&app.data_dir().join("media"));
        assert!(local.len() >= 10, "{local:?}");
        let run = |extra: &[(&str, String)]| {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_newsdesk"));
            cmd.args(["media", "migrate", "--data"]).arg(app.data_dir());
            cmd.env("NEWSDESK_DATABASE_URL", &app.db.url).env("NEWSDESK_LOG__LEVEL", "warn");
            for (k, v) in extra {
                cmd.env(k, v);
            }
            cmd.output().unwrap()
        };
        // Still on local storage: refused, in one line.
        let out = run(&[]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("backend = \"s3\"") && err.trim().lines().count() == 1, "{err}");

        let bucket = [
            ("NEWSDESK_STORAGE__BACKEND", "s3".to_owned()),
            ("NEWSDESK_STORAGE__ENDPOINT", s3.url()),
            ("NEWSDESK_STORAGE__BUCKET", "media".to_owned()),
            ("NEWSDESK_STORAGE__ACCESS_KEY_ID", ACCESS.to_owned()),
            ("NEWSDESK_STORAGE__SECRET_ACCESS_KEY", SECRET.to_owned()),
        ];
        let out = run(&bucket);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(said.contains(&format!("copied {} files", local.len())) && said.contains("0 were there"), "{said}");
        let mut cfg = app.config.clone();
        s3.configure(&mut cfg);
        assert_eq!(s3.keys(&cfg).await, local, "every file, under the same key");
        assert_eq!(files_under(&app.data_dir().join("media")), local, "the local files are left in place");
        // Again: nothing to copy.
        let out = run(&bucket);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("copied 0 files") && said.contains(&format!("{} were there", local.len())), "{said}");

        // A node on the bucket, without the local files, serves them.
        let dir = TempDir::new("nd-node");
        cfg.data_dir = dir.path().to_path_buf();
        let node = spawn_node_config(&cfg).await;
        let image = local.iter().find(|f| f.ends_with("/480.webp")).unwrap();
        let key = image.split('/').nth(1).unwrap();
        let r = reqwest::get(node.url(&format!("/media/{key}/480.webp"))).await.unwrap();
        assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/webp"));
        node.stop().await;
    }
}
