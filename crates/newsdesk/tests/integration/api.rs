//! JSON API v1: public reads, token-authenticated writes, error codes.

use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, png, spawn_app};

pub(crate) async fn token(app: &TestApp, role: &str) -> String {
    let (t, hash) = newsdesk_store::new_token();
    app.store.create_api_token("test", role, &hash, "admin").await.unwrap();
    format!("nd_{t}")
}

#[tokio::test]
async fn api_creates_updates_publishes_and_deletes_posts() {
    for backend in backends() {
        let app = spawn_app(backend).await;
        app.author("Ana Okafor", "person").await;
        app.author("Metro desk", "desk").await;
        let editor = token(&app, "editor").await;
        let http = app.browser();

        let r = http.post(app.url("/api/v1/posts")).json(&json!({ "title": "No token" })).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "token_missing");
        let r = http
            .post(app.url("/api/v1/posts"))
            .bearer_auth("nd_wrong")
            .json(&json!({ "title": "x" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "token_invalid");

        // Upload an image, then create a draft that uses it.
        let form = Form::new().part("file", Part::bytes(png(640, 360)).file_name("a.png"));
        let r = http.post(app.url("/api/v1/media")).bearer_auth(&editor).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let media_id = r.json::<Value>().await.unwrap()["media"]["id"].as_i64().unwrap();
        let form = Form::new().part("file", Part::bytes(b"GIF? no".to_vec()).file_name("b.gif"));
        let r = http.post(app.url("/api/v1/media")).bearer_auth(&editor).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 422);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "image_invalid");

        let body = json!({ "title": "Tram line gets go-ahead", "body": "The tram **will** run.", "authors": ["Ana Okafor", { "name": "Metro desk", "kind": "desk" }],
            "tags": ["City Hall"], "excerpt": "Dek", "feature_image": media_id, "feature_image_alt": "A tram", "feature_image_credit": "Photo: Wire" });
        let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor).json(&body).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let post = r.json::<Value>().await.unwrap()["post"].clone();
        assert_eq!(post["status"], "draft");
        assert_eq!(post["byline"], "Ana Okafor and the Metro desk");
        assert_eq!(post["primary_tag"], "City Hall");
        assert!(post["html"].as_str().unwrap().contains("<strong>will</strong>"));
        let id = post["id"].as_i64().unwrap();
        assert_eq!(
            http.get(app.url(&format!("/api/v1/posts/{id}"))).send().await.unwrap().status(),
            404,
            "drafts are not public"
        );

        // Bad input: codes, and nothing changes.
        for (bad, code, status) in [
            (json!({ "title": "" , "authors": ["Ana Okafor"]}), "title_empty", 422),
            (json!({ "title": "x", "authors": ["Nobody Atall"] }), "author_unknown", 422),
            (json!({ "title": "x", "authors": ["Ana Okafor"], "slug": "tram-line-gets-go-ahead" }), "slug_taken", 409),
            (
                json!({ "title": "x", "authors": ["Ana Okafor"], "published_at": "yesterday", "status": "published" }),
                "date_invalid",
                422,
            ),
            (json!({ "title": "x", "authors": ["Ana Okafor"], "status": "live" }), "status_invalid", 422),
            (json!({ "title": "x", "colour": "red" }), "invalid_json", 400),
        ] {
            let r = http.post(app.url("/api/v1/posts")).bearer_auth(&editor).json(&bad).send().await.unwrap();
            assert_eq!(r.status().as_u16(), status, "{bad}");
            let j = r.json::<Value>().await.unwrap();
            assert_eq!(j["error"], code, "{bad}");
            assert!(j["message"].as_str().unwrap().len() > 5);
        }
        assert_eq!(app.store.list_posts(&Default::default(), 1, 10).await.unwrap().total, 1);

        // A contributor token cannot publish.
        let contributor = token(&app, "contributor").await;
        let r =
            http.post(app.url(&format!("/api/v1/posts/{id}/publish"))).bearer_auth(&contributor).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "forbidden");

        let r = http.post(app.url(&format!("/api/v1/posts/{id}/publish"))).bearer_auth(&editor).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let r = http.get(app.url("/api/v1/posts/tram-line-gets-go-ahead")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let public = r.json::<Value>().await.unwrap()["post"].clone();
        assert_eq!(public["status"], "published");
        assert_eq!(public["feature_image"]["alt"], "A tram");
        let r = http
            .patch(app.url(&format!("/api/v1/posts/{id}")))
            .bearer_auth(&editor)
            .json(&json!({ "title": "Tram line approved" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.json::<Value>().await.unwrap()["post"]["byline"],
            "Ana Okafor and the Metro desk",
            "absent fields are kept"
        );
        let list =
            http.get(app.url("/api/v1/posts?tag=city-hall")).send().await.unwrap().json::<Value>().await.unwrap();
        assert_eq!(list["meta"]["total"], 1);
        assert_eq!(list["posts"][0]["title"], "Tram line approved");
        let authors = http.get(app.url("/api/v1/authors")).send().await.unwrap().json::<Value>().await.unwrap();
        assert!(authors["authors"].as_array().unwrap().iter().any(|a| a["kind"] == "desk"));
        assert_eq!(http.get(app.url("/api/v1/tags/city-hall")).send().await.unwrap().status(), 200);
        assert_eq!(http.get(app.url("/api/v1/tags/nope")).send().await.unwrap().status(), 404);
        assert_eq!(
            http.get(app.url("/api/v1/nothing")).send().await.unwrap().json::<Value>().await.unwrap()["error"],
            "not_found"
        );

        assert_eq!(
            http.delete(app.url(&format!("/api/v1/posts/{id}")))
                .bearer_auth(&contributor)
                .send()
                .await
                .unwrap()
                .status(),
            403
        );
        assert_eq!(
            http.delete(app.url(&format!("/api/v1/posts/{id}"))).bearer_auth(&editor).send().await.unwrap().status(),
            204
        );
        assert_eq!(http.get(app.url(&format!("/api/v1/posts/{id}"))).send().await.unwrap().status(), 404);
        assert_eq!(app.get(&http, "/tram-line-gets-go-ahead/").await.status(), 404);
    }
}

/// A token limited to some areas writes only those; an expired token is refused; both are shown in the admin.
#[tokio::test]
async fn tokens_carry_scopes_and_expiry() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app(backend).await;
        app.author("Rui Costa", "person").await;
        let out = crate::helpers::newsdesk(
            &app,
            &["token", "create", "--name", "feed bot", "--role", "editor", "--scopes", "feed", "--expires-days", "30"],
        );
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let feed = c
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"headline": "Ferry back at 07:10", "summary": "The first crossing runs again."}))
            .send()
            .await
            .unwrap();
        assert_eq!(feed.status(), 201, "{}", feed.text().await.unwrap());
        let post = c
            .post(app.url("/api/v1/posts"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"title": "Not mine", "markdown": "x", "authors": ["rui-costa"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(post.status(), 403);
        let body: serde_json::Value = post.json().await.unwrap();
        assert_eq!(body["error"], "scope_missing");
        assert!(body["message"].as_str().unwrap().contains("posts scope"));
        assert_eq!(
            c.get(app.url("/api/v1/posts")).bearer_auth(&token).send().await.unwrap().status(),
            200,
            "reads are not limited"
        );

        // Expired: refused with its own code.
        sqlx::query("UPDATE api_tokens SET expires_at = 1").execute(&app.store.pool).await.unwrap();
        let r = c
            .post(app.url("/api/v1/feed-items"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"headline": "x", "summary": "y"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "token_expired");

        // Bad scopes are one line on the CLI; the admin lists scopes and expiry.
        let out = crate::helpers::newsdesk(&app, &["token", "create", "--name", "x", "--scopes", "everything"]);
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("--scopes: “everything” is not a scope"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        app.create_staff("admin@example.org", "admin", None).await;
        let admin = app.sign_in("admin@example.org").await;
        let (_, html) = app.get_text(&admin, "/admin/tokens").await;
        assert!(
            html.contains("<td>feed</td>") && html.contains("name=\"scopes\" value=\"posts\""),
            "scopes shown and offered"
        );
    }
}

/// Redirects over the API: add, refuse with codes, import and export CSV, list, remove; the role and scope hold.
#[tokio::test]
async fn redirects_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app(backend).await;
        let token = |role: &str, scopes: &str| {
            let mut args = vec!["token", "create", "--name", "t", "--role", role];
            if !scopes.is_empty() {
                args.extend(["--scopes", scopes]);
            }
            let out = crate::helpers::newsdesk(&app, &args);
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        let (editor, writer, contributor) =
            (token("editor", "taxonomy"), token("editor", "posts"), token("contributor", ""));
        let c = reqwest::Client::new();
        let post = |t: &str, body: serde_json::Value| {
            c.post(app.url("/api/v1/redirects")).bearer_auth(t.to_owned()).json(&body).send()
        };
        let r = post(&editor, serde_json::json!({"from": "https://old.example/2019/05/pier/", "to": "/pier-reopens/"}))
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let made: serde_json::Value = r.json().await.unwrap();
        assert_eq!(made["redirect"]["from"], "/2019/05/pier/");
        assert_eq!(made["redirect"]["status"], 301);
        for (body, status, code) in [
            (serde_json::json!({"from": "/x/", "to": "https://evil.example/"}), 422, "redirect_to_invalid"),
            (serde_json::json!({"from": "/2019/05/pier/", "to": "/elsewhere/"}), 409, "redirect_taken"),
            (serde_json::json!({"from": "/y/", "to": "/z/", "status": 200}), 422, "redirect_status_invalid"),
            (serde_json::json!({"to": "/z/"}), 400, "invalid_json"),
        ] {
            let r = post(&editor, body.clone()).await.unwrap();
            assert_eq!(r.status(), status, "{body}");
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], code, "{body}");
        }
        assert_eq!(
            post(&writer, serde_json::json!({"from": "/a/", "to": "/b/"})).await.unwrap().status(),
            403,
            "scope"
        );
        assert_eq!(
            post(&contributor, serde_json::json!({"from": "/a/", "to": "/b/"})).await.unwrap().status(),
            403,
            "role"
        );

        let r = c
            .post(app.url("/api/v1/redirects/import"))
            .bearer_auth(&editor)
            .body("from,to,status\n/old-a/,/new-a/,302\n/?p=9,/new-b/,\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["imported"], 2);
        let r = c
            .post(app.url("/api/v1/redirects/import"))
            .bearer_auth(&editor)
            .body("/bad/,//evil.example/\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let r = app.get(&app.browser(), "/old-a/").await;
        assert_eq!((r.status().as_u16(), r.headers()["location"].to_str().unwrap()), (302, "/new-a/"));
        let list: serde_json::Value =
            c.get(app.url("/api/v1/redirects?q=old")).bearer_auth(&editor).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["meta"]["total"], 1);
        let csv =
            c.get(app.url("/api/v1/redirects/export")).bearer_auth(&editor).send().await.unwrap().text().await.unwrap();
        assert!(csv.contains("/?p=9,/new-b/,301,csv"), "{csv}");
        let id = list["redirects"][0]["id"].as_i64().unwrap();
        assert_eq!(
            c.delete(app.url(&format!("/api/v1/redirects/{id}"))).bearer_auth(&editor).send().await.unwrap().status(),
            204
        );
        assert_eq!(app.get(&app.browser(), "/old-a/").await.status(), 404);
        assert_eq!(
            c.get(app.url("/api/v1/redirects")).send().await.unwrap().status(),
            401,
            "a token is needed to read them"
        );
    }
}

/// Subscribers over the API: a CRM adds (confirmed on a consent source, or with a confirmation mail), lists with
/// filters, unsubscribes, imports and exports CSV; the consent ledger names the token.
#[tokio::test]
async fn subscribers_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app_with(backend, crate::helpers::Options { demo: true }).await;
        let out = crate::helpers::newsdesk(
            &app,
            &["token", "create", "--name", "crm", "--role", "editor", "--scopes", "newsletters"],
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let url = |p: &str| app.url(&format!("/api/v1{p}"));
        let list: serde_json::Value =
            c.get(url("/newsletters")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert!(list["newsletters"].as_array().unwrap().iter().any(|n| n["slug"] == "morning-ledger"));

        let add = |body: serde_json::Value| {
            c.post(url("/newsletters/morning-ledger/subscribers")).bearer_auth(token.clone()).json(&body).send()
        };
        let r = add(serde_json::json!({"email": "Ana@Example.org", "name": "Ana", "confirmed": true, "source": "Signed up at the fair, 3 May"})).await.unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["subscriber"]["status"], "confirmed");
        let r = add(serde_json::json!({"email": "bo@example.net"})).await.unwrap();
        assert_eq!(
            r.json::<serde_json::Value>().await.unwrap()["subscriber"]["status"],
            "pending",
            "a confirmation mail goes out"
        );
        for (body, code) in [
            (serde_json::json!({"email": "not an address"}), "email_invalid"),
            (serde_json::json!({"email": "cy@example.org", "confirmed": true}), "invalid"),
        ] {
            let r = add(body.clone()).await.unwrap();
            assert_eq!(r.status(), 422, "{body}");
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], code);
        }
        let page: serde_json::Value = c
            .get(url("/newsletters/morning-ledger/subscribers?status=confirmed"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(page["meta"]["total"], 1);
        assert_eq!(page["subscribers"][0]["email"], "ana@example.org");
        assert_eq!(
            c.get(url("/newsletters/morning-ledger/subscribers?status=odd"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status(),
            400
        );

        let r = c
            .post(url("/newsletters/morning-ledger/subscribers/import?source=Old%20list&confirmed=true"))
            .bearer_auth(&token)
            .body("email,name\ncy@example.org,Cy\nbad address,X\n")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "a bad row imports nothing");
        let r = c
            .post(url(
                "/newsletters/morning-ledger/subscribers/import?source=Old%20list&confirmed=true&skip_invalid=true",
            ))
            .bearer_auth(&token)
            .body("email,name\ncy@example.org,Cy\nbad address,X\n")
            .send()
            .await
            .unwrap();
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!((j["added"].as_i64(), j["skipped"].as_i64()), (Some(1), Some(1)));
        let r = c
            .post(url("/newsletters/morning-ledger/subscribers/unsubscribe"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"email": "ana@example.org"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["unsubscribed"], true);
        let csv = c
            .get(url("/newsletters/morning-ledger/subscribers/export"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(csv.contains("cy@example.org") && csv.contains("unsubscribed"), "{csv}");
        let ledger: Vec<(String, Option<String>)> =
            sqlx::query_as("SELECT action, form_url FROM consent_ledger WHERE email = $1 ORDER BY id")
                .bind("ana@example.org")
                .fetch_all(&app.store.pool)
                .await
                .unwrap();
        assert_eq!(ledger[0].1.as_deref(), Some("API token “crm”"), "{ledger:?}");
        assert_eq!(ledger.last().unwrap().0, "api_unsubscribe");
        assert_eq!(c.get(url("/newsletters/nope/subscribers")).bearer_auth(&token).send().await.unwrap().status(), 404);

        // PATCH: a pending subscriber renamed, refused changes that change nothing, then confirmed on a source.
        let bo = app.store.subscriber_by_email("bo@example.net").await.unwrap().unwrap().id;
        let patch = |id: i64, body: serde_json::Value| {
            c.patch(url(&format!("/newsletters/morning-ledger/subscribers/{id}")))
                .bearer_auth(token.clone())
                .json(&body)
                .send()
        };
        let r = patch(bo, serde_json::json!({"name": "Bo Marsh"})).await.unwrap();
        assert_eq!(r.status(), 200);
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (j["subscriber"]["name"].as_str(), j["subscriber"]["status"].as_str()),
            (Some("Bo Marsh"), Some("pending"))
        );
        for (body, code) in [
            (serde_json::json!({"status": "confirmed", "name": "Not Kept"}), "invalid"),
            (serde_json::json!({"status": "bounced"}), "invalid"),
            (serde_json::json!({"name": "Two\nlines"}), "control_characters"),
        ] {
            let r = patch(bo, body.clone()).await.unwrap();
            assert_eq!(r.status(), 422, "{body}");
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], code, "{body}");
        }
        let r = patch(bo, serde_json::json!({"nickname": "x"})).await.unwrap();
        assert_eq!(r.status(), 400, "unknown fields are refused");
        let row = app.store.subscriber_by_email("bo@example.net").await.unwrap().unwrap();
        assert_eq!(row.name.as_deref(), Some("Bo Marsh"), "a refused change changes nothing");
        let r = patch(bo, serde_json::json!({"status": "confirmed", "source": "Asked at the front desk, 2 June"}))
            .await
            .unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["subscriber"]["status"], "confirmed");
        let r = patch(bo, serde_json::json!({"status": "unsubscribed", "name": ""})).await.unwrap();
        let j: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (j["subscriber"]["status"].as_str(), j["subscriber"]["name"].as_str()),
            (Some("unsubscribed"), None)
        );
        assert_eq!(patch(999_999, serde_json::json!({"name": "X"})).await.unwrap().status(), 404);
        let ledger: Vec<String> = sqlx::query_scalar("SELECT action FROM consent_ledger WHERE email = $1 ORDER BY id")
            .bind("bo@example.net")
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(ledger.last().map(String::as_str), Some("api_unsubscribe"), "{ledger:?}");
    }
}

/// Authors, tags, corrections and curation over the API, with their refusals.
#[tokio::test]
async fn the_newsroom_records_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app_with(backend, crate::helpers::Options { demo: true }).await;
        let out = crate::helpers::newsdesk(&app, &["token", "create", "--name", "desk", "--role", "editor"]);
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let send = |m: reqwest::Method, p: &str, body: Option<serde_json::Value>| {
            let mut r = c.request(m, app.url(&format!("/api/v1{p}"))).bearer_auth(token.clone());
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send()
        };
        use reqwest::Method;
        let r = send(
            Method::POST,
            "/authors",
            Some(serde_json::json!({"name": "Harbour desk", "kind": "desk", "bio": "Ships and shore."})),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["author"]["slug"], "harbour-desk");
        let r =
            send(Method::PATCH, "/authors/harbour-desk", Some(serde_json::json!({"bio": "Ships, shore and ferries."})))
                .await
                .unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["author"]["bio"], "Ships, shore and ferries.");
        let r = send(Method::POST, "/authors", Some(serde_json::json!({"name": "Harbour desk", "kind": "desk"})))
            .await
            .unwrap();
        assert_eq!(
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["error"].as_str().map(str::to_owned)),
            (409, Some("slug_taken".into()))
        );
        let r = send(Method::POST, "/authors", Some(serde_json::json!({"name": "X", "kind": "robot"}))).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "author_kind_invalid");
        assert_eq!(send(Method::DELETE, "/authors/harbour-desk", None).await.unwrap().status(), 204);
        assert_eq!(app.get(&app.browser(), "/author/harbour-desk/").await.status(), 404);

        let r = send(
            Method::POST,
            "/tags",
            Some(serde_json::json!({"name": "Tides", "description": "The water's rise and fall."})),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201);
        let r =
            send(Method::PATCH, "/tags/tides", Some(serde_json::json!({"name": "Tides and weather"}))).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["tag"]["name"], "Tides and weather");
        assert_eq!(send(Method::DELETE, "/tags/tides", None).await.unwrap().status(), 204);
        assert_eq!(send(Method::DELETE, "/tags/tides", None).await.unwrap().status(), 404);

        // A correction on a published story appears on it.
        let story = "dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records";
        let r = send(
            Method::POST,
            &format!("/posts/{story}/corrections"),
            Some(serde_json::json!({"body": "An earlier version gave the wrong contract value."})),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let (_, html) = app.get_text(&app.browser(), &format!("/{story}/")).await;
        assert!(html.contains("An earlier version gave the wrong contract value."));
        assert_eq!(
            send(Method::POST, &format!("/posts/{story}/corrections"), Some(serde_json::json!({"body": " "})))
                .await
                .unwrap()
                .status(),
            400
        );

        // Curation: picks and home slots.
        let before: serde_json::Value = send(Method::GET, "/curation", None).await.unwrap().json().await.unwrap();
        let id = app.store.published_by_slug(story).await.unwrap().unwrap().row.id;
        let r = send(Method::PUT, "/curation/home", Some(serde_json::json!({"lead": id}))).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["home"]["lead"], id);
        assert_eq!(
            send(Method::PUT, "/curation/home", Some(serde_json::json!({"sidebar": id}))).await.unwrap().status(),
            422
        );
        let first_pick = before["picks"][0]["id"].as_i64().unwrap();
        assert_eq!(send(Method::DELETE, &format!("/curation/picks/{first_pick}"), None).await.unwrap().status(), 204);
        let r = send(Method::POST, "/curation/picks", Some(serde_json::json!({"post": story}))).await.unwrap();
        let after: serde_json::Value = r.json().await.unwrap();
        assert_eq!(after["picks"].as_array().unwrap().last().unwrap()["slug"], story);
        assert!(!after["picks"].as_array().unwrap().iter().any(|p| p["id"] == first_pick));
    }
}

/// Issues over the API: send (idempotent by key), a test copy, progress, and the controls with their refusals.
#[tokio::test]
async fn issues_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app_with(backend, crate::helpers::Options { demo: true }).await;
        let n = app.store.newsletter_by_slug("morning-ledger").await.unwrap().unwrap();
        crate::helpers::confirmed_subscribers(&app, n.id, &["ana@example.org".into(), "bo@example.net".into()]).await;
        let out = crate::helpers::newsdesk(
            &app,
            &["token", "create", "--name", "sender", "--role", "editor", "--scopes", "newsletters"],
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let post = |p: String, body: serde_json::Value| {
            c.post(app.url(&format!("/api/v1{p}"))).bearer_auth(token.clone()).json(&body).send()
        };
        let story = "dredging-contract-went-to-a-firm-with-ties-to-two-port-board-members-records";
        let body = serde_json::json!({"posts": [story], "subject": "Tonight: the dredging contract", "key": "dredging-2026-12-01"});
        let r = post("/newsletters/morning-ledger/issues".into(), body.clone()).await.unwrap();
        assert_eq!(r.status(), 201);
        let issue: serde_json::Value = r.json().await.unwrap();
        let id = issue["issue"]["id"].as_i64().unwrap();
        let r = post("/newsletters/morning-ledger/issues".into(), body.clone()).await.unwrap();
        assert_eq!(r.status(), 200, "the same key finds the same issue");
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["issue"]["id"], id);
        let r = post(format!("/issues/{id}/pause"), serde_json::json!({})).await.unwrap();
        assert_eq!(
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["error"].as_str().map(str::to_owned)),
            (409, Some("issue_state".into())),
            "a queued issue has nothing to pause"
        );
        app.run_jobs().await;
        let shown: serde_json::Value = c
            .get(app.url(&format!("/api/v1/issues/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(shown["issue"]["status"], "sent");
        assert_eq!(shown["issue"]["progress"]["sent"], 2);
        assert_eq!(post(format!("/issues/{id}/cancel"), serde_json::json!({})).await.unwrap().status(), 409);

        let r = post(
            "/newsletters/morning-ledger/issues".into(),
            serde_json::json!({"posts": [story], "key": "second-send-key"}),
        )
        .await
        .unwrap();
        let second = r.json::<serde_json::Value>().await.unwrap()["issue"]["id"].as_i64().unwrap();
        let r = post(format!("/issues/{second}/cancel"), serde_json::json!({})).await.unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["issue"]["status"], "cancelled");

        for (b, code) in [
            (serde_json::json!({"posts": ["no-such-story"], "key": "another-key-1"}), "issue_invalid"),
            (serde_json::json!({"posts": [story], "key": "short"}), "issue_invalid"),
        ] {
            let r = post("/newsletters/morning-ledger/issues".into(), b).await.unwrap();
            assert_eq!(r.status(), 422);
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], code);
        }
        let r = post(
            "/newsletters/morning-ledger/issues/test".into(),
            serde_json::json!({"posts": [story], "to": "editor@example.org"}),
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 202);
        app.run_jobs().await;
        assert!(
            crate::helpers::outbox(&app).iter().any(|m| m.contains("To: editor@example.org") && m.contains("[Test]"))
        );
    }
}

/// The media library over the API: upload, list and search, change the defaults, delete only what no story uses.
#[tokio::test]
async fn the_media_library_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app(backend).await;
        let out = crate::helpers::newsdesk(&app, &["token", "create", "--name", "photo desk", "--role", "editor"]);
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(crate::helpers::png(800, 500))
                .file_name("quay.png")
                .mime_str("image/png")
                .unwrap(),
        );
        let r = c.post(app.url("/api/v1/media")).bearer_auth(&token).multipart(form).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let id = r.json::<serde_json::Value>().await.unwrap()["media"]["id"].as_i64().unwrap();
        let r = c
            .patch(app.url(&format!("/api/v1/media/{id}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"alt": "The quay at dusk", "credit": "Photo: Tidewater Wire", "focal_x": 30}))
            .send()
            .await
            .unwrap();
        let m: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (m["media"]["alt"].as_str(), m["media"]["focal"]["x"].as_i64()),
            (Some("The quay at dusk"), Some(30))
        );
        let r = c
            .patch(app.url(&format!("/api/v1/media/{id}")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"focal_x": 130}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.json::<serde_json::Value>().await.unwrap()["error"], "focal_invalid");
        let list: serde_json::Value =
            c.get(app.url("/api/v1/media?q=dusk")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(list["meta"]["total"], 1);
        assert_eq!(list["media"][0]["used_in"], 0);
        // In use by a story: not deleted.
        let author = app.author("Rui Costa", "person").await;
        let mut input = crate::helpers::stored_post("quay-at-dusk", "x", "<p>x</p>", "published", author);
        input.feature_image_id = Some(id);
        app.store.create_post(&input, None).await.unwrap();
        let r = c.delete(app.url(&format!("/api/v1/media/{id}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(
            (r.status().as_u16(), r.json::<serde_json::Value>().await.unwrap()["error"].as_str().map(str::to_owned)),
            (422, Some("media_in_use".into()))
        );
        let post = app.store.post_by_slug("quay-at-dusk").await.unwrap().unwrap();
        newsdesk_services::posts::delete_post(&app.store, post.row.id).await.unwrap();
        assert_eq!(
            c.delete(app.url(&format!("/api/v1/media/{id}"))).bearer_auth(&token).send().await.unwrap().status(),
            204
        );
        assert_eq!(
            c.get(app.url(&format!("/api/v1/media/{id}"))).bearer_auth(&token).send().await.unwrap().status(),
            404
        );
    }
}

/// Newsletters are made and changed over the API too.
#[tokio::test]
async fn newsletters_are_made_and_changed_over_the_api() {
    for backend in crate::helpers::backends() {
        let app = crate::helpers::spawn_app(backend).await;
        let out = crate::helpers::newsdesk(
            &app,
            &["token", "create", "--name", "crm", "--role", "editor", "--scopes", "newsletters"],
        );
        let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        let c = reqwest::Client::new();
        let r = c.post(app.url("/api/v1/newsletters")).bearer_auth(&token).json(&serde_json::json!({"name": "Harbour Weekly", "description": "Ships, every Friday.", "cadence": "Weekly"})).send().await.unwrap();
        assert_eq!(r.status(), 201);
        let n: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (n["newsletter"]["slug"].as_str(), n["newsletter"]["visibility"].as_str()),
            (Some("harbour-weekly"), Some("public"))
        );
        let r = c
            .patch(app.url("/api/v1/newsletters/harbour-weekly"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"visibility": "hidden"}))
            .send()
            .await
            .unwrap();
        let n: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            (n["newsletter"]["visibility"].as_str(), n["newsletter"]["cadence"].as_str()),
            (Some("hidden"), Some("Weekly")),
            "absent fields are kept"
        );
        let r = c
            .patch(app.url("/api/v1/newsletters/harbour-weekly"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"visibility": "secret"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let (_, page) = app.get_text(&app.browser(), "/newsletters/").await;
        assert!(!page.contains("Harbour Weekly"), "a hidden newsletter is not offered to readers");
    }
}
