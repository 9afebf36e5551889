-- Search for staff.
-- 1. The post index holds every post now, drafts and scheduled ones too, so the admin's post list finds words in
--    bodies; readers' search keeps to published posts by joining on their status (store::search).
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
FROM posts p WHERE p.status <> 'published';

-- 2. Subscriber search by any part of the address or name without scanning every row: trigram GIN indexes
--    (pg_trgm, a trusted extension: the database's owner may create it) that `LIKE '%…%'` uses. SQLite uses an
--    FTS5 trigram table of the same name instead.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX subscriber_search_email ON subscribers USING GIN (email gin_trgm_ops);
CREATE INDEX subscriber_search_name ON subscribers USING GIN (lower(COALESCE(name, '')) gin_trgm_ops);
