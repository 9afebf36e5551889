-- Which worker claimed a delivery record, so a worker on the same host can take back at once the records of one
-- that provably died (its process is gone) instead of waiting out the lease. Expand-only.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
