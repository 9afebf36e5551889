//! Staff accounts, their sessions, one-time sign-in links (owner setup, password reset) and API tokens.
//! Only hashes of secrets are stored: argon2id for passwords (hashed by the caller), SHA-256 for random tokens.

use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::{Store, StoreError, StoreResult, now};

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(skip)]
    pub password_hash: Option<String>,
    pub author_id: Option<i64>,
    pub created_at: i64,
}

impl std::fmt::Display for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginLink {
    pub purpose: String,
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: String,
    /// "admin" (a Bearer token for `/api/v1/`) or "content" (a read-only Content API key).
    pub kind: String,
    /// Areas an admin token may write (comma-separated); empty: all its role allows.
    pub scopes: String,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

const TOKEN_COLS: &str = "id, name, role, kind, scopes, expires_at, created_at, last_used_at";

impl Store {
    pub async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: &str,
        password_hash: Option<&str>,
        author_id: Option<i64>,
    ) -> StoreResult<User> {
        sqlx::query_as(
            "INSERT INTO users (email, name, role, password_hash, author_id, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(email)
        .bind(name)
        .bind(role)
        .bind(password_hash)
        .bind(author_id)
        .bind(now())
        .fetch_one(&self.pool)
        .await
        .map_err(StoreError::conflict_on("email", format!("A staff account for {email} already exists.")))
    }

    pub async fn user(&self, id: i64) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn users(&self) -> StoreResult<Vec<User>> {
        Ok(sqlx::query_as("SELECT * FROM users ORDER BY name").fetch_all(&self.pool).await?)
    }

    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?)
    }

    pub async fn update_user(&self, id: i64, name: &str, role: &str, author_id: Option<i64>) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET name = $1, role = $2, author_id = $3 WHERE id = $4")
            .bind(name)
            .bind(role)
            .bind(author_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn delete_user(&self, id: i64) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&self.pool).await?;
        if done.rows_affected() == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Sets a new password hash and ends every session of the user except `keep_session`.
    pub async fn set_password(&self, user_id: i64, hash: &str, keep_session: Option<&str>) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(user_id)
            .bind(keep_session.unwrap_or(""))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        csrf_token: &str,
        ttl_seconds: i64,
    ) -> StoreResult<()> {
        let t = now();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(user_id)
            .bind(csrf_token)
            .bind(t)
            .bind(t + ttl_seconds)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The live session with this token hash and its user, if any.
    pub async fn session(&self, token_hash: &str) -> StoreResult<Option<(Session, User)>> {
        let s: Option<Session> = sqlx::query_as("SELECT * FROM sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now())
            .fetch_optional(&self.pool)
            .await?;
        let Some(s) = s else { return Ok(None) };
        Ok(self.user(s.user_id).await?.map(|u| (s, u)))
    }

    /// Deletes sessions that expired before `now`. Returns how many.
    pub async fn purge_expired_sessions(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        Ok(done.rows_affected())
    }

    /// Deletes login links (setup, invitations, resets) that were used or ran out. Returns how many.
    pub async fn purge_spent_login_links(&self, now: i64) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM login_links WHERE used_at IS NOT NULL OR expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    pub async fn delete_session(&self, token_hash: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn create_login_link(
        &self,
        purpose: &str,
        user_id: Option<i64>,
        token_hash: &str,
        ttl_seconds: i64,
    ) -> StoreResult<()> {
        let t = now();
        sqlx::query("INSERT INTO login_links (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash)
            .bind(purpose)
            .bind(user_id)
            .bind(t)
            .bind(t + ttl_seconds)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A link that is still valid and unused, without using it (to show its form).
    pub async fn peek_login_link(&self, token_hash: &str) -> StoreResult<Option<LoginLink>> {
        Ok(sqlx::query_as(
            "SELECT purpose, user_id FROM login_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Uses a link once; a second use (or an expired link) returns `None`.
    pub async fn consume_login_link(&self, token_hash: &str) -> StoreResult<Option<LoginLink>> {
        let t = now();
        Ok(sqlx::query_as(
            "UPDATE login_links SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING purpose, user_id",
        )
        .bind(t)
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Creates a token of `kind` ("admin" or "content").
    pub async fn create_api_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &str,
        kind: &str,
    ) -> StoreResult<ApiToken> {
        self.create_limited_token(name, role, token_hash, kind, &[], None).await
    }

    /// Creates a token limited to `scopes` (none: all its role allows) that stops working at `expires_at`.
    pub async fn create_limited_token(
        &self,
        name: &str,
        role: &str,
        token_hash: &str,
        kind: &str,
        scopes: &[&str],
        expires_at: Option<i64>,
    ) -> StoreResult<ApiToken> {
        Ok(sqlx::query_as(AssertSqlSafe(format!(
            "INSERT INTO api_tokens (name, token_hash, role, created_at, kind, scopes, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLS}"
        )))
        .bind(name)
        .bind(token_hash)
        .bind(role)
        .bind(now())
        .bind(kind)
        .bind(scopes.join(","))
        .bind(expires_at)
        .fetch_one(&self.pool)
        .await?)
    }

    /// The admin token with this hash, marking it used.
    pub async fn api_token(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        Ok(sqlx::query_as(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 AND kind = 'admin'
             RETURNING id, name, role, kind, scopes, expires_at, created_at, last_used_at",
        )
        .bind(now())
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Whether a Content API key with this hash exists; its last use is written at most once a minute (the key is
    /// sent with every read).
    pub async fn content_key_valid(&self, token_hash: &str) -> StoreResult<bool> {
        let t = now();
        let found: Option<Option<i64>> =
            sqlx::query_scalar("SELECT last_used_at FROM api_tokens WHERE token_hash = $1 AND kind = 'content'")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        match found {
            None => Ok(false),
            Some(last) => {
                if last.is_none_or(|l| l < t - 60) {
                    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
                        .bind(t)
                        .bind(token_hash)
                        .execute(&self.pool)
                        .await?;
                }
                Ok(true)
            }
        }
    }

    pub async fn api_tokens(&self) -> StoreResult<Vec<ApiToken>> {
        Ok(sqlx::query_as(AssertSqlSafe(format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id")))
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn revoke_api_token(&self, id: i64) -> StoreResult<()> {
        sqlx::query("DELETE FROM api_tokens WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
