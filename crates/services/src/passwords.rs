//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes). Hashing runs on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use newsdesk_domain::ValidationError;

fn hasher() -> Argon2<'static> {
    // m = 19 MiB, t = 2, p = 1: the OWASP minimum for argon2id.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password: at least 10 characters, at most 1000, and typed the same twice.
pub fn check_new(password: &str, confirm: &str) -> Result<(), ValidationError> {
    if password.chars().count() < 10 {
        return Err(ValidationError::new("password", "password_too_short", "Use at least 10 characters."));
    }
    if password.len() > 1000 {
        return Err(ValidationError::new("password", "password_too_long", "Use at most 1000 characters."));
    }
    if password != confirm {
        return Err(ValidationError::new("password_confirm", "password_mismatch", "The two passwords differ."));
    }
    Ok(())
}

fn salt() -> Result<SaltString, argon2::password_hash::Error> {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes)
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = salt().map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    })
    .await?
}

pub async fn verify(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => hasher().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

static DUMMY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    salt().and_then(|salt| hasher().hash_password(b"no such account", &salt).map(|h| h.to_string())).unwrap_or_default()
});

/// Spends the same time as a real check, so sign-in does not reveal which addresses have accounts.
pub async fn verify_dummy(password: String) {
    let dummy = tokio::task::spawn_blocking(|| DUMMY.clone()).await.unwrap_or_default();
    let _ = verify(password, dummy).await;
}
