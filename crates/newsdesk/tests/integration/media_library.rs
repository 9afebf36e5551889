//! The media library: uploads of images (rendered as JPEG and WebP), audio and PDFs; search; defaults a story takes;
//! usage; delete refused while in use; replace keeping the address and re-rendering the stories that use the file;
//! oversized and fake files refused with their codes.

use reqwest::multipart::{Form, Part};

use crate::helpers::{backends, csrf_token, png, spawn_app};

fn upload_form(csrf: &str, bytes: Vec<u8>, name: &str) -> Form {
    Form::new().text("csrf_token", csrf.to_owned()).part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

/// A PNG that claims 20,000 × 20 pixels (small on disk, far too large to decode on a small server).
fn wide_png() -> Vec<u8> {
    png(20_000, 20)
}

#[tokio::test]
async fn the_library_stores_searches_reuses_replaces_and_guards_files() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        let ana = app.author("Ana Okafor", "person").await;
        app.create_staff("ed@example.org", "editor", Some(ana)).await;
        let staff = app.sign_in("ed@example.org").await;
        let (status, html) = app.get_text(&staff, "/admin/media").await;
        assert_eq!(status, 200, "{html}");
        let csrf = csrf_token(&html);

        // An image: rendered as JPEG and WebP at each width, listed with its uploader.
        let r = staff
            .post(app.url("/admin/media"))
            .multipart(upload_form(&csrf, png(1200, 800), "harbour.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let at = r.headers()["location"].to_str().unwrap().to_owned();
        let id: i64 = at.trim_start_matches("/admin/media/").split('?').next().unwrap().parse().unwrap();
        let m = app.store.media(id).await.unwrap().unwrap();
        assert_eq!(
            (m.kind.as_str(), m.width, m.height, m.widths.as_str(), m.formats.as_str()),
            ("image", 1200, 800, "480,960,1200", "jpg,webp")
        );
        for w in [480, 960, 1200] {
            for ext in ["jpg", "webp"] {
                let r = app.browser().get(app.url(&format!("/media/{}/{w}.{ext}", m.file_key))).send().await.unwrap();
                assert_eq!(r.status(), 200, "{w}.{ext}");
                let bytes = r.bytes().await.unwrap();
                let decoded = image::load_from_memory(&bytes).unwrap();
                assert_eq!(decoded.width(), w, "{ext} rendition is {w} wide");
            }
        }
        // Defaults a story takes, and the search finds them (and the uploader).
        let (status, page) = app.get_text(&staff, &at).await;
        assert_eq!(status, 200, "{page}");
        assert!(page.contains("Added."), "the flash says what happened");
        let r = staff
            .post(app.url(&format!("/admin/media/{id}")))
            .form(&[
                ("csrf_token", csrf_token(&page).as_str()),
                ("alt", "Cranes over the harbour"),
                ("caption", "The harbour at dusk."),
                ("credit", "Photo: Tidewater Wire"),
                ("focal_x", "30"),
                ("focal_y", "70"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let r = staff
            .post(app.url(&format!("/admin/media/{id}")))
            .form(&[("csrf_token", csrf.as_str()), ("focal_x", "130")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "a focal point past 100 % is refused beside its field");
        assert!(r.text().await.unwrap().contains("The focal point is a percentage from 0 to 100."));
        for q in ["cranes", "Tidewater", "harbour.png", "ed@example"] {
            let (_, grid) = app.get_text(&staff, &format!("/admin/media?q={q}")).await;
            assert!(grid.contains(&format!("/admin/media/{id}\"")), "search for {q} finds the file");
        }
        let (_, none) = app.get_text(&staff, "/admin/media?q=nothing-like-this").await;
        assert!(none.contains("No files match."));
        let (_, docs_only) = app.get_text(&staff, "/admin/media?kind=document").await;
        assert!(!docs_only.contains(&format!("/admin/media/{id}\"")));

        // A story uses it by id: the page gets <picture> with WebP, the defaults, width and height; usage is recorded.
        let post = newsdesk_services::posts::save_post(
            &app.store,
            &app.state.site,
            &newsdesk_services::Actor::system(),
            None,
            newsdesk_services::posts::PostDraft {
                title: "Cranes return".into(),
                document: Some(serde_json::json!({ "type": "doc", "content": [
                    { "type": "image", "attrs": { "src": m.file_key.clone(), "media_id": id, "alt": "", "size": "wide" } },
                    { "type": "gallery", "attrs": { "images": [{ "src": format!("/media/{}/960.jpg", m.file_key), "alt": "Second view" }] } }
                ] }).to_string().replace(&format!("\"src\":\"{}\"", m.file_key), &format!("\"src\":\"/media/{}/1200.jpg\"", m.file_key))),
                authors: vec!["Ana Okafor".into()],
                ..Default::default()
            },
            newsdesk_services::posts::Action::Status(newsdesk_domain::PostStatus::Published),
        )
        .await
        .unwrap_or_else(|e| panic!("{e:?}"));
        let row = app.store.post(post).await.unwrap().unwrap().row;
        assert!(row.body_html.contains(&format!("<source type=\"image/webp\" srcset=\"/media/{k}/480.webp 480w, /media/{k}/960.webp 960w, /media/{k}/1200.webp 1200w\"", k = m.file_key)), "{}", row.body_html);
        assert!(
            row.body_html.contains("alt=\"Cranes over the harbour\" width=\"1200\" height=\"800\""),
            "the library's alt text fills the block's empty one"
        );
        assert!(row.body_html.contains("The harbour at dusk. <span class=\"credit\">Photo: Tidewater Wire</span>"));
        assert!(row.body_html.contains("object-position: 30% 70%"), "the gallery crop keeps the focal point");
        assert_eq!(app.store.media_uses(id).await.unwrap().len(), 1, "image and gallery count as one story");
        let (_, grid) = app.get_text(&staff, "/admin/media").await;
        assert!(grid.contains("Used in 1 place"));

        // Delete is refused while the story uses it.
        let r = staff
            .post(app.url(&format!("/admin/media/{id}/delete")))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("This file is used in 1 place"));
        assert!(app.store.media(id).await.unwrap().is_some());

        // Replace: same key, new bytes and size; the story is rendered again with a new version on its URLs.
        let r = staff
            .post(app.url(&format!("/admin/media/{id}/replace")))
            .multipart(upload_form(&csrf, png(1000, 500), "harbour-2.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let after = app.store.media(id).await.unwrap().unwrap();
        assert_eq!(after.file_key, m.file_key, "the address stays");
        assert_ne!(after.sha256, m.sha256);
        assert_eq!((after.width, after.height), (1000, 500));
        let html = app.store.post(post).await.unwrap().unwrap().row.body_html;
        assert!(html.contains(&format!("/media/{}/1000.jpg?v={}", m.file_key, &after.sha256[..12])), "{html}");
        assert!(html.contains("width=\"1000\" height=\"500\""));
        let r = staff
            .post(app.url(&format!("/admin/media/{id}/replace")))
            .multipart(upload_form(&csrf, b"%PDF-1.4 x".to_vec(), "x.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "an image is replaced by an image");

        // Audio and documents: stored as uploaded, served with their type (audio with ranges).
        let mut mp3 = b"ID3\x03\x00\x00\x00\x00\x00\x00".to_vec();
        mp3.extend(std::iter::repeat_n(0u8, 2000));
        let r = staff
            .post(app.url("/admin/media"))
            .multipart(upload_form(&csrf, mp3, "interview.mp3"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        let audio = app
            .store
            .list_media(&newsdesk_store::media::MediaFilter { kind: Some("audio".into()), ..Default::default() }, 1, 10)
            .await
            .unwrap();
        let a = &audio.items[0].media;
        let r = app
            .browser()
            .get(app.url(&format!("/media/{}/original.mp3", a.file_key)))
            .header("range", "bytes=0-9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.headers()["content-type"], "audio/mpeg");
        let r = staff
            .post(app.url("/admin/media"))
            .multipart(upload_form(&csrf, b"%PDF-1.7\n%fake but shaped".to_vec(), "contract.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);

        // Refusals: not an image for the editor, a 20,000-pixel image, a script pretending to be a photo.
        let r = staff
            .post(app.url("/admin/media"))
            .multipart(upload_form(&csrf, wide_png(), "wide.png"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains("20000 × 20 pixels"));
        let r = staff
            .post(app.url("/admin/media"))
            .multipart(upload_form(&csrf, b"<script>alert(1)</script>".to_vec(), "photo.jpg"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let (_, edit_page) = app.get_text(&staff, "/admin/posts/new").await;
        let r = staff
            .post(app.url("/admin/editor/upload"))
            .multipart(upload_form(&csrf_token(&edit_page), b"%PDF-1.7\n".to_vec(), "x.pdf"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "the editor's image upload takes images only");

        // Once no story uses it, the file can be deleted, bytes and all.
        let unused = app
            .store
            .list_media(
                &newsdesk_store::media::MediaFilter { kind: Some("document".into()), ..Default::default() },
                1,
                10,
            )
            .await
            .unwrap();
        let doc = unused.items[0].media.clone();
        let r = staff
            .post(app.url(&format!("/admin/media/{}/delete", doc.id)))
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert!(app.store.media(doc.id).await.unwrap().is_none());
        assert!(!app.data_dir().join("media").join(newsdesk_services::media::media_prefix(&doc.file_key)).exists());
        let json: serde_json::Value =
            staff.get(app.url("/admin/media.json?kind=image&q=cranes")).send().await.unwrap().json().await.unwrap();
        assert_eq!(json["media"][0]["id"], id);
        assert_eq!(json["media"][0]["alt"], "Cranes over the harbour");
    }
}
