//! Every route of the server, in one table.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::forms::limits;
use crate::routes::{admin, api, ghost, public};
use crate::state::AppState;

/// The body limit of routes that take a file (the rest take `limits::FORM` in the admin and the API, and
/// `limits::PUBLIC_FORM` on the public site).
fn uploads() -> DefaultBodyLimit {
    DefaultBodyLimit::max(limits::UPLOAD)
}

/// API routes that take a file.
fn with_uploads(routes: UtoipaMethodRouter<AppState>) -> UtoipaMethodRouter<AppState> {
    let (schemas, paths, method_router) = routes;
    (schemas, paths, method_router.layer(uploads()))
}

/// The pages every language edition has, under its prefix ("" for the site's own language, "/uk" for another),
/// each request carrying its [`public::edition::Edition`].
fn edition_routes(router: Router<AppState>, edition: public::edition::Edition) -> Router<AppState> {
    use axum::handler::Handler;
    fn on<H: Handler<T, AppState>, T: 'static>(
        handler: H,
        edition: &public::edition::Edition,
    ) -> axum::routing::MethodRouter<AppState> {
        get(handler).layer(axum::Extension(edition.clone()))
    }
    let p = edition.prefix.clone();
    let e = &edition;
    router
        .route(&format!("{p}/"), on(public::home::index, e))
        .route(&format!("{p}/page/{{n}}/"), on(public::home::paged, e))
        .route(&format!("{p}/tag/{{slug}}/"), on(public::archive::tag, e))
        .route(&format!("{p}/tag/{{slug}}/page/{{n}}/"), on(public::archive::tag_paged, e))
        .route(&format!("{p}/author/{{slug}}/"), on(public::archive::author, e))
        .route(&format!("{p}/author/{{slug}}/page/{{n}}/"), on(public::archive::author_paged, e))
        .route(&format!("{p}/rss/"), on(public::syndication::site_rss, e))
        .route(&format!("{p}/atom/"), on(public::syndication::site_atom, e))
        .route(&format!("{p}/feed.json"), on(public::syndication::site_json, e))
        .route(&format!("{p}/tag/{{slug}}/rss/"), on(public::syndication::tag_rss, e))
        .route(&format!("{p}/tag/{{slug}}/atom/"), on(public::syndication::tag_atom, e))
        .route(&format!("{p}/tag/{{slug}}/feed.json"), on(public::syndication::tag_json, e))
        .route(&format!("{p}/author/{{slug}}/rss/"), on(public::syndication::author_rss, e))
        .route(&format!("{p}/author/{{slug}}/atom/"), on(public::syndication::author_atom, e))
        .route(&format!("{p}/author/{{slug}}/feed.json"), on(public::syndication::author_json, e))
        .route(&format!("{p}/search/"), on(public::search::page, e))
}

pub fn router(state: AppState) -> Router {
    public::assets::precompress();
    let admin = Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/admin/posts") }))
        .route("/signin", get(admin::session::signin_form).post(admin::session::signin))
        .route("/signout", post(admin::session::signout))
        .route("/forgot", get(admin::session::forgot_form).post(admin::session::forgot))
        .route("/outbox", get(admin::outbox::list))
        .route("/outbox/{file}", get(admin::outbox::show))
        .route("/setup/{token}", get(admin::session::setup_form).post(admin::session::setup))
        .route("/posts", get(admin::posts::list))
        .route("/posts/new", get(admin::posts::new_form).post(admin::posts::create).layer(uploads()))
        .route("/posts/autosave", post(admin::posts::autosave).layer(uploads()))
        .route("/posts/{id}/edit", get(admin::posts::edit_form).post(admin::posts::update).layer(uploads()))
        .route("/posts/{id}/delete", post(admin::posts::delete))
        .route("/preview", post(admin::posts::preview))
        .route("/editor/upload", post(admin::editor_api::upload).layer(uploads()))
        .route("/media", get(admin::media::list).post(admin::media::upload).layer(uploads()))
        .route("/media.json", get(admin::media::list_json))
        .route("/media/{id}", get(admin::media::show).post(admin::media::update))
        .route("/media/{id}/replace", post(admin::media::replace).layer(uploads()))
        .route("/media/{id}/delete", post(admin::media::delete))
        .route("/editor/convert", post(admin::editor_api::convert))
        .route("/editor/embed", post(admin::editor_api::embed))
        .route("/authors", get(admin::authors::list).post(admin::authors::create).layer(uploads()))
        .route("/authors/{id}", post(admin::authors::update).layer(uploads()))
        .route("/authors/{id}/delete", post(admin::authors::delete))
        .route("/tags", get(admin::tags::list).post(admin::tags::create))
        .route("/tags/{id}", post(admin::tags::update))
        .route("/tags/{id}/delete", post(admin::tags::delete))
        .route("/members", get(admin::members::list).post(admin::members::add))
        .route("/members.csv", get(admin::members::export))
        .route("/members/import", post(admin::members::import).layer(uploads()))
        .route("/members/{id}", get(admin::members::show))
        .route("/members/{id}/comps", post(admin::members::grant))
        .route("/members/{id}/comps/{sid}/revoke", post(admin::members::revoke))
        .route("/members/{id}/delete", post(admin::members::delete))
        .route("/revenue", get(admin::revenue::show))
        .route("/tiers", get(admin::tiers::list).post(admin::tiers::create))
        .route("/tiers/{id}", get(admin::tiers::edit_form).post(admin::tiers::update))
        .route("/redirects", get(admin::redirects::list).post(admin::redirects::create))
        .route("/redirects.csv", get(admin::redirects::export))
        .route("/redirects/import", post(admin::redirects::import).layer(uploads()))
        .route("/redirects/{id}/delete", post(admin::redirects::delete))
        .route("/users", get(admin::users::list).post(admin::users::invite))
        .route("/users/{id}", post(admin::users::update))
        .route("/users/{id}/delete", post(admin::users::delete))
        .route("/jobs", get(admin::jobs::list))
        .route("/jobs/{id}/retry", post(admin::jobs::retry))
        .route("/tokens", get(admin::tokens::list).post(admin::tokens::create))
        .route("/tokens/{id}/delete", post(admin::tokens::delete))
        .route("/webhooks", get(admin::webhooks::list).post(admin::webhooks::create))
        .route("/webhooks/{id}", get(admin::webhooks::show))
        .route("/webhooks/{id}/toggle", post(admin::webhooks::toggle))
        .route("/webhooks/{id}/delete", post(admin::webhooks::delete))
        .route("/webhooks/deliveries/{id}/redeliver", post(admin::webhooks::redeliver))
        .route("/account", get(admin::account::show))
        .route("/account/password", post(admin::account::change_password))
        .route("/news-feed", get(admin::news_feed::list).post(admin::news_feed::create))
        .route("/news-feed/{id}", get(admin::news_feed::edit_form).post(admin::news_feed::update))
        .route("/news-feed/{id}/retract", post(admin::news_feed::retract))
        .route("/curation", get(admin::curation::show))
        .route("/curation/home", post(admin::curation::save_slots))
        .route("/curation/picks", post(admin::curation::add_pick))
        .route("/curation/picks/{id}/move", post(admin::curation::move_pick))
        .route("/curation/picks/{id}/remove", post(admin::curation::remove_pick))
        .route("/posts/{id}/corrections", post(admin::revisions::add_correction))
        .route("/posts/{id}/narrate", post(admin::posts::narrate))
        .route("/posts/{id}/revisions", get(admin::revisions::list))
        .route("/posts/{id}/revisions/{revision}/restore", post(admin::revisions::restore))
        .route("/newsletters", get(admin::newsletters::list).post(admin::newsletters::create))
        .route("/newsletters/{id}", post(admin::newsletters::update))
        .route("/newsletters/{id}/subscribers", get(admin::subscribers::list).post(admin::subscribers::add))
        .route("/newsletters/{id}/subscribers.csv", get(admin::subscribers::export))
        .route("/newsletters/{id}/subscribers/import", post(admin::subscribers::import).layer(uploads()))
        .route("/newsletters/{id}/subscribers/{subscriber}/remove", post(admin::subscribers::remove))
        .route("/newsletters/{id}/send", get(admin::issues::compose).post(admin::issues::create))
        .route("/issues/{id}", get(admin::issues::show))
        .route("/issues/{id}/{action}", post(admin::issues::control))
        .route("/suppressions", get(admin::subscribers::suppressions).post(admin::subscribers::suppress))
        .route("/suppressions/remove", post(admin::subscribers::unsuppress))
        // Unknown admin URLs (`/admin/`, trailing slashes) go where the public fallback sends them.
        .fallback(public::fallback)
        .layer(DefaultBodyLimit::max(limits::FORM));

    // The JSON API: each `routes!` registers handlers together with their OpenAPI entries (`api::openapi`).
    let (api, document) = OpenApiRouter::with_openapi(api::openapi::ApiDoc::openapi())
        .routes(routes!(api::posts::list, api::posts::create))
        .routes(routes!(api::posts::show, api::posts::replace, api::posts::update, api::posts::delete))
        .routes(routes!(api::posts::publish))
        .routes(routes!(api::corrections::add_correction))
        .routes(with_uploads(routes!(api::media::list, api::media::upload)))
        .routes(routes!(api::media::show, api::media::update, api::media::delete))
        .routes(routes!(api::feed_items::list, api::feed_items::create))
        .routes(routes!(api::feed_items::show, api::feed_items::update))
        .routes(routes!(api::feed_items::retract))
        .routes(routes!(api::taxonomy::authors, api::taxonomy::create_author))
        .routes(routes!(api::taxonomy::author, api::taxonomy::update_author, api::taxonomy::delete_author))
        .routes(routes!(api::taxonomy::tags, api::taxonomy::create_tag))
        .routes(routes!(api::taxonomy::tag, api::taxonomy::update_tag, api::taxonomy::delete_tag))
        .routes(routes!(api::curation::curation_state))
        .routes(routes!(api::curation::set_home))
        .routes(routes!(api::curation::add_pick))
        .routes(routes!(api::curation::remove_pick))
        .routes(routes!(api::redirects::list, api::redirects::create))
        .routes(routes!(api::redirects::export))
        .routes(routes!(api::redirects::import))
        .routes(routes!(api::redirects::delete))
        .routes(routes!(api::newsletters::newsletters, api::newsletters::create_newsletter))
        .routes(routes!(api::newsletters::update_newsletter))
        .routes(routes!(api::newsletters::list, api::newsletters::add))
        .routes(routes!(api::newsletters::update))
        .routes(routes!(api::newsletters::unsubscribe))
        .routes(routes!(api::newsletters::import))
        .routes(routes!(api::newsletters::export))
        .routes(routes!(api::issues::create))
        .routes(routes!(api::issues::test))
        .routes(routes!(api::issues::show))
        .routes(routes!(api::issues::pause))
        .routes(routes!(api::issues::resume))
        .routes(routes!(api::issues::cancel))
        .routes(routes!(api::mail_events::receive))
        .routes(routes!(api::search::search))
        .routes(routes!(api::members::list, api::members::create))
        .routes(routes!(api::members::show, api::members::delete))
        .routes(routes!(api::members::grant))
        .routes(routes!(api::members::revoke))
        .routes(routes!(api::tiers::list, api::tiers::create))
        .routes(routes!(api::tiers::show, api::tiers::update))
        .split_for_parts();
    let api = api
        .route("/openapi.json", get(api::openapi::handler(document)))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(limits::FORM))
        .layer(axum::middleware::from_fn(api::json_errors));

    let mut site = Router::new();
    for edition in public::edition::Edition::all(&state.site) {
        site = edition_routes(site, edition);
    }
    site.route("/newsletters/", get(public::newsletters::index))
        .route("/newsletters/subscribe", post(public::newsletters::subscribe))
        .route(
            "/newsletters/confirm/{token}",
            get(public::newsletters::confirm_form).post(public::newsletters::confirm),
        )
        .route("/newsletters/resend", post(public::newsletters::resend))
        .route(
            "/newsletters/preferences/{token}",
            get(public::preferences::preferences_form).post(public::preferences::preferences),
        )
        .route(
            "/newsletters/unsubscribe/{token}",
            get(public::preferences::unsubscribe_form).post(public::preferences::unsubscribe),
        )
        .route("/members/signin", get(public::members::signin_form).post(public::members::request_signin))
        .route("/members/signin/{token}", get(public::members::link_form).post(public::members::redeem))
        .route(
            "/members/webhooks/stripe",
            post(public::members::stripe_webhook).layer(DefaultBodyLimit::max(limits::WEBHOOK)),
        )
        .route("/members/meter/{id}", post(public::meter::read))
        .route("/membership/", get(public::membership::index))
        .route("/membership/checkout", post(public::membership::checkout))
        .route("/membership/welcome", get(public::membership::welcome))
        .route("/support/", get(public::support::index))
        .route("/support/checkout", post(public::support::checkout))
        .route("/support/thanks", get(public::support::thanks))
        .route("/account/billing", post(public::membership::billing))
        .route("/account/", get(public::account::show))
        .route("/account/data.json", get(public::account::data))
        .route("/account/signout", post(public::account::sign_out))
        .route("/account/delete", post(public::account::delete))
        .route("/newsletters/{slug}/", get(public::newsletters::archive))
        .route("/newsletters/{slug}/{id}/", get(public::newsletters::archived_issue))
        .route("/news-feed/", get(public::feed::page))
        .route("/news-feed/rss/", get(public::feed::rss))
        .route("/news-feed/atom/", get(public::feed::atom))
        .route("/opensearch.xml", get(public::search::opensearch))
        .route("/sitemap.xml", get(public::syndication::sitemap_index))
        .route("/sitemaps/{name}", get(public::syndication::sitemap_part))
        .route("/sitemap-news.xml", get(public::syndication::news_sitemap))
        .route("/robots.txt", get(public::syndication::robots))
        .route("/oembed", get(public::syndication::oembed))
        .route("/podcast/rss/", get(public::syndication::podcast_site))
        .route("/tag/{slug}/podcast/rss/", get(public::syndication::podcast_tag))
        .route("/podcast/cover.png", get(public::assets::podcast_cover))
        .route("/media/audio/{file}", get(public::assets::audio))
        .route("/news-feed/feed.json", get(public::feed::json_feed))
        .route("/news-feed/events", get(public::feed::events))
        // Before `/{slug}/` would take it as a story's slug.
        .route(
            "/admin/",
            get(|| async {
                (axum::http::StatusCode::MOVED_PERMANENTLY, [(axum::http::header::LOCATION, "/admin/posts")])
            }),
        )
        .route("/{slug}/", get(public::post::show))
        .route("/assets/{name}", get(public::assets::asset))
        .route("/media/{sha}/{file}", get(public::assets::media))
        .route("/healthz", get(public::health::healthz))
        .route("/readyz", get(public::health::readyz))
        .route("/metrics", get(crate::metrics::scrape))
        .route("/favicon.ico", get(public::assets::favicon))
        .nest("/admin", admin)
        .nest("/api/v1", api)
        .nest("/ghost/api/content", ghost::content_router())
        .nest("/ghost/api/{version}/content", ghost::content_router())
        .fallback(public::fallback)
        .layer(DefaultBodyLimit::max(limits::PUBLIC_FORM))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::redirect::old_links))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::auth::origin::refuse_cross_site))
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::routes::log_requests))
        .with_state(state)
}
