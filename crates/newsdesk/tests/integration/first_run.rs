//! What a new user sees on the README's first command: the real binary, started from a working directory of its
//! own with the default *relative* data directory, serving the demo newsroom with every element of the reference
//! page. Regression tests for what a fresh clone showed (issue 11): narration failed for every new user because
//! the data directory was relative, `/admin/` was a 404, the demo had no News Feed or Editors' Picks, and there was
//! no favicon and no compressed asset.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Served {
    child: Child,
    base: String,
    dir: newsdesk_store::testing::TempDir,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `newsdesk serve` run as the README says, but on a free port: working directory a fresh folder, no `--data`.
fn serve_from_a_fresh_folder(engine: &str) -> Served {
    let dir = newsdesk_store::testing::TempDir::new("nd-first-run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_newsdesk"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("NEWSDESK_NARRATION__ENGINE", engine)
        .env_remove("NEWSDESK_DATABASE_URL")
        .env_remove("NEWSDESK_DATA")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut base = None;
    let mut printed = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(at) = line.find("http://127.0.0.1:") {
            let url: String = line[at..].chars().take_while(|c| !c.is_whitespace()).collect();
            base.get_or_insert_with(|| url.trim_end_matches('/').split("/admin").next().unwrap_or("").to_owned());
        }
        let done = line.contains("/admin/setup/");
        printed.push(line);
        if done {
            break;
        }
    }
    // Keep reading stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    let base = base.unwrap_or_else(|| panic!("no address printed:\n{}", printed.join("\n")));
    assert!(dir.path().join("newsdesk-data/newsdesk.db").is_file(), "the data directory is ./newsdesk-data");
    Served { child, base, dir }
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, String) {
    let r = client.get(url).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn story_paths(home: &str) -> Vec<String> {
    let mut paths: Vec<String> = home
        .split("class=\"card-title\"><a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Regression: `cargo run --release -- serve` with espeak-ng and ffmpeg installed narrated none of the demo
/// articles — ffmpeg was handed a chunk list relative to a folder it was not in.
#[tokio::test]
async fn a_relative_data_directory_narrates_every_demo_article() {
    let have = |cmd: &str, arg: &str| Command::new(cmd).arg(arg).output().is_ok_and(|o| o.status.success());
    if !(have("espeak-ng", "--version") && have("ffmpeg", "-version")) {
        assert_ne!(std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(), Ok("1"), "espeak-ng and ffmpeg are required");
        eprintln!("SKIPPED: first-run narration (espeak-ng or ffmpeg is missing)");
        return;
    }
    let served = serve_from_a_fresh_folder("espeak-ng");
    let client = reqwest::Client::new();
    let (_, home) = get(&client, &format!("{}/", served.base)).await;
    let stories = story_paths(&home);
    assert!(stories.len() >= 5, "the demo has its stories: {stories:?}");
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut missing = stories.clone();
    while !missing.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut still = Vec::new();
        for path in &missing {
            let (_, page) = get(&client, &format!("{}{path}", served.base)).await;
            if !page.contains("This audio is created with AI assistance") {
                still.push(path.clone());
            }
        }
        missing = still;
    }
    assert!(missing.is_empty(), "no audio player on {missing:?}");
    // The player's file is there and is audio.
    let (_, page) = get(&client, &format!("{}{}", served.base, stories[0])).await;
    let at = page.find("/media/audio/").expect("an audio URL on the page");
    let src = page[at..].split('"').next().unwrap().to_owned();
    let r = client.get(format!("{}{src}", served.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "audio/mpeg");
    assert!(r.bytes().await.unwrap().len() > 10_000);
    assert!(served.dir.path().join("newsdesk-data/media/audio").is_dir());
}

#[tokio::test]
async fn the_demo_shows_every_element_of_the_reference_page_on_first_run() {
    let served = serve_from_a_fresh_folder("off");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let base = &served.base;
    let (_, home) = get(&client, &format!("{base}/")).await;
    let stories = story_paths(&home);

    // A News Feed with several timestamped items (one withdrawn, its note shown) and Editors' Picks.
    let (_, article) = get(&client, &format!("{base}{}", stories[0])).await;
    let items = article.matches("class=\"feed-item").count();
    assert!(items >= 4, "the sidebar News Feed has items ({items})");
    assert!(article.contains("<time datetime="), "items are timestamped");
    assert!(article.contains("More news"));
    assert!(article.contains("Editors’ Picks") && article.contains("editors-picks"), "Editors' Picks");
    let (_, feed) = get(&client, &format!("{base}/news-feed/")).await;
    assert!(feed.contains("The operator withdrew its notice"), "the retraction note is shown");

    // Every story with a section-mate (a story sharing a tag) shows a promo, the home lead included; every demo
    // story has one.
    let mut with_promo = 0;
    for path in &stories {
        let (_, page) = get(&client, &format!("{base}{path}")).await;
        if page.contains("class=\"promo\"") {
            with_promo += 1;
        } else {
            panic!("{path} shows no related promo");
        }
    }
    assert_eq!(with_promo, stories.len());

    // The admin answers at /admin/ and at trailing-slash URLs.
    for (from, to) in
        [("/admin/", "/admin/posts"), ("/admin/posts/", "/admin/posts"), ("/admin/news-feed/", "/admin/news-feed")]
    {
        let r = client.get(format!("{base}{from}")).send().await.unwrap();
        assert_eq!(r.status(), 301, "{from}");
        assert_eq!(r.headers()["location"], to, "{from}");
    }

    // A favicon, and text assets compressed with brotli and gzip (and the same bytes when decoded).
    let r = client.get(format!("{base}/favicon.ico")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/x-icon");
    let icon = r.bytes().await.unwrap();
    assert_eq!(&icon[..4], &[0, 0, 1, 0], "an ICO file");
    assert!(home.contains("rel=\"icon\" href=\"/favicon.ico\""));
    let css = home.split("href=\"/assets/theme.css").nth(1).and_then(|s| s.split('"').next()).unwrap();
    let url = format!("{base}/assets/theme.css{css}");
    let plain = client.get(&url).send().await.unwrap().bytes().await.unwrap();
    let r = client.get(&url).header("accept-encoding", "gzip, deflate, br").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["vary"], "Accept-Encoding");
    let body = r.bytes().await.unwrap();
    assert!(body.len() * 3 < plain.len(), "brotli: {} of {} bytes", body.len(), plain.len());
    let mut decoded = Vec::new();
    brotli::BrotliDecompress(&mut std::io::Cursor::new(&body[..]), &mut decoded).unwrap();
    assert_eq!(decoded, plain.to_vec());
    let r = client.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&r.bytes().await.unwrap()[..]).read_to_end(&mut decoded).unwrap();
    assert_eq!(decoded, plain.to_vec());

    // A theme's own favicon wins.
    let theme = served.dir.path().join("newsdesk-data/theme");
    std::fs::create_dir_all(&theme).unwrap();
    std::fs::write(theme.join("favicon.ico"), b"\x00\x00\x01\x00own").unwrap();
    let r = client.get(format!("{base}/favicon.ico")).send().await.unwrap();
    assert_eq!(&r.bytes().await.unwrap()[..], b"\x00\x00\x01\x00own");
}
