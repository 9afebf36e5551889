//! Staff roles and what each may do. The web layer asks these questions; it never compares role names itself.

use crate::ValidationError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Contributor,
    Author,
    Editor,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Owner, Role::Admin, Role::Editor, Role::Author, Role::Contributor];

    pub fn parse(field: &'static str, s: &str) -> Result<Role, ValidationError> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "editor" => Role::Editor,
            "author" => Role::Author,
            "contributor" => Role::Contributor,
            other => {
                return Err(ValidationError::new(
                    field,
                    "role_invalid",
                    format!("Unknown role \"{other}\"; use owner, admin, editor, author or contributor."),
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
        }
    }

    /// Publish, schedule and unpublish. Contributors write drafts for others to publish.
    pub fn can_publish(self) -> bool {
        self >= Role::Author
    }

    /// Edit posts written by someone else. Authors and contributors edit only their own.
    pub fn can_edit_others(self) -> bool {
        self >= Role::Editor
    }

    /// Manage authors (bylines), tags and the home page.
    pub fn can_manage_taxonomy(self) -> bool {
        self >= Role::Editor
    }

    /// Manage newsletters and their subscribers, and send issues.
    pub fn can_manage_newsletters(self) -> bool {
        self >= Role::Editor
    }

    /// Manage staff accounts, API tokens and site settings.
    pub fn can_manage_staff(self) -> bool {
        self >= Role::Admin
    }

    /// Whether a user of this role may give `other` to someone: never a role above one's own, never owner.
    pub fn can_grant(self, other: Role) -> bool {
        self.can_manage_staff() && other != Role::Owner && other <= self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_follow_the_role_ladder() {
        assert!(!Role::Contributor.can_publish());
        assert!(Role::Author.can_publish());
        assert!(!Role::Author.can_edit_others());
        assert!(Role::Editor.can_edit_others());
        assert!(!Role::Editor.can_manage_staff());
        assert!(Role::Admin.can_grant(Role::Editor));
        assert!(!Role::Admin.can_grant(Role::Owner));
        assert!(Role::parse("role", "chief").is_err());
    }
}
