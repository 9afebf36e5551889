-- Audio editions: one per post, the narrated article and the state of its latest narration.
CREATE TABLE audio_editions (
    post_id INTEGER PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    -- State of the latest narration: queued, running, ready, failed, or off (no engine, or turned off).
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed', 'off')),
    -- The audio readers get: the last successful narration (kept while a new one runs).
    file TEXT,
    opus_file TEXT,
    text_hash TEXT,
    engine TEXT,
    voice TEXT,
    duration_ms INTEGER,
    bytes INTEGER,
    progress TEXT,
    error TEXT,
    updated_at INTEGER NOT NULL
);
ALTER TABLE posts ADD COLUMN narration INTEGER NOT NULL DEFAULT 1;
