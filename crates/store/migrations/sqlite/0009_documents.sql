-- A story's body as the document model (versioned JSON), with what is rendered from it at save: the plain text read
-- aloud and searched, and the newsletter's e-mail HTML. `body_md` stays, now written from the document. Posts saved
-- before this migration are converted on start-up (`services::documents::convert_existing`). Expand-only.
ALTER TABLE posts ADD COLUMN body_doc TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN body_email_html TEXT NOT NULL DEFAULT '';
ALTER TABLE post_revisions ADD COLUMN body_doc TEXT NOT NULL DEFAULT '';
