-- Rate limits every node shares (a fixed window per key). The key is a SHA-256 of what is limited (an action and
-- a client address or an e-mail address), so no address is kept here. Windows are purged by the worker's upkeep.
CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);

-- Periodic work (the worker's upkeep: purges, reconciling with Stripe) runs once per period across every worker:
-- the worker that moves `last_run` forward runs it.
CREATE TABLE periodic_runs (
    name TEXT PRIMARY KEY,
    last_run BIGINT NOT NULL
);
