//! Rendering: Markdown to sanitised HTML (once, when a post is saved), the template environment with its
//! site > built-in lookup, the view structs pages are rendered from, and the embedded static assets.

pub mod assets;
pub mod feeds;
pub mod jsonld;
pub mod markdown;
pub mod narration;
pub mod templates;
pub mod views;

pub use markdown::{Rendered, render_markdown, sanitize_html};
pub use minijinja;
pub use templates::Templates;
