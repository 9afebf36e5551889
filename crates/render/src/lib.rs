//! Rendering: a story's body from the document model to page HTML, e-mail HTML and text (once, when a post is
//! saved), Markdown and HTML into the model, the one HTML sanitiser, the template environment with its
//! site > built-in lookup, the view structs pages are rendered from, and the embedded static assets.

pub mod assets;
pub mod charts;
pub mod document;
pub mod feeds;
pub mod jsonld;
pub mod locale;
pub mod narration;
pub mod sanitize;
pub mod templates;
pub mod views;

pub use minijinja;
pub use sanitize::sanitize_html;
pub use templates::Templates;
