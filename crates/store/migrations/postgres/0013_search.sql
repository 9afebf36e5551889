-- Full-text search over published stories and pages: one row per published post with its weighted tsvector
-- (headline A, dek B, caption/tags/bylines B, body C) in the post's text-search configuration, under a GIN index;
-- written in the same transaction as the publish, edit, unpublish or delete (store::search::reindex). The SQLite
-- side is an FTS5 table of the same name (the one part of the schema that differs by engine).
-- Expand-only: nothing else reads it.
CREATE TABLE post_search (
    post_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    config REGCONFIG NOT NULL DEFAULT 'english',
    document TSVECTOR NOT NULL
);
CREATE INDEX post_search_document ON post_search USING GIN (document);

INSERT INTO post_search (post_id, config, document)
SELECT p.id, 'english',
       setweight(to_tsvector('english', p.title), 'A') ||
       setweight(to_tsvector('english', COALESCE(p.excerpt, '')), 'B') ||
       setweight(to_tsvector('english',
           COALESCE(p.feature_image_caption, '') || ' ' ||
           COALESCE((SELECT string_agg(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                     WHERE pt.post_id = p.id AND t.name NOT LIKE '#%'), '') || ' ' ||
           COALESCE((SELECT string_agg(a.name, ' ') FROM post_authors pa JOIN authors a ON a.id = pa.author_id
                     WHERE pa.post_id = p.id), '')), 'B') ||
       setweight(to_tsvector('english', p.body_text), 'C')
FROM posts p WHERE p.status = 'published';
