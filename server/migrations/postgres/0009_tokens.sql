-- TOTP and HOTP tokens (RFC 6238, RFC 4226) for the OTP form: hardware tokens imported from
-- PSKC or CSV files, and authenticator apps enrolled by their owner from an invitation link.
-- See docs/security.md, "TOTP and HOTP tokens".

-- One row per token. The secret is sealed with the master key (AES-256-GCM, associated data
-- bound to the serial: server/src/sealing.rs). An account has at most one token in force
-- (index below); a hardware token may wait unassigned (`account_id` NULL), a revoked one is
-- kept for the audit trail and never works again. `last_step` (TOTP) and `counter` (HOTP)
-- make each code work once.
CREATE TABLE otp_tokens (
    serial        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('totp', 'hotp')),
    -- 'hardware' (imported), 'app' (enrolled from an invitation).
    origin        TEXT NOT NULL CHECK (origin IN ('hardware', 'app')),
    algorithm     TEXT NOT NULL CHECK (algorithm IN ('SHA1', 'SHA256', 'SHA512')),
    digits        BIGINT NOT NULL CHECK (digits IN (6, 8)),
    -- TOTP: seconds of a time step; NULL for HOTP.
    period        BIGINT CHECK (period IN (30, 60)),
    -- TOTP: time steps accepted either side of now.
    drift_window  BIGINT NOT NULL CHECK (drift_window BETWEEN 0 AND 10),
    -- TOTP: the last time step accepted (a code of it or before is refused).
    last_step     BIGINT,
    -- HOTP: the next counter expected.
    counter       BIGINT NOT NULL DEFAULT 0 CHECK (counter >= 0),
    secret_sealed BYTEA NOT NULL,
    account_id    TEXT REFERENCES accounts (id),
    created_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    assigned_at   BIGINT,
    last_used_at  BIGINT,
    revoked_at    BIGINT,
    CHECK ((kind = 'totp') = (period IS NOT NULL))
);

CREATE UNIQUE INDEX otp_tokens_one_per_account ON otp_tokens (account_id)
    WHERE account_id IS NOT NULL AND revoked_at IS NULL;

-- Token invitations: single-use links with which an account's owner enrolls an
-- authenticator app or browser extension. Only the SHA-256 of the code is stored; the
-- secret the page shows is made with the invitation and sealed under the serial the token
-- will have. A new invitation cancels the previous unused ones of the account.
CREATE TABLE token_invitations (
    code_hash     BYTEA PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    serial        TEXT NOT NULL UNIQUE,
    secret_sealed BYTEA NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    created_by    TEXT NOT NULL,
    used_at       BIGINT,
    cancelled_at  BIGINT
);

CREATE INDEX token_invitations_by_account ON token_invitations (account_id);

-- Web sessions opened by the OTP form with a token code get a method of their own
-- ('otp_token': password + TOTP/HOTP code), distinct from 'otp_email' for OpenID Connect
-- services (`acr`). Same change as 0008: the CHECK constraint is replaced in place.
-- 'qr' (phone approval), 'offline' (Tigr ID + one-time password of the phone), 'cps'
-- (card certificate), 'otp_email' (Tigr ID + password + e-mail code), 'otp_token'
-- (Tigr ID + password + code of the account's TOTP/HOTP token).
ALTER TABLE web_sessions
    DROP CONSTRAINT web_sessions_method_check,
    ADD CONSTRAINT web_sessions_method_check
        CHECK (method IN ('qr', 'offline', 'cps', 'otp_email', 'otp_token'));
