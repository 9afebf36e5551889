-- Newsletter issues, per-recipient deliveries, the suppression list, and the key that signs subscribers' links.
CREATE TABLE newsletter_issues (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    -- One per send form (or CLI call): a double-click finds the issue the first click made.
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('post', 'digest')),
    post_ids TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- Rendered once when the issue is made, with placeholders for each recipient's name and signed links.
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'paused', 'sent', 'cancelled')),
    total INTEGER NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    finished_at INTEGER
);
CREATE INDEX newsletter_issues_newsletter ON newsletter_issues(newsletter_id, status);

-- One row per recipient of an issue: the record a crashed sender resumes from.
CREATE TABLE deliveries (
    issue_id INTEGER NOT NULL REFERENCES newsletter_issues(id) ON DELETE CASCADE,
    subscriber_id INTEGER NOT NULL,
    email TEXT NOT NULL,
    name TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'bounced', 'skipped')),
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    claimed_until INTEGER,
    message_id TEXT,
    last_error TEXT,
    sent_at INTEGER,
    PRIMARY KEY (issue_id, subscriber_id)
);
CREATE INDEX deliveries_due ON deliveries(issue_id, status, next_attempt_at);
CREATE INDEX deliveries_email ON deliveries(email);

-- Addresses that never get newsletter mail again: hard bounces, complaints, and staff's own additions.
CREATE TABLE suppressions (
    email TEXT PRIMARY KEY,
    reason TEXT NOT NULL CHECK (reason IN ('bounce', 'complaint', 'manual')),
    detail TEXT,
    created_at INTEGER NOT NULL
);

CREATE TABLE site_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- A confirmation token may confirm a change of address instead of a signup.
ALTER TABLE confirmation_tokens ADD COLUMN new_email TEXT;
CREATE INDEX subscriptions_pending ON subscriptions(status, created_at);
