-- Donations through /support/: one-off or monthly, each begun as a Stripe Checkout and settled by its webhook.
-- `status`: 'pending' (sent to Checkout), 'paid' (one-off, settled), 'active' (monthly, giving), 'cancelled'
-- (monthly, stopped), 'failed'. `amount` is the gift; `fee` what the donor added to cover the processing fee (the
-- charge is their sum). Kept when the donor's account is deleted, without the donor (as tax law asks).
CREATE TABLE donations (
    id INTEGER PRIMARY KEY,
    member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    amount INTEGER NOT NULL,
    fee INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL,
    -- 'once' or 'month'.
    cadence TEXT NOT NULL,
    message TEXT,
    status TEXT NOT NULL,
    stripe_subscription_id TEXT UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX donations_member ON donations (member_id, created_at);
CREATE INDEX donations_created ON donations (created_at);

-- A payment that is a donation (a one-off gift, or one month of a monthly one).
ALTER TABLE payments ADD COLUMN donation_id INTEGER REFERENCES donations(id) ON DELETE SET NULL;
CREATE INDEX payments_created ON payments (created_at);
CREATE INDEX payments_subscription ON payments (stripe_subscription_id);

-- Metered reading: where the public preview ends in `body_html` (bytes), so a metered page can be cut there without
-- parsing anything on the request path. NULL: not computed yet (the next save or `serve`'s backfill does).
ALTER TABLE posts ADD COLUMN preview_end INTEGER;
