//! Newsdesk's use cases: everything the admin, the JSON API, the worker and the CLI do that is not HTTP. Saving a
//! post (`posts`), storing an image (`media`), News Feed items (`feed_items`), staff passwords (`passwords`),
//! subscribers and their confirmations (`subscribers`), newsletter mail (`newsletter_mail`), and the typed views
//! pages and APIs serialise (`views`). Handlers extract, call one function here, and respond; the CLI calls the
//! same functions, so nothing is implemented twice.
//!
//! Everything takes a [`Context`]: the store, the templates, the site settings and where files live. The web
//! crate's `AppState` wraps one.

pub mod actor;
pub mod api_views;
pub mod archive;
pub mod context;
pub mod curation;
pub mod documents;
pub mod donations;
pub mod embeds;
pub mod error;
pub mod feed_items;
pub mod ghost;
pub mod import;
pub mod issues;
pub mod media;
pub mod members;
pub mod newsletter_mail;
pub mod newsletters;
pub mod passwords;
pub mod payments;
pub mod posts;
pub mod redirects;
pub mod revenue;
pub mod search;
pub mod staff;
pub mod storage;
pub mod stripe;
pub mod subscribers;
pub mod taxonomy;
pub mod views;
pub mod webhooks;

pub use actor::Actor;
pub use context::{Context, Options};
pub use error::{FieldErrors, ServiceError};
