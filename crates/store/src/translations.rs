//! Translations: posts that tell the same story in different languages share a `translation_group` (the id of one
//! of them). A group holds at most one post per language, so linking can never make a cycle or two answers to
//! "read this in Ukrainian"; a post leaves its group when unlinked or deleted, and a group of one is no group.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::posts::{Translation, TranslationRow};
use crate::{Store, StoreError, StoreResult};

fn refused(message: impl Into<String>) -> StoreError {
    StoreError::Conflict { field: "translation_of", message: message.into() }
}

/// Applies a save's translation change to post `id`, inside the save's transaction, and checks its group still has
/// one post per language (the post's own language may just have changed).
pub(crate) async fn apply(conn: &mut AnyConnection, id: i64, change: Translation) -> StoreResult<()> {
    match change {
        Translation::Keep => {}
        Translation::Unlink => leave(conn, id).await?,
        Translation::Of(other) if other == id => return Err(refused("A story cannot be a translation of itself.")),
        Translation::Of(other) => {
            let found: Option<(Option<i64>,)> = sqlx::query_as("SELECT translation_group FROM posts WHERE id = $1")
                .bind(other)
                .fetch_optional(&mut *conn)
                .await?;
            let Some((group,)) = found else { return Err(refused("There is no such story to translate.")) };
            let group = group.unwrap_or(other);
            let mine: Option<i64> = sqlx::query_scalar("SELECT translation_group FROM posts WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
            if mine != Some(group) {
                leave(conn, id).await?;
            }
            sqlx::query("UPDATE posts SET translation_group = $1 WHERE id IN ($2, $3)")
                .bind(group)
                .bind(id)
                .bind(other)
                .execute(&mut *conn)
                .await?;
        }
    }
    let clash: Option<(Option<String>, String)> = sqlx::query_as(
        "SELECT o.language, o.title FROM posts p JOIN posts o
           ON o.translation_group = p.translation_group AND o.id <> p.id
          AND COALESCE(o.language, '') = COALESCE(p.language, '')
         WHERE p.id = $1 LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((_, title)) = clash {
        return Err(refused(format!(
            "“{title}” is already this story in the same language; a translation must be in another language."
        )));
    }
    Ok(())
}

/// Takes post `id` out of its group; the group keeps its key (another member's id if `id` was it) unless only one
/// post would be left in it.
pub(crate) async fn leave(conn: &mut AnyConnection, id: i64) -> StoreResult<()> {
    let group: Option<i64> = sqlx::query_scalar("SELECT translation_group FROM posts WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .flatten();
    let Some(group) = group else { return Ok(()) };
    sqlx::query("UPDATE posts SET translation_group = NULL WHERE id = $1").bind(id).execute(&mut *conn).await?;
    let left: Vec<i64> = sqlx::query_scalar("SELECT id FROM posts WHERE translation_group = $1 ORDER BY id")
        .bind(group)
        .fetch_all(&mut *conn)
        .await?;
    let key = match left.as_slice() {
        [] => return Ok(()),
        [_] => None,
        [first, ..] if group == id => Some(*first),
        _ => return Ok(()),
    };
    sqlx::query("UPDATE posts SET translation_group = $1 WHERE translation_group = $2")
        .bind(key)
        .bind(group)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

impl Store {
    /// Makes each list of posts one translation group (importers), each in its own transaction: a list that
    /// would put two posts of one language together is left as it was, and named in the answer.
    pub async fn set_translation_groups(&self, groups: &[Vec<i64>]) -> StoreResult<Vec<String>> {
        let mut problems = Vec::new();
        for group in groups {
            let Some((&first, rest)) = group.split_first() else { continue };
            let mut tx = self.write_tx().await?;
            let mut refused = None;
            for &id in rest {
                if let Err(e) = apply(&mut tx, id, Translation::Of(first)).await {
                    refused = Some(e);
                    break;
                }
            }
            match refused {
                None => {
                    crate::site::bump_content_version(&mut tx).await?;
                    tx.commit().await?;
                }
                Some(StoreError::Conflict { message, .. }) => problems.push(format!("posts {group:?}: {message}")),
                Some(other) => return Err(other),
            }
        }
        Ok(problems)
    }

    /// The members of one translation group, in id order.
    pub async fn translation_group(&self, group: i64) -> StoreResult<Vec<TranslationRow>> {
        Ok(self.translations(&[group]).await?.remove(&group).unwrap_or_default())
    }

    /// The members of the translation groups of `posts` (one query), by group; each list in id order.
    pub async fn translations(&self, groups: &[i64]) -> StoreResult<HashMap<i64, Vec<TranslationRow>>> {
        if groups.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT translation_group, id, slug, title, language, status FROM posts
             WHERE translation_group IN ({}) ORDER BY id",
            crate::placeholders(1, groups.len())
        );
        let mut q = sqlx::query_as::<_, TranslationRow>(sqlx::AssertSqlSafe(sql));
        for g in groups {
            q = q.bind(*g);
        }
        let mut out: HashMap<i64, Vec<TranslationRow>> = HashMap::new();
        for row in q.fetch_all(&self.pool).await? {
            out.entry(row.translation_group).or_default().push(row);
        }
        Ok(out)
    }
}
