-- Residents' feedback: the NPS score behind the satisfaction KPI and requests for datasets.
-- Text is stored exactly as typed (a <script> stays a <script>); pages escape it on output.
-- `contact` is personal data: never shown on a public page or in an export.
CREATE TABLE mapserver.feedback_scores (
    id          bigserial PRIMARY KEY,
    score       smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
    comment     text CHECK (length(comment) <= 2000),
    lang        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mapserver.dataset_requests (
    id          bigserial PRIMARY KEY,
    what        text NOT NULL CHECK (length(what) BETWEEN 1 AND 300),
    why         text CHECK (length(why) <= 2000),
    contact     text CHECK (length(contact) <= 200),
    lang        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Submissions per client and time window; the client is a salted hash of its IP address
-- (no address is stored), so every web worker shares the same counts.
CREATE TABLE mapserver.feedback_rate (
    client_hash  text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (client_hash, window_start)
);

-- A random salt made once per database, so the hashes cannot be matched with another site's.
CREATE TABLE mapserver.feedback_salt (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    salt      text NOT NULL DEFAULT md5(random()::text || clock_timestamp()::text)
);
INSERT INTO mapserver.feedback_salt DEFAULT VALUES;
