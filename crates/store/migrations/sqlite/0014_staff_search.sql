-- Search for staff.
-- 1. The post index holds every post now, drafts and scheduled ones too, so the admin's post list finds words in
--    bodies; readers' search keeps to published posts by joining on their status (store::search).
INSERT INTO post_search (rowid, title, dek, body, extra)
SELECT p.id, p.title, COALESCE(p.excerpt, ''), p.body_text,
       COALESCE(p.feature_image_caption, '') || ' ' ||
       COALESCE((SELECT group_concat(t.name, ' ') FROM post_tags pt JOIN tags t ON t.id = pt.tag_id
                 WHERE pt.post_id = p.id AND t.name NOT LIKE '#%'), '') || ' ' ||
       COALESCE((SELECT group_concat(a.name, ' ') FROM post_authors pa JOIN authors a ON a.id = pa.author_id
                 WHERE pa.post_id = p.id), '')
FROM posts p WHERE p.status <> 'published';

-- 2. Subscriber search by any part of the address or name without scanning every row: an FTS5 trigram index
--    over the subscribers table (external content: the text is not stored twice), kept by triggers, so every
--    insert, rename and delete changes it in its own transaction. PostgreSQL uses pg_trgm GIN indexes instead.
CREATE VIRTUAL TABLE subscriber_search USING fts5(
    email, name,
    content = 'subscribers', content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO subscriber_search (subscriber_search) VALUES ('rebuild');

CREATE TRIGGER subscriber_search_insert AFTER INSERT ON subscribers BEGIN
    INSERT INTO subscriber_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;
CREATE TRIGGER subscriber_search_delete AFTER DELETE ON subscribers BEGIN
    INSERT INTO subscriber_search (subscriber_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
END;
CREATE TRIGGER subscriber_search_update AFTER UPDATE OF email, name ON subscribers BEGIN
    INSERT INTO subscriber_search (subscriber_search, rowid, email, name) VALUES ('delete', old.id, old.email, old.name);
    INSERT INTO subscriber_search (rowid, email, name) VALUES (new.id, new.email, new.name);
END;
