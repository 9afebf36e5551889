-- Audio editions: one per post, the narrated article and the state of its latest narration.
CREATE TABLE audio_editions (
    post_id BIGINT PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    -- State of the latest narration: queued, running, ready, failed, or off (no engine, or turned off).
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'ready', 'failed', 'off')),
    -- The audio readers get: the last successful narration (kept while a new one runs).
    file TEXT,
    opus_file TEXT,
    text_hash TEXT,
    engine TEXT,
    voice TEXT,
    duration_ms BIGINT,
    bytes BIGINT,
    progress TEXT,
    error TEXT,
    updated_at BIGINT NOT NULL
);
ALTER TABLE posts ADD COLUMN narration BIGINT NOT NULL DEFAULT 1;
