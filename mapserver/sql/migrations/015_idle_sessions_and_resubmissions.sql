-- Sessions end after a while without use, besides their absolute end (expires_at).
ALTER TABLE mapserver.sessions ADD COLUMN IF NOT EXISTS last_seen timestamptz NOT NULL
    DEFAULT now();

-- A resident's form sent twice (a double click, a reload) is stored once: each public
-- submission leaves a fingerprint (a salted hash of the client, the form and its content;
-- no address or text is kept) for a short while, and an identical one is skipped.
CREATE TABLE IF NOT EXISTS mapserver.recent_submissions (
    fingerprint  text PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now()
);
