-- Full-text search over published stories and pages (FTS5, ranked with bm25): one row per published post, rowid =
-- posts.id, written in the same transaction as the publish, edit, unpublish or delete (store::search::reindex).
-- Columns: the headline, the dek, the body's text, and the rest a reader may search by (photo caption, tags,
-- bylines). The Porter stemmer over unicode61 with diacritics folded: "delays" finds "delayed", "Kyiv" finds "Kýiv".
-- Expand-only: nothing else reads it.
CREATE VIRTUAL TABLE post_search USING fts5(
    title, dek, body, extra,
    tokenize = 'porter unicode61 remove_diacritics 2'
);

INSERT INTO post_search (rowid, title, dek, body, extra)
SELECT p.id, p.title, COALESCE(p.excerpt, ''), p.body_text,
       COALESCE(p.feature_image_caption, '') || ' ' ||
       COALESCE((SELECT group_concat(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                 WHERE pt.post_id = p.id AND t.name NOT LIKE '#%'), '') || ' ' ||
       COALESCE((SELECT group_concat(a.name, ' ') FROM post_authors pa JOIN authors a ON a.id = pa.author_id
                 WHERE pa.post_id = p.id), '')
FROM posts p WHERE p.status = 'published';
