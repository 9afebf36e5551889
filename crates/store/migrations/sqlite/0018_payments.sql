-- Stripe's webhook events, each processed once (the id is Stripe's). `status`: 'processed', 'ignored' (a type we
-- do not act on), or 'unmatched' (a customer we do not know yet: reconciliation looks again).
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    -- Stripe's time for the event: the order that makes a subscription's state right.
    created INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    customer TEXT,
    note TEXT,
    -- The event as received, kept while it is unmatched so it can be applied once its customer is known.
    payload TEXT
);
CREATE INDEX stripe_events_status ON stripe_events (status, received_at);

-- Payments Stripe reported (paid and failed invoices): receipts for members, figures for the revenue page. Kept
-- when a member is deleted (as tax law asks), without the member.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    member_id INTEGER REFERENCES members(id) ON DELETE SET NULL,
    stripe_invoice_id TEXT NOT NULL UNIQUE,
    stripe_subscription_id TEXT,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    -- 'paid' or 'failed'.
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX payments_member ON payments (member_id, created_at);
