-- The media library: every uploaded image, audio and document file, with the defaults a story takes when it uses
-- the file (alt text, caption, credit), a focal point for crops, who uploaded it, and which stories use it.
-- `file_key` names the file's directory and URL for good: replacing the file keeps it (and `sha256` follows the bytes).
-- Expand-only.
ALTER TABLE media ADD COLUMN file_key TEXT NOT NULL DEFAULT '';
UPDATE media SET file_key = sha256;
CREATE UNIQUE INDEX media_key ON media (file_key);
ALTER TABLE media ADD COLUMN kind TEXT NOT NULL DEFAULT 'image';
ALTER TABLE media ADD COLUMN formats TEXT NOT NULL DEFAULT 'jpg';
ALTER TABLE media ADD COLUMN size_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE media ADD COLUMN alt TEXT;
ALTER TABLE media ADD COLUMN caption TEXT;
ALTER TABLE media ADD COLUMN credit TEXT;
ALTER TABLE media ADD COLUMN focal_x INTEGER NOT NULL DEFAULT 50;
ALTER TABLE media ADD COLUMN focal_y INTEGER NOT NULL DEFAULT 50;
ALTER TABLE media ADD COLUMN uploaded_by INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE media ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE media SET updated_at = created_at;
CREATE INDEX media_created ON media (created_at);
CREATE INDEX media_uploaded_by ON media (uploaded_by);

-- Which stories use which files (feature images and the images and galleries in their bodies), written with every
-- save; a file in use cannot be deleted.
CREATE TABLE media_usage (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    PRIMARY KEY (media_id, post_id)
);
CREATE INDEX media_usage_post ON media_usage (post_id);
INSERT INTO media_usage (media_id, post_id) SELECT feature_image_id, id FROM posts WHERE feature_image_id IS NOT NULL;
