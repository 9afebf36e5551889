//! docs/api.md's examples and the OpenAPI document, checked against the running API and each other.
//!
//! Every ```http request block of docs/api.md is sent, in order, to a new site; the ```http block after it is the
//! answer it must get (status, the headers shown, and the JSON fields shown, `…` matching any value). Every
//! exchange is then checked by `py/openapi_check.py` against `/api/v1/openapi.json`: the document must be valid
//! OpenAPI 3.1 (openapi-spec-validator), and each request body, status and answer must be what it describes. And
//! every operation of the document must have an example (the checker lists those without).

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::helpers::{Options, backends, python, spawn_app_full};

/// One example: the request block and the answer block, with the line of docs/api.md they start on.
struct Example {
    line: usize,
    request: String,
    answer: String,
}

fn examples(markdown: &str) -> Vec<Example> {
    let mut blocks: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match (&mut current, line) {
            (None, "```http") => current = Some((i + 2, Vec::new())),
            (Some(_), "```") => {
                let (start, lines) = current.take().unwrap_or_default();
                blocks.push((start, lines.join("\n")));
            }
            (Some((_, lines)), l) => lines.push(l),
            (None, _) => {}
        }
    }
    assert!(current.is_none(), "docs/api.md: an ```http block is not closed");
    let mut out = Vec::new();
    let mut it = blocks.into_iter();
    while let Some((line, request)) = it.next() {
        assert!(!request.starts_with("HTTP/"), "docs/api.md line {line}: an answer without a request before it");
        let (_, answer) = it.next().unwrap_or_else(|| panic!("docs/api.md line {line}: a request without its answer"));
        assert!(answer.starts_with("HTTP/"), "docs/api.md line {line}: the block after a request is not its answer");
        out.push(Example { line, request, answer });
    }
    out
}

/// `{{name}}` replaced by its value; an unknown name is a mistake in the docs.
fn substitute(text: &str, vars: &HashMap<String, String>, line: usize) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("}}").map(|e| start + e).unwrap_or_else(|| panic!("line {line}: unclosed {{{{"));
        let name = &rest[start + 2..end];
        let value =
            vars.get(name).unwrap_or_else(|| panic!("docs/api.md line {line}: {{{{{name}}}}} is not known yet"));
        out.push_str(value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Headers until the first empty line, and what follows.
fn head_and_body(text: &str) -> (Vec<(String, String)>, Vec<&str>) {
    let mut lines = text.lines();
    let mut headers = Vec::new();
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap_or_else(|| panic!("not a header line: {line:?}"));
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    (headers, lines.collect())
}

/// The request's body: JSON and CSV as written, multipart with CRLF line ends and `< ./file` lines replaced by the
/// file's bytes (paths from the repository's root).
fn request_body(lines: &[&str], multipart: bool) -> Vec<u8> {
    if !multipart {
        return lines.join("\n").trim_end().as_bytes().to_vec();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut body = Vec::new();
    for line in lines {
        match line.strip_prefix("< ") {
            Some(file) => body.extend(std::fs::read(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))),
            None => body.extend_from_slice(line.as_bytes()),
        }
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// Whether `actual` has what `shown` shows: the keys shown with matching values, the array items shown (in order,
/// the actual array may be longer), and "…" for any value.
fn matches(shown: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (shown, actual) {
        (Value::String(s), _) if s == "…" => Ok(()),
        (Value::Object(want), Value::Object(got)) => {
            for (k, v) in want {
                let a = got.get(k).ok_or_else(|| format!("{at}/{k} is missing"))?;
                matches(v, a, &format!("{at}/{k}"))?;
            }
            Ok(())
        }
        (Value::Array(want), Value::Array(got)) => {
            if got.len() < want.len() {
                return Err(format!("{at} has {} items, the docs show {}", got.len(), want.len()));
            }
            for (i, (w, g)) in want.iter().zip(got).enumerate() {
                matches(w, g, &format!("{at}/{i}"))?;
            }
            Ok(())
        }
        (w, g) if w == g => Ok(()),
        (w, g) => Err(format!("{at} is {g}, the docs show {w}")),
    }
}

/// Remembers `{{resource.field}}` for every scalar field of every resource in an answer (`{"post": {...}}`).
fn remember(vars: &mut HashMap<String, String>, answer: &Value) {
    let Some(top) = answer.as_object() else { return };
    for (name, resource) in top {
        let Some(fields) = resource.as_object() else { continue };
        for (field, v) in fields {
            // The first of a list of objects, as `member.subscriptions.0.id`.
            if let Some(first) = v.as_array().and_then(|a| a.first()).and_then(Value::as_object) {
                for (k, inner) in first {
                    if let Some(text) =
                        inner.as_i64().map(|n| n.to_string()).or_else(|| inner.as_str().map(str::to_owned))
                    {
                        vars.insert(format!("{name}.{field}.0.{k}"), text);
                    }
                }
            }
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            vars.insert(format!("{name}.{field}"), text);
        }
    }
}

#[tokio::test]
async fn docs_examples_run_and_match_the_openapi_document() {
    let markdown = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/api.md")).unwrap();
    let examples = examples(&markdown);
    assert!(examples.len() >= 40, "docs/api.md has only {} examples", examples.len());
    for backend in backends() {
        let secret = "example-webhook-secret-0001";
        let app =
            spawn_app_full(backend, Options { demo: false }, |c| c.newsletters.webhook_secret = secret.into()).await;
        let (t, hash) = newsdesk_store::new_token();
        app.store.create_api_token("docs examples", "editor", &hash, "admin").await.unwrap();
        let (admin, hash) = newsdesk_store::new_token();
        app.store.create_api_token("docs admin", "admin", &hash, "admin").await.unwrap();
        let mut vars: HashMap<String, String> = [
            ("token".to_owned(), format!("nd_{t}")),
            ("admin_token".to_owned(), format!("nd_{admin}")),
            ("webhook_secret".to_owned(), secret.to_owned()),
        ]
        .into();
        let http = app.browser();
        let mut exchanges = Vec::new();
        for ex in &examples {
            let line = ex.line;
            let request = substitute(&ex.request, &vars, line);
            let (first, rest) = request.split_once('\n').unwrap_or((&request, ""));
            let (method, target) = first.split_once(' ').unwrap_or_else(|| panic!("line {line}: {first:?}"));
            let target = target.trim_end_matches(" HTTP/1.1").trim();
            let (headers, body_lines) = head_and_body(rest);
            let multipart = headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("multipart/"));
            let body = request_body(&body_lines, multipart);
            let mut req = http.request(method.parse().unwrap(), app.url(target));
            for (k, v) in &headers {
                req = req.header(k.as_str(), v.as_str());
            }
            let sent_json = headers.iter().any(|(k, v)| k == "content-type" && v.starts_with("application/json"));
            let request_json: Option<Value> = sent_json.then(|| {
                serde_json::from_slice(&body)
                    .unwrap_or_else(|e| panic!("line {line}: the request body is not JSON: {e}"))
            });
            let r = req.body(body).send().await.unwrap();
            let status = r.status().as_u16();
            let got_headers = r.headers().clone();
            let text = r.text().await.unwrap();

            let answer = substitute(&ex.answer, &vars, line);
            let (status_line, rest) = answer.split_once('\n').unwrap_or((&answer, ""));
            let want_status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
            assert_eq!(status, want_status, "{backend:?} docs/api.md line {line}: {first} answered {status}: {text}");
            let (want_headers, want_body) = head_and_body(rest);
            for (k, v) in &want_headers {
                let got = got_headers.get(k.as_str()).and_then(|h| h.to_str().ok()).unwrap_or("");
                assert_eq!(got, v, "{backend:?} docs/api.md line {line}: header {k}");
            }
            let want_body = want_body.join("\n");
            let is_json = got_headers
                .get("content-type")
                .and_then(|h| h.to_str().ok())
                .is_some_and(|c| c.starts_with("application/json"));
            let answer_json: Option<Value> = is_json.then(|| serde_json::from_str(&text).unwrap());
            if let Some(got) = &answer_json {
                if !want_body.trim().is_empty() {
                    let shown: Value = serde_json::from_str(&want_body)
                        .unwrap_or_else(|e| panic!("docs/api.md line {line}: the answer shown is not JSON: {e}"));
                    if let Err(e) = matches(&shown, got, "") {
                        panic!("{backend:?} docs/api.md line {line}: {first}: {e}\nanswer: {text}");
                    }
                }
                remember(&mut vars, got);
            } else {
                assert!(
                    text.starts_with(want_body.trim()),
                    "{backend:?} docs/api.md line {line}: the answer does not start as shown: {text}"
                );
            }
            let path = target.strip_prefix("/api/v1").unwrap_or(target);
            let path = path.split('?').next().unwrap_or(path);
            exchanges.push(json!({
                "method": method, "path": path, "request": request_json, "status": status, "body": answer_json,
            }));
        }

        let spec: Value = http.get(app.url("/api/v1/openapi.json")).send().await.unwrap().json().await.unwrap();
        assert_eq!(spec["openapi"], "3.1.0");
        let dir = app.dir.path();
        std::fs::write(dir.join("openapi.json"), spec.to_string()).unwrap();
        std::fs::write(dir.join("exchanges.json"), serde_json::to_string(&exchanges).unwrap()).unwrap();
        let Some(report) = python(
            "openapi_check.py",
            "openapi_spec_validator",
            &[dir.join("openapi.json").to_str().unwrap(), dir.join("exchanges.json").to_str().unwrap()],
        ) else {
            continue;
        };
        let errors = report["errors"].as_array().unwrap();
        assert!(errors.is_empty(), "{backend:?}: the API and its OpenAPI document disagree:\n{errors:#?}");
        assert_eq!(report["checked"].as_u64(), Some(exchanges.len() as u64));
        let untried = report["untried"].as_array().unwrap();
        assert!(untried.is_empty(), "operations without an example in docs/api.md: {untried:?}");
    }
}

#[tokio::test]
async fn the_openapi_document_names_every_route_and_its_types() {
    let app = crate::helpers::spawn_app(newsdesk_store::Backend::Sqlite).await;
    let r = app.browser().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    let spec: Value = r.json().await.unwrap();
    assert_eq!(spec["servers"][0]["url"], "/api/v1");
    // The handlers' types are the schemas: the post a handler answers, the body it reads.
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in ["ApiPost", "PostBody", "ApiIssue", "ErrorBody", "ApiMedia", "SubscriberChange"] {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
    let post = &schemas["ApiPost"]["properties"];
    assert!(post["meta_description"].is_object() && post["revision"].is_object());
    // Writes name the token; public reads allow going without one; every operation answers errors as ErrorBody.
    let create = &spec["paths"]["/posts"]["post"];
    assert_eq!(create["security"], json!([{ "token": [] }]));
    assert_eq!(spec["paths"]["/posts"]["get"]["security"], json!([{}, { "token": [] }]));
    assert_eq!(create["responses"]["4XX"]["$ref"], "#/components/responses/Error");
    assert_eq!(
        create["responses"]["409"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/ErrorBody"
    );
    // A route the document lists is one the router serves, and the reverse: an unknown action is a 404.
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.contains_key("/issues/{id}/cancel") && !paths.contains_key("/issues/{id}/{action}"));
    let r = app.browser().post(app.url("/api/v1/issues/1/explode")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(paths.len() >= 30, "only {} paths", paths.len());
}
