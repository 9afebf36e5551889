//! Who is acting, as the permission rules see it: a signed-in staff member, an API token, or the CLI.

use newsdesk_domain::Role;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Role,
    /// The byline (person author) linked to the user, if any.
    pub author_id: Option<i64>,
}

impl Actor {
    /// The CLI and start-up (demo content, imports): the owner's rights, nobody's byline.
    pub fn system() -> Actor {
        Actor { user_id: None, role: Role::Owner, author_id: None }
    }
}
