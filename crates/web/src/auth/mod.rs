//! Staff authentication (and members' sessions, `member`): argon2id passwords, server-side sessions in the database, CSRF tokens, API bearer tokens.

pub mod csrf;
pub mod member;
pub mod origin;
pub mod session;

pub use member::{MaybeMember, SignedInMember};
pub use newsdesk_services::Actor;
pub use session::{MaybeStaff, Staff};
