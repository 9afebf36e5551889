//! Signed links for subscribers: the preferences page and one-click unsubscribe are reached from emails without a
//! password, so each link carries an HMAC-SHA256 of what it may do, keyed by a secret kept in the database (shared
//! by every node). The address is part of what is signed, so a change of address retires the old links.

use sha2::{Digest, Sha256};

use crate::{Store, StoreResult, now};

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| block.iter().map(|k| k ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new().chain_update(pad(0x36)).chain_update(message).finalize();
    Sha256::new().chain_update(pad(0x5c)).chain_update(inner).finalize().into()
}

/// The key that signs subscribers' links.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(***)")
    }
}

impl LinkKey {
    pub fn new(secret: &[u8]) -> LinkKey {
        LinkKey(secret.to_vec())
    }

    /// 128 bits of the MAC of `purpose:parts…`, in hex.
    fn sign(&self, purpose: &str, parts: &[&str]) -> String {
        let message = format!("{purpose}:{}", parts.join(":"));
        hex::encode(&hmac_sha256(&self.0, message.as_bytes())[..16])
    }

    fn verify(&self, purpose: &str, parts: &[&str], sig: &str) -> bool {
        // Constant-time comparison.
        let expected = self.sign(purpose, parts);
        expected.len() == sig.len() && expected.bytes().zip(sig.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// `{subscriber}-{sig}`: opens the preferences page of this subscriber at this address.
    pub fn preferences_token(&self, subscriber_id: i64, email: &str) -> String {
        format!("{subscriber_id}-{}", self.sign("prefs", &[&subscriber_id.to_string(), email]))
    }

    /// `{subscriber}-{newsletter}-{sig}`: unsubscribes this subscriber from this newsletter.
    pub fn unsubscribe_token(&self, subscriber_id: i64, newsletter_id: i64, email: &str) -> String {
        let sig = self.sign("unsub", &[&subscriber_id.to_string(), &newsletter_id.to_string(), email]);
        format!("{subscriber_id}-{newsletter_id}-{sig}")
    }

    /// Splits a preferences token into the subscriber id and a check against the address on record.
    pub fn parse_preferences(token: &str) -> Option<(i64, &str)> {
        let (id, sig) = token.split_once('-')?;
        Some((id.parse().ok()?, sig))
    }

    pub fn check_preferences(&self, subscriber_id: i64, email: &str, sig: &str) -> bool {
        self.verify("prefs", &[&subscriber_id.to_string(), email], sig)
    }

    pub fn parse_unsubscribe(token: &str) -> Option<(i64, i64, &str)> {
        let mut it = token.splitn(3, '-');
        Some((it.next()?.parse().ok()?, it.next()?.parse().ok()?, it.next()?))
    }

    pub fn check_unsubscribe(&self, subscriber_id: i64, newsletter_id: i64, email: &str, sig: &str) -> bool {
        self.verify("unsub", &[&subscriber_id.to_string(), &newsletter_id.to_string(), email], sig)
    }
}

impl Store {
    /// The link-signing key, made on first use. Every node reads the same row, so links work on any of them.
    pub async fn link_key(&self) -> StoreResult<LinkKey> {
        let existing: Option<String> = sqlx::query_scalar("SELECT value FROM site_secrets WHERE name = 'links'")
            .fetch_optional(&self.pool)
            .await?;
        if let Some(value) = existing {
            return Ok(LinkKey::new(value.as_bytes()));
        }
        let (fresh, _) = crate::new_token();
        sqlx::query(
            "INSERT INTO site_secrets (name, value, created_at) VALUES ('links', $1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&fresh)
        .bind(now())
        .execute(&self.pool)
        .await?;
        let value: String =
            sqlx::query_scalar("SELECT value FROM site_secrets WHERE name = 'links'").fetch_one(&self.pool).await?;
        Ok(LinkKey::new(value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn links_are_bound_to_subscriber_newsletter_and_address() {
        let key = LinkKey::new(b"k");
        let t = key.unsubscribe_token(7, 3, "a@example.org");
        let (s, n, sig) = LinkKey::parse_unsubscribe(&t).unwrap();
        assert!(key.check_unsubscribe(s, n, "a@example.org", sig));
        assert!(!key.check_unsubscribe(s, 4, "a@example.org", sig));
        assert!(!key.check_unsubscribe(s, n, "b@example.org", sig));
        assert!(!LinkKey::new(b"other").check_unsubscribe(s, n, "a@example.org", sig));
        let p = key.preferences_token(7, "a@example.org");
        let (id, sig) = LinkKey::parse_preferences(&p).unwrap();
        assert!(key.check_preferences(id, "a@example.org", sig));
        assert!(!key.check_preferences(8, "a@example.org", sig));
    }
}
