-- Card login (docs/cps.md): an administrator binds a health-sector card to an account, by
-- the national identifier its certificate carries (`national_id`, e.g. '810001234567') or
-- by the SHA-256 fingerprint of one certificate (`fingerprint`, 64 hex digits), for cards
-- whose certificate carries no identifier. A value is bound to one account at most.
CREATE TABLE card_bindings (
    kind       TEXT NOT NULL CHECK (kind IN ('national_id', 'fingerprint')),
    value      TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (kind, value)
) STRICT;

CREATE INDEX card_bindings_by_account ON card_bindings (account_id);

-- Web sessions may be opened by a card ('cps'). SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt, rows kept (with the OpenID Connect columns of 0006). Nothing references `web_sessions`.
CREATE TABLE web_sessions_rebuilt (
    id_hash      BLOB PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    challenge_id TEXT NOT NULL UNIQUE,
    -- 'qr' (phone approval), 'offline' (Tigr ID + one-time password), 'cps' (card
    -- certificate, its PIN checked by the card).
    method       TEXT NOT NULL CHECK (method IN ('qr', 'offline', 'cps')),
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    sid          TEXT,
    auth_time    INTEGER
) STRICT;

INSERT INTO web_sessions_rebuilt (id_hash, account_id, created_at, last_seen_at, expires_at,
                                  challenge_id, method, ip, user_agent, sid, auth_time)
SELECT id_hash, account_id, created_at, last_seen_at, expires_at, challenge_id, method, ip,
       user_agent, sid, auth_time
FROM web_sessions;

DROP TABLE web_sessions;
ALTER TABLE web_sessions_rebuilt RENAME TO web_sessions;

CREATE INDEX web_sessions_by_account ON web_sessions (account_id);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
CREATE UNIQUE INDEX web_sessions_by_sid ON web_sessions (sid);
