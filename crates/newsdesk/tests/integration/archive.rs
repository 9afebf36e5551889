//! Moving out, or from SQLite to PostgreSQL: `newsdesk export archive` and `import archive` through the real binary.
//! A site with everything in it (the demo, a WordPress and a Substack import, a sent newsletter issue, redirects,
//! media) goes SQLite → archive → the other engine (PostgreSQL when it is there) → archive: both archives hold the same
//! rows and files, and both sites serve the same pages.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::helpers::{TestApp, backends, newsdesk, spawn_app, spawn_app_with};

fn ok(o: Output) -> String {
    let text = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success(), "{text}");
    text
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Each table's rows (sorted, as the engines may order text differently) and each file's bytes.
fn contents(
    archive: &Path,
) -> (std::collections::BTreeMap<String, Vec<String>>, std::collections::BTreeMap<String, Vec<u8>>) {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::fs::File::open(archive).unwrap()).unwrap();
    let (mut tables, mut files) = (std::collections::BTreeMap::new(), std::collections::BTreeMap::new());
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name.starts_with("tables/") {
            let mut lines: Vec<String> = String::from_utf8(bytes).unwrap().lines().map(str::to_owned).collect();
            lines.sort();
            tables.insert(name, lines);
        } else if name.starts_with("media/") {
            files.insert(name, bytes);
        }
    }
    (tables, files)
}

/// A page with this app's own address taken out (each app has its port).
async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let (status, body) = app.get_text(&app.browser(), path).await;
    let encoded = app.address.replace(':', "%3A").replacen("%3A", ":", 1).replace("http:", "http%3A");
    (status, body.replace(&app.address, "SITE").replace(&encoded, "SITE"))
}

#[tokio::test]
async fn a_site_moves_between_engines_through_an_archive_intact() {
    let from = spawn_app_with(newsdesk_store::Backend::Sqlite, crate::helpers::Options { demo: true }).await;
    let wp = fixtures().join("wordpress");
    ok(newsdesk(
        &from,
        &[
            "import",
            "wordpress",
            wp.join("export.xml").to_str().unwrap(),
            "--uploads",
            wp.join("uploads").to_str().unwrap(),
        ],
    ));
    ok(newsdesk(
        &from,
        &["import", "substack", fixtures().join("substack/export.zip").to_str().unwrap(), "--author", "Ines Okafor"],
    ));
    let csv = from.data_dir().join("readers.csv");
    std::fs::write(&csv, "email,name\nana@example.org,Ana\nbo@example.net,Bo\n").unwrap();
    ok(newsdesk(
        &from,
        &[
            "subscribers",
            "import",
            csv.to_str().unwrap(),
            "--newsletter",
            "morning-ledger",
            "--source",
            "Signed up at the fair",
            "--confirmed",
        ],
    ));
    ok(newsdesk(&from, &["send", "ferry-timetable-cut", "--newsletter", "morning-ledger", "--key", "archive-test"]));
    ok(newsdesk(&from, &["worker", "--once"]));
    ok(newsdesk(&from, &["user", "add", "--email", "desk@example.org", "--name", "Desk", "--role", "editor"]));
    // A member with a granted tier comes along too (and the free tier the site made on first use).
    from.store.find_or_create_member("reader@example.org", "signup").await.unwrap();
    assert!(!from.store.tiers().await.unwrap().is_empty());
    from.state.refresh_version().await;
    let deliveries: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM deliveries").fetch_one(&from.store.pool).await.unwrap();
    assert!(deliveries > 0, "an issue was sent");
    let a1 = from.data_dir().join("site.zip");
    let out = ok(newsdesk(&from, &["export", "archive", a1.to_str().unwrap()]));
    assert!(out.contains("wrote "), "{out}");

    // Into the other engine (PostgreSQL when the tests have it), then out again.
    let target = *backends().last().unwrap();
    let to = spawn_app(target).await;
    // The new site has made its own free tier already (as a visit to /membership/ would): the restore replaces it.
    to.store.tiers().await.unwrap();
    let out = ok(newsdesk(&to, &["import", "archive", a1.to_str().unwrap()]));
    assert!(out.contains("restored ") && out.contains("Forgot password"), "{out}");
    to.state.refresh_version().await;
    let a2 = to.data_dir().join("again.zip");
    ok(newsdesk(&to, &["export", "archive", a2.to_str().unwrap()]));
    let ((t1, f1), (t2, f2)) = (contents(&a1), contents(&a2));
    assert_eq!(t1.keys().collect::<Vec<_>>(), t2.keys().collect::<Vec<_>>());
    for (name, rows) in &t1 {
        assert_eq!(rows, &t2[name], "{name} is the same after the round trip");
    }
    assert_eq!(f1, f2, "every file is the same");
    for table in [
        "tables/posts.jsonl",
        "tables/deliveries.jsonl",
        "tables/consent_ledger.jsonl",
        "tables/redirects.jsonl",
        "tables/post_revisions.jsonl",
        "tables/subscriptions.jsonl",
        "tables/media.jsonl",
        "tables/members.jsonl",
        "tables/tiers.jsonl",
    ] {
        assert!(!t1[table].is_empty(), "{table} has rows");
    }
    assert!(t1["tables/users.jsonl"].iter().all(|u| u.contains("\"password_hash\":null")), "no staff secrets");
    assert!(!t1.contains_key("tables/sessions.jsonl") && !t1.contains_key("tables/api_tokens.jsonl"));

    // Both sites serve the same pages.
    for path in [
        "/",
        "/ferry-timetable-cut/",
        "/flood-barrier-decision/",
        "/tag/harbour/",
        "/author/mcoleman/",
        "/news-feed/",
        "/rss/",
        "/sitemap.xml",
        "/tide-tables-are-wrong/",
        "/newsletters/morning-ledger/",
    ] {
        let (a, b) = (page(&from, path).await, page(&to, path).await);
        assert_eq!(a.0, 200, "{path}");
        if a != b {
            let at = a.1.bytes().zip(b.1.bytes()).position(|(x, y)| x != y).unwrap_or(a.1.len().min(b.1.len()));
            let around = |s: &str| s.get(at.saturating_sub(120)..(at + 120).min(s.len())).unwrap_or("").to_owned();
            panic!("{path} differs between the engines at byte {at}:\n{}\n---\n{}", around(&a.1), around(&b.1));
        }
    }
    assert_eq!(page(&to, "/2024/02/14/ferry-timetable-cut/").await.0, 301, "redirects came along");
    // New rows continue after the restored ids.
    let author = to.author("After The Move", "person").await;
    to.store
        .create_post(&crate::helpers::stored_post("after-the-move", "x", "<p>x</p>", "published", author), None)
        .await
        .unwrap();

    // Refusals change nothing: into a database with content, a newer archive, a truncated one, not an archive.
    let out = newsdesk(&to, &["import", "archive", a1.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("empty database only"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = spawn_app(target).await;
    let dir = fresh.data_dir();
    let bytes = std::fs::read(&a1).unwrap();
    std::fs::write(dir.join("cut.zip"), &bytes[..bytes.len() / 2]).unwrap();
    std::fs::write(dir.join("not.zip"), b"hello").unwrap();
    let newer = dir.join("newer.zip");
    rewrite_manifest(&a1, &newer, |m| m["schema_version"] = 9999.into());
    for (file, expected) in
        [("cut.zip", "archive"), ("not.zip", "not a Newsdesk archive"), ("newer.zip", "newer Newsdesk")]
    {
        let out = newsdesk(&fresh, &["import", "archive", dir.join(file).to_str().unwrap()]);
        assert!(!out.status.success(), "{file}");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(lines.len(), 1, "{file}: {err}");
        assert!(lines[0].contains(expected), "{file}: {}", lines[0]);
        assert!(fresh.store.content_counts().await.unwrap().is_empty(), "{file}: nothing written");
    }
    let out = newsdesk(&from, &["export", "archive", a1.to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("exists already"));
}

fn rewrite_manifest(from: &Path, to: &Path, change: impl Fn(&mut serde_json::Value)) {
    use std::io::{Read, Write};
    let mut src = zip::ZipArchive::new(std::fs::File::open(from).unwrap()).unwrap();
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).unwrap());
    for i in 0..src.len() {
        let mut f = src.by_index(i).unwrap();
        let name = f.name().to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            change(&mut m);
            bytes = serde_json::to_vec(&m).unwrap();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
}
