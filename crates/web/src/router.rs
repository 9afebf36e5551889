//! Every route of the server, in one table.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::routes::{admin, api, public};
use crate::state::AppState;

pub fn router(state: AppState) -> Router {
    let admin = Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/admin/posts") }))
        .route("/signin", get(admin::session::signin_form).post(admin::session::signin))
        .route("/signout", post(admin::session::signout))
        .route("/setup/{token}", get(admin::session::setup_form).post(admin::session::setup))
        .route("/posts", get(admin::posts::list))
        .route("/posts/new", get(admin::posts::new_form).post(admin::posts::create))
        .route("/posts/autosave", post(admin::posts::autosave))
        .route("/posts/{id}/edit", get(admin::posts::edit_form).post(admin::posts::update))
        .route("/posts/{id}/delete", post(admin::posts::delete))
        .route("/preview", post(admin::posts::preview))
        .route("/authors", get(admin::authors::list).post(admin::authors::create))
        .route("/authors/{id}", post(admin::authors::update))
        .route("/authors/{id}/delete", post(admin::authors::delete))
        .route("/tags", get(admin::tags::list).post(admin::tags::create))
        .route("/tags/{id}", post(admin::tags::update))
        .route("/tags/{id}/delete", post(admin::tags::delete))
        .route("/users", get(admin::users::list).post(admin::users::invite))
        .route("/users/{id}", post(admin::users::update))
        .route("/users/{id}/delete", post(admin::users::delete))
        .route("/jobs", get(admin::jobs::list))
        .route("/jobs/{id}/retry", post(admin::jobs::retry))
        .route("/tokens", get(admin::tokens::list).post(admin::tokens::create))
        .route("/tokens/{id}/delete", post(admin::tokens::delete))
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
        .route("/posts/{id}/revisions", get(admin::revisions::list))
        .route("/posts/{id}/revisions/{revision}/restore", post(admin::revisions::restore));

    let api = Router::new()
        .route("/posts", get(api::posts::list).post(api::posts::create))
        .route(
            "/posts/{key}",
            get(api::posts::show).put(api::posts::update).patch(api::posts::update).delete(api::posts::delete),
        )
        .route("/posts/{key}/publish", post(api::posts::publish))
        .route("/media", post(api::media::upload))
        .route("/feed-items", get(api::feed_items::list).post(api::feed_items::create))
        .route("/feed-items/{id}", get(api::feed_items::show).patch(api::feed_items::update))
        .route("/feed-items/{id}/retract", post(api::feed_items::retract))
        .route("/authors", get(api::taxonomy::authors))
        .route("/authors/{slug}", get(api::taxonomy::author))
        .route("/tags", get(api::taxonomy::tags))
        .route("/tags/{slug}", get(api::taxonomy::tag))
        .fallback(api::not_found);

    Router::new()
        .route("/", get(public::home::index))
        .route("/page/{n}/", get(public::home::paged))
        .route("/tag/{slug}/", get(public::archive::tag))
        .route("/tag/{slug}/page/{n}/", get(public::archive::tag_paged))
        .route("/author/{slug}/", get(public::archive::author))
        .route("/author/{slug}/page/{n}/", get(public::archive::author_paged))
        .route("/news-feed/", get(public::feed::page))
        .route("/news-feed/rss/", get(public::feed::rss))
        .route("/news-feed/feed.json", get(public::feed::json_feed))
        .route("/news-feed/events", get(public::feed::events))
        .route("/{slug}/", get(public::post::show))
        .route("/assets/{name}", get(public::assets::asset))
        .route("/media/{sha}/{file}", get(public::assets::media))
        .route("/healthz", get(public::health::healthz))
        .nest("/admin", admin)
        .nest("/api/v1", api)
        .fallback(public::fallback)
        .layer(DefaultBodyLimit::max(crate::forms::MAX_UPLOAD + 1024 * 1024))
        .layer(axum::middleware::from_fn(crate::routes::log_requests))
        .with_state(state)
}
