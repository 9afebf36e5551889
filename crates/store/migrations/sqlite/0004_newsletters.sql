-- Newsletters, subscribers, double opt-in and the consent ledger.
CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    host_author_id INTEGER REFERENCES authors(id) ON DELETE SET NULL,
    sender_name TEXT,
    sender_email TEXT,
    reply_to TEXT,
    cadence TEXT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'hidden')),
    sort_order INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE subscriptions (
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
    created_at INTEGER NOT NULL,
    confirmed_at INTEGER,
    unsubscribed_at INTEGER,
    PRIMARY KEY (subscriber_id, newsletter_id)
);
CREATE INDEX subscriptions_newsletter ON subscriptions(newsletter_id, status);

-- Single-use confirmation links; only the SHA-256 of the token is stored.
CREATE TABLE confirmation_tokens (
    token_hash TEXT PRIMARY KEY,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    newsletter_ids TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

-- Who agreed to what, when, where from, with which words. Append-only in practice: nothing updates it.
CREATE TABLE consent_ledger (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE SET NULL,
    email TEXT NOT NULL,
    action TEXT NOT NULL,
    newsletters TEXT NOT NULL,
    ip TEXT,
    form_url TEXT,
    consent_text TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX consent_ledger_email ON consent_ledger(email);
