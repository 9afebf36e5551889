//! The HTTP edge of Newsdesk (axum): every route, authentication and CSRF, rate limits, the page cache. The use
//! cases behind the handlers live in `newsdesk-services`.

pub mod auth;
pub mod cache;
pub mod chrome;
pub mod client_ip;
pub mod error;
pub mod forms;
pub mod metrics;
pub mod rate_limit;
pub mod redirect;
pub mod router;
pub mod routes;
pub mod state;

pub use router::router;
pub use state::{AppState, StateInner};
