//! The real `newsdesk` binary: import, users, tokens, migrate; bad input exits non-zero with one line.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::helpers::{backends, newsdesk, newsdesk_stdin, png, spawn_app};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The single `error:` line of a failed command.
fn one_error_line(o: &Output) -> String {
    assert!(!o.status.success(), "expected failure");
    let lines: Vec<_> = stderr(o).lines().filter(|l| l.starts_with("error:")).map(str::to_owned).collect();
    assert_eq!(lines.len(), 1, "one error line, got: {}", stderr(o));
    lines[0].clone()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test]
async fn import_markdown_creates_posts_and_refuses_bad_files_whole() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let src = app.data_dir().join("import");
        std::fs::create_dir_all(src.join("img")).unwrap();
        std::fs::write(src.join("img/boats.png"), png(900, 500)).unwrap();
        write(
            &src,
            "a.md",
            "---\ntitle: \"Regatta returns after five years\"\nslug: regatta-returns\nexcerpt: Sixty boats entered.\nauthors:\n  - Priya Lindqvist\n  - { name: Ledger sports desk, kind: desk }\ntags: [Sport, News]\nstatus: published\npublished_at: 2026-06-14T09:30:00+01:00\nfeature_image: img/boats.png\nfeature_image_alt: Sailing boats at the start line\nfeature_image_caption: The start of the race.\nfeature_image_credit: \"Photo: Tidewater Wire\"\n---\nSixty boats entered **this year's** regatta.\n",
        );
        write(&src, "b.md", "---\ntitle: Draft note\nauthors: [Priya Lindqvist]\nstatus: draft\n---\nNot yet.\n");
        let out = newsdesk(&app, &["import", "markdown", src.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("[2/2]"), "progress is shown: {}", stderr(&out));
        let post = app.store.published_by_slug("regatta-returns").await.unwrap().expect("imported and published");
        assert_eq!(
            post.authors.iter().map(|a| (a.name.as_str(), a.kind.as_str())).collect::<Vec<_>>(),
            [("Priya Lindqvist", "person"), ("Ledger sports desk", "desk")]
        );
        assert_eq!(post.row.published_at, Some(1_781_425_800));
        assert_eq!(post.row.feature_image_credit.as_deref(), Some("Photo: Tidewater Wire"));
        assert!(post.feature_image.is_some());
        let (status, html) = app.get_text(&app.browser(), "/regatta-returns/").await;
        assert_eq!(status, 200);
        assert!(html.contains("<strong>this year’s</strong>"));
        assert_eq!(app.store.post_by_slug("draft-note").await.unwrap().unwrap().row.status, "draft");

        // Re-running updates instead of duplicating.
        let out = newsdesk(&app, &["import", "markdown", src.join("a.md").to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert_eq!(app.store.list_posts(&Default::default(), 1, 50).await.unwrap().total, 2);

        // One bad file: one error line naming file and field, and nothing imported.
        let bad = app.data_dir().join("bad");
        std::fs::create_dir_all(&bad).unwrap();
        write(&bad, "1-good.md", "---\ntitle: Would be fine\nauthors: [Priya Lindqvist]\n---\nText\n");
        write(
            &bad,
            "2-bad.md",
            "---\ntitle: Bad date\nauthors: [Priya Lindqvist]\npublished_at: 14/06/2026\n---\nText\n",
        );
        let line = one_error_line(&newsdesk(&app, &["import", "markdown", bad.to_str().unwrap()]));
        assert!(line.contains("2-bad.md") && line.contains("published_at") && line.contains("RFC 3339"), "{line}");
        assert!(app.store.post_by_slug("would-be-fine").await.unwrap().is_none(), "nothing was imported");
        write(
            &bad,
            "2-bad.md",
            "---\ntitle: No image\nauthors: [Priya Lindqvist]\nfeature_image: missing.jpg\n---\nText\n",
        );
        let line = one_error_line(&newsdesk(&app, &["import", "markdown", bad.to_str().unwrap()]));
        assert!(line.contains("feature_image"), "{line}");
        write(&bad, "2-bad.md", "---\ntitle: Typo\nauthor: [Priya Lindqvist]\n---\nText\n");
        let line = one_error_line(&newsdesk(&app, &["import", "markdown", bad.to_str().unwrap()]));
        assert!(line.contains("unknown field `author`"), "{line}");
        assert!(app.store.post_by_slug("would-be-fine").await.unwrap().is_none());
    }
}

#[tokio::test]
async fn user_and_token_commands() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let out = newsdesk_stdin(
            &app,
            &[
                "user",
                "add",
                "--email",
                "kim@example.org",
                "--name",
                "Kim Desk",
                "--role",
                "editor",
                "--password-stdin",
            ],
            Some("a long enough password\n"),
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let user = app.store.user_by_email("kim@example.org").await.unwrap().unwrap();
        assert_eq!(user.role, "editor");
        let out = newsdesk(&app, &["user", "add", "--email", "lee@example.org", "--name", "Lee", "--role", "author"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("/admin/setup/"), "prints a one-time link");

        let line = one_error_line(&newsdesk(
            &app,
            &["user", "add", "--email", "x@example.org", "--name", "X", "--role", "chief"],
        ));
        assert!(line.contains("--role") && line.contains("chief"), "{line}");
        let line = one_error_line(&newsdesk(&app, &["user", "add", "--email", "not-an-email", "--name", "X"]));
        assert!(line.contains("--email"), "{line}");
        let line = one_error_line(&newsdesk(&app, &["user", "add", "--email", "kim@example.org", "--name", "Again"]));
        assert!(line.contains("already exists"), "{line}");
        assert!(app.store.user_by_email("x@example.org").await.unwrap().is_none());

        let out = newsdesk(&app, &["token", "create", "--name", "wire importer", "--role", "author"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        assert!(token.starts_with("nd_") && token.len() > 60);
        let r = app
            .browser()
            .post(app.url("/api/v1/posts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "title": "Via CLI token", "authors": ["nobody"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "the printed token authenticates (and the body is then validated)");

        let out = newsdesk(&app, &["migrate"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = Command::new(env!("CARGO_BIN_EXE_newsdesk")).args(["import", "markdown", "--help"]).output().unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("YAML front matter"));
    }
}

#[tokio::test]
async fn bad_configuration_is_one_clear_line() {
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    std::fs::write(app.data_dir().join("newsdesk.toml"), "[site]\ntimezone = \"Mars/Olympus\"\n").unwrap();
    let line = one_error_line(&newsdesk(&app, &["serve", "--listen", "127.0.0.1:0"]));
    assert!(line.contains("[site] timezone") && line.contains("Mars/Olympus"), "{line}");
    std::fs::write(app.data_dir().join("newsdesk.toml"), "[site]\ntitel = \"Typo\"\n").unwrap();
    let line = one_error_line(&newsdesk(&app, &["migrate"]));
    assert!(line.contains("unknown field `titel`"), "{line}");
}

#[tokio::test]
async fn serve_logs_json_and_shuts_down_gracefully_on_sigterm() {
    use std::io::{BufRead, BufReader};
    let app = spawn_app(newsdesk_store::Backend::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--no-demo", "--data"])
        .arg(app.data_dir())
        .env("NEWSDESK_DATABASE_URL", &app.db.url)
        .env("NEWSDESK_LOG__FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let base = loop {
        let line = rx.recv_timeout(std::time::Duration::from_secs(30)).expect("serve prints its address");
        lines.push(line.clone());
        if let Some(rest) = line.split(" at ").nth(1).filter(|_| line.starts_with("Newsdesk is serving")) {
            break rest.trim_end_matches('/').to_owned();
        }
    };
    let r = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(r.status(), 200);
    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    assert!(exit.success(), "SIGTERM is a clean stop: {exit:?}");
    lines.extend(rx.try_iter());
    let json: Vec<serde_json::Value> = lines.iter().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let messages: Vec<&str> = json.iter().filter_map(|j| j["message"].as_str()).collect();
    assert!(messages.contains(&"serving"), "JSON log lines: {lines:?}");
    assert!(json.iter().any(|j| j["message"] == "request" && j["http.path"] == "/healthz" && j["http.status"] == 200));
    assert!(
        messages.contains(&"shutting down: finishing in-flight requests and jobs") && messages.contains(&"stopped"),
        "{messages:?}"
    );
}

#[tokio::test]
async fn a_separate_worker_process_publishes_scheduled_posts() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        let at = (jiff::Timestamp::now() + jiff::SignedDuration::from_secs(3)).to_string();
        let actor = newsdesk_services::Actor { user_id: None, role: newsdesk_domain::Role::Editor, author_id: None };
        let draft = newsdesk_services::posts::PostDraft {
            title: "Polls close at ten".into(),
            body: "Count begins.".into(),
            authors: vec!["Ana Okafor".into()],
            publish_at: Some(at),
            ..Default::default()
        };
        newsdesk_services::posts::save_post(
            &app.store,
            &app.state.site,
            &actor,
            None,
            draft,
            newsdesk_services::posts::Action::Publish,
        )
        .await
        .unwrap();
        assert_eq!(app.store.post_by_slug("polls-close-at-ten").await.unwrap().unwrap().row.status, "scheduled");
        tokio::time::sleep(std::time::Duration::from_millis(4100)).await;
        let out = newsdesk(&app, &["worker", "--once"]);
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stderr(&out).contains("ran 2 job(s)"), "the publication, then its narration: {}", stderr(&out));
        assert_eq!(app.store.post_by_slug("polls-close-at-ten").await.unwrap().unwrap().row.status, "published");
    }
}

#[tokio::test]
async fn serve_starts_on_an_empty_directory_with_the_config_it_writes() {
    // Regression: the generated newsdesk.toml once held a sender the start-up check refused.
    use std::io::{BufRead, BufReader};
    let dir = newsdesk_store::testing::TempDir::new("nd-fresh");
    let data = dir.path().join("newsdesk-data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env("NEWSDESK_NARRATION__ENGINE", "off")
        .env_remove("NEWSDESK_DATABASE_URL")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        let done = line.contains("/admin/setup/");
        printed.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let text = printed.join("\n");
    assert!(text.contains("Newsdesk is serving The Port Alder Ledger at http://127.0.0.1:"), "{text}");
    assert!(text.contains("Create the owner account"), "{text}");
    let toml = std::fs::read_to_string(data.join("newsdesk.toml")).unwrap();
    assert!(toml.contains("[mail]") && toml.contains("[narration]") && toml.contains("[site]"));
    assert!(data.join("newsdesk.db").is_file());
}

#[tokio::test]
async fn subscribers_and_send_commands() {
    for backend in backends() {
        let app = crate::helpers::spawn_app_with(backend, crate::helpers::Options { demo: true }).await;
        let csv = app.data_dir().join("list.csv");
        std::fs::write(&csv, "email,name\nada@example.org,Ada\nbroken\nbee@example.org,Bee\n").unwrap();
        let path = csv.to_str().unwrap();
        let out = newsdesk(
            &app,
            &["subscribers", "import", path, "--newsletter", "morning-ledger", "--confirmed", "--source", "Fair"],
        );
        let line = one_error_line(&out);
        assert!(line.contains("1 row(s) cannot be imported; nothing was imported"), "{line}");
        assert!(stderr(&out).contains("list.csv: row 3: \"broken\" is not an email address"));
        assert!(app.store.subscriber_by_email("ada@example.org").await.unwrap().is_none());
        let out = newsdesk(
            &app,
            &[
                "subscribers",
                "import",
                path,
                "--newsletter",
                "nope",
                "--confirmed",
                "--source",
                "Fair",
                "--skip-invalid",
            ],
        );
        assert!(
            one_error_line(&out)
                .contains("no newsletter \"nope\" (there are: morning-ledger, explaining-the-estuary, investigations)")
        );
        let out = newsdesk(
            &app,
            &["subscribers", "import", path, "--newsletter", "morning-ledger", "--confirmed", "--skip-invalid"],
        );
        assert!(one_error_line(&out).contains("--source"));
        let out = newsdesk(
            &app,
            &[
                "subscribers",
                "import",
                path,
                "--newsletter",
                "morning-ledger",
                "--confirmed",
                "--source",
                "Fair",
                "--skip-invalid",
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("2 added, 0 updated"));
        let out = newsdesk(&app, &["subscribers", "export", "--newsletter", "morning-ledger"]);
        let exported = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            exported.contains("ada@example.org,Ada,confirmed,") && exported.contains("bee@example.org,Bee,confirmed,")
        );

        let post = "council-approves-six-month-night-bus-trial-after-riders-petition";
        let out = newsdesk(&app, &["send", post]);
        assert!(one_error_line(&out).contains("--newsletter <slug> is required"));
        let out = newsdesk(&app, &["send", "no-such-story", "--newsletter", "morning-ledger"]);
        assert!(one_error_line(&out).contains("no published article with the slug \"no-such-story\""));
        let out = newsdesk(&app, &["send", post, "--newsletter", "morning-ledger", "--key", "cli-1"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let first = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(first.contains("queued for The Morning Ledger"), "{first}");
        let out = newsdesk(&app, &["send", post, "--newsletter", "morning-ledger", "--key", "cli-1"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("was already made with this key; nothing new was queued")
        );
        let out = newsdesk(&app, &["send", "pause", "1"]);
        assert!(one_error_line(&out).contains("issue 1 is queued and cannot be paused"));
        let out = newsdesk(&app, &["worker", "--once"]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = newsdesk(&app, &["send", "status"]);
        let status = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            status.contains("issue    1  sent")
                && status.contains("      2 sent")
                && status.contains("      0 remaining"),
            "{status}"
        );
        assert_eq!(crate::helpers::outbox(&app).iter().filter(|m| m.contains("Subject: Council approves")).count(), 2);
    }
}
