//! Newsdesk's domain: pure types and the rules that hold for them, with no I/O.
//!
//! Input from forms, the API, the CLI and the importer becomes one of these types through a `parse()` that can fail
//! with a [`ValidationError`]; code further down never checks the same thing again.

pub mod author;
pub mod csv;
pub mod diff;
pub mod document;
pub mod email;
pub mod error;
pub mod feed;
pub mod language;
pub mod membership;
pub mod post;
pub mod role;
pub mod search;
pub mod site;
pub mod slug;
pub mod subscribers;
pub mod text;
pub mod timezone;

pub use author::AuthorKind;
pub use document::Document;
pub use email::EmailAddress;
pub use error::ValidationError;
pub use membership::{Access, Visibility};
pub use post::{PostStatus, Title, byline_names, reading_time_minutes};
pub use role::Role;
pub use site::SiteSettings;
pub use slug::Slug;
pub use timezone::Timezone;
