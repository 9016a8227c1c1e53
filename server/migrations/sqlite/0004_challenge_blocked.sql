-- A login challenge can end 'blocked': the account that answered it is blocked (the answer
-- that reached the failure threshold, or any answer while blocked), so that the browser
-- showing the QR tells its user at once. `blocked_until` is the end of a temporary block
-- (NULL: until an administrator unblocks). SQLite cannot change a CHECK constraint in
-- place: the table is rebuilt, rows kept. Nothing references `challenges`.
CREATE TABLE challenges_rebuilt (
    id                 TEXT PRIMARY KEY,
    nonce              TEXT NOT NULL,
    browser_token_hash BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    state              TEXT NOT NULL
                       CHECK (state IN ('pending', 'scanned', 'approved', 'denied', 'blocked')),
    account_id         TEXT REFERENCES accounts (id),
    browser_ip         TEXT NOT NULL,
    browser_user_agent TEXT NOT NULL,
    decided_at         INTEGER,
    blocked_until      INTEGER
) STRICT;

INSERT INTO challenges_rebuilt (id, nonce, browser_token_hash, created_at, expires_at, state,
                                account_id, browser_ip, browser_user_agent, decided_at)
SELECT id, nonce, browser_token_hash, created_at, expires_at, state,
       account_id, browser_ip, browser_user_agent, decided_at
FROM challenges;

DROP TABLE challenges;
ALTER TABLE challenges_rebuilt RENAME TO challenges;

-- For the periodic purge of old challenges.
CREATE INDEX challenges_by_expiry ON challenges (expires_at);
