-- Public reads per client and minute: the per-address rate limit of anonymous reads
-- (mapserver/web/ratelimit.py), shared by every web worker.  The client is a salted hash
-- of its address (the salt of migration 004), never the address.  UNLOGGED: the counts
-- need not survive a crash, and skipping the WAL keeps the one upsert per read cheap.
CREATE UNLOGGED TABLE IF NOT EXISTS mapserver.read_rate (
    client_hash  text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (client_hash, window_start)
);

-- Public endpoints count on the public read role's pool (as the feedback limit does, 014).
DO $$
BEGIN
    EXECUTE format('GRANT SELECT, INSERT, UPDATE (hits), DELETE ON mapserver.read_rate TO %I',
                   mapserver.db_role('public'));
END $$;
