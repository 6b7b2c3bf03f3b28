-- City staff accounts, their sessions and API tokens, login throttling, and the audit log.
-- Everything a web worker needs to know about a user lives here, so workers stay stateless.
CREATE TABLE mapserver.users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{1,63}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'planner', 'staff')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE mapserver.sessions (
    token_hash  text PRIMARY KEY,          -- sha256 of the cookie value; the value is never stored
    user_id     bigint NOT NULL REFERENCES mapserver.users (id) ON DELETE CASCADE,
    csrf_token  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX ON mapserver.sessions (expires_at);

CREATE TABLE mapserver.api_tokens (
    token_hash  text PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES mapserver.users (id) ON DELETE CASCADE,
    name        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    last_used   timestamptz
);

CREATE TABLE mapserver.login_failures (
    key         text NOT NULL,             -- sha256 of username and client address
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON mapserver.login_failures (key, at);

CREATE TABLE mapserver.audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text,
    details     jsonb NOT NULL DEFAULT '{}'
);

-- Append-only: history cannot be rewritten, not even by the application.
CREATE FUNCTION mapserver.audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON mapserver.audit_log FOR EACH STATEMENT
    EXECUTE FUNCTION mapserver.audit_log_is_append_only();
