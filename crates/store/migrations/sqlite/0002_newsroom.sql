-- Newsroom features: the live News Feed, Editors' Picks, home curation, related promos, corrections, revisions.

CREATE TABLE feed_items (
    id INTEGER PRIMARY KEY,
    headline TEXT NOT NULL,
    summary TEXT NOT NULL,
    post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL,
    url TEXT,
    tag_id INTEGER REFERENCES tags(id) ON DELETE SET NULL,
    author_id INTEGER REFERENCES authors(id) ON DELETE SET NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    published_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    retracted_at INTEGER,
    retraction_note TEXT
);
CREATE INDEX feed_items_recent ON feed_items(published_at DESC, id DESC);

-- Every change to a feed item, in order: what live pages replay (server-sent events, Last-Event-ID).
CREATE TABLE feed_events (
    seq INTEGER PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES feed_items(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('created', 'updated', 'retracted')),
    created_at INTEGER NOT NULL
);

CREATE TABLE editors_picks (
    post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    added_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

-- Home page curation: 'lead' and 'top1'..'top4'.
CREATE TABLE home_slots (
    slot TEXT PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE
);

ALTER TABLE posts ADD COLUMN related_post_id INTEGER REFERENCES posts(id) ON DELETE SET NULL;

-- Corrections and updates are append-only: no UPDATE, no DELETE, and a post that has any cannot be deleted.
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE RESTRICT,
    kind TEXT NOT NULL CHECK (kind IN ('correction', 'update')),
    body TEXT NOT NULL,
    created_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX corrections_post ON corrections(post_id, id);
CREATE TRIGGER corrections_no_update BEFORE UPDATE ON corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER corrections_no_delete BEFORE DELETE ON corrections
BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;

-- One row per save of a post: who, when, and the full text then.
CREATE TABLE post_revisions (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    revision INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    slug TEXT NOT NULL,
    excerpt TEXT,
    body_md TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (post_id, revision)
);
