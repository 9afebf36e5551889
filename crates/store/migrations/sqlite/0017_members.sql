-- Members, tiers and paid content.
--
-- A post's visibility: 'public', 'members', 'paid', or tier slugs separated by commas. For a post that is not
-- public, body_html/body_text/body_email_html hold only the public preview (what is before `<!--members-only-->`,
-- else the first paragraph) and paid_* hold the rest, so every output that reads the body — feeds, APIs, search,
-- the static mirror, oEmbed — shows the preview unless it reads paid_* on purpose, after checking who asks.
ALTER TABLE posts ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
ALTER TABLE posts ADD COLUMN paid_html TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN paid_text TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN paid_email_html TEXT NOT NULL DEFAULT '';

-- What readers can join: the free tier (slug 'free', made when first needed: Store::tiers) and paid ones. Prices are in the currency's minor units.
CREATE TABLE tiers (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    -- A JSON array of short lines.
    benefits TEXT NOT NULL DEFAULT '[]',
    paid INTEGER NOT NULL DEFAULT 1,
    currency TEXT NOT NULL DEFAULT 'gbp',
    monthly_price INTEGER,
    yearly_price INTEGER,
    trial_days INTEGER NOT NULL DEFAULT 0,
    active INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0,
    stripe_product_id TEXT,
    stripe_monthly_price_id TEXT,
    stripe_yearly_price_id TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- A reader's account. The address is stored in lower case; it is the same person as the newsletter subscriber
-- with that address.
CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT,
    note TEXT,
    -- 'signup', 'staff', 'import' or 'checkout'.
    source TEXT NOT NULL,
    stripe_customer_id TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_seen_at INTEGER
);
CREATE INDEX members_created ON members (created_at);

-- Signed-in members: the SHA-256 of the cookie's token, as staff sessions keep theirs (a separate table and cookie).
CREATE TABLE member_sessions (
    token_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX member_sessions_member ON member_sessions (member_id);

-- Magic sign-in links: the SHA-256 of a 256-bit token, single use, short-lived.
CREATE TABLE member_links (
    token_hash TEXT PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    next_path TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);
CREATE INDEX member_links_member ON member_links (member_id);

-- Each sign-in, for the member's own page and the admin.
CREATE TABLE member_signins (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    ip TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX member_signins_member ON member_signins (member_id, created_at);

-- What gives a member a tier: a Stripe subscription (its state as Stripe last told us) or a grant by staff ("comp").
CREATE TABLE member_subscriptions (
    id INTEGER PRIMARY KEY,
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    tier_id INTEGER NOT NULL REFERENCES tiers(id) ON DELETE RESTRICT,
    source TEXT NOT NULL CHECK (source IN ('stripe', 'comp')),
    -- Stripe's status (trialing, active, past_due, unpaid, canceled, incomplete, incomplete_expired); 'active' or
    -- 'revoked' for a comp.
    status TEXT NOT NULL,
    cadence TEXT,
    amount INTEGER,
    currency TEXT,
    stripe_subscription_id TEXT UNIQUE,
    current_period_end INTEGER,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    -- When a payment first failed (the grace period counts from here); NULL once paid.
    past_due_since INTEGER,
    -- A comp's end (NULL: until revoked).
    expires_at INTEGER,
    note TEXT,
    granted_by TEXT,
    -- The Stripe event time last applied: an older event never overwrites a newer state.
    stripe_event_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX member_subscriptions_member ON member_subscriptions (member_id);

-- A newsletter issue of a story not for everyone: `html`/`text` are what everyone gets (the preview and an
-- invitation); `whole_html`/`whole_text` the whole story, for recipients whose membership allows `visibility`.
ALTER TABLE newsletter_issues ADD COLUMN visibility TEXT NOT NULL DEFAULT 'public';
ALTER TABLE newsletter_issues ADD COLUMN whole_html TEXT NOT NULL DEFAULT '';
ALTER TABLE newsletter_issues ADD COLUMN whole_text TEXT NOT NULL DEFAULT '';
