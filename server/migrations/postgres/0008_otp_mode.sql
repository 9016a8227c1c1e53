-- The OTP mode of the login page: Tigr ID + password + one-time password (e-mail code).
-- See docs/security.md, "Passwords", "E-mail one-time passwords" and "Lockout channels".

-- One password per account, as an argon2id PHC string (algorithm, parameters, salt, hash).
-- People choose it themselves through a password invitation; administrators never see it.
CREATE TABLE passwords (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    phc        TEXT NOT NULL,
    set_at     BIGINT NOT NULL
);

-- Password invitations: single-use links an administrator issues (first password, or a
-- reset). Only the SHA-256 of the code is stored. A new invitation cancels the previous
-- unused ones of the account (`cancelled_at`).
CREATE TABLE password_invitations (
    code_hash    BYTEA PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    created_by   TEXT NOT NULL,
    used_at      BIGINT,
    cancelled_at BIGINT
);

CREATE INDEX password_invitations_by_account ON password_invitations (account_id);

-- The OTP channel's lockout: failed Tigr ID + password + code attempts pause the OTP form
-- for the Tigr ID typed, never the phone's QR login nor the offline form. Same layout and
-- rules as `offline_attempts` (server/src/domain/offline_pause.rs): keyed by an HMAC of the
-- normalised ID, kept for every ID typed, enrolled or not.
CREATE TABLE otp_attempts (
    tigr_id_key     BYTEA PRIMARY KEY,
    account_id      TEXT,
    failures        BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0),
    paused_at       BIGINT,
    paused_until    BIGINT,
    pauses          BIGINT NOT NULL DEFAULT 0 CHECK (pauses >= 0),
    last_failure_at BIGINT NOT NULL
);

CREATE INDEX otp_attempts_by_account ON otp_attempts (account_id)
    WHERE account_id IS NOT NULL;
CREATE INDEX otp_attempts_by_age ON otp_attempts (last_failure_at);

-- The e-mail code in force for an account (at most one: a new send replaces it). Only a
-- keyed hash of the code is stored (HMAC under a key derived from the master key: six
-- digits would be trivial to find from a plain hash). A used code is deleted.
CREATE TABLE email_codes (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    code_mac   BYTEA NOT NULL,
    sent_at    BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Codes mailed, for the per-account and per-address send limits (rows older than a day
-- are purged).
CREATE TABLE email_sends (
    account_id TEXT NOT NULL,
    address    TEXT NOT NULL,
    sent_at    BIGINT NOT NULL
);

CREATE INDEX email_sends_by_account ON email_sends (account_id, sent_at);
CREATE INDEX email_sends_by_address ON email_sends (address, sent_at);

-- Web sessions now also open from the OTP form, without a login challenge: the method says
-- how the login was proven ('otp_email': password + e-mail code), and `challenge_id` is
-- NULL for those (UNIQUE still holds for the others: NULLs are distinct in a UNIQUE
-- constraint). The NOT NULL and CHECK constraints are changed in place, rows, columns and
-- indexes kept.
-- 'qr' (phone approval), 'offline' (Tigr ID + one-time password of the phone), 'cps'
-- (card certificate), 'otp_email' (Tigr ID + password + e-mail code).
ALTER TABLE web_sessions
    ALTER COLUMN challenge_id DROP NOT NULL,
    DROP CONSTRAINT web_sessions_method_check,
    ADD CONSTRAINT web_sessions_method_check
        CHECK (method IN ('qr', 'offline', 'cps', 'otp_email'));
