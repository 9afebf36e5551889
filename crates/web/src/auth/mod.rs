//! Staff authentication: argon2id passwords, server-side sessions in the database, CSRF tokens, API bearer tokens.

pub mod csrf;
pub mod origin;
pub mod password;
pub mod session;

pub use session::{Actor, MaybeStaff, Staff};
