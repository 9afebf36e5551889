-- Rate limits every node shares (a fixed window per key). The key is a SHA-256 of what is limited (an action and
-- a client address or an e-mail address), so no address is kept here. Windows are purged by the worker's upkeep.
CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
