-- Moving in: what imported sites carry (featured stories, page and tag hierarchies), the source ids that make a
-- second import update instead of duplicate, and redirects from the old site's addresses. Expand-only.
ALTER TABLE posts ADD COLUMN featured INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN parent_id INTEGER REFERENCES posts(id) ON DELETE SET NULL;
ALTER TABLE tags ADD COLUMN parent_id INTEGER REFERENCES tags(id) ON DELETE SET NULL;

-- One row per imported thing: (source, kind, source id) → our id. `source` names the old site
-- ("wordpress:https://old.example.org"); `kind` is post, author, tag or media.
CREATE TABLE import_ids (
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    source_id TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (source, kind, source_id)
);

-- Old addresses answered with a redirect. A redirect to a story, section or author follows it (its current slug;
-- a story only while it is published, so an old link never reveals a draft's address); else it goes to `to_path`.
-- Looked up only for requests nothing else answers, so a redirect never shadows a live page.
CREATE TABLE redirects (
    id INTEGER PRIMARY KEY,
    from_path TEXT NOT NULL UNIQUE,
    to_path TEXT,
    post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
    tag_id INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    author_id INTEGER REFERENCES authors(id) ON DELETE CASCADE,
    status INTEGER NOT NULL DEFAULT 301 CHECK (status IN (301, 302, 307, 308)),
    source TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (to_path IS NOT NULL OR post_id IS NOT NULL OR tag_id IS NOT NULL OR author_id IS NOT NULL)
);
CREATE INDEX redirects_post ON redirects (post_id);

-- API tokens are of two kinds: "admin" (a Bearer token for /api/v1/, with a role) and "content" (a read-only key
-- for the Ghost-compatible Content API under /ghost/api/content/, 26 hex characters as Ghost's).
ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'admin';

-- Outbound webhooks: endpoints staff register for events, and one delivery row per event and endpoint, written in
-- the transaction of the change that caused it (with the job that delivers it). The secret signs every delivery
-- (Standard Webhooks); it is kept as given because signing needs it, and never logged.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    description TEXT,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    msg_id TEXT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- Admin tokens may be limited to some areas (scopes, comma-separated; empty: all its role allows) and expire.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER;
