-- Editors' Picks have a version of their own: a change to them is spliced into cached pages, not a content change.
ALTER TABLE site_state ADD COLUMN picks_version BIGINT NOT NULL DEFAULT 0;
