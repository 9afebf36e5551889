-- SQLite's 0016 adds a narrow table of what search filters on (post_search_posts); PostgreSQL keeps bodies out of
-- line (TOAST), so its search joins `posts` directly and needs nothing here. Kept so both engines count the same
-- migrations.
SELECT 1;
