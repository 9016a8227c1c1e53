-- Web sessions of the login pages (and of every page that needs a logged-in person).
-- Only SHA-256 of the session id is stored: a copy of the database opens no session.
-- A session ends after `idle` seconds without a request (last_seen_at) or at expires_at
-- (absolute limit), whichever comes first; logout deletes the row.
CREATE TABLE web_sessions (
    id_hash      BYTEA PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    -- The login challenge that opened it: one challenge opens at most one session.
    challenge_id TEXT NOT NULL UNIQUE,
    -- 'qr' (phone approval) or 'offline' (Tigr ID + one-time password).
    method       TEXT NOT NULL CONSTRAINT web_sessions_method_check
                 CHECK (method IN ('qr', 'offline')),
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
);

CREATE INDEX web_sessions_by_account ON web_sessions (account_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
