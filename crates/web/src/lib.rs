//! The HTTP edge of Newsdesk (axum): every route, authentication and CSRF, rate limits, the page cache, and the
//! services (`content`, `media`) that forms, the API and the CLI share.

pub mod auth;
pub mod cache;
pub mod content;
pub mod error;
pub mod feed_items;
pub mod forms;
pub mod media;
pub mod newsletter_mail;
pub mod rate_limit;
pub mod redirect;
pub mod router;
pub mod routes;
pub mod state;
pub mod subscribers;
pub mod views;

pub use router::router;
pub use state::{AppState, StateInner};
