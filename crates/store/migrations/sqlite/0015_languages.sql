-- Languages: a post's language (NULL: the site's own, `[site] language`; otherwise one of `[site] languages`,
-- as a canonical BCP 47 tag), and the group of posts that are translations of one another (the id of one of them;
-- NULL for a post with no translation). One language per group is enforced by the store's linking.
ALTER TABLE posts ADD COLUMN language TEXT;
ALTER TABLE posts ADD COLUMN translation_group BIGINT;
CREATE INDEX posts_translation_group ON posts (translation_group);

-- The site's own language, as `[site] language` last said at start-up (Store::set_site_language): the language of
-- every post that names none, which PostgreSQL's search index needs to pick a text-search configuration.
ALTER TABLE site_state ADD COLUMN language TEXT NOT NULL DEFAULT 'en';

-- A newsletter's language (NULL: the site's own): its signup forms appear on the pages in that language, and its
-- issues are written in it.
ALTER TABLE newsletters ADD COLUMN language TEXT;
