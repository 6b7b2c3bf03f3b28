-- Public reads per client and minute: the per-address rate limit of anonymous reads
-- (mapserver/web/ratelimit.py), shared by every web worker.  The client is a salted hash
-- of its address (the salt of migration 004), never the address.  UNLOGGED: the counts
-- need not survive a crash, and skipping the WAL keeps the one upsert per read cheap.
CREATE UNLOGGED TABLE mapserver.read_rate (
    client_hash  text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (client_hash, window_start)
);
