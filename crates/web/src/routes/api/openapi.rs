//! The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! Nothing in it is written by hand: each handler carries a `#[utoipa::path]` (its method, path, parameters, body
//! and answers, naming the very types it reads and writes), and the router registers handlers through
//! `utoipa_axum::routes!`, which adds the route and its document entry together (see `router.rs`). A route cannot
//! be served without being documented, nor documented without being served. What every operation shares — the
//! error body, the two ways of authenticating — is added here.

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, ToSchema};

/// Every refusal under `/api/v1/`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable snake_case code (the table in docs/api.md).
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Newsdesk JSON API",
        description = "Stories, media, the News Feed, authors, tags, curation, redirects, newsletters, subscribers, \
            newsletter issues, members and tiers. Reads of published content are public; everything else needs an API \
            token \
            (`newsdesk token create`) as `Authorization: Bearer nd_…`, whose role and scopes are enforced as a staff \
            member's. Every refusal is `{\"error\": \"code\", \"message\": \"…\"}`. The guide with examples is \
            docs/api.md.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later")
    ),
    servers((url = "/api/v1", description = "This site")),
    components(schemas(ErrorBody)),
    tags(
        (name = "posts", description = "Stories and pages, and their corrections logs"),
        (name = "media", description = "The media library"),
        (name = "feed", description = "The News Feed"),
        (name = "authors", description = "Authors and desks"),
        (name = "tags", description = "Tags (a name that starts with # is internal)"),
        (name = "curation", description = "The home page's slots and the Editors' Picks"),
        (name = "redirects", description = "Old addresses and where they lead"),
        (name = "newsletters", description = "Newsletters"),
        (name = "subscribers", description = "A newsletter's subscribers and their consent"),
        (name = "issues", description = "Sending a newsletter issue"),
        (name = "mail", description = "Bounces and complaints from the mail provider"),
        (name = "search", description = "Full-text search over what is published"),
        (name = "members", description = "Readers' accounts, their subscriptions and grants (admins)"),
        (name = "tiers", description = "Membership tiers"),
    )
)]
pub struct ApiDoc;

/// Adds what every operation shares: the security schemes, and the error body as the answer to any 4xx or 5xx
/// status an operation does not describe itself (with its description kept where it does).
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme(
            "token",
            bearer("An API token, `nd_…` (`newsdesk token create`, or API tokens in the admin)."),
        );
        components
            .add_security_scheme("webhook_secret", bearer("The `[newsletters] webhook_secret` of the configuration."));
        components.responses.insert("Error".into(), RefOr::T(error_response("Refused; `error` names why.")));
        // Operation ids are the handlers' names; where two modules use one name (`show`), the tag tells them apart.
        let mut seen = std::collections::HashMap::<String, usize>::new();
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                *seen.entry(op.operation_id.clone().unwrap_or_default()).or_default() += 1;
            }
        }
        for item in openapi.paths.paths.values_mut() {
            for op in operations(item) {
                with_errors(op);
                let id = op.operation_id.clone().unwrap_or_default();
                if seen.get(&id).is_some_and(|n| *n > 1) {
                    let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
                    op.operation_id = Some(format!("{tag}_{id}"));
                }
            }
        }
    }
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
        &mut item.options,
        &mut item.trace,
    ]
    .into_iter()
    .flatten()
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
        .build()
}

fn with_errors(op: &mut Operation) {
    for (status, response) in op.responses.responses.iter_mut() {
        let is_error = status.starts_with('4') || status.starts_with('5');
        if let RefOr::T(r) = response
            && is_error
            && r.content.is_empty()
        {
            *r = error_response(&r.description);
        }
    }
    for status in ["4XX", "5XX"] {
        op.responses.responses.entry(status.into()).or_insert_with(|| RefOr::Ref(Ref::from_response_name("Error")));
    }
}

/// The document as served, made once when the router is built: the handlers' entries, with what they share added
/// (after the routes are in: a `modifiers(…)` of the derive would run before).
pub fn handler(mut document: OpenApi) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + 'static {
    Shared.modify(&mut document);
    let json = Bytes::from(document.to_pretty_json().unwrap_or_else(|_| "{}".into()));
    move || std::future::ready(([(header::CONTENT_TYPE, "application/json")], json.clone()).into_response())
}
