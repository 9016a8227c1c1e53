-- Tigr server schema, SQLite flavour. Times are Unix seconds (INTEGER).
-- STRICT tables make SQLite enforce the declared column types.

-- Server metadata, e.g. a check value proving the configured master key is the one that
-- encrypted the offline secrets of this database.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

-- One row per person. id is the Tigr ID typed by users in offline mode.
CREATE TABLE accounts (
    id              TEXT PRIMARY KEY,
    display_name    TEXT NOT NULL,
    email           TEXT,
    role            TEXT NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    created_at      INTEGER NOT NULL,
    disabled_at     INTEGER,
    -- Consecutive failed responses since the last success (lockout counter).
    failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
    blocked_at      INTEGER,
    blocked_reason  TEXT
) STRICT;

-- Phones. Only the public keys are stored for online approval; the OCRA secret is
-- AES-256-GCM encrypted under the master key (nonce || ciphertext || tag).
CREATE TABLE devices (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    name               TEXT NOT NULL,
    approval_key       BLOB NOT NULL,
    identity_key       BLOB NOT NULL,
    offline_secret_enc BLOB NOT NULL,
    ocra_suite         TEXT NOT NULL,
    enrolled_at        INTEGER NOT NULL,
    revoked_at         INTEGER,
    revoked_reason     TEXT
) STRICT;

-- One phone per account: at most one non-revoked device, enforced by the database itself.
CREATE UNIQUE INDEX devices_one_active_per_account
    ON devices (account_id) WHERE revoked_at IS NULL;
CREATE INDEX devices_by_account ON devices (account_id);

-- Enrollment invitations. Only SHA-256(code) is stored: a copy of the database cannot enroll.
CREATE TABLE enrollments (
    code_hash  BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    device_id  TEXT REFERENCES devices (id)
) STRICT;

CREATE INDEX enrollments_by_account ON enrollments (account_id);

-- Login challenges. 'expired' is never stored: it is computed when read.
CREATE TABLE challenges (
    id                 TEXT PRIMARY KEY,
    nonce              TEXT NOT NULL,
    browser_token_hash BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'scanned', 'approved', 'denied')),
    account_id         TEXT REFERENCES accounts (id),
    browser_ip         TEXT NOT NULL,
    browser_user_agent TEXT NOT NULL,
    decided_at         INTEGER
) STRICT;

-- For the periodic purge of old challenges.
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Security audit trail. Append-only: the triggers below abort any UPDATE or DELETE.
-- No foreign keys, so that the trail outlives what it talks about.
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           INTEGER NOT NULL,
    event        TEXT NOT NULL,
    actor        TEXT NOT NULL,
    account_id   TEXT,
    device_id    TEXT,
    challenge_id TEXT,
    ip           TEXT,
    user_agent   TEXT,
    detail       TEXT
) STRICT;

CREATE INDEX audit_by_account ON audit (account_id, at);
CREATE INDEX audit_by_time ON audit (at);

CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
