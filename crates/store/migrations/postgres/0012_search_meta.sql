-- What search engines and link previews show when it should differ from the headline and dek: the meta title and
-- description of Ghost, Yoast and the editor's "Search and social" fields. Expand-only.
ALTER TABLE posts ADD COLUMN meta_title TEXT;
ALTER TABLE posts ADD COLUMN meta_description TEXT;
