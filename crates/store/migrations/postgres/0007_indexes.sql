-- Indexes on the foreign keys the newsletter, News Feed and editor queries join or delete on, so they stay index
-- lookups past a million rows (and a delete of a parent does not scan the child table).
CREATE INDEX IF NOT EXISTS confirmation_tokens_subscriber ON confirmation_tokens(subscriber_id);
CREATE INDEX IF NOT EXISTS consent_ledger_subscriber ON consent_ledger(subscriber_id);
CREATE INDEX IF NOT EXISTS feed_items_post ON feed_items(post_id);
CREATE INDEX IF NOT EXISTS feed_items_tag ON feed_items(tag_id);
CREATE INDEX IF NOT EXISTS feed_items_author ON feed_items(author_id);
CREATE INDEX IF NOT EXISTS feed_events_item ON feed_events(item_id);
CREATE INDEX IF NOT EXISTS login_links_user ON login_links(user_id);
CREATE INDEX IF NOT EXISTS posts_related_post ON posts(related_post_id);
CREATE INDEX IF NOT EXISTS posts_feature_image ON posts(feature_image_id);
