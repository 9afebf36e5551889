-- A story's body as the document model (versioned JSON), with what is rendered from it at save: the plain text read
-- aloud and searched, and the newsletter's e-mail HTML. `body_md` stays, now written from the document. Posts saved
-- before this migration are converted on start-up (`services::documents::convert_existing`). Expand-only.
ALTER TABLE posts ADD COLUMN body_doc TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN body_email_html TEXT NOT NULL DEFAULT '';
ALTER TABLE post_revisions ADD COLUMN body_doc TEXT NOT NULL DEFAULT '';

-- Which stories a story's related-story cards point to, written with every save, so a card is drawn again when the
-- story it shows changes its headline or image, is published, unpublished or deleted.
CREATE TABLE post_links (
    post_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    target_id BIGINT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, target_id)
);
CREATE INDEX post_links_target ON post_links (target_id);
